//! `--proxy URL` and `--route HOST=URL|dir:PATH`: what the reverse proxy forwards where.

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::time::Duration;

use selfsign_server::{normalize_host, HostPatterns, ProxyOptions, Route, Target};

use super::ondemand;
use crate::Error;

/// The proxy's targets from the flags; each route host is also allowed certificates on demand.
pub fn options(
    proxy: Option<&str>,
    routes: &[String],
    rewrite_host: bool,
    upstream_timeout: Duration,
    serve_dotfiles: bool,
    allowed: &mut HostPatterns,
) -> Result<ProxyOptions, Error> {
    let fallback = proxy.map(|url| target("--proxy", url)).transpose()?;
    let mut parsed = Vec::new();
    for spec in routes {
        let (host, to) = spec.split_once('=').ok_or_else(|| {
            Error::Usage(format!(
                "--route {spec}: expected HOST=URL or HOST=dir:PATH, e.g. app.localhost=http://127.0.0.1:5173"
            ))
        })?;
        let host = normalize_host(host.trim());
        if host.is_empty() || host.contains(['/', ':']) {
            return Err(Error::Usage(format!(
                "--route {spec}: {host:?} is not a host name (no scheme or port: app.localhost=...)"
            )));
        }
        if parsed.iter().any(|r: &Route| r.host == host) {
            return Err(Error::Usage(format!(
                "--route {spec}: {host} is routed twice"
            )));
        }
        ondemand::allow_route_host(allowed, &host)?;
        parsed.push(Route {
            host,
            target: target(&format!("--route {spec}"), to)?,
        });
    }
    Ok(ProxyOptions {
        routes: parsed,
        fallback,
        rewrite_host,
        upstream_timeout,
        serve_dotfiles,
    })
}

/// `http://host:port` (resolved now) or `dir:PATH`.
fn target(flag: &str, spec: &str) -> Result<Target, Error> {
    if let Some(dir) = spec.strip_prefix("dir:") {
        let dir = PathBuf::from(dir);
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{flag}: {} is not a directory",
                dir.display()
            )));
        }
        return Ok(Target::Dir(dir));
    }
    let bad = |why: &str| {
        Error::Usage(format!(
            "{flag}: {why} (expected http://HOST:PORT such as http://127.0.0.1:3000, or dir:PATH)"
        ))
    };
    let url = url::Url::parse(spec).map_err(|e| bad(&format!("{spec:?} is not a URL: {e}")))?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(bad(
                "the upstream must speak plain HTTP (selfsign adds the TLS in front of it)",
            ))
        }
        other => return Err(bad(&format!("scheme {other}: is not http:"))),
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("paths are not supported: requests keep their own path"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in the URL are not supported"));
    }
    let host = url.host_str().ok_or_else(|| bad("no host"))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<_> = (bare, port)
        .to_socket_addrs()
        .map_err(|e| bad(&format!("cannot resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(bad(&format!("{host} has no address")));
    }
    Ok(Target::Upstream {
        addrs,
        url: format!("http://{host}:{port}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(proxy: Option<&str>, routes: &[&str]) -> Result<ProxyOptions, Error> {
        let routes: Vec<String> = routes.iter().map(|s| s.to_string()).collect();
        let mut allowed = ondemand::patterns(&[]).unwrap();
        options(
            proxy,
            &routes,
            false,
            Duration::from_secs(60),
            false,
            &mut allowed,
        )
    }

    #[test]
    fn urls_must_be_plain_http_to_a_host_and_port() {
        let o = opts(Some("http://127.0.0.1:3000"), &[]).unwrap();
        match o.fallback {
            Some(Target::Upstream { addrs, url }) => {
                assert_eq!(addrs, vec!["127.0.0.1:3000".parse().unwrap()]);
                assert_eq!(url, "http://127.0.0.1:3000");
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            "https://127.0.0.1:3000",
            "127.0.0.1:3000",
            "http://127.0.0.1:3000/app",
        ] {
            let e = opts(Some(bad), &[]).unwrap_err().to_string();
            assert!(e.contains("--proxy"), "{bad}: {e}");
        }
    }

    #[test]
    fn routes_name_a_host_and_a_target() {
        let dir = std::env::temp_dir();
        let spec = format!("static.localhost=dir:{}", dir.display());
        let o = opts(None, &["App.localhost=http://[::1]:5173", &spec]).unwrap();
        assert_eq!(o.routes[0].host, "app.localhost");
        assert_eq!(o.routes[1].target, Target::Dir(dir));
        for bad in [
            "app.localhost",
            "http://a=http://b:1",
            "a=dir:/no/such/dir/x",
        ] {
            assert!(opts(None, &[bad]).is_err(), "{bad}");
        }
        assert!(opts(
            None,
            &[
                "a.localhost=http://127.0.0.1:1",
                "a.localhost=http://127.0.0.1:2"
            ]
        )
        .is_err());
    }
}
