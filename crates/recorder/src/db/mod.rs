//! The recorder's SQLite database, one file per table family: register
//! [`documents`] (with their chunks, compaction and the version-checked
//! [`cache`]), the [`audit`] chain, what signing in needs ([`auth`]),
//! [`blobs`], the footage index ([`segments`]) and the sealed footage log
//! ([`footage_log`]), [`settings`] and the
//! accompanied [`viewings`]. Schema in
//! `migrations/recorder/`, applied on every open ([`store`]).

pub mod audit;
pub mod auth;
pub mod blobs;
pub mod cache;
pub mod camera_links;
pub mod documents;
pub mod footage_log;
pub mod segments;
pub mod settings;
pub mod store;
pub mod viewings;

pub use store::Store;
