//! Errors of the recorder, each worded for the person at the console.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RecorderError {
    #[error("{0}")]
    Usage(String),
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
}

impl RecorderError {
    pub fn file(path: &std::path::Path, source: std::io::Error) -> Self {
        RecorderError::File {
            path: path.display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = RecorderError> = std::result::Result<T, E>;
