//! The Custos site recorder: the copy of record of the registers, the
//! audit chain, footage, retention and (next) accompanied playback.
//!
//! Rooms, after Moonfire NVR, each importing only those before it:
//! [`base`] (errors, keys; time and ids are `custos_clock`) → [`db`] (the database, one file per
//! table family) → [`registers`] (the one write path and everything that
//! reads or writes a register) → [`footage`] (recording, retention, health,
//! frames; it uses the registers, never the reverse) → [`web`] (the HTTP
//! API, thin) and [`cmds`] (one module per subcommand; only `cmds::serve`
//! mounts `web`). `docs/architecture.md` has the picture.

pub mod base;
pub mod cmds;
pub mod db;
pub mod footage;
pub mod registers;
pub mod web;

pub use base::error::RecorderError;
