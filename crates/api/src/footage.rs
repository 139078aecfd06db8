//! `GET /v1/footage/spans`: which stretches of footage exist for cameras
//! over a window, so that the staff filing an application see what can
//! still be viewed (001 §6(3)) before the applicant asks for what is gone.

use serde::{Deserialize, Serialize};

/// The longest window one question may cover: a week of minute segments
/// per camera is ten thousand index rows.
pub const MAX_SPANS_WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// The cameras and the window asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SpansQuery {
    /// Camera ids, comma-separated (`cam-01,cam-02`), cameras of this site.
    pub cameras: String,
    /// Start of the window (ms since the epoch).
    pub from_ms: i64,
    /// End of the window (ms), after its start, at most a week later.
    pub to_ms: i64,
}

/// A stretch of time, `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Span {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// One camera's footage over the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CameraFootage {
    pub camera: String,
    /// Footage that exists, clipped to the window, in order; breaks of up
    /// to five seconds between segments are not gaps.
    pub recorded: Vec<Span>,
    /// The rest of the window: never recorded, or destroyed.
    pub missing: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FootageSpans {
    pub window: Span,
    /// In the order asked.
    pub cameras: Vec<CameraFootage>,
}
