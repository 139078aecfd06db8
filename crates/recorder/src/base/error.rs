//! Errors of the recorder, each worded for the person at the console or the
//! device that asked. The outcomes a caller must act on (not found, a
//! conflict, not allowed, refused) are their own variants, so the HTTP layer
//! maps each to its status without building a problem by hand, and the
//! console prints the same words.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RecorderError {
    /// The console was used wrongly: what to type instead.
    #[error("{0}")]
    Usage(String),
    /// A request that is malformed or out of bounds.
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in, a token that is unknown or expired, or a device or
    /// person revoked.
    #[error("{detail}")]
    Unauthorized { title: &'static str, detail: String },
    /// The person's roles do not allow it.
    #[error("{detail}")]
    Forbidden { title: &'static str, detail: String },
    /// No such thing, or not one this device may know of.
    #[error("{detail}")]
    NotFound { title: &'static str, detail: String },
    /// Someone else changed it meanwhile, or it was already done.
    #[error("{detail}")]
    Conflict { title: &'static str, detail: String },
    /// It existed, and is no longer usable (an expired code).
    #[error("{detail}")]
    Gone { title: &'static str, detail: String },
    /// More requests than the recorder takes from one device or address
    /// now: try again after `retry_after_s` seconds.
    #[error("{detail}")]
    Busy { detail: String, retry_after_s: u64 },
    /// The recorder as a whole is at its limit for this work now (frames
    /// being decoded for other sessions): try again after `retry_after_s`.
    #[error("{detail}")]
    Unavailable { detail: String, retry_after_s: u64 },
    /// More bytes than the recorder accepts.
    #[error("{0}")]
    TooLarge(String),
    /// Bytes of a kind the recorder does not take.
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error(transparent)]
    Core(#[from] custos_core::CoreError),
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("database schema: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("{path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error("{0}")]
    Tls(String),
    /// Something the recorder itself got wrong (a stored document that does
    /// not read, a child process that would not start).
    #[error("{0}")]
    Internal(String),
}

impl RecorderError {
    pub fn file(path: &std::path::Path, source: std::io::Error) -> Self {
        RecorderError::File {
            path: path.display().to_string(),
            source,
        }
    }

    pub fn not_found(title: &'static str, detail: impl Into<String>) -> Self {
        RecorderError::NotFound {
            title,
            detail: detail.into(),
        }
    }

    pub fn conflict(title: &'static str, detail: impl Into<String>) -> Self {
        RecorderError::Conflict {
            title,
            detail: detail.into(),
        }
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        RecorderError::Forbidden {
            title: "Not allowed",
            detail: detail.into(),
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        RecorderError::Unauthorized {
            title: "Not signed in",
            detail: detail.into(),
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        RecorderError::Internal(error.to_string())
    }
}

pub type Result<T, E = RecorderError> = std::result::Result<T, E>;
