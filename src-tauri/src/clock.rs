//! The app's time and its new entry ids, injected: every place the app
//! reads the clock or makes an id asks the device's [`Clock`]. A device's
//! clock is shown to people and stamps its own ids; order comes from
//! history, never from it. Tests set the time with [`SimulatedClock`].

use std::sync::atomic::{AtomicI64, Ordering};

use custos_core::ids::EntryId;
use custos_core::time::Timestamp;
use ring::rand::{SecureRandom, SystemRandom};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// A new entry id: the time now and 80 random bits (a ULID).
    fn new_entry_id(&self) -> EntryId {
        entry_id_at(self.now())
    }
}

/// A ULID for an entry made at `at`.
pub fn entry_id_at(at: Timestamp) -> EntryId {
    let mut random = [0u8; 16];
    SystemRandom::new()
        .fill(&mut random[6..])
        .expect("the system provides randomness");
    EntryId::from_parts(at.0.max(0) as u64, u128::from_be_bytes(random))
}

/// The device's own clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        Timestamp(ms)
    }
}

/// A clock that moves only when told.
#[derive(Debug)]
pub struct SimulatedClock(AtomicI64);

impl SimulatedClock {
    pub fn new(start: Timestamp) -> Self {
        SimulatedClock(AtomicI64::new(start.0))
    }
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}
