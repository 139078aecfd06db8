//! Footage: recording ([`ingest`]: each camera read by [`camera_link`],
//! written by [`segment_writer`], placed in time by the cameras' own
//! clocks, [`capture`], sealed as it is indexed, [`seal`], and re-hashed in the background,
//! [`rehash`]), the index against the disk at start
//! ([`reconcile`]), retention ([`retention`], with the disk and the floor in
//! [`disk`]), camera health ([`health`], [`picture`]), which footage exists
//! ([`spans`]), still frames ([`frames`]), and accompanied [`viewing`]
//! sessions with their logbook entries ([`sessions`]), signed copies for agencies ([`export`]) and watermarked
//! frames ([`playback`], what each session keeps in [`frame_cache`],
//! decoded in process by [`decode`], marked by [`watermark`]). Paths are derived from the camera and the time
//! ([`paths`]); [`testing`] makes footage for the tests. Footage uses the registers (holds, alarms, the destruction
//! record); the registers never use footage.

pub mod camera_link;
pub mod capture;
pub mod decode;
pub mod disk;
pub mod export;
pub mod frame_cache;
pub mod frames;
pub mod gone;
pub mod health;
pub mod ingest;
pub mod paths;
pub mod picture;
pub mod playback;
pub mod reconcile;
pub mod rehash;
pub mod retention;
pub mod seal;
pub mod segment_writer;
pub mod sessions;
pub mod spans;
pub mod testing;
pub mod viewing;
pub mod watermark;
