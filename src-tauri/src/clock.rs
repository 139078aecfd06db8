//! The app's time and its new entry ids: every place the app reads the
//! clock or makes an id goes through here. A device's clock is shown to
//! people and stamps its own ids; order comes from history, never from it.

use custos_core::ids::EntryId;
use custos_core::time::Timestamp;
use ring::rand::{SecureRandom, SystemRandom};

/// The device's time now.
pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    Timestamp(ms)
}

/// A new entry id: the time now and 80 random bits (a ULID).
pub fn new_entry_id() -> EntryId {
    let mut random = [0u8; 16];
    SystemRandom::new()
        .fill(&mut random[6..])
        .expect("the system provides randomness");
    EntryId::from_parts(now().0 as u64, u128::from_be_bytes(random))
}
