//! DESIGN §3a end to end in the core: a device's change is refused, the
//! device rebuilds from what the recorder accepted, writes its later allowed
//! edits again, and the recorder accepts those; the refused one is set
//! aside, never merged back.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, Automerge, Change, ChangeHash};
use common::*;
use custos_core::access::{UploadContext, check_upload};
use custos_core::documents::{self as docs, DocKey};
use custos_core::inspection::{CameraCheck, InspectionEntry};
use custos_core::rebuild::rebuild;
use custos_core::roles::Role;
use custos_core::seeds::WANHUA_HOUSEHOLD;

const NOVEMBER: DocKey = DocKey::Inspections { year: 2026, month: 11 };

fn check(fx: &Fixture, inspector: &str, remarks: &str) -> InspectionEntry {
    let ok = |audio: Option<bool>| CameraCheck {
        running: true,
        picture_clear: true,
        audio_ok: audio,
        storage_ok: true,
        time_correct: true,
        note: String::new(),
    };
    InspectionEntry {
        checked_at: NOW,
        inspector: fx.members[inspector].id.clone(),
        host_ok: true,
        cameras: [("cam-01".to_string(), ok(Some(true))), ("cam-02".to_string(), ok(None))].into(),
        maintenance: String::new(),
        handling: String::new(),
        remarks: remarks.into(),
        photos: vec![],
    }
}

fn push(
    fx: &mut Fixture,
    stored: &Automerge,
    changes: &[Change],
    who: &str,
) -> Result<Automerge, custos_core::access::Refusal> {
    let site = fx.history();
    let ctx = UploadContext {
        site: &site,
        profile: &fx.profile,
        now: NOW,
        case: None,
    };
    check_upload(
        &NOVEMBER,
        stored.clone(),
        changes,
        &fx.members[who].key.device_id(),
        &ctx,
    )
}

fn write(doc: &mut AutoCommit, id: &str, entry: &InspectionEntry) -> ChangeHash {
    docs::put_entry(doc, docs::INSPECTION_ENTRIES, id, entry).unwrap();
    docs::commit(doc, "check", NOW.0).unwrap()
}

