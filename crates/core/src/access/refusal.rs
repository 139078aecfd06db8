//! A refused upload: which change broke which rule, in words a person can
//! act on. The recorder answers a push with it; the device keeps the refused
//! change, visible, with this reason.

use serde::{Deserialize, Serialize};

/// A refused upload: which change, which rule, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// The change that broke the rule, when one change can be named.
    pub change: Option<String>,
    /// A stable name of the rule, for programs.
    pub rule: String,
    /// What was wrong, for people.
    pub message: String,
    /// The entry the rule was checked on, as `collection/entry`, when the
    /// refusal is about one entry: the device sets aside every change to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

pub(super) fn refuse(rule: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        change: None,
        rule: rule.into(),
        message: message.into(),
        entry: None,
    }
}
