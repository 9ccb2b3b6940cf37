//! The crate's one error type, and how it becomes a JS `Error` that names the input at fault.

use wasm_bindgen::JsValue;

/// An input as the option objects and the page's form name it (typescript.rs: `SelfsignError`).
pub type Field = &'static str;

/// Which certificate of a call that makes two (`prepareCaAndLeaf`) is at fault: "ca" or "leaf".
pub type Part = &'static str;

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
    /// An option value cannot be used: `message` says why and how to fix `field`.
    #[error("{message}")]
    Invalid {
        /// The input at fault.
        field: Field,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An error about one `part` of a call that makes two certificates, the message unchanged.
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
        let message = message.into();
        Error::Invalid { field, message }
    }

    /// The input at fault, if any.
    fn field(&self) -> Option<Field> {
        match self {
            Error::Core { field, .. } => *field,
            Error::Options(_) | Error::Internal(_) => None,
            Error::Invalid { field, .. } => Some(field),
            Error::Of { error, .. } => error.field(),
        }
    }
}

/// The field a core error is about when the call gives no more specific context.
pub fn field_of(error: &selfsign_core::Error) -> Option<Field> {
    use selfsign_core::Error as E;
    Some(match error {
        E::NoNames | E::InvalidName { .. } | E::OutsideNameConstraints { .. } => "names",
        E::NothingToConstrain => "names",
        E::InvalidConstraint { .. } => "nameConstraints",
        E::InvalidValidity(_) | E::OutlivesIssuer { .. } | E::WebTransportValidity => "days",
        E::UnsupportedKeyGeneration(_) | E::UnknownKeyAlgorithm(_) | E::WebTransportKey => "key",
        E::UnknownUsage(_) => "usage",
        E::IssuerNotValid { .. } | E::NotACa(_) | E::PathLenExceeded => "caCert",
        E::KeyMismatch => "caKey",
        E::InvalidCsr(_) => "csr",
        _ => return None,
    })
}

impl From<selfsign_core::Error> for Error {
    fn from(error: selfsign_core::Error) -> Self {
        let field = field_of(&error);
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
        self.map_err(|error| match error.into() {
            error @ Error::Of { .. } => error,
            error => Error::Of {
                part,
                error: Box::new(error),
            },
        })
    }
}

/// Pins a core error on an input: always (`at`), or unless its kind names another (`or_at`).
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
        self.map_err(|error| Error::Core {
            field: Some(field_of(&error).unwrap_or(field)),
            error,
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
            let _ = js_sys::Reflect::set(&js, &"field".into(), &field.into());
        }
        if let Error::Of { part, .. } = error {
            let _ = js_sys::Reflect::set(&js, &"part".into(), &part.into());
        }
        js.into()
    }
}
