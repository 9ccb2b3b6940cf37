//! Which key belongs to which certificate, which CA issued which certificate, and which name
//! constraints permit a list of names: the checks the CLI and the page share.

mod common;

use common::{now, root};
use selfsign_core::{parse_names, Error, LeafOptions, NameConstraints};

#[test]
fn a_key_matches_its_own_certificate_and_no_other() {
    let ca = root();
    let leaf = ca.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    assert!(leaf.key.matches(&leaf.certificate));
    assert!(ca.key().matches(ca.certificate()));
    assert!(!leaf.key.matches(ca.certificate()));
    assert!(!ca.key().matches(&leaf.certificate));
}

#[test]
fn a_certificate_is_issued_by_the_ca_that_signed_it_only() {
    let ca = root();
    let other = root();
    let leaf = ca.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    assert!(leaf.certificate.issued_by(ca.certificate()));
    assert!(ca.certificate().issued_by(ca.certificate()));
    assert!(!leaf.certificate.issued_by(other.certificate()));
    assert!(!leaf.certificate.issued_by(&leaf.certificate));
}

#[test]
fn constraints_for_names_permit_exactly_those_names() {
    let names = parse_names(&["localhost", "*.dev.test", "127.0.0.1", "me@mail.test"]).unwrap();
    let entries = NameConstraints::entries_for(&names).unwrap();
    assert_eq!(entries, ["localhost", "dev.test", "127.0.0.1", "mail.test"]);
    let constraints = NameConstraints::permit(&entries).unwrap();
    for name in &names {
        constraints.check(name).unwrap();
    }
    assert!(constraints
        .check(&parse_names(&["other.test"]).unwrap()[0])
        .is_err());
    let uris = parse_names(&["spiffe://a.test/x"]).unwrap();
    assert_eq!(
        NameConstraints::entries_for(&uris),
        Err(Error::NothingToConstrain)
    );
}
