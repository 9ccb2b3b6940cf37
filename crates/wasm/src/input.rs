//! What JS passes in: option objects as the core's types, PEM or DER inputs, CAs, the clock.

use core::str::FromStr;

use serde::de::value::SeqAccessDeserializer;
use serde::de::{DeserializeOwned, SeqAccess};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

use selfsign_core::presets;
use selfsign_core::validity::{CA_DAYS, LEAF_DAYS, MAX_DAYS};
use selfsign_core::{
    parse_certificates, CaOptions, Certificate, KeyAlgorithm, LeafOptions, UnixTime, Validity,
};
#[cfg(feature = "full")]
use selfsign_core::{Ca, CsrOptions, ExternalCa, KeyPair};

use crate::error::{field_of, At, Error, Field};

/// Names as one string (one name per line) or as an array of strings, trimmed, without blanks.
#[derive(Clone, Debug, Default)]
pub struct NameList(pub Vec<String>);

/// Read directly: an untagged enum would build (then drop) a JS `Error` for every array.
impl<'de> Deserialize<'de> for NameList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = NameList;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string with one name per line or an array of strings")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<NameList, E> {
                Ok(NameList::of(text.lines()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<NameList, A::Error> {
                let names = Vec::<String>::deserialize(SeqAccessDeserializer::new(seq))?;
                Ok(NameList::of(names.iter().map(String::as_str)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl NameList {
    fn of<'a>(items: impl Iterator<Item = &'a str>) -> Self {
        let names = items.map(str::trim).filter(|s| !s.is_empty());
        NameList(names.map(str::to_string).collect())
    }
}

/// `generateSelfSigned` and `issueLeaf` options (typescript.rs documents each input).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LeafInput {
    pub names: NameList,
    pub key: Option<String>,
    pub usage: Option<String>,
    pub days: Option<f64>,
}

impl LeafInput {
    pub fn to_core(&self) -> Result<LeafOptions, Error> {
        Ok(LeafOptions::new(self.names.0.clone())
            .usage(named(&self.usage)?)
            .key(named(&self.key)?)
            .validity(days(self.days, LEAF_DAYS)?))
    }
}

/// `generateCa` options.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CaInput {
    pub common_name: Option<String>,
    pub organization: Option<String>,
    pub key: Option<String>,
    pub days: Option<f64>,
    pub path_len: Option<f64>,
    pub name_constraints: NameList,
}

impl CaInput {
    pub fn to_core(&self) -> Result<CaOptions, Error> {
        let defaults = CaOptions::default();
        let path_len = match self.path_len {
            None => defaults.path_len,
            Some(n) if n.fract() == 0.0 && (0.0..=255.0).contains(&n) => Some(n as u8),
            Some(_) => {
                let why = "pathLen must be a whole number from 0 to 255";
                return Err(Error::invalid("pathLen", why));
            }
        };
        let common_name = self.common_name.clone().unwrap_or(defaults.common_name);
        if common_name.trim().is_empty() {
            return Err(Error::invalid(
                "commonName",
                "a CA needs a common name, e.g. \"My dev CA\"",
            ));
        }
        Ok(CaOptions {
            common_name,
            organization: self.organization.clone().unwrap_or(defaults.organization),
            key: named(&self.key)?,
            validity: days(self.days, CA_DAYS)?,
            path_len,
            name_constraints: self.name_constraints.0.clone(),
            unique_name: self.common_name.is_none(),
        })
    }
}

/// `signCsr` options.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignInput {
    pub usage: Option<String>,
    pub days: Option<f64>,
}

#[cfg(feature = "full")]
impl SignInput {
    pub fn to_core(&self) -> Result<CsrOptions, Error> {
        Ok(CsrOptions {
            usage: named(&self.usage)?,
            validity: days(self.days, LEAF_DAYS)?,
        })
    }
}

/// `webTransport` options.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WebTransportInput {
    pub names: NameList,
    pub key: Option<String>,
    pub days: Option<f64>,
}

impl WebTransportInput {
    pub fn to_core(&self) -> Result<LeafOptions, Error> {
        let key = self.key.as_deref().map(str::trim).filter(|k| !k.is_empty());
        let key = key.map(str::parse::<KeyAlgorithm>).transpose()?;
        let days = self.days.map(whole_days).transpose()?;
        Ok(presets::web_transport(self.names.0.clone(), key, days)?)
    }
}

/// An options object's property names as JS spells them: a misspelt option is an error.
pub trait Known {
    const FIELDS: &'static [&'static str];
}

macro_rules! known {
    ($($input:ty: [$($field:literal),*];)*) => {
        $(impl Known for $input {
            const FIELDS: &'static [&'static str] = &[$($field),*];
        })*
    };
}

