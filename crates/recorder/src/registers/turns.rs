//! A device's share of the recorder: at most [`DEVICE_TURNS`] of its
//! document requests (sync, push) run at once, and the rest are refused
//! as busy (429 with `Retry-After`, `web::auth::Turn`), so that one phone cannot hold every worker while
//! the others wait. The work itself is bounded per request
//! (`registers::bounds`); this bounds how many such requests one device
//! has in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::base::error::RecorderError;

/// Document requests one device may have in flight: a sync round and a
/// push overlap in the app; a third is a device misbehaving.
pub const DEVICE_TURNS: usize = 2;

/// Change streams (`GET /v1/events`) one device may hold open: the app
/// keeps one, and a reconnect may overlap the old one for a moment.
pub const STREAMS_PER_DEVICE: usize = 2;

/// Per enrolled device, its turns. Only signed-in devices get an entry, so
/// the map holds at most the site's devices.
pub struct DeviceTurns {
    map: Mutex<HashMap<String, Arc<Semaphore>>>,
    limit: usize,
    /// What a turn is, for the sentence a refused device is given.
    what: &'static str,
}

/// Sync and push requests: [`DEVICE_TURNS`] at once.
impl Default for DeviceTurns {
    fn default() -> Self {
        DeviceTurns::new(DEVICE_TURNS, "sync requests running")
    }
}

impl DeviceTurns {
    pub fn new(limit: usize, what: &'static str) -> Self {
        DeviceTurns {
            map: Mutex::new(HashMap::new()),
            limit,
            what,
        }
    }

    /// Change streams: [`STREAMS_PER_DEVICE`] open at once.
    pub fn streams() -> Self {
        DeviceTurns::new(STREAMS_PER_DEVICE, "change streams open")
    }

    /// One of `device`'s turns, held until the permit is dropped.
    pub fn take(&self, device: &str) -> Result<OwnedSemaphorePermit, RecorderError> {
        let semaphore = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(device.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.limit)))
                .clone()
        };
        semaphore.try_acquire_owned().map_err(|_| RecorderError::Busy {
            detail: format!(
                "this device already has {} {}; try again when one is done",
                self.limit, self.what
            ),
            retry_after_s: 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_has_two_turns_and_gets_one_back_when_a_request_ends() {
        let turns = DeviceTurns::default();
        let first = turns.take("phone").unwrap();
        let _second = turns.take("phone").unwrap();
        assert!(matches!(turns.take("phone"), Err(RecorderError::Busy { .. })));
        assert!(turns.take("tablet").is_ok(), "another device is not held up");
        drop(first);
        assert!(turns.take("phone").is_ok());
    }
}
