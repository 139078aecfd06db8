//! The automerge documents the registers live in, and how entries go in and
//! out of them. Documents are split by register and period (DESIGN §3a):
//! one site document; inspections per month; per application a case and a
//! personal-data document; the logbook per year; one holds document.
//!
//! Every document starts from a *genesis* change that creates its
//! collections. The genesis is byte-identical wherever it is made (fixed
//! actor, time zero), so two devices that open the same month offline create
//! the same change and their entries merge instead of one root map replacing
//! the other.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ROOT, ReadDoc};
use autosurgeon::{Hydrate, Reconcile};

use crate::error::CoreError;
use crate::ids::{DeviceId, EntryId};

/// Which document: the key under which devices and the recorder name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKey {
    /// 設置區位: site, people, devices, cameras.
    Site,
    /// 檢查及保養紀錄 for one month (Taipei calendar).
    Inspections { year: i32, month: u32 },
    /// 調閱申請單: the case of one application.
    ApplicationCase(EntryId),
    /// The personal data of one application.
    ApplicationPersonal(EntryId),
    /// 調閱登記簿 for one year.
    Logbook { year: i32 },
    /// Holds and the destruction record.
    Holds,
    /// The audit chain's signed checkpoints and the devices' countersignatures.
    Audit,
}

impl DocKey {
    /// The collections (root maps) a document of this kind holds.
    pub fn collections(&self) -> &'static [&'static str] {
        match self {
            DocKey::Site => &["site", "people", "devices", "cameras"],
            DocKey::Inspections { .. } => &[INSPECTION_ENTRIES, REPAIRS, SEALS],
            DocKey::ApplicationCase(_) => &[CASE, EVENTS],
            DocKey::ApplicationPersonal(_) => &[PERSONAL],
            DocKey::Logbook { .. } => &[LOGBOOK_ENTRIES, SEALS],
            DocKey::Holds => &[HOLDS, RELEASES, DESTRUCTIONS],
            DocKey::Audit => &[CHECKPOINTS, COUNTERSIGNATURES],
        }
    }

    /// Collections a kind of document gained after its genesis was fixed
    /// (changing the genesis would fork every document made before). They
    /// are made by [`extension`], a change as deterministic as the genesis,
    /// so every device and the recorder that add them make the same change.
    pub fn added_collections(&self) -> &'static [&'static str] {
        match self {
            DocKey::Inspections { .. } => &[LOCATION_NOTICES],
            DocKey::Holds => &[RENEWALS],
            DocKey::Audit => &[FOOTAGE_CHECKPOINTS, FOOTAGE_FINDINGS],
            _ => &[],
        }
    }

    /// The monthly inspection logs from `from`'s month to `to`'s (Taipei),
    /// newest first.
    pub fn inspection_months(from: crate::time::Timestamp, to: crate::time::Timestamp) -> Vec<DocKey> {
        let (first, last) = (from.taipei_date(), to.taipei_date());
        let mut logs = Vec::new();
        let (mut year, mut month) = (last.year, last.month);
        while (year, month) >= (first.year, first.month) {
            logs.push(DocKey::Inspections { year, month });
            (year, month) = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
        }
        logs
    }

    /// The application this document belongs to, if any.
    pub fn application(&self) -> Option<&EntryId> {
        match self {
            DocKey::ApplicationCase(id) | DocKey::ApplicationPersonal(id) => Some(id),
            _ => None,
        }
    }
}