#[test]
fn a_refused_check_is_set_aside_and_the_later_ones_reach_the_recorder() {
    let mut fx = Fixture::new(WANHUA_HOUSEHOLD);
    fx.add("inspector", &[Role::Inspector], 2);
    fx.add("manager", &[Role::Manager], 3);
    let device = fx.members["inspector"].key.device_id();
    let mut tablet = docs::open(&NOVEMBER, None, &device).unwrap();

    // Monday's check reaches the recorder.
    let monday = fx.id();
    write(&mut tablet, monday.as_str(), &check(&fx, "inspector", "週一"));
    let stored = push(
        &mut fx,
        &Automerge::new(),
        &tablet.get_changes(&[]).into_iter().collect::<Vec<_>>(),
        "inspector",
    )
    .unwrap();

    // Offline: a check in the manager's name (refused), then two of its own.
    let forged = fx.id();
    let tuesday = fx.id();
    let wednesday = fx.id();
    let waiting = vec![
        write(&mut tablet, forged.as_str(), &check(&fx, "manager", "代簽")),
        write(&mut tablet, tuesday.as_str(), &check(&fx, "inspector", "週二")),
        write(&mut tablet, wednesday.as_str(), &check(&fx, "inspector", "週三")),
    ];
    let batch: Vec<Change> = tablet.get_changes(&stored.get_heads()).into_iter().collect();
    let refusal = push(&mut fx, &stored, &batch, "inspector").unwrap_err();
    assert_eq!(refusal.rule, "author");
    let refused_entry = format!("{}/{}", docs::INSPECTION_ENTRIES, forged.as_str());
    assert_eq!(refusal.entry.as_deref(), Some(refused_entry.as_str()));
    assert_eq!(refusal.change.as_deref(), Some(waiting[0].to_string().as_str()));

    let rebuilt = rebuild(&mut tablet, &waiting, &BTreeSet::from([refused_entry]), &device, NOW.0).unwrap();
    assert_eq!(rebuilt.set_aside, vec![waiting[0]]);
    assert_eq!(rebuilt.replaced, waiting[1..].to_vec());
    assert_eq!(rebuilt.made_again.len(), 1, "one new change writes both checks again");
    assert_eq!(rebuilt.written_again.len(), 2);
    let rebuilt_changes = rebuilt.made_again.clone();
    let mut tablet = rebuilt.doc;
    let entries: BTreeMap<String, InspectionEntry> = docs::entries(&tablet, docs::INSPECTION_ENTRIES).unwrap();
    assert!(
        !entries.contains_key(forged.as_str()),
        "the refused check is gone from the document"
    );
    assert_eq!(entries[tuesday.as_str()].remarks, "週二");

    // The rebuilt changes build on what the recorder has, and are accepted.
    let again: Vec<Change> = tablet.get_changes(&stored.get_heads()).into_iter().collect();
    assert_eq!(again, rebuilt_changes);
    let stored = push(&mut fx, &stored, &again, "inspector").unwrap();
    let on_recorder: BTreeMap<String, InspectionEntry> = docs::entries(&stored, docs::INSPECTION_ENTRIES).unwrap();
    let mut expected: Vec<&str> = vec![monday.as_str(), tuesday.as_str(), wednesday.as_str()];
    expected.sort();
    assert_eq!(on_recorder.keys().map(String::as_str).collect::<Vec<_>>(), expected);
    assert_eq!(on_recorder[wednesday.as_str()], check(&fx, "inspector", "週三"));

    // The tablet and the recorder converge; the tablet can go on working.
    assert_eq!(tablet.get_heads(), stored.get_heads());
    let thursday = fx.id();
    write(&mut tablet, thursday.as_str(), &check(&fx, "inspector", "週四"));
    let next: Vec<Change> = tablet.get_changes(&stored.get_heads()).into_iter().collect();
    push(&mut fx, &stored, &next, "inspector").unwrap();
}

#[test]
fn a_month_begun_offline_keeps_its_genesis_through_a_refusal() {
    let mut fx = Fixture::new(WANHUA_HOUSEHOLD);
    fx.add("inspector", &[Role::Inspector], 2);
    fx.add("manager", &[Role::Manager], 3);
    let device = fx.members["inspector"].key.device_id();
    let mut tablet = docs::open(&NOVEMBER, None, &device).unwrap();
    let (forged, good) = (fx.id(), fx.id());
    write(&mut tablet, forged.as_str(), &check(&fx, "manager", "代簽"));
    write(&mut tablet, good.as_str(), &check(&fx, "inspector", "週一"));
    let everything: Vec<Change> = tablet.get_changes(&[]).into_iter().collect();
    let waiting: Vec<ChangeHash> = everything.iter().map(|c| c.hash()).collect();
    assert_eq!(waiting.len(), 3, "genesis and two checks");
    let refusal = push(&mut fx, &Automerge::new(), &everything, "inspector").unwrap_err();

    let refused = BTreeSet::from([refusal.entry.unwrap()]);
    let mut rebuilt = rebuild(&mut tablet, &waiting, &refused, &device, NOW.0).unwrap();
    assert_eq!(rebuilt.set_aside, vec![waiting[1]]);
    assert_eq!(
        rebuilt.replaced,
        vec![waiting[2]],
        "the genesis is neither set aside nor replaced"
    );
    // What goes out now: the genesis, still waiting, and the check made again.
    let mut outgoing = vec![everything[0].clone()];
    outgoing.extend(rebuilt.made_again.iter().cloned());
    let stored = push(&mut fx, &Automerge::new(), &outgoing, "inspector").unwrap();
    let on_recorder: BTreeMap<String, InspectionEntry> = docs::entries(&stored, docs::INSPECTION_ENTRIES).unwrap();
    assert_eq!(on_recorder.keys().collect::<Vec<_>>(), vec![good.as_str()]);
    assert_eq!(rebuilt.doc.get_heads(), stored.get_heads());
}
