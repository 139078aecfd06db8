//! The Custos site recorder: the copy of record of the registers, the
//! audit chain, and (later) footage, retention and accompanied playback.
//!
//! Layout after Moonfire NVR: `cmds/` one module per subcommand, `web/` one
//! module per HTTP resource, storage behind [`store`], time behind [`clock`].

pub mod alarms;
pub mod checkpoints;
pub mod clock;
pub mod cmds;
pub mod enrollment;
pub mod error;
pub mod health;
pub mod ingest;
pub mod keys;
pub mod own_changes;
pub mod registry;
pub mod retention;
pub mod store;
pub mod web;

pub use error::RecorderError;
