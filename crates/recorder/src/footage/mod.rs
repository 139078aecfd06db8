//! Footage: recording ([`ingest`]), the index against the disk at start
//! ([`reconcile`]), retention ([`retention`], with the disk and the floor in
//! [`disk`]), camera health ([`health`], [`picture`]), which footage exists
//! ([`spans`]), still frames ([`frames`]), and accompanied [`viewing`]
//! sessions with their logbook entries ([`sessions`]) and watermarked
//! frames ([`playback`], decoded in process by [`decode`], marked by
//! [`watermark`]). Paths are derived from the camera and the time
//! ([`paths`]). Footage uses the registers (holds, alarms, the destruction
//! record); the registers never use footage.

pub mod decode;
pub mod disk;
pub mod frames;
pub mod gone;
pub mod health;
pub mod ingest;
pub mod paths;
pub mod picture;
pub mod playback;
pub mod reconcile;
pub mod retention;
pub mod sessions;
pub mod spans;
pub mod viewing;
pub mod watermark;
