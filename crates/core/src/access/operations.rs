//! Which entries a batch of changes writes, read from the changes' own
//! operations. The upload rules are checked per entry, and a device that
//! was refused sets aside exactly the changes that wrote the refused entry.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{Automerge, Change, ChangeHash, Prop, ReadDoc};

use super::refusal::{Refusal, refuse};
use crate::documents as docs;

/// The (collection, entry key) pairs the batch's operations address, each
/// with the last change that addressed it. Every operation counts, including one that loses a conflict and never shows:
/// the entry it aims at is checked all the same. Operations on the root
/// itself are refused, except in the structural changes (`structural`: the
/// genesis and the extension) that create the collections.
///
/// Read from the changes' own operations rather than from a patch log: for
/// a week's upload of checks that is a third of the time.
pub(super) fn addressed_entries(
    after: &Automerge,
    changes: &[Change],
    structural: &[ChangeHash],
) -> Result<BTreeMap<(String, String), ChangeHash>, Refusal> {
    use automerge::legacy::{Key, ObjectId, OpId, OpType};
    let structure = || refuse("structure", "the batch changes the document's structure");
    let legacy_id = |id: &automerge::ObjId| match id {
        automerge::ObjId::Root => ObjectId::Root,
        automerge::ObjId::Id(counter, actor, _) => ObjectId::Id(OpId(*counter, actor.clone())),
    };
    // The collections' map objects, by id.
    let collections: HashMap<ObjectId, String> = after
        .map_range(automerge::ROOT, ..)
        .map(|item| (legacy_id(&item.id()), item.key.to_string()))
        .collect();
    let decoded: Vec<(ChangeHash, automerge::ExpandedChange)> = changes
        .iter()
        .filter(|c| !structural.contains(&c.hash()))
        .map(|c| (c.hash(), c.decode()))
        .collect();
    // Objects made in this batch, and where each one hangs.
    let mut made: HashMap<ObjectId, (ObjectId, Key)> = HashMap::new();
    for (_, change) in &decoded {
        for (i, op) in change.operations.iter().enumerate() {
            if let OpType::Make(_) = op.action {
                let id = OpId(change.start_op.get() + i as u64, change.actor_id.clone());
                made.insert(ObjectId::Id(id), (op.obj.clone(), op.key.clone()));
            }
        }
    }
    // Which entry an operation on (object, key) belongs to.
    let mut resolved: HashMap<ObjectId, (String, String)> = HashMap::new();
    let mut entry_of = |obj: &ObjectId, key: &Key| -> Result<(String, String), Refusal> {
        if let Some(collection) = collections.get(obj) {
            return match key {
                Key::Map(entry) => Ok((collection.clone(), entry.to_string())),
                Key::Seq(_) => Err(refuse("structure", "collections are maps of entries")),
            };
        }
        if let Some(found) = resolved.get(obj) {
            return Ok(found.clone());
        }
        // Climb through the objects this batch made to one that existed.
        let mut obj_up = obj.clone();
        while let Some((parent, key)) = made.get(&obj_up) {
            if let Some(collection) = collections.get(parent) {
                let Key::Map(entry) = key else {
                    return Err(refuse("structure", "collections are maps of entries"));
                };
                let found = (collection.clone(), entry.to_string());
                resolved.insert(obj.clone(), found.clone());
                return Ok(found);
            }
            obj_up = parent.clone();
        }
        let ObjectId::Id(OpId(counter, actor)) = &obj_up else {
            return Err(structure());
        };
        // The index is only a hint; automerge looks the actor up when it is wrong.
        let exid = automerge::ObjId::Id(*counter, actor.clone(), usize::MAX);
        let path = after.parents(&exid).map_err(|_| structure())?.path();
        let found = match path.as_slice() {
            [(_, Prop::Map(collection)), (_, Prop::Map(entry)), ..] => (collection.clone(), entry.clone()),
            _ => return Err(structure()),
        };
        resolved.insert(obj.clone(), found.clone());
        Ok(found)
    };
    let mut touched = BTreeMap::new();
    for (hash, change) in &decoded {
        let mut last: Option<&ObjectId> = None;
        for op in &change.operations {
            if op.obj == ObjectId::Root {
                return Err(structure());
            }
            // Consecutive operations on one object (the fields of a new
            // entry) resolve once, except on a collection, where each
            // operation is its own entry.
            if last == Some(&op.obj) && !collections.contains_key(&op.obj) {
                continue;
            }
            last = Some(&op.obj);
            touched.insert(entry_of(&op.obj, &op.key)?, *hash);
        }
    }
    Ok(touched)
}

/// The entries (`collection/entry`) one change in `doc` writes: a device
/// uses it to tell which of its waiting changes a refusal of an entry
/// concerns, and which entries to write again after rebuilding.
pub fn entries_written_by(doc: &Automerge, change: &Change) -> Result<BTreeSet<String>, Refusal> {
    // No genesis to set aside: a genesis change writes no entry and is
    // refused as structure, which is not what the device asks here.
    if change.actor_id() == &docs::genesis_actor() {
        return Ok(BTreeSet::new());
    }
    Ok(addressed_entries(doc, std::slice::from_ref(change), &[])?
        .into_keys()
        .map(|(collection, entry)| format!("{collection}/{entry}"))
        .collect())
}
