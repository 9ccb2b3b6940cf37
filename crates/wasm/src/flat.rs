//! Certificate results flattened for `results.js`, which builds their objects from one string
//! and one array of numbers: in this path `JSON.parse` and the JSON text it reads cost more than
//! the rest of making the result. Fields are written in the order `results.js` reads them
//! (the order of the JSON route, which a browser test compares them with).

use selfsign_core::CertInfo;

use crate::results::{FileNames, Issued};

/// A result's text fields one after another, and a slot per value: a text field's end (in
/// UTF-16 units, as JS indexes strings; -1 for null), a number, a boolean as 0 or 1, a list's
/// length before its items, NaN for a null number.
#[derive(Debug, Default)]
pub struct Flat {
    /// The text fields, concatenated.
    pub text: String,
    /// The slots.
    pub slots: Vec<f64>,
    units: usize,
}

/// A value `results.js` reads back field by field.
pub trait Flatten {
    /// Writes this value's fields to `out`, in `results.js`'s order.
    fn flatten(&self, out: &mut Flat);
}

impl Flat {
    fn str(&mut self, s: &str) {
        self.text.push_str(s);
        self.units += if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.slots.push(self.units as f64);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.slots.push(-1.0),
        }
    }

    fn num(&mut self, n: f64) {
        self.slots.push(n);
    }

    fn bool(&mut self, b: bool) {
        self.num(if b { 1.0 } else { 0.0 });
    }

    fn strs(&mut self, list: &[String]) {
        self.num(list.len() as f64);
        for s in list {
            self.str(s);
        }
    }
}

impl Flatten for CertInfo {
    fn flatten(&self, out: &mut Flat) {
        // Every field, so one added to `CertInfo` does not compile until it is written here (and
        // read in `results.js`, whose order this is).
        let CertInfo {
            subject,
            common_name,
            issuer,
            serial,
            not_before,
            not_after,
            not_before_rfc3339,
            not_after_rfc3339,
            valid_now,
            days_left,
            subject_alt_names,
            key_algorithm,
            key_bits,
            signature_algorithm,
            is_ca,
            path_len,
            key_usage,
            extended_key_usage,
            permitted_names,
            excluded_names,
            subject_key_id,
            authority_key_id,
            sha256_fingerprint,
            sha256_hex,
            spki_sha256_base64,
            self_signed,
        } = self;
        out.str(subject);
        out.opt_str(common_name.as_deref());
        out.str(issuer);
        out.str(serial);
        out.num(*not_before as f64);
        out.num(*not_after as f64);
        out.str(not_before_rfc3339);
        out.str(not_after_rfc3339);
        out.bool(*valid_now);
        out.num(*days_left as f64);
        out.strs(subject_alt_names);
        out.str(key_algorithm);
        out.num(*key_bits as f64);
        out.str(signature_algorithm);
        out.bool(*is_ca);
        out.num(path_len.map_or(f64::NAN, f64::from));
        out.strs(key_usage);
        out.strs(extended_key_usage);
        out.strs(permitted_names);
        out.strs(excluded_names);
        out.opt_str(subject_key_id.as_deref());
        out.opt_str(authority_key_id.as_deref());
        out.str(sha256_fingerprint);
        out.str(sha256_hex);
        out.str(spki_sha256_base64);
        out.bool(*self_signed);
    }
}

impl Flatten for FileNames {
    fn flatten(&self, out: &mut Flat) {
        out.str(&self.certificate);
        out.opt_str(self.key.as_deref());
        out.opt_str(self.chain.as_deref());
    }
}

/// Everything but the key, which goes to `results.js` as text of its own: a field read from the
/// shared text keeps all of it alive in JS, and no public field should keep a private key alive.
impl Flatten for Issued {
    fn flatten(&self, out: &mut Flat) {
        out.str(&self.certificate_pem);
        out.opt_str(self.chain_pem.as_deref());
        out.opt_str(self.ca_pem.as_deref());
        self.info.0.flatten(out);
        self.files.flatten(out);
    }
}
