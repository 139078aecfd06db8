//! `/v1/exports`: 複製 for a public agency, asked for from the manager's
//! tablet. The recorder checks the application at once (a refusal is the
//! answer), then writes the export to the disk attached to it for exports,
//! in the background; the tablet asks how far it got. Nothing of the
//! footage ever reaches the tablet.

use serde::{Deserialize, Serialize};

use crate::footage::Span;

/// `POST /v1/exports`: the approved copy application to export, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartExport {
    pub application: String,
}

/// An export being written, or written, or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExportJob {
    pub job: String,
    pub application: String,
    pub progress: ExportProgress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ExportProgress {
    /// Bytes written so far of the whole (the working copy, then the disk).
    Writing {
        done_bytes: u64,
        total_bytes: u64,
    },
    Done(ExportWritten),
    /// Written no further; nothing was recorded and the application stays
    /// unconsumed.
    Failed {
        detail: String,
    },
}

/// A written, verified and recorded export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExportWritten {
    /// Where it is, on the recorder's disk.
    pub archive: String,
    pub manifest_sha256: String,
    /// The site key's fingerprint, for the reply letter (函覆).
    pub fingerprint: String,
    pub segments: u32,
    /// Segments "sealed, countersignature pending".
    pub pending: u32,
    /// Parts of the window with no footage, per camera (001 §6(3)).
    pub missing: Vec<CameraGap>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CameraGap {
    pub camera: String,
    pub span: Span,
}
