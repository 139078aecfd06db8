//! What a command's error tells the UI: `kind` for the program, `message`
//! in words a person can act on.

use serde::Serialize;

use crate::client::ClientError;
use crate::registers::RegisterError;
use crate::store::StoreError;
use crate::sync::SyncError;

/// What went wrong, for the program (the message is for people).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The recorder cannot be reached: the work waits on this device.
    Offline,
    /// Not the recorder this device enrolled with.
    WrongCertificate,
    /// The recorder refused a change, naming its rule.
    Refused,
    /// The recorder answered with a problem.
    Recorder,
    NotEnrolled,
    AlreadyEnrolled,
    /// The site register has not reached this device yet.
    NoSite,
    /// The input breaks a rule of the register or the profile.
    Invalid,
    NotFound,
    /// The local store could not be read or written.
    Store,
    /// The photo could not be read or is not an image.
    Photo,
}

#[derive(Debug, Serialize, PartialEq, Eq, specta::Type)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
    /// The input that is wrong, by its name in the request (a form's
    /// field, such as `window` or `national_id`), so a screen can show the
    /// message beside it.
    pub field: Option<String>,
}

impl CommandError {
    pub(super) fn new(kind: ErrorKind, message: impl ToString) -> Self {
        CommandError {
            kind,
            message: message.to_string(),
            field: None,
        }
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        let kind = match &e {
            SyncError::Client(ClientError::Offline(_)) => ErrorKind::Offline,
            SyncError::Client(ClientError::WrongCertificate) => ErrorKind::WrongCertificate,
            SyncError::Client(ClientError::Refused(_)) => ErrorKind::Refused,
            SyncError::Client(_) => ErrorKind::Recorder,
            SyncError::Store(_) => ErrorKind::Store,
            SyncError::Core(_) => ErrorKind::Invalid,
            SyncError::NotEnrolled => ErrorKind::NotEnrolled,
            SyncError::AlreadyEnrolled(_) => ErrorKind::AlreadyEnrolled,
        };
        CommandError::new(kind, e)
    }
}

impl From<RegisterError> for CommandError {
    fn from(e: RegisterError) -> Self {
        let kind = match &e {
            RegisterError::Store(_) => ErrorKind::Store,
            RegisterError::Core(_) => ErrorKind::Invalid,
            RegisterError::NoSite => ErrorKind::NoSite,
            RegisterError::NotFound(_) => ErrorKind::NotFound,
        };
        let field = match &e {
            RegisterError::Core(custos_core::CoreError::Invalid { what, .. }) => Some(what.to_string()),
            _ => None,
        };
        CommandError {
            field,
            ..CommandError::new(kind, e)
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        CommandError::new(ErrorKind::Store, e)
    }
}

pub type Result<T> = std::result::Result<T, CommandError>;