pub const INSPECTION_ENTRIES: &str = "entries";
pub const REPAIRS: &str = "repairs";
pub const SEALS: &str = "seals";
/// The recorder's alarms in an inspection log. Not in the genesis (that
/// stays byte-identical with logs made before alarms existed): the recorder,
/// their only writer, creates the map with the first alarm, so no two
/// writers can make rival maps. Readers take a missing map as no alarms.
pub const ALARMS: &str = "alarms";
/// 設置區位公告: the manager's record of publishing and checking the public
/// list of camera locations (004 §5(2)(3)). Added after the genesis: see
/// [`DocKey::added_collections`].
pub const LOCATION_NOTICES: &str = "location_notices";
pub const CASE: &str = "case";
/// The key under which the single value of a case or personal-data document is stored.
pub const CURRENT: &str = "current";
pub const EVENTS: &str = "events";
pub const PERSONAL: &str = "personal";
pub const LOGBOOK_ENTRIES: &str = "entries";
pub const HOLDS: &str = "holds";
pub const RELEASES: &str = "releases";
pub const DESTRUCTIONS: &str = "destructions";
/// The head's renewals of holds ([`crate::seal::SealPurpose::RenewHold`]).
/// Added after the genesis: see [`DocKey::added_collections`].
pub const RENEWALS: &str = "renewals";
pub const CHECKPOINTS: &str = "checkpoints";
pub const COUNTERSIGNATURES: &str = "countersignatures";
/// 影像封存: the footage log's signed checkpoints
/// ([`crate::footage_log::PublishedFootageCheckpoint`]), written by the
/// recorder. Added after the genesis: see [`DocKey::added_collections`].
pub const FOOTAGE_CHECKPOINTS: &str = "footage_checkpoints";
/// What the recorder's re-hash found not as sealed
/// ([`crate::footage_log::FootageFinding`]), written by the recorder.
pub const FOOTAGE_FINDINGS: &str = "footage_findings";

impl fmt::Display for DocKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocKey::Site => write!(f, "site"),
            DocKey::Inspections { year, month } => write!(f, "inspections/{year:04}-{month:02}"),
            DocKey::ApplicationCase(id) => write!(f, "applications/{id}/case"),
            DocKey::ApplicationPersonal(id) => write!(f, "applications/{id}/personal"),
            DocKey::Logbook { year } => write!(f, "logbook/{year:04}"),
            DocKey::Holds => write!(f, "holds"),
            DocKey::Audit => write!(f, "audit"),
        }
    }
}

/// The years a register document may be kept for: none was kept before
/// the regulations, and none is made for a century ahead.
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2199;

impl FromStr for DocKey {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        let bad = || CoreError::invalid("document key", format!("{s:?} names no register document"));
        let parts: Vec<&str> = s.split('/').collect();
        let key = match parts.as_slice() {
            ["site"] => DocKey::Site,
            ["holds"] => DocKey::Holds,
            ["audit"] => DocKey::Audit,
            ["inspections", ym] => {
                let (y, m) = ym.split_once('-').ok_or_else(bad)?;
                let (year, month) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
                if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&month) {
                    return Err(bad());
                }
                DocKey::Inspections { year, month }
            }
            ["logbook", y] if y.len() == 4 => DocKey::Logbook {
                year: y.parse().map_err(|_| bad())?,
            },
            ["applications", id, "case"] => DocKey::ApplicationCase(id.parse()?),
            ["applications", id, "personal"] => DocKey::ApplicationPersonal(id.parse()?),
            _ => return Err(bad()),
        };
        // One spelling per document: `inspections/2026-+1` or a lower-case
        // id would otherwise be a second document beside the real one.
        let year = match key {
            DocKey::Inspections { year, .. } | DocKey::Logbook { year } => Some(year),
            _ => None,
        };
        if key.to_string() != s || year.is_some_and(|y| !(MIN_YEAR..=MAX_YEAR).contains(&y)) {
            return Err(bad());
        }
        Ok(key)
    }
}

/// The actor of genesis changes. No device has it (device actors are 16
/// bytes of a key hash; this is a readable tag of another length).
pub fn genesis_actor() -> ActorId {
    ActorId::from(b"custos-genesis".as_slice())
}

/// The genesis of a document: identical bytes wherever it is made.
pub fn genesis(key: &DocKey) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(genesis_actor());
    for collection in key.collections() {
        doc.put_object(ROOT, *collection, ObjType::Map).expect("fresh document");
    }
    doc.commit_with(CommitOptions::default().with_time(0).with_message(key.to_string()));
    doc
}

/// The hash of a document's genesis change, which the recorder accepts from
/// any device because anyone could have made it.
pub fn genesis_hash(key: &DocKey) -> automerge::ChangeHash {
    genesis(key).get_heads()[0]
}

