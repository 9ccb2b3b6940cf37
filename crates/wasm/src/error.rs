//! The crate's one error type, and how it becomes a JS `Error` that names the field at fault.

use wasm_bindgen::JsValue;

/// An input of the JS API, named as the page's form and the option objects name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The names a certificate covers (`names`).
    Names,
    /// The key algorithm (`key`).
    Key,
    /// A private key given as PEM or DER (`keyPem`).
    KeyPem,
    /// Server, client or both (`usage`).
    Usage,
    /// Validity in days (`days`).
    Days,
    /// A CA's subject common name (`commonName`).
    CommonName,
    /// A CA's permitted names (`nameConstraints`).
    NameConstraints,
    /// A CA's pathLenConstraint (`pathLen`).
    PathLen,
    /// The CA certificate given to issue with (`caCert`).
    CaCert,
    /// The CA private key given to issue with (`caKey`).
    CaKey,
    /// A certificate signing request (`csr`).
    Csr,
    /// Certificate text or bytes to inspect (`input`).
    Input,
}

impl Field {
    /// The name the page and the option objects use for this field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Names => "names",
            Field::Key => "key",
            Field::KeyPem => "keyPem",
            Field::Usage => "usage",
            Field::Days => "days",
            Field::CommonName => "commonName",
            Field::NameConstraints => "nameConstraints",
            Field::PathLen => "pathLen",
            Field::CaCert => "caCert",
            Field::CaKey => "caKey",
            Field::Csr => "csr",
            Field::Input => "input",
        }
    }

    /// The field a core error is about when the call gives no more specific context.
    fn of(error: &selfsign_core::Error) -> Option<Field> {
        use selfsign_core::Error as E;
        Some(match error {
            E::NoNames
            | E::InvalidName { .. }
            | E::OutsideNameConstraints { .. }
            | E::NothingToConstrain => Field::Names,
            E::InvalidConstraint { .. } => Field::NameConstraints,
            E::InvalidValidity(_) | E::OutlivesIssuer { .. } | E::WebTransportValidity => {
                Field::Days
            }
            E::UnsupportedKeyGeneration(_) | E::UnknownKeyAlgorithm(_) | E::WebTransportKey => {
                Field::Key
            }
            E::UnknownUsage(_) => Field::Usage,
            E::IssuerNotValid { .. } | E::NotACa(_) | E::PathLenExceeded => Field::CaCert,
            E::KeyMismatch => Field::CaKey,
            E::InvalidCsr(_) => Field::Csr,
            _ => return None,
        })
    }
}

/// Which certificate of a call that makes two (`prepareCaAndLeaf`) an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The CA: its options, key or signature.
    Ca,
    /// The leaf: its options, key or signature.
    Leaf,
}

impl Part {
    /// The name JS reads in the error's `part`.
    pub fn name(self) -> &'static str {
        match self {
            Part::Ca => "ca",
            Part::Leaf => "leaf",
        }
    }
}

/// Everything that can go wrong in a call from JS; the message is what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The core refused the request; `field` is the input to fix, when one is to blame.
    #[error("{error}")]
    Core {
        /// The core's error, whose message is shown as is.
        error: selfsign_core::Error,
        /// The input at fault.
        field: Option<Field>,
    },
    /// An option has the wrong type or an unknown name (a programming error in the caller).
    #[error("invalid options: {0}")]
    Options(String),
    /// A result could not be handed to JS (a bug, never the user's input).
    #[error("internal error: {0}")]
    Internal(String),
    /// An option value cannot be used.
    #[error("{message}")]
    Invalid {
        /// The input at fault.
        field: Field,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An error about one of the two certificates a call makes, the message unchanged.
    #[error("{error}")]
    Of {
        /// The certificate whose input is at fault.
        part: Part,
        /// The error itself.
        error: Box<Error>,
    },
}

impl Error {
    /// A value problem in `field`.
    pub fn invalid(field: Field, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The same error, said to be about `part` of a call that makes two certificates.
    pub fn of(self, part: Part) -> Self {
        match self {
            Error::Of { .. } => self,
            error => Error::Of {
                part,
                error: Box::new(error),
            },
        }
    }

    /// The input at fault, if any.
    pub fn field(&self) -> Option<Field> {
        match self {
            Error::Core { field, .. } => *field,
            Error::Options(_) | Error::Internal(_) => None,
            Error::Invalid { field, .. } => Some(*field),
            Error::Of { error, .. } => error.field(),
        }
    }
}

impl From<selfsign_core::Error> for Error {
    fn from(error: selfsign_core::Error) -> Self {
        let field = Field::of(&error);
        Error::Core { error, field }
    }
}

/// Says which certificate an error is about, for calls that make a CA and a leaf together.
pub trait Of<T> {
    /// Any error of this step is about `part`.
    fn of(self, part: Part) -> Result<T, Error>;
}

impl<T, E: Into<Error>> Of<T> for Result<T, E> {
    fn of(self, part: Part) -> Result<T, Error> {
        self.map_err(|error| error.into().of(part))
    }
}

/// Pins a core error on a known input, for steps that read exactly one input.
pub trait At<T> {
    /// Attributes any error of this step to `field`.
    fn at(self, field: Field) -> Result<T, Error>;

    /// Attributes an error to `field` unless its kind already names another input.
    fn or_at(self, field: Field) -> Result<T, Error>;
}

impl<T> At<T> for Result<T, selfsign_core::Error> {
    fn at(self, field: Field) -> Result<T, Error> {
        self.map_err(|error| Error::Core {
            error,
            field: Some(field),
        })
    }

    fn or_at(self, field: Field) -> Result<T, Error> {
        self.map_err(|error| {
            let field = Field::of(&error).unwrap_or(field);
            Error::Core {
                error,
                field: Some(field),
            }
        })
    }
}

impl From<Error> for JsValue {
    /// A JS `Error` with the message, `name` "SelfsignError", `field` set to the input at fault
    /// (or absent) and, from a call that makes a CA and a leaf, `part` ("ca" or "leaf").
    fn from(error: Error) -> Self {
        let js = js_sys::Error::new(&error.to_string());
        js.set_name("SelfsignError");
        // Setting a property on a fresh Error object cannot fail; if it did, the message stays.
        if let Some(field) = error.field() {
            let _ = js_sys::Reflect::set(&js, &"field".into(), &field.name().into());
        }
        if let Error::Of { part, .. } = error {
            let _ = js_sys::Reflect::set(&js, &"part".into(), &part.name().into());
        }
        js.into()
    }
}
