//! Name parsing: one name per line, as a user would type them after `selfsign new`.

use selfsign_core::{parse_names, LeafOptions, Name, NameConstraints};

/// Parses each line as a name and the whole as a list; accepted names must be stable under
/// re-parsing and usable in a certificate, and the lines must not crash constraint parsing.
/// Returns whether the whole list was accepted.
pub fn parse(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().take(16).collect();
    for line in &lines {
        if let Ok(name) = Name::parse(line) {
            let again = Name::parse(&name.value()).expect("a normalised name parses again");
            assert_eq!(again, name, "normalising {line:?} is not idempotent");
            let _ = name.to_string();
        }
    }
    let _ = NameConstraints::permit(&lines).map(|nc| {
        for line in &lines {
            if let Ok(name) = Name::parse(line) {
                let _ = nc.check(&name);
            }
        }
    });
    let Ok(names) = parse_names(&lines) else {
        return false;
    };
    let options = LeafOptions::new(names.iter().map(|n| n.value()));
    let issued = selfsign_core::self_signed(&options, crate::now())
        .expect("names that parse must make a certificate");
    let info = issued
        .certificate
        .inspect(crate::now())
        .expect("our certificate inspects");
    assert_eq!(info.subject_alt_names.len(), names.len());
    true
}
