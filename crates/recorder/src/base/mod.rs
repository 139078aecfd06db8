//! What every room of the recorder stands on: errors ([`error`]) and the
//! site's keys ([`keys`]); time, new ids and randomness come from the
//! shared `custos_clock`. Nothing here knows a register or a camera.

pub mod error;
pub mod keys;
