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

/// Per enrolled device, its turns. Only signed-in devices get an entry, so
/// the map holds at most the site's devices.
#[derive(Default)]
pub struct DeviceTurns(Mutex<HashMap<String, Arc<Semaphore>>>);

impl DeviceTurns {
    /// One of `device`'s turns, held until the permit is dropped.
    pub fn take(&self, device: &str) -> Result<OwnedSemaphorePermit, RecorderError> {
        let semaphore = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(device.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(DEVICE_TURNS)))
                .clone()
        };
        semaphore.try_acquire_owned().map_err(|_| RecorderError::Busy {
            detail: format!(
                "this device already has {DEVICE_TURNS} sync requests running; try again when they are done"
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
