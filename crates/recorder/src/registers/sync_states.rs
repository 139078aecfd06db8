//! Per device and document, the recorder's side of the sync protocol, kept
//! in memory between requests (a restart starts each afresh: the device
//! then sends its heads again).

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::sync;

/// Per device and document, the recorder's side of the sync protocol, kept
/// between requests so a device is not sent what it already has.
#[derive(Default)]
pub struct SyncStates(Mutex<HashMap<(String, String), sync::State>>);

impl SyncStates {
    pub fn take(&self, device: &str, key: &str) -> sync::State {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(device.to_string(), key.to_string()))
            .unwrap_or_else(sync::State::new_read_only)
    }
    pub fn put(&self, device: &str, key: &str, state: sync::State) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert((device.to_string(), key.to_string()), state);
    }
}
