//! What the app's commands do with the registers, without Tauri: read a
//! view, or make an edit through `custos-core` and make it durable in the
//! local store before returning, one module per register. The durability
//! test runs these same functions in a child process it kills.

mod applications;
mod audit;
mod common;
mod holds;
mod inspections;
mod locations;
mod logbook;

pub use applications::*;
pub use audit::*;
pub use common::*;
pub use holds::*;
pub use inspections::*;
pub use locations::*;
pub use logbook::*;
