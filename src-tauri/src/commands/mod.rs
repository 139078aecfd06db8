//! The Tauri commands, one file per register or concern: each is thin (take
//! the arguments, call `registers` or `sync`, return). The list the UI may
//! call is `crate::commands()` in `lib.rs`; their TypeScript is generated
//! from these signatures into `ui/src/lib/bindings.ts`.

pub mod applications;
pub mod audit;
pub mod cameras;
pub mod device;
pub mod error;
pub mod export;
pub mod holds;
pub mod inspections;
pub mod logbook;
pub mod photos;
pub mod site;
pub mod sync;
pub mod viewing;

pub use error::{CommandError, ErrorKind};
pub use sync::SYNC_EVENT;