/// The change that adds a kind's [`DocKey::added_collections`]: by the
/// genesis actor, at time zero, on the genesis alone, so it is the same
/// change wherever it is made. `None` for kinds that gained none.
pub fn extension(key: &DocKey) -> Option<automerge::Change> {
    let added = key.added_collections();
    if added.is_empty() {
        return None;
    }
    let mut doc = genesis(key);
    let heads = doc.get_heads();
    for collection in added {
        doc.put_object(ROOT, *collection, ObjType::Map).expect("fresh document");
    }
    doc.commit_with(
        CommitOptions::default()
            .with_time(0)
            .with_message(format!("{key} extended")),
    );
    doc.get_changes(&heads).into_iter().next()
}

/// The changes of a document's structure that anyone may send: its genesis
/// and its extension.
pub fn structural_hashes(key: &DocKey) -> Vec<automerge::ChangeHash> {
    let mut hashes = vec![genesis_hash(key)];
    hashes.extend(extension(key).map(|c| c.hash()));
    hashes
}

/// Gives a document the collections its kind gained after its genesis,
/// where it lacks them (a document made by an older build, or before).
pub fn extend(doc: &mut AutoCommit, key: &DocKey) -> Result<(), CoreError> {
    let Some(change) = extension(key) else {
        return Ok(());
    };
    if doc.get_change_by_hash(&change.hash()).is_none() {
        doc.apply_changes([change])?;
    }
    Ok(())
}

/// A document opened for editing on one device: genesis (or saved bytes),
/// with the device's fixed actor id.
pub fn open(key: &DocKey, saved: Option<&[u8]>, device: &DeviceId) -> Result<AutoCommit, CoreError> {
    let doc = match saved {
        Some(bytes) => AutoCommit::load(bytes)?,
        None => genesis(key),
    };
    Ok(doc.with_actor(device.actor_id()))
}

/// The map object of a collection, or an error if the document lacks it.
pub fn collection<D: ReadDoc>(doc: &D, name: &str) -> Result<ObjId, CoreError> {
    match doc.get(ROOT, name)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(CoreError::Malformed(format!("the document has no {name:?} collection"))),
    }
}

/// A collection, or `None` where the document has none: readers take a
/// missing collection as empty, so that no document can stop a reader
/// (a document made before its genesis, or by an older build). Anything
/// but a map there is malformed.
fn collection_if_any<D: ReadDoc>(doc: &D, name: &str) -> Result<Option<ObjId>, CoreError> {
    match doc.get(ROOT, name)? {
        None => Ok(None),
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(Some(id)),
        Some(_) => Err(CoreError::Malformed(format!("{name:?} is not a collection"))),
    }
}

/// Writes one entry (reconciling only that entry, never the whole register).
pub fn put_entry<T: Reconcile>(doc: &mut AutoCommit, coll: &str, key: &str, value: &T) -> Result<(), CoreError> {
    let obj = collection(doc, coll)?;
    autosurgeon::reconcile_prop(doc, obj, key, value)?;
    Ok(())
}

/// Reads one entry.
pub fn get_entry<D: autosurgeon::ReadDoc + ReadDoc, T: Hydrate>(
    doc: &D,
    coll: &str,
    key: &str,
) -> Result<Option<T>, CoreError> {
    let Some(obj) = collection_if_any(doc, coll)? else {
        return Ok(None);
    };
    if ReadDoc::get(doc, &obj, key)?.is_none() {
        return Ok(None);
    }
    Ok(Some(autosurgeon::hydrate_prop(doc, &obj, key)?))
}

/// Reads every entry of a collection, keyed by their map key.
pub fn entries<D: autosurgeon::ReadDoc + ReadDoc, T: Hydrate>(
    doc: &D,
    coll: &str,
) -> Result<BTreeMap<String, T>, CoreError> {
    let Some(obj) = collection_if_any(doc, coll)? else {
        return Ok(BTreeMap::new());
    };
    let keys: Vec<String> = doc.keys(&obj).collect();
    let mut out = BTreeMap::new();
    for key in keys {
        let value: T = autosurgeon::hydrate_prop(doc, &obj, key.as_str())?;
        out.insert(key, value);
    }
    Ok(out)
}

