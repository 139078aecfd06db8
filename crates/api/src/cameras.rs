//! `GET /v1/cameras/health`: each camera's measured health and the disk
//! against the retention floor, to pre-fill the walk-around checklist.

use serde::{Deserialize, Serialize};

/// The outcome of examining one segment's picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PictureCheck {
    /// Start of the segment examined (ms).
    pub segment_start_ms: i64,
    pub checked_at_ms: i64,
    /// Black for a second or more.
    pub black: bool,
    /// The same picture for a second or more.
    pub frozen: bool,
    /// Frames per second in the part of the segment examined.
    pub fps: Option<f64>,
    /// Variance of the Laplacian of one frame, 320 px wide: how much sharp
    /// detail the picture holds. Low means blurred (fogged or dirty lens, out
    /// of focus) or featureless.
    pub sharpness: Option<f64>,
    /// `sharpness` below the recorder's threshold on a picture that is not black.
    pub blurred: bool,
}

/// What the index says of a camera now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IndexHealth {
    /// A segment ended recently enough that recording is going on.
    pub recording: bool,
    /// Seconds since the newest segment ended; null before the first.
    pub last_segment_age_s: Option<f64>,
    /// Over the newest five segments.
    pub bitrate_kbps: Option<f64>,
    /// Breaks of more than five seconds between segments in the last hour.
    pub gaps_last_hour: usize,
    /// Not recording while the site is open (its opening hours): an alarm.
    pub outage_alarm: bool,
}

/// Why the recording process lost a camera's stream, or could not open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LinkProblemKind {
    /// The stream address is not an rtsp:// address.
    Address,
    /// No connection, no answer, or the camera refused the session (a
    /// wrong password among them).
    Unreachable,
    /// The camera sends no H.264 or H.265 video.
    NoVideo,
    /// Connected, but no picture came for 5 s.
    NoPicture,
    /// The camera ended the stream.
    Ended,
    /// The stream broke (the connection dropped, or data no camera sends).
    Broken,
    /// More than 40 Mbit/s over 10 s: its bitrate setting is wrong.
    TooManyBytes,
    /// More than 120 frames a second over 10 s: its frame rate setting is wrong.
    TooManyFrames,
    /// More than 400 messages a second over 10 s.
    TooManyMessages,
}

/// The recording process's last problem with a camera's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LinkProblem {
    pub kind: LinkProblemKind,
    /// When it last happened (ms); the recording process keeps trying.
    pub at_ms: i64,
}

/// A camera's measured health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CameraHealth {
    pub id: String,
    pub name: String,
    pub location: String,
    pub index: IndexHealth,
    /// The newest picture check; null until the first one.
    pub picture: Option<PictureCheck>,
    /// Why its stream last broke, as the recording process found, if that
    /// was in the last two minutes (also while it records again: a camera
    /// cut off again and again records between the cuts); null otherwise.
    pub link_problem: Option<LinkProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DiskHealth {
    pub free_bytes: u64,
    /// At the last day's recording rate, counting held footage as room that
    /// cannot be freed; null when nothing was recorded.
    pub days_disk_can_hold: Option<f64>,
    pub floor_days: u32,
    pub floor_at_risk: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SiteHealth {
    /// Whether the site is open now (its opening hours, Taipei time).
    pub open: bool,
    pub cameras: Vec<CameraHealth>,
    pub disk: DiskHealth,
}
