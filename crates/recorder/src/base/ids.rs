//! New identifiers and randomness, from the machine's secure random source
//! (ring): entry ids (ULIDs), tokens, nonces and enrollment codes.

use custos_core::ids::EntryId;
use custos_core::time::Timestamp;

/// A new ULID from the machine's randomness.
pub fn new_id(now: Timestamp) -> EntryId {
    let random = u128::from_le_bytes(random_bytes::<16>());
    EntryId::from_parts(now.0.max(0) as u64, random)
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("system randomness");
    bytes
}
