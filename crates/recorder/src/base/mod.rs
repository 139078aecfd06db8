//! What every room of the recorder stands on: time ([`clock`]), errors
//! ([`error`]), new identifiers and randomness ([`ids`]), and the site's
//! keys ([`keys`]). Nothing here knows a register or a camera.

pub mod clock;
pub mod error;
pub mod ids;
pub mod keys;
