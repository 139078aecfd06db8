//! The registers as the recorder keeps them: the one write path, and what
//! reads and writes them. [`service`] holds the store, the cache and the
//! write lock; every write is a method of its `Writing` guard: a device's
//! [`push`], the recorder's own changes ([`own`]: [`holds`], [`alarms`] and
//! [`notices`], [`checkpoints`]) and the console's ([`site`]). Devices come in through
//! [`enrollment`] and [`sign_in`], read through [`reading`] and [`sync`],
//! and hand in photos through [`blobs`]; what they send is bounded in
//! [`bounds`] before automerge sees it; [`watcher`] tells open apps of a
//! change. Nothing here knows footage files: what it needs of the footage
//! index it reads from `db`.

pub mod alarms;
pub mod attempts;
pub mod blobs;
pub mod bounds;
pub mod checkpoints;
pub mod enrollment;
pub mod holds;
pub mod notices;
pub mod own;
pub mod push;
pub mod reading;
pub mod service;
pub mod sign_in;
pub mod site;
pub mod sync;
pub mod sync_states;
pub mod turns;
pub mod watcher;

pub use service::{Registers, Writing};
pub use sign_in::SignedIn;
