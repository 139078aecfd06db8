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

/// Most operations one change may hold. A change is what a person did in
/// one edit (a check, a decision, a case): tens to hundreds of operations.
pub const MAX_OPS_PER_CHANGE: u64 = 100_000;

/// A change pushed by a device: an uncompressed change chunk of at most
/// [`MAX_OPS_PER_CHANGE`] operations, decoded; and its operation count.
/// The count is read from the run-length encoded columns first: automerge
/// walks every operation while it decodes, and 69 bytes can claim 10⁸ of
/// them (15 s of CPU here) or 2⁴⁰.
pub fn change(bytes: Vec<u8>) -> Result<(Change, u64), String> {
    if bytes.len() <= CHUNK_TYPE_AT || bytes[..4] != MAGIC {
        return Err("not an automerge change".into());
    }
    match bytes[CHUNK_TYPE_AT] {
        CHANGE_CHUNK => {}
        2 => return Err("a compressed change is not accepted: push the change uncompressed, as it was made".into()),
        other => return Err(format!("a chunk of type {other} is not a change")),
    }
    let ops = change_ops(&bytes).map_err(|e| format!("not an automerge change: {e}"))?;
    if ops > MAX_OPS_PER_CHANGE {
        return Err(format!(
            "a change holds at most {MAX_OPS_PER_CHANGE} operations; this one claims {ops}"
        ));
    }
    let change = Change::from_bytes(bytes).map_err(|e| format!("not an automerge change: {e}"))?;
    Ok((change, ops))
}

/// The most rows any column of a change chunk claims (its operations), and
/// no more than one past the cap is ever counted. The layout is the one
/// automerge's `storage/change.rs` parses: the header, the column specs and
/// lengths, then each column's data.
fn change_ops(chunk: &[u8]) -> Result<u64, &'static str> {
    let mut r = Reader(&chunk[CHUNK_TYPE_AT + 1..]);
    let len = r.uleb()?;
    let mut r = Reader(r.take(len)?);
    let deps = r.uleb()?;
    r.take(deps.checked_mul(32).ok_or("too many dependencies")?)?;
    let actor = r.uleb()?;
    r.take(actor)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.leb()?; // time
    let message = r.uleb()?;
    r.take(message)?;
    for _ in 0..r.uleb()? {
        let other_actor = r.uleb()?;
        r.take(other_actor)?;
    }
    let mut specs = Vec::new();
    for _ in 0..r.uleb()? {
        let (spec, len) = (r.uleb()?, r.uleb()?);
        specs.push((spec, len));
    }
    let mut most = 0;
    for (spec, len) in specs {
        let data = r.take(len)?;
        if spec & 0b1000 != 0 {
            return Err("a change's columns are not deflated");
        }
        most = most.max(column_rows(spec & 0b111, data)?);
        if most > MAX_OPS_PER_CHANGE {
            break;
        }
    }
    Ok(most)
}

