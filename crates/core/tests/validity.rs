//! Validity: derived from the caller's `now`, with defaults and clear refusals.

mod common;

use common::{days_later, info, now, root};
use selfsign_core::{self_signed, validity, Ca, CaOptions, Error, LeafOptions, Validity};

#[test]
fn leaf_defaults_to_397_days_from_now_and_ca_to_ten_years() {
    let ca = root();
    let leaf = ca.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let l = info(&leaf.certificate);
    assert_eq!(l.not_before, now().as_secs() as i64);
    assert_eq!(l.not_after - l.not_before, 397 * 86_400);
    let c = info(ca.certificate());
    assert_eq!(
        c.not_after - c.not_before,
        i64::from(validity::CA_DAYS) * 86_400
    );
}

#[test]
fn explicit_not_before_and_not_after_are_used_as_given() {
    let v = Validity::Range {
        not_before: days_later(1),
        not_after: days_later(3),
    };
    let leaf = self_signed(&LeafOptions::new(["a.test"]).validity(v), now()).unwrap();
    let i = info(&leaf.certificate);
    assert_eq!(i.not_before, days_later(1).as_secs() as i64);
    assert_eq!(i.not_after, days_later(3).as_secs() as i64);
    assert!(!i.valid_now, "not yet valid at now");
}

#[test]
fn not_after_before_not_before_is_refused() {
    let v = Validity::Range {
        not_before: days_later(3),
        not_after: days_later(1),
    };
    let err = self_signed(&LeafOptions::new(["a.test"]).validity(v), now()).unwrap_err();
    assert!(matches!(err, Error::InvalidValidity(_)));
    assert!(err.to_string().contains("later than not-before"), "{err}");
}

#[test]
fn zero_days_is_refused() {
    let err = self_signed(&LeafOptions::new(["a.test"]).days(0), now()).unwrap_err();
    assert!(err.to_string().contains("at least 1 day"), "{err}");
}

#[test]
fn a_leaf_cannot_outlive_its_issuer() {
    let opts = CaOptions {
        validity: Validity::Days(30),
        ..CaOptions::default()
    };
    let ca = Ca::new_root(&opts, now()).unwrap();
    let err = ca.issue(&LeafOptions::new(["a.test"]), now()).unwrap_err();
    assert!(matches!(err, Error::OutlivesIssuer { .. }), "{err}");
    assert!(err.to_string().contains("shorter validity"), "{err}");
    assert!(ca
        .issue(&LeafOptions::new(["a.test"]).days(30), now())
        .is_ok());
}

#[test]
fn an_expired_ca_cannot_issue() {
    let opts = CaOptions {
        validity: Validity::Days(1),
        ..CaOptions::default()
    };
    let ca = Ca::new_root(&opts, now()).unwrap();
    let err = ca
        .issue(&LeafOptions::new(["a.test"]).days(1), days_later(2))
        .unwrap_err();
    assert!(matches!(err, Error::IssuerNotValid { .. }), "{err}");
}

#[test]
fn validity_at_a_given_now_is_reported_with_days_left() {
    let leaf = self_signed(&LeafOptions::new(["a.test"]).days(10), now()).unwrap();
    let at = |t| leaf.certificate.inspect(t).unwrap();
    assert!(at(now()).valid_now);
    assert_eq!(at(now()).days_left, 10);
    assert!(!at(days_later(11)).valid_now);
    assert_eq!(at(days_later(11)).days_left, -1);
}
