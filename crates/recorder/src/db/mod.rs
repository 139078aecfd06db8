//! The recorder's SQLite database, one file per table family: register
//! [`documents`] (with their chunks, compaction and the version-checked
//! [`cache`]), the [`audit`] chain, what signing in needs ([`auth`]),
//! [`blobs`], the footage index ([`segments`]), [`settings`] and the
//! accompanied [`viewings`]. Schema in
//! `migrations/recorder/`, applied on every open ([`store`]).

pub mod audit;
pub mod auth;
pub mod blobs;
pub mod cache;
pub mod documents;
pub mod segments;
pub mod settings;
pub mod store;
pub mod viewings;

pub use store::Store;
