//! What a device does when the recorder refuses one of its changes (DESIGN
//! §3a). A device cannot simply drop a refused change: its own later
//! changes depend on it, and automerge never forgets one. So the document
//! is rebuilt from the state the recorder accepted, the entries of later
//! edits that are still allowed are written again (as new changes), and the
//! refused changes are set aside, to stay visible with the recorder's reason.

use std::collections::{BTreeSet, HashSet};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ReadDoc};

use crate::access::entries_written_by;
use crate::documents as docs;
use crate::error::CoreError;
use crate::ids::DeviceId;

/// A document rebuilt after a refusal.
pub struct Rebuilt {
    /// The document to keep instead of the old one (never merge the two:
    /// the new changes reuse the sequence numbers of the old ones).
    pub doc: AutoCommit,
    /// This device's waiting changes that wrote a refused entry.
    pub set_aside: Vec<ChangeHash>,
    /// The other waiting changes, gone from the document: `made_again`
    /// replaces them. (A genesis is never among them: it is the same on
    /// every device and still has to reach the recorder.)
    pub replaced: Vec<ChangeHash>,
    /// The new changes that write those entries again, to send instead.
    pub made_again: Vec<automerge::Change>,
    /// Entries (`collection/entry`) written again, in the order first written.
    pub written_again: Vec<String>,
}

/// Rebuilds `doc` without this device's `waiting` changes (not yet accepted,
/// oldest first), then writes again the entries of those that did not touch
/// a `refused_entries` entry, with their values as they are now in `doc`.
pub fn rebuild(
    doc: &mut AutoCommit,
    waiting: &[ChangeHash],
    refused_entries: &BTreeSet<String>,
    device: &DeviceId,
    now_ms: i64,
) -> Result<Rebuilt, CoreError> {
    let all = doc.get_changes(&[]);
    let genesis_actor = docs::genesis_actor();
    let is_genesis = |hash: &ChangeHash| all.iter().any(|c| c.hash() == *hash && c.actor_id() == &genesis_actor);
    let waiting: Vec<ChangeHash> = waiting.iter().copied().filter(|h| !is_genesis(h)).collect();
    let waiting_set: HashSet<ChangeHash> = waiting.iter().copied().collect();
    let kept: Vec<_> = all.iter().filter(|c| !waiting_set.contains(&c.hash())).collect();
    let depended_on: HashSet<ChangeHash> = kept.iter().flat_map(|c| c.deps().iter().copied()).collect();
    let heads: Vec<ChangeHash> = kept
        .iter()
        .map(|c| c.hash())
        .filter(|h| !depended_on.contains(h))
        .collect();

    let mut set_aside = Vec::new();
    let mut replaced = Vec::new();
    let mut written_again: Vec<String> = Vec::new();
    for hash in &waiting {
        let Some(change) = all.iter().find(|c| c.hash() == *hash) else {
            continue;
        };
        let entries = entries_written_by(doc.document(), change)
            .map_err(|r| CoreError::Malformed(format!("change {hash}: {}", r.message)))?;
        if entries.iter().any(|e| refused_entries.contains(e)) {
            set_aside.push(*hash);
        } else {
            replaced.push(*hash);
            for entry in entries {
                if !written_again.contains(&entry) {
                    written_again.push(entry);
                }
            }
        }
    }

    let mut rebuilt = doc.fork_at(&heads)?.with_actor(device.actor_id());
    for path in &written_again {
        let (collection, entry) = path
            .split_once('/')
            .ok_or_else(|| CoreError::Malformed(format!("{path}: not collection/entry")))?;
        let source_collection = docs::collection(doc, collection)?;
        let target_collection = docs::collection(&rebuilt, collection)?;
        match doc.get(&source_collection, entry)? {
            Some((automerge::Value::Object(_), source)) => {
                let value = doc.hydrate(&source, None)?;
                rebuilt.batch_create_object(&target_collection, entry, &value, false)?;
            }
            Some((automerge::Value::Scalar(value), _)) => {
                rebuilt.put(&target_collection, entry, value.into_owned())?;
            }
            None => {}
        }
    }
    if !written_again.is_empty() {
        docs::commit(&mut rebuilt, "made again after a refusal", now_ms);
    }
    let made_again = rebuilt.get_changes(&heads).into_iter().collect();
    Ok(Rebuilt {
        doc: rebuilt,
        set_aside,
        replaced,
        made_again,
        written_again,
    })
}
