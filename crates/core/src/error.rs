//! Errors of the domain. Each says what was wrong in words a person can act on.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A value does not have the form the register requires.
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },
    /// The site's policy profile forbids what was asked.
    #[error("not allowed by the site's policy: {0}")]
    Policy(String),
    /// A stored document does not have the shape of its register.
    #[error("document is malformed: {0}")]
    Malformed(String),
    /// The automerge library refused an operation.
    #[error("automerge: {0}")]
    Automerge(String),
}

impl CoreError {
    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Self {
        CoreError::Invalid { what, why: why.into() }
    }

    /// The same error, naming `field` as what is invalid: a value checked
    /// by a general rule (a time window) reported as the form's field.
    pub fn in_field(self, field: &'static str) -> Self {
        match self {
            CoreError::Invalid { why, .. } => CoreError::Invalid { what: field, why },
            other => other,
        }
    }
}

impl From<automerge::AutomergeError> for CoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        CoreError::Automerge(e.to_string())
    }
}

impl From<autosurgeon::HydrateError> for CoreError {
    fn from(e: autosurgeon::HydrateError) -> Self {
        CoreError::Malformed(e.to_string())
    }
}

impl From<autosurgeon::ReconcileError> for CoreError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        CoreError::Automerge(e.to_string())
    }
}
