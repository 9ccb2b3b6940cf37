//! The short HTML pages the proxy answers with itself when it cannot forward a request.

use std::fmt::Write;

use crate::http::reason;

/// A complete response: `status` with an HTML page saying `message` and what to do about it.
pub(crate) fn response(status: u16, message: &str, hint: &str, close: bool, out: &mut Vec<u8>) {
    let title = format!("{status} {}", reason(status));
    let mut body = String::with_capacity(512);
    let _ = write!(
        body,
        "<!doctype html>\n<meta charset=utf-8>\n<title>{title}</title>\n\
         <h1>{title}</h1>\n<p>{}</p>\n<p>{}</p>\n<p><small>selfsign serve</small></p>\n",
        escape(message),
        escape(hint)
    );
    let connection = if close { "close" } else { "keep-alive" };
    let _ = std::io::Write::write_fmt(
        out,
        format_args!(
            "HTTP/1.1 {title}\r\nContent-Type: text/html; charset=utf-8\r\n\
             Content-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
             Connection: {connection}\r\n\r\n{body}",
            body.len()
        ),
    );
}

/// `text` with HTML's special characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_quote() {
        let mut out = Vec::new();
        response(502, "cannot reach <x>", "start it & retry", true, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
        assert!(text.contains("cannot reach &lt;x&gt;") && text.contains("start it &amp; retry"));
        let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
        assert!(text.contains(&format!("Content-Length: {}\r\n", body.len())));
    }
}
