//! The application workflow as signed events. An approval, a rejection (with
//! its reason), a committee vote, a withdrawal or a viewing is an event signed
//! with the device key of the person who makes it, over the case's content
//! hash and the decision. The status is a pure function of the case and its
//! *valid* events; it is never stored, so no one can set it.
//!
//! Rules (DESIGN §3a): order comes from causal history (each event names the
//! events its signer had seen), never from clocks; a decision counts if its
//! signer held the role in the site document it was made on; concurrent final
//! decisions resolve to rejection; invalid signatures, signers without the
//! role, events on a changed case and decisions after a final one are ignored
//! and reported. The result does not depend on the order events arrived in.
//!
//! The steps of the derivation are in [`derive`]; each event alone is
//! checked in `event`, progress on the chain's steps in `steps`, and what a
//! derivation yields is in `status`.

mod derive;
mod event;
mod status;
mod steps;
mod turn;

pub use derive::derive_status;

/// Most decision events one application may hold: a chain of five signers,
/// a committee's votes changed a few times, a reply and a viewing are tens;
/// the cap keeps a flood of votes from costing every push and every sweep.
pub const MAX_EVENTS_PER_CASE: usize = 500;
/// Most events one event may name as seen (it can have seen no more than
/// the case holds).
pub const MAX_SEEN: usize = MAX_EVENTS_PER_CASE;
pub use status::{Derivation, IgnoreReason, Ignored, Status, StepProgress};
pub use steps::frontier;
pub use turn::Turn;
