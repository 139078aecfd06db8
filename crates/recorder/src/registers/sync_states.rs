//! Per device and document, the recorder's side of the sync protocol, kept
//! in memory between the requests of one exchange (a restart starts each
//! afresh: the device then sends its heads again).
//!
//! An exchange the device starts anew (its side fresh or loaded from disk,
//! so it does not know the recorder's heads) starts the recorder's side
//! anew too. A kept side that has answered before, with nothing it thinks
//! worth sending, says nothing: automerge's read-only side then assumes the
//! device heard its heads already. When a change of the recorder's happens
//! to match the device's Bloom filter (about one in a hundred for a small
//! filter), it is not sent, and a device that never hears the recorder's
//! heads never asks for it: the change would stay missing until the
//! document next changed.

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::sync;

/// Per device and document, the recorder's side of the sync protocol, kept
/// between requests so a device is not sent what it already has.
#[derive(Default)]
pub struct SyncStates(Mutex<HashMap<(String, String), sync::State>>);

impl SyncStates {
    /// The kept side, or a fresh one when there is none or the device
    /// `starts` its exchange.
    pub fn take(&self, device: &str, key: &str, starts: bool) -> sync::State {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(device.to_string(), key.to_string()))
            .filter(|_| !starts)
            .unwrap_or_else(sync::State::new_read_only)
    }
    pub fn put(&self, device: &str, key: &str, state: sync::State) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert((device.to_string(), key.to_string()), state);
    }
}