known! {
    LeafInput: ["names", "key", "usage", "days"];
    CaInput: ["commonName", "organization", "key", "days", "pathLen", "nameConstraints"];
    SignInput: ["usage", "days"];
    WebTransportInput: ["names", "key", "days"];
}

/// Reads an options object; `undefined` and `null` mean all defaults.
pub fn from_js<T: DeserializeOwned + Default + Known>(value: JsValue) -> Result<T, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    known_only(&value, T::FIELDS)?;
    serde_wasm_bindgen::from_value(value).map_err(|e| Error::Options(e.to_string()))
}

/// Refuses an options object with a property not in `fields` (not generic: one copy in the wasm).
fn known_only(value: &JsValue, fields: &[&str]) -> Result<(), Error> {
    let Some(object) = value.dyn_ref::<js_sys::Object>() else {
        return Ok(());
    };
    let keys = js_sys::Object::keys(object).into_iter();
    match keys
        .filter_map(|key| key.as_string())
        .find(|key| !fields.contains(&key.as_str()))
    {
        Some(key) => Err(Error::Options(format!(
            "unknown option `{key}`; expected one of {}",
            fields.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Reads PEM text (a string) or DER bytes (a `Uint8Array` or `ArrayBuffer`).
pub fn bytes_from_js(value: &JsValue, field: Field) -> Result<Vec<u8>, Error> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(js_sys::Uint8Array::new(buffer).to_vec());
    }
    Err(Error::invalid(
        field,
        "expected PEM text (a string) or DER bytes (a Uint8Array)",
    ))
}

/// The current time from the JS clock.
pub fn now() -> UnixTime {
    UnixTime::since_unix_epoch(core::time::Duration::from_millis(js_sys::Date::now() as u64))
}

/// A CA certificate (PEM or DER; PEM may carry its issuers after it) and the issuers after it.
fn ca_certificates(ca_cert: &JsValue) -> Result<(Certificate, Vec<Certificate>), Error> {
    let bytes = bytes_from_js(ca_cert, "caCert")?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "caCert",
            "no CA certificate given: choose its PEM file (e.g. rootCA.pem)",
        ));
    }
    let mut certificates = parse_certificates(&bytes).at("caCert")?.into_iter();
    let first = certificates
        .next()
        .ok_or(selfsign_core::Error::NoCertificate)
        .at("caCert")?;
    Ok((first, certificates.collect()))
}

/// Loads a CA, blaming the certificate or the key input for whatever is wrong.
#[cfg(feature = "full")]
pub fn ca(ca_cert: &JsValue, ca_key: &JsValue) -> Result<Ca, Error> {
    let (certificate, parents) = ca_certificates(ca_cert)?;
    let key = bytes_from_js(ca_key, "caKey")?;
    if key.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "caKey",
            "no CA private key given: choose its PEM file (e.g. rootCA-key.pem)",
        ));
    }
    let key = match key.first() {
        Some(0x30) => KeyPair::from_der(&key),
        _ => KeyPair::from_pem(&String::from_utf8_lossy(&key)),
    }
    .at("caKey")?;
    Ca::from_parts(certificate, key, parents).or_at("caCert")
}

/// The issuing CA from its certificate (and the issuers after it); its key signs elsewhere.
#[cfg(feature = "full")]
pub fn external_ca(ca_cert: &JsValue) -> Result<ExternalCa, Error> {
    let (certificate, parents) = ca_certificates(ca_cert)?;
    ExternalCa::from_parts(certificate, parents).or_at("caCert")
}

/// The names of a signed CSR come from the request, so a bad or forbidden name is the CSR's fault.
pub fn blame_csr(error: selfsign_core::Error) -> Error {
    let field = field_of(&error).map(|field| if field == "names" { "csr" } else { field });
    Error::Core { error, field }
}

/// A key algorithm or usage by name; absent or empty means the default (P-256, server).
fn named<T: FromStr<Err = selfsign_core::Error> + Default>(
    name: &Option<String>,
) -> Result<T, Error> {
    match name.as_deref().map(str::trim) {
        None | Some("") => Ok(T::default()),
        Some(name) => Ok(name.parse()?),
    }
}

/// A validity in whole days; the core rejects 0 and more than 100 years with its own messages.
fn days(value: Option<f64>, default: u32) -> Result<Validity, Error> {
    Ok(Validity::Days(value.map_or(Ok(default), whole_days)?))
}

/// A whole number of days, clamped (the core then refuses 0 and over-long periods).
fn whole_days(value: f64) -> Result<u32, Error> {
    if !value.is_finite() || value.fract() != 0.0 {
        return Err(Error::invalid(
            "days",
            format!("validity must be a whole number of days from 1 to {MAX_DAYS}"),
        ));
    }
    Ok(value.clamp(0.0, f64::from(u32::MAX)) as u32)
}
