//! # custos-api
//!
//! The recorder's HTTP API as types: what a device sends and what the
//! recorder answers, one module per resource. The recorder serves them (with
//! OpenAPI schemas, feature `openapi`); the app sends and reads them (with
//! TypeScript types for its screens, feature `specta`). One definition, so
//! the two sides cannot drift apart. JSON field names are snake_case, as the
//! stored documents are.

pub mod auth;
pub mod cameras;
pub mod documents;
pub mod enroll;
pub mod exports;
pub mod footage;
pub mod health;
pub mod me;
pub mod problem;
pub mod viewing;

pub use problem::Problem;
