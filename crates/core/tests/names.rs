//! Names: what users type becomes validated SANs, and bad input says what is wrong.

use std::net::IpAddr;

use selfsign_core::{parse_names, Error, Name};

fn reason(input: &str) -> String {
    match Name::parse(input) {
        Err(Error::InvalidName { input: got, reason }) => {
            assert_eq!(got, input, "the error names the offending input");
            reason.to_string()
        }
        other => panic!("{input:?} should be rejected, got {other:?}"),
    }
}

#[test]
fn dns_names_are_lower_cased_and_trailing_dot_dropped() {
    assert_eq!(
        Name::parse("Example.TEST.").unwrap(),
        Name::Dns("example.test".into())
    );
    assert_eq!(
        Name::parse(" localhost ").unwrap(),
        Name::Dns("localhost".into())
    );
}

#[test]
fn internationalised_names_become_punycode() {
    assert_eq!(
        Name::parse("bücher.example").unwrap(),
        Name::Dns("xn--bcher-kva.example".into())
    );
}

#[test]
fn xn_labels_must_be_valid_punycode_of_an_internationalised_name() {
    for valid in [
        "xn--bcher-kva.example",
        "XN--BCHER-KVA.example",
        "*.xn--bcher-kva.test",
    ] {
        assert_eq!(
            Name::parse(valid).unwrap(),
            Name::Dns(valid.to_lowercase()),
            "{valid}"
        );
    }
    // Not punycode at all, or punycode of an upper-case (unmapped) label, "bÜcher".
    for invalid in [
        "xn--a",
        "xn--a.example.test",
        "*.xn--a.test",
        "xn--bcher-2pa.test",
    ] {
        assert!(
            reason(invalid).contains("xn--"),
            "{invalid}: {}",
            reason(invalid)
        );
    }
}

#[test]
fn wildcards_only_as_the_whole_leftmost_label() {
    assert_eq!(
        Name::parse("*.example.test").unwrap(),
        Name::Dns("*.example.test".into())
    );
    assert!(reason("*.*.x").contains("leftmost label"));
    assert!(reason("foo*.example.test").contains("leftmost label"));
    assert!(reason("a.*.example.test").contains("leftmost label"));
    assert!(reason("*.test").contains("registrable"));
}

#[test]
fn ip_addresses_v4_and_v6_including_brackets() {
    assert_eq!(
        Name::parse("127.0.0.1").unwrap(),
        Name::Ip("127.0.0.1".parse().unwrap())
    );
    let v6: IpAddr = "::1".parse().unwrap();
    assert_eq!(Name::parse("::1").unwrap(), Name::Ip(v6));
    assert_eq!(Name::parse("[::1]").unwrap(), Name::Ip(v6));
}

#[test]
fn emails_and_uris() {
    assert_eq!(
        Name::parse("Me@Example.test").unwrap(),
        Name::Email("Me@example.test".into())
    );
    assert_eq!(
        Name::parse("spiffe://example.test/svc").unwrap(),
        Name::Uri("spiffe://example.test/svc".into())
    );
    assert!(reason("@example.test").contains("local part"));
    assert!(reason("1http://x").contains("scheme"));
    assert!(reason("https://exa mple").contains("visible ASCII"));
}

#[test]
fn the_brief_examples_of_bad_names_each_get_a_specific_reason() {
    assert!(reason("exa mple.com").contains("spaces"));
    assert!(reason("*.*.x").contains("wildcard"));
    assert!(reason("999.1.1.1").contains("IPv4"));
    assert!(reason("").contains("empty"));
    assert!(reason("a..b").contains("empty label"));
    assert!(reason("-a.test").contains("hyphen"));
    assert!(reason("under_score.test").contains("underscore"));
    assert!(reason(&format!("{}.test", "a".repeat(64))).contains("63"));
    assert!(reason("[example.test]").contains("IPv6"));
}

#[test]
fn an_empty_name_list_is_an_error() {
    let none: [&str; 0] = [];
    assert_eq!(parse_names(&none).unwrap_err(), Error::NoNames);
}

#[test]
fn duplicate_names_are_kept_once_in_order() {
    let names = parse_names(&["b.test", "a.test", "B.test"]).unwrap();
    assert_eq!(
        names,
        vec![Name::Dns("b.test".into()), Name::Dns("a.test".into())]
    );
}

#[test]
fn a_malformed_ip_address_is_called_an_invalid_ip_address() {
    for input in [
        "999::1::2",
        "fe80::1::",
        "1:2:3:4:5:6:7:8:9",
        "localhost:8443",
    ] {
        let why = reason(input);
        assert!(why.contains("not a valid IP address"), "{input}: {why}");
    }
    assert!(reason("999.1.1.1").contains("IPv4"));
}