/// Rows a column claims, counting past [`MAX_OPS_PER_CHANGE`] at most by
/// one run. Group columns (how many predecessors each operation has) count
/// their values too, since the grouped columns are read that many times.
fn column_rows(column_type: u64, data: &[u8]) -> Result<u64, &'static str> {
    const GROUP: u64 = 0;
    const BOOLEAN: u64 = 4;
    const STRING: u64 = 5;
    const VALUE: u64 = 7;
    let mut r = Reader(data);
    let (mut rows, mut grouped) = (0u64, 0u64);
    let is_group = column_type == GROUP;
    let over = |n: u64| n > MAX_OPS_PER_CHANGE;
    match column_type {
        VALUE => return Ok(0),
        BOOLEAN => {
            while !r.0.is_empty() && !over(rows) {
                rows = rows.saturating_add(r.uleb()?);
            }
        }
        _ => {
            // Run-length encoding: n > 0 repeats one value n times; n < 0
            // is -n literal values; 0 is a run of nulls, its length next.
            let value = |r: &mut Reader<'_>| -> Result<u64, &'static str> {
                if column_type == STRING {
                    let len = r.uleb()?;
                    r.take(len)?;
                    Ok(0)
                } else if is_group {
                    r.leb()
                } else {
                    r.leb().map(|_| 0)
                }
            };
            while !r.0.is_empty() && !over(rows) && !over(grouped) {
                let n = r.sleb()?;
                if n > 0 {
                    let v = value(&mut r)?;
                    rows = rows.saturating_add(n as u64);
                    grouped = grouped.saturating_add(v.saturating_mul(n as u64));
                } else if n < 0 {
                    for _ in 0..n.unsigned_abs().min(MAX_OPS_PER_CHANGE + 1) {
                        grouped = grouped.saturating_add(value(&mut r)?);
                    }
                    rows = rows.saturating_add(n.unsigned_abs());
                } else {
                    rows = rows.saturating_add(r.uleb()?);
                }
            }
        }
    }
    Ok(rows.max(grouped))
}

/// LEB128 numbers and byte runs off the front of a slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn uleb(&mut self) -> Result<u64, &'static str> {
        leb128::read::unsigned(&mut self.0).map_err(|_| "a number is malformed or cut short")
    }
    fn sleb(&mut self) -> Result<i64, &'static str> {
        leb128::read::signed(&mut self.0).map_err(|_| "a number is malformed or cut short")
    }
    /// One LEB128 number of either sign, as unsigned (group counts are unsigned).
    fn leb(&mut self) -> Result<u64, &'static str> {
        let len = self
            .0
            .iter()
            .position(|b| b & 0x80 == 0)
            .ok_or("a number is cut short")?
            + 1;
        let mut bytes = self.take(len as u64)?;
        Ok(leb128::read::unsigned(&mut bytes).unwrap_or(u64::MAX))
    }
    fn take(&mut self, n: u64) -> Result<&'a [u8], &'static str> {
        let n = usize::try_from(n).map_err(|_| "a length is too large")?;
        if n > self.0.len() {
            return Err("a length runs past the end");
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }
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
    fn the_operations_a_change_claims_are_counted_before_it_is_decoded() {
        let mut doc = automerge::AutoCommit::new();
        for i in 0..50 {
            doc.put(automerge::ROOT, format!("k{i}"), i).unwrap();
        }
        doc.put_object(automerge::ROOT, "list", automerge::ObjType::List)
            .unwrap();
        let made = doc.get_changes(&[]).into_iter().next().unwrap().clone();
        assert_eq!(change(made.raw_bytes().to_vec()).unwrap().1, made.len() as u64);
        // Every kind of operation, overwrites with predecessors among them:
        // the count is never below what automerge reads.
        use automerge::transaction::Transactable as _;
        let mut doc = automerge::AutoCommit::new();
        let list = doc.put_object(automerge::ROOT, "l", automerge::ObjType::List).unwrap();
        let text = doc.put_object(automerge::ROOT, "t", automerge::ObjType::Text).unwrap();
        doc.commit();
        for round in 0..3 {
            doc.put(automerge::ROOT, "a", round).unwrap();
            doc.insert(&list, 0, "x").unwrap();
            doc.splice_text(&text, 0, 0, "巡檢紀錄").unwrap();
            doc.put(automerge::ROOT, "n", automerge::ScalarValue::counter(1))
                .unwrap();
            doc.increment(automerge::ROOT, "n", 2).unwrap();
            doc.delete(&list, 0).unwrap();
            doc.commit();
        }
        for made in doc.get_changes(&[]) {
            let (decoded, ops) = change(made.raw_bytes().to_vec()).unwrap();
            assert!(
                ops >= decoded.len() as u64 && ops <= 2 * decoded.len() as u64,
                "{ops} for {}",
                decoded.len()
            );
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
