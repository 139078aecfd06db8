//! What a device sends, bounded before automerge sees it. automerge's
//! decoders are not validators: a sync message whose Bloom filter has no
//! bits panics it (a remainder by zero), one with 2³²−1 probes makes it
//! allocate 16 GiB per change hash, and a compressed change chunk is
//! inflated with no limit. Each check here refuses such input with a
//! sentence, so the library only ever sees what the recorder can afford.
//! `docs/upstream/automerge.md` has the report for upstream.

use automerge::Change;
use automerge::sync::{self, BloomFilter};

/// Most heads a sync message may name: a document has a head per device
/// that edited it concurrently; a site has tens of devices.
pub const MAX_HEADS: usize = 1_024;
/// Most change hashes a device may ask for in one message.
pub const MAX_NEED: usize = 4_096;
/// automerge sends one summary of what it has; a few leave room.
pub const MAX_HAVES: usize = 4;
/// automerge makes its filters with 10 bits per entry and 7 probes.
pub const MAX_BLOOM_BITS_PER_ENTRY: u64 = 64;
pub const MAX_BLOOM_PROBES: u64 = 32;

/// An automerge sync message from a device, decoded and within bounds.
/// Decoding itself reads no more than the bytes given (counts are taken
/// from the input, which the request body limit bounds).
pub fn sync_message(raw: &[u8]) -> Result<sync::Message, String> {
    let message = sync::Message::decode(raw).map_err(|e| format!("not an automerge sync message: {e}"))?;
    if message.heads.len() > MAX_HEADS {
        return Err(format!("a sync message names at most {MAX_HEADS} heads"));
    }
    if message.need.len() > MAX_NEED {
        return Err(format!("a sync message asks for at most {MAX_NEED} changes"));
    }
    if message.have.len() > MAX_HAVES {
        return Err(format!("a sync message carries at most {MAX_HAVES} summaries"));
    }
    for have in &message.have {
        if have.last_sync.len() > MAX_HEADS {
            return Err(format!("a summary names at most {MAX_HEADS} heads"));
        }
        bloom_filter(&have.bloom)?;
    }
    Ok(message)
}

/// A Bloom filter automerge can probe safely: empty, or with at least one
/// bit and a bounded number of bits per entry and probes.
fn bloom_filter(filter: &BloomFilter) -> Result<(), String> {
    // The fields are private; the wire form is three LEB128 numbers and
    // the bits, exactly as parsed.
    let bytes = filter.to_bytes();
    if bytes.is_empty() {
        return Ok(());
    }
    let mut input = &bytes[..];
    let mut number = || leb128::read::unsigned(&mut input).map_err(|e| format!("a Bloom filter is malformed: {e}"));
    let (entries, bits_per_entry, probes) = (number()?, number()?, number()?);
    let bad = |what: &str| Err(format!("the Bloom filter of the sync message {what}"));
    if entries == 0 {
        return bad("has no entries but is not empty");
    }
    if !(1..=MAX_BLOOM_BITS_PER_ENTRY).contains(&bits_per_entry) {
        return bad(&format!("must have 1 to {MAX_BLOOM_BITS_PER_ENTRY} bits per entry"));
    }
    if !(1..=MAX_BLOOM_PROBES).contains(&probes) {
        return bad(&format!("must have 1 to {MAX_BLOOM_PROBES} probes"));
    }
    if input.is_empty() {
        return bad("has no bits");
    }
    Ok(())
}

/// The chunk header of a change: four magic bytes, a four-byte checksum,
/// the chunk type.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_TYPE_AT: usize = 8;
/// An uncompressed change. Compressed changes (2) would be inflated with no
/// limit, documents (0) and bundles (3) parsed with their deflated columns:
/// a device pushes its changes as they are made, uncompressed.
const CHANGE_CHUNK: u8 = 1;

/// A change pushed by a device: an uncompressed change chunk, decoded.
pub fn change(bytes: Vec<u8>) -> Result<Change, String> {
    if bytes.len() <= CHUNK_TYPE_AT || bytes[..4] != MAGIC {
        return Err("not an automerge change".into());
    }
    match bytes[CHUNK_TYPE_AT] {
        CHANGE_CHUNK => {}
        2 => return Err("a compressed change is not accepted: push the change uncompressed, as it was made".into()),
        other => return Err(format!("a chunk of type {other} is not a change")),
    }
    Change::from_bytes(bytes).map_err(|e| format!("not an automerge change: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;

    fn filter(entries: u64, bits_per_entry: u64, probes: u64, bits: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        for n in [entries, bits_per_entry, probes] {
            leb128::write::unsigned(&mut b, n).unwrap();
        }
        b.extend(bits);
        b
    }

    /// A V1 sync message with no heads or needs and one summary.
    fn message_with_filter(bloom: &[u8]) -> Vec<u8> {
        let mut m = vec![0x42, 0, 0, 1, 0];
        leb128::write::unsigned(&mut m, bloom.len() as u64).unwrap();
        m.extend(bloom);
        m.push(0);
        m
    }

    #[test]
    fn a_real_message_passes_and_hostile_filters_do_not() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        let mut state = sync::State::new();
        let real = doc.sync().generate_sync_message(&mut state).unwrap().encode();
        assert!(sync_message(&real).is_ok());
        assert!(sync_message(&message_with_filter(&filter(10, 10, 7, &[0; 13]))).is_ok());
        for (bloom, why) in [
            (filter(1, 0, 7, &[]), "bits per entry"),
            (filter(1, 10, u32::MAX.into(), &[0; 2]), "probes"),
            (filter(1, 10, 0, &[0; 2]), "probes"),
        ] {
            let err = sync_message(&message_with_filter(&bloom)).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn only_uncompressed_change_chunks_are_decoded() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "a", "x".repeat(1000)).unwrap();
        let mut made = doc.get_changes(&[]).into_iter().next().unwrap().clone();
        assert!(change(made.raw_bytes().to_vec()).is_ok());
        let compressed = made.bytes().to_vec();
        assert_eq!(compressed[CHUNK_TYPE_AT], 2, "automerge compressed it");
        assert!(change(compressed).unwrap_err().contains("compressed"));
        assert!(change(doc.save()).unwrap_err().contains("type 0"));
        assert!(change(b"junk".to_vec()).is_err());
    }
}
