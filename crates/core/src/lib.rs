//! # custos-core
//!
//! The Custos domain: the registers that Taiwanese kindergartens, schools and
//! public offices must keep for their CCTV systems, the rules of the three
//! seed regulations as policy profiles, the application workflow as signed
//! events, and retention. It does no I/O: no disk, socket, clock, window or
//! entropy source. The app, the recorder and the tests all share it, so every
//! device derives the same status from the same documents.
//!
//! Read it bottom-up: ids and time ([`ids`], [`time`], [`signing`]) →
//! [`documents`] (a leaf) → the shared words, roles and policy ([`terms`],
//! [`roles`], [`policy`], [`seeds`], and [`permissions`], the one table of
//! who may read, write and sign in each register) → one module per register
//! ([`site`], [`inspection`], [`application`], [`logbook`], [`holds`],
//! [`audit`]) → [`workflow`] → [`retention`] and [`access`]. See `README.md`
//! beside this crate for which type or function enforces each rule of the
//! seeds.

pub mod access;
pub mod application;
pub mod application_form;
pub mod audit;
pub mod documents;
pub mod enrollment;
pub mod error;
pub mod export;
pub mod footage_log;
pub mod history;
pub mod holds;
pub mod hours;
pub mod ids;
pub mod inspection;
pub mod location_notice;
pub mod logbook;
pub mod notices;
pub mod permissions;
pub mod policy;
pub mod rebuild;
pub mod retention;
pub mod roles;
pub mod seal;
pub mod seeds;
pub mod signing;
pub mod site;
pub mod terms;
pub mod time;
pub mod viewing;
pub mod workflow;

pub use error::CoreError;

/// The version of the rules core, shown by the app and the recorder.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
