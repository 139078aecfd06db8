//! `GET /v1/documents`, `POST /v1/sync` and `POST /v1/push`: the documents a
//! device may receive, the download side of sync and the upload side.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentInfo {
    /// e.g. `site`, `inspections/2026-11`, `applications/<id>/case`.
    pub key: String,
    /// The document's heads on the recorder (hex), to see at a glance what changed.
    pub heads: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentList {
    pub documents: Vec<DocumentInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncRequest {
    pub documents: Vec<SyncItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncItem {
    pub key: String,
    /// An automerge sync message, base64.
    pub message: String,
    /// The first message of this device's exchange for this document
    /// (the device's side starts from a fresh or saved state): the
    /// recorder starts its side afresh too, so that its first answer
    /// always carries its heads. Without it, a change the device's Bloom
    /// filter happens to match could go unsent and unasked for.
    #[serde(default)]
    pub start: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncResponse {
    pub documents: Vec<SyncReply>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncReply {
    pub key: String,
    /// The recorder's answer (base64), or null when the device has everything.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub key: String,
    /// Automerge changes made on this device, each base64.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushAccepted {
    pub key: String,
    /// The document's heads after the push.
    pub heads: Vec<String>,
    pub applied: usize,
}