/// Commits pending operations with a message saying what was done. The time
/// is the device's own and is informative only: order comes from history.
pub fn commit(doc: &mut AutoCommit, message: &str, now_ms: i64) -> Option<automerge::ChangeHash> {
    doc.commit_with(
        CommitOptions::default()
            .with_message(message.to_owned())
            .with_time(now_ms / 1000),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_reject_nonsense() {
        let id = EntryId::from_parts(1, 2);
        for key in [
            DocKey::Site,
            DocKey::Holds,
            DocKey::Inspections { year: 2026, month: 11 },
            DocKey::Logbook { year: 2026 },
            DocKey::ApplicationCase(id.clone()),
            DocKey::ApplicationPersonal(id),
        ] {
            assert_eq!(key.to_string().parse::<DocKey>().unwrap(), key);
        }
        for bad in [
            "",
            "sites",
            "inspections/2026-13",
            "inspections/26-1",
            "applications/x/case",
            "logbook/../x",
            // One spelling per document, and years a register is kept for.
            "inspections/2026-+1",
            "inspections/+026-11",
            "logbook/+026",
            "inspections/0000-01",
            "logbook/9999",
            "applications/01arz3ndektsv4rrffq69g5fav/case",
        ] {
            assert!(bad.parse::<DocKey>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn genesis_is_identical_everywhere_so_offline_entries_merge() {
        let key = DocKey::Inspections { year: 2026, month: 11 };
        assert_eq!(genesis(&key).save(), genesis(&key).save());
        let a = DeviceId::for_public_key(b"a");
        let b = DeviceId::for_public_key(b"b");
        let mut doc_a = open(&key, None, &a).unwrap();
        let mut doc_b = open(&key, None, &b).unwrap();
        put_entry(&mut doc_a, INSPECTION_ENTRIES, "A", &"from a".to_string()).unwrap();
        put_entry(&mut doc_b, INSPECTION_ENTRIES, "B", &"from b".to_string()).unwrap();
        commit(&mut doc_a, "a", 0);
        commit(&mut doc_b, "b", 0);
        doc_a.merge(&mut doc_b).unwrap();
        let all: BTreeMap<String, String> = entries(&doc_a, INSPECTION_ENTRIES).unwrap();
        assert_eq!(all.len(), 2);
    }

    #[test]
    fn a_collection_added_later_merges_from_every_device_that_adds_it() {
        let key = DocKey::Inspections { year: 2026, month: 11 };
        let a = DeviceId::for_public_key(b"a");
        let b = DeviceId::for_public_key(b"b");
        // A month made by an older build: genesis and a check, no notices map.
        let mut doc_a = open(&key, None, &a).unwrap();
        put_entry(&mut doc_a, INSPECTION_ENTRIES, "A", &"check".to_string()).unwrap();
        commit(&mut doc_a, "a", 0);
        let mut doc_b = AutoCommit::load(&doc_a.save()).unwrap().with_actor(b.actor_id());
        extend(&mut doc_a, &key).unwrap();
        extend(&mut doc_b, &key).unwrap();
        extend(&mut doc_b, &key).unwrap();
        put_entry(&mut doc_a, LOCATION_NOTICES, "N1", &"from a".to_string()).unwrap();
        put_entry(&mut doc_b, LOCATION_NOTICES, "N2", &"from b".to_string()).unwrap();
        commit(&mut doc_a, "a", 1);
        commit(&mut doc_b, "b", 1);
        doc_a.merge(&mut doc_b).unwrap();
        let all: BTreeMap<String, String> = entries(&doc_a, LOCATION_NOTICES).unwrap();
        assert_eq!(all.len(), 2, "one map, both entries: {all:?}");
        assert_eq!(structural_hashes(&key).len(), 2);
        assert_eq!(structural_hashes(&DocKey::Site), vec![genesis_hash(&DocKey::Site)]);
    }
}
