//! `/v1/viewings`: the one accompanied viewing an approved application
//! allows (002 §11). The escort's tablet asks for a nonce, signs an opening
//! naming it (`custos_core::viewing::ViewingOpening`), and the recorder
//! opens the session; frames are watermarked stills for that session only.

use serde::{Deserialize, Serialize};

use crate::footage::{CameraFootage, Span};

/// `POST /v1/viewings/nonce`: a nonce for one opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ViewingNonce {
    pub nonce: String,
    /// Unused by then (ms since the epoch), it is refused.
    pub expires_ms: i64,
}

/// `POST /v1/viewings`: the escort's signed opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenViewing {
    /// A `ViewingOpening` as the core defines it, signed by the escort's tablet.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub opening: custos_core::viewing::ViewingOpening,
}

/// An open (or resumed) session: what the escort's screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ViewingSession {
    pub session: String,
    pub application: String,
    /// The approved window and, per approved camera, what of it is
    /// recorded and what is gone (001 §6(3)).
    pub window: Span,
    pub cameras: Vec<CameraFootage>,
    pub opened_ms: i64,
    /// The time limit; the idle limit counts from the last frame asked for.
    pub ends_ms: i64,
    pub idle_minutes: u32,
    /// Recorded sound is not played to the applicant (docs/playback.md).
    pub audio_withheld: bool,
}

/// `GET /v1/viewings/{session}/frame`: the frame of one approved camera for
/// time `t`, the last frame recorded at or before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct FrameQuery {
    pub camera: String,
    /// Footage time, ms since the epoch, inside the approved window.
    pub t: i64,
    /// `keyframe`: the keyframe at or before `t` (fast, for a scrub under
    /// way); `play`: the exact frame, the next second decoded with it;
    /// `exact` (the default): the exact frame.
    #[serde(default)]
    pub mode: Option<String>,
}

/// `GET /v1/viewings/{session}/strip`: the scrubber's thumbnails of one camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct StripQuery {
    pub camera: String,
}

/// `POST /v1/viewings/{session}/close`: the session ended and its entry completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ViewingClosed {
    pub session: String,
    /// Frames served over the session.
    pub frames: u64,
    pub ended_by: String,
}
