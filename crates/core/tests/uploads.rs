//! The write rules the recorder applies to every pushed batch: what each role
//! may add or change, and that a refused batch leaves the stored document as it was.

mod common;

use std::collections::BTreeMap;

use automerge::{AutoCommit, Automerge, Change};
use common::*;
use custos_core::access::{UploadContext, check_upload, may_read};
use custos_core::application::{ApplicationCase, Decision, DecisionDraft, DecisionEvent, PersonalData};
use custos_core::documents::CURRENT;
use custos_core::documents::{self as docs, DocKey};
use custos_core::history::SiteHistory;
use custos_core::ids::EntryId;
use custos_core::inspection::{AlarmKind, CameraCheck, InspectionEntry, RecorderAlarm, Repair, RepairClosure};
use custos_core::location_notice::{LocationNoticeReview, ReviewKind, list_digest, public_locations};
use custos_core::logbook::{LogbookEntry, SessionEnd};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::seeds::{KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};
use custos_core::terms::ApplicantKind;
use custos_core::workflow::{IgnoreReason, Status};

const NOVEMBER: DocKey = DocKey::Inspections { year: 2026, month: 11 };

fn wanhua() -> Fixture {
    let mut fx = Fixture::new(WANHUA_HOUSEHOLD);
    fx.add("manager", &[Role::Manager], 1);
    fx.add("inspector", &[Role::Inspector], 2);
    fx.add("supervisor", &[Role::Supervisor], 3);
    fx.add("director", &[Role::Head], 4);
    fx
}

/// A device's copy of a document, and the changes it made since `base`.
struct Device {
    doc: AutoCommit,
}

impl Device {
    fn open(fx: &Fixture, who: &str, key: &DocKey, base: Option<&Automerge>) -> Device {
        let saved = base.map(|b| b.save());
        Device {
            doc: docs::open(key, saved.as_deref(), &fx.members[who].key.device_id()).unwrap(),
        }
    }

    fn put<T: autosurgeon::Reconcile>(&mut self, coll: &str, key: &str, value: &T) -> &mut Self {
        docs::put_entry(&mut self.doc, coll, key, value).unwrap();
        docs::commit(&mut self.doc, "edit", NOW.0);
        self
    }

    fn changes_since(&mut self, base: &Automerge) -> Vec<Change> {
        self.doc.get_changes(&base.get_heads()).into_iter().collect()
    }
}

fn entry(fx: &Fixture, inspector: &str, picture_clear: bool) -> InspectionEntry {
    let check = |audio: bool| CameraCheck {
        running: true,
        picture_clear,
        audio_ok: audio.then_some(true),
        storage_ok: true,
        time_correct: true,
        note: if picture_clear {
            String::new()
        } else {
            "鏡頭起霧".into()
        },
    };
    InspectionEntry {
        checked_at: NOW,
        inspector: fx.members[inspector].id.clone(),
        host_ok: true,
        cameras: [
            ("cam-01".to_string(), check(true)),
            ("cam-02".to_string(), check(false)),
        ]
        .into(),
        maintenance: String::new(),
        handling: if picture_clear {
            String::new()
        } else {
            "已通報維修".into()
        },
        remarks: String::new(),
        photos: vec![],
    }
}

fn ctx<'a>(fx: &'a Fixture, site: &'a SiteHistory) -> UploadContext<'a> {
    UploadContext {
        site,
        profile: &fx.profile,
        now: NOW,
        case: None,
    }
}

/// The first upload of an application's personal data, the recorder
/// holding `case` (or no case).
fn upload_personal(
    fx: &mut Fixture,
    case: Option<&ApplicationCase>,
    personal: &PersonalData,
    who: &str,
) -> Result<Automerge, String> {
    let id = case.map_or_else(|| EntryId::from_parts(1, 1), |c| c.id.clone());
    let key = DocKey::ApplicationPersonal(id);
    let mut tablet = Device::open(fx, who, &key, None);
    tablet.put(docs::PERSONAL, CURRENT, personal);
    let changes = tablet.changes_since(&Automerge::new());
    let site = fx.history();
    let sender = fx.members[who].key.device_id();
    let ctx = UploadContext { case, ..ctx(fx, &site) };
    check_upload(&key, Automerge::new(), &changes, &sender, &ctx).map_err(|r| format!("{}: {}", r.rule, r.message))
}

fn upload(
    fx: &mut Fixture,
    key: &DocKey,
    stored: &Automerge,
    changes: &[Change],
    who: &str,
) -> Result<Automerge, String> {
    let site = fx.history();
    let sender = fx.members[who].key.device_id();
    check_upload(key, stored.clone(), changes, &sender, &ctx(fx, &site))
        .map_err(|r| format!("{}: {}", r.rule, r.message))
}

/// The first upload of a document the recorder does not have yet.
fn upload_new(fx: &mut Fixture, key: &DocKey, device: &mut Device, who: &str) -> Result<Automerge, String> {
    let changes = device.changes_since(&Automerge::new());
    upload(fx, key, &Automerge::new(), &changes, who)
}

#[test]
fn an_inspector_records_a_check_offline_and_it_is_accepted() {
    let mut fx = wanhua();
    let stored = Automerge::new();
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    let e = entry(&fx, "inspector", true);
    tablet.put(docs::INSPECTION_ENTRIES, fx.id().as_str(), &e);
    let changes = tablet.changes_since(&stored);
    let accepted = upload(&mut fx, &NOVEMBER, &stored, &changes, "inspector").unwrap();
    let all: BTreeMap<String, InspectionEntry> = docs::entries(&accepted, docs::INSPECTION_ENTRIES).unwrap();
    assert_eq!(all.into_values().collect::<Vec<_>>(), vec![e]);
}

#[test]
fn a_recorded_check_cannot_be_edited_or_deleted() {
    let mut fx = wanhua();
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    let id = fx.id();
    tablet.put(docs::INSPECTION_ENTRIES, id.as_str(), &entry(&fx, "inspector", true));
    let stored = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap();

    let mut edit = Device::open(&fx, "inspector", &NOVEMBER, Some(&stored));
    edit.put(docs::INSPECTION_ENTRIES, id.as_str(), &entry(&fx, "inspector", false));
    let err = upload(&mut fx, &NOVEMBER, &stored, &edit.changes_since(&stored), "inspector").unwrap_err();
    assert!(err.starts_with("immutable"), "{err}");

    let mut delete = Device::open(&fx, "inspector", &NOVEMBER, Some(&stored));
    let obj = docs::collection(&delete.doc, docs::INSPECTION_ENTRIES).unwrap();
    automerge::transaction::Transactable::delete(&mut delete.doc, &obj, id.as_str()).unwrap();
    docs::commit(&mut delete.doc, "delete", NOW.0);
    let err = upload(&mut fx, &NOVEMBER, &stored, &delete.changes_since(&stored), "inspector").unwrap_err();
    assert!(err.starts_with("deletion"), "{err}");
}

#[test]
fn a_refused_batch_changes_nothing_stored() {
    let mut fx = wanhua();
    let stored = Automerge::new();
    let before = stored.save();
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(
        docs::INSPECTION_ENTRIES,
        fx.id().as_str(),
        &entry(&fx, "inspector", true),
    );
    // The second entry claims to be the manager's.
    tablet.put(docs::INSPECTION_ENTRIES, fx.id().as_str(), &entry(&fx, "manager", true));
    let err = upload(&mut fx, &NOVEMBER, &stored, &tablet.changes_since(&stored), "inspector").unwrap_err();
    assert!(err.starts_with("author"), "{err}");
    assert_eq!(stored.save(), before, "all or nothing");
}

#[test]
fn incomplete_or_malformed_checks_are_refused_with_a_reason() {
    let mut fx = wanhua();
    let mut e = entry(&fx, "inspector", true);
    e.cameras.remove("cam-02");
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(docs::INSPECTION_ENTRIES, fx.id().as_str(), &e);
    let err = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap_err();
    assert!(err.contains("cam-02") && err.contains("not checked"), "{err}");

    let mut e = entry(&fx, "inspector", false);
    e.handling.clear();
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(docs::INSPECTION_ENTRIES, fx.id().as_str(), &e);
    let err = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap_err();
    assert!(err.contains("處理情形"), "{err}");

    let mut e = entry(&fx, "inspector", true);
    e.checked_at = NOW.minus_days(40);
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(docs::INSPECTION_ENTRIES, fx.id().as_str(), &e);
    let err = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap_err();
    assert!(err.starts_with("wrong_month"), "{err}");

    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(docs::INSPECTION_ENTRIES, "not-a-ulid", &entry(&fx, "inspector", true));
    let err = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap_err();
    assert!(err.starts_with("key"), "{err}");
}

#[test]
fn a_fault_opens_a_repair_that_is_closed_once_with_a_note() {
    let mut fx = wanhua();
    let entry_id = fx.id();
    let repair_id = fx.id();
    let e = entry(&fx, "inspector", false);
    let (_, repair) = e.repairs_to_open(&entry_id, [repair_id.clone()]).pop().unwrap();
    assert_eq!(repair.camera.as_ref().map(|c| c.as_str()), Some("cam-01"));
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet
        .put(docs::INSPECTION_ENTRIES, entry_id.as_str(), &e)
        .put(docs::REPAIRS, repair_id.as_str(), &repair);
    let stored = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap();

    let manager = fx.members["manager"].id.clone();
    let close = |note: &str| {
        let mut r: Repair = repair.clone();
        r.closed = Some(RepairClosure {
            closed_by: manager.clone(),
            closed_at: NOW,
            note: note.into(),
            photos: vec![],
        });
        r
    };
    let mut no_note = Device::open(&fx, "manager", &NOVEMBER, Some(&stored));
    no_note.put(docs::REPAIRS, repair_id.as_str(), &close(""));
    let err = upload(&mut fx, &NOVEMBER, &stored, &no_note.changes_since(&stored), "manager").unwrap_err();
    assert!(err.contains("note"), "{err}");

    let mut ok = Device::open(&fx, "manager", &NOVEMBER, Some(&stored));
    ok.put(docs::REPAIRS, repair_id.as_str(), &close("更換鏡頭"));
    let stored = upload(&mut fx, &NOVEMBER, &stored, &ok.changes_since(&stored), "manager").unwrap();

    let mut again = Device::open(&fx, "manager", &NOVEMBER, Some(&stored));
    again.put(docs::REPAIRS, repair_id.as_str(), &close("再次更換"));
    assert!(upload(&mut fx, &NOVEMBER, &stored, &again.changes_since(&stored), "manager").is_err());
}

#[test]
fn the_supervisor_countersigns_and_a_forged_seal_is_refused() {
    let mut fx = wanhua();
    let entry_id = fx.id();
    let e = entry(&fx, "inspector", true);
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(docs::INSPECTION_ENTRIES, entry_id.as_str(), &e);
    let stored = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap();

    let seal_by = |fx: &mut Fixture, who: &str, role: Role| {
        let heads = fx.heads();
        let id = fx.id();
        let m = &fx.members[who];
        Seal::sign(
            id,
            SealPurpose::Countersign,
            entry_id.clone(),
            e.content_hash(),
            role,
            m.id.clone(),
            heads,
            NOW,
            String::new(),
            &m.key,
        )
    };
    let seal = seal_by(&mut fx, "supervisor", Role::Supervisor);
    let mut phone = Device::open(&fx, "supervisor", &NOVEMBER, Some(&stored));
    phone.put(docs::SEALS, seal.id.as_str(), &seal);
    upload(&mut fx, &NOVEMBER, &stored, &phone.changes_since(&stored), "supervisor").unwrap();

    let mut forged = seal_by(&mut fx, "supervisor", Role::Supervisor);
    forged.note = "added after signing".into();
    let mut phone = Device::open(&fx, "supervisor", &NOVEMBER, Some(&stored));
    phone.put(docs::SEALS, forged.id.as_str(), &forged);
    let err = upload(&mut fx, &NOVEMBER, &stored, &phone.changes_since(&stored), "supervisor").unwrap_err();
    assert!(err.starts_with("seal"), "{err}");

    let by_inspector = seal_by(&mut fx, "inspector", Role::Inspector);
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, Some(&stored));
    tablet.put(docs::SEALS, by_inspector.id.as_str(), &by_inspector);
    let err = upload(&mut fx, &NOVEMBER, &stored, &tablet.changes_since(&stored), "inspector").unwrap_err();
    assert!(err.contains("role"), "{err}");
}

#[test]
fn an_inspector_never_touches_the_logbook_or_applications() {
    let mut fx = wanhua();
    let logbook = DocKey::Logbook { year: 2026 };
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let entry = LogbookEntry {
        application: case.id.clone(),
        session: "01JSESSION".into(),
        opened_at: NOW,
        closed_at: Some(NOW),
        applicant_name: "王小明".into(),
        unit: "民眾".into(),
        cameras: case.cameras.clone(),
        window: case.window,
        reason_summary: "遺失錢包".into(),
        escort: fx.members["manager"].id.clone(),
        handling: case.kinds.clone(),
        served: Vec::new(),
        ended_by: Some(SessionEnd::Escort),
        after_viewing: None,
    };
    let mut tablet = Device::open(&fx, "inspector", &logbook, None);
    tablet.put(docs::LOGBOOK_ENTRIES, fx.id().as_str(), &entry);
    let err = upload_new(&mut fx, &logbook, &mut tablet, "inspector").unwrap_err();
    assert!(err.starts_with("recorder_only"), "{err}");

    let key = DocKey::ApplicationCase(case.id.clone());
    let mut tablet = Device::open(&fx, "inspector", &key, None);
    tablet.put(docs::CASE, CURRENT, &case);
    let err = upload_new(&mut fx, &key, &mut tablet, "inspector").unwrap_err();
    assert!(err.starts_with("role"), "{err}");

    let profile = &fx.profile;
    assert!(!may_read(&key, &[Role::Inspector], profile, false));
    assert!(!may_read(
        &DocKey::ApplicationPersonal(case.id.clone()),
        &[Role::Supervisor],
        profile,
        false
    ));
    assert!(may_read(
        &DocKey::ApplicationPersonal(case.id),
        &[Role::Manager],
        profile,
        false
    ));
    assert!(!may_read(&logbook, &[Role::Inspector], profile, false));
    assert!(may_read(&NOVEMBER, &[Role::Inspector], profile, false));
}

fn review(fx: &mut Fixture, who: &str, at: custos_core::time::Timestamp) -> LocationNoticeReview {
    LocationNoticeReview {
        kind: ReviewKind::Published,
        reviewed_at: at,
        reviewer: fx.members[who].id.clone(),
        list_digest: list_digest(&public_locations(&fx.history().current().unwrap())),
        matches: true,
        note: String::new(),
    }
}

#[test]
fn the_manager_records_the_public_notice_in_a_log_an_older_build_made() {
    let mut fx = wanhua();
    // November's log as an older build made it: genesis and a check, no
    // collection for the public notice.
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(
        docs::INSPECTION_ENTRIES,
        fx.id().as_str(),
        &entry(&fx, "inspector", true),
    );
    let stored = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap();
    assert!(
        automerge::ReadDoc::get(&stored, automerge::ROOT, docs::LOCATION_NOTICES)
            .unwrap()
            .is_none()
    );

    let publish = |fx: &mut Fixture, who: &str, at| {
        let mut device = Device::open(fx, who, &NOVEMBER, Some(&stored));
        docs::extend(&mut device.doc, &NOVEMBER).unwrap();
        device.put(docs::LOCATION_NOTICES, fx.id().as_str(), &review(fx, who, at));
        let changes = device.changes_since(&stored);
        upload(fx, &NOVEMBER, &stored, &changes, who)
    };
    let accepted = publish(&mut fx, "manager", NOW).unwrap();
    let reviews: BTreeMap<String, LocationNoticeReview> = docs::entries(&accepted, docs::LOCATION_NOTICES).unwrap();
    assert_eq!(reviews.len(), 1);

    let err = publish(&mut fx, "inspector", NOW).unwrap_err();
    assert!(err.starts_with("role") && err.contains("004 §5"), "{err}");
    let december = custos_core::time::Timestamp(NOW.0 + 10 * 86_400_000);
    let err = publish(&mut fx, "manager", december).unwrap_err();
    assert!(err.starts_with("wrong_month"), "{err}");
    // A map of its own making is a change of structure, not the extension.
    let mut forged = Device::open(&fx, "manager", &NOVEMBER, Some(&stored));
    automerge::transaction::Transactable::put_object(
        &mut forged.doc,
        automerge::ROOT,
        docs::LOCATION_NOTICES,
        automerge::ObjType::Map,
    )
    .unwrap();
    forged.put(
        docs::LOCATION_NOTICES,
        fx.id().as_str(),
        &review(&mut fx, "manager", NOW),
    );
    let changes = forged.changes_since(&stored);
    let err = upload(&mut fx, &NOVEMBER, &stored, &changes, "manager").unwrap_err();
    assert!(err.starts_with("structure"), "{err}");
}

#[test]
fn only_the_recorder_writes_alarms_into_the_inspection_log() {
    let mut fx = wanhua();
    let alarm = RecorderAlarm {
        subject: None,
        kind: AlarmKind::CameraOutage,
        camera: Some("cam-01".parse().unwrap()),
        raised_at: NOW,
        ended_at: None,
        detail: "大門（一樓）".into(),
    };
    // A device making up an alarm is refused: creating the alarm map is a
    // change of the document's structure.
    let mut tablet = Device::open(&fx, "manager", &NOVEMBER, None);
    custos_core::inspection::put_alarm(&mut tablet.doc, fx.id().as_str(), &alarm).unwrap();
    docs::commit(&mut tablet.doc, "forged alarm", NOW.0);
    let err = upload_new(&mut fx, &NOVEMBER, &mut tablet, "manager").unwrap_err();
    assert!(err.starts_with("structure"), "{err}");

    // Nor can one end (or hide) an alarm the recorder wrote.
    let id = fx.id();
    let mut recorder = docs::open(&NOVEMBER, None, &fx.members["director"].key.device_id()).unwrap();
    custos_core::inspection::put_alarm(&mut recorder, id.as_str(), &alarm).unwrap();
    docs::commit(&mut recorder, "recorder alarm", NOW.0);
    let stored = Automerge::load(&recorder.save()).unwrap();
    assert_eq!(
        custos_core::inspection::alarms(&stored).unwrap().len(),
        1,
        "readers find it"
    );
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, Some(&stored));
    let ended = RecorderAlarm {
        ended_at: Some(NOW),
        ..alarm
    };
    custos_core::inspection::put_alarm(&mut tablet.doc, id.as_str(), &ended).unwrap();
    docs::commit(&mut tablet.doc, "ended by hand", NOW.0);
    let changes = tablet.changes_since(&stored);
    let err = upload(&mut fx, &NOVEMBER, &stored, &changes, "inspector").unwrap_err();
    assert!(err.starts_with("recorder_only"), "{err}");
    // A log without alarms reads as none.
    assert!(
        custos_core::inspection::alarms(&docs::genesis(&NOVEMBER))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_filed_case_and_its_decisions_go_through_the_rules() {
    let mut fx = wanhua();
    let (case, personal) = fx.case(ApplicantKind::Citizen, "manager");
    let key = DocKey::ApplicationCase(case.id.clone());
    let mut tablet = Device::open(&fx, "manager", &key, None);
    tablet.put(docs::CASE, CURRENT, &case);
    let stored = upload_new(&mut fx, &key, &mut tablet, "manager").unwrap();

    // The personal data is taken only bound to its case.
    let err = upload_personal(&mut fx, None, &personal, "manager").unwrap_err();
    assert!(err.starts_with("no_case"), "{err}");
    let mut other = personal.clone();
    other.phone = Some("02-2306-9999".into());
    let err = upload_personal(&mut fx, Some(&case), &other, "manager").unwrap_err();
    assert!(err.starts_with("personal_data_mismatch"), "{err}");
    let mut bad = personal.clone();
    bad.national_id = Some("A123456788".into());
    let mut bad_case = case.clone();
    bad_case.personal_data_digest = bad.digest();
    let err = upload_personal(&mut fx, Some(&bad_case), &bad, "manager").unwrap_err();
    assert!(err.contains("身分證號"), "{err}");
    let mut missing = personal.clone();
    missing.phone = None;
    let mut missing_case = case.clone();
    missing_case.personal_data_digest = missing.digest();
    let err = upload_personal(&mut fx, Some(&missing_case), &missing, "manager").unwrap_err();
    assert!(err.contains("phone"), "the form asks for a phone: {err}");
    upload_personal(&mut fx, Some(&case), &personal, "manager").unwrap();
    let err = upload_personal(&mut fx, Some(&case), &personal, "inspector").unwrap_err();
    assert!(err.starts_with("role"), "{err}");

    // The director approves on the phone; the manager's attempt to approve is refused.
    let none = BTreeMap::new();
    let by_manager = fx.sign("manager", Role::Manager, Decision::Approve, &case, &none);
    let mut tablet = Device::open(&fx, "manager", &key, Some(&stored));
    tablet.put(docs::EVENTS, by_manager.id.as_str(), &by_manager);
    let err = upload(&mut fx, &key, &stored, &tablet.changes_since(&stored), "manager").unwrap_err();
    assert!(err.contains("RoleMayNotDecide"), "{err}");

    let approval = fx.sign("director", Role::Head, Decision::Approve, &case, &none);
    let mut phone = Device::open(&fx, "director", &key, Some(&stored));
    phone.put(docs::EVENTS, approval.id.as_str(), &approval);
    let stored = upload(&mut fx, &key, &stored, &phone.changes_since(&stored), "director").unwrap();

    // The manager's tablet records a viewing of its own, with a good
    // opening: refused, only the recorder records one.
    let events: BTreeMap<String, DecisionEvent> = docs::entries(&stored, docs::EVENTS).unwrap();
    let opening = fx.opening("manager", Role::Manager, &case);
    // Signed on the manager's own tablet, as only the recorder may.
    let own_tablets = |fx: &mut Fixture, decision: Decision| {
        DecisionEvent::sign(
            DecisionDraft {
                id: fx.id(),
                decision,
                role: Role::Manager,
                signer: fx.members["manager"].id.clone(),
                signed_at: NOW,
            },
            &case,
            fx.heads(),
            custos_core::workflow::frontier(events.values()),
            &fx.members["manager"].key,
        )
    };
    let own = own_tablets(
        &mut fx,
        Decision::Viewing {
            session: "s1".into(),
            opening,
        },
    );
    let mut tablet = Device::open(&fx, "manager", &key, Some(&stored));
    tablet.put(docs::EVENTS, own.id.as_str(), &own);
    let err = upload(&mut fx, &key, &stored, &tablet.changes_since(&stored), "manager").unwrap_err();
    assert!(err.starts_with("recorder_only"), "{err}");
    // And were it stored anyway, it would not count.
    let mut with_own = events.clone();
    with_own.insert(own.id.to_string(), own.clone());
    let d = custos_core::workflow::derive_status(&case, &with_own, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&own.id), Some(&IgnoreReason::NotTheRecorders));
    assert_eq!(d.status, Status::Approved);
    // Nor may it record an export (複製) of its own.
    let own_export = own_tablets(
        &mut fx,
        Decision::Export {
            export: "x1".into(),
            manifest_sha256: "ab".repeat(32),
        },
    );
    let mut tablet = Device::open(&fx, "manager", &key, Some(&stored));
    tablet.put(docs::EVENTS, own_export.id.as_str(), &own_export);
    let err = upload(&mut fx, &key, &stored, &tablet.changes_since(&stored), "manager").unwrap_err();
    assert!(err.starts_with("recorder_only"), "{err}");

    // The decision was made: the case can no longer be amended.
    let mut amended = case.clone();
    amended.reason = "改寫事由".into();
    let mut tablet = Device::open(&fx, "manager", &key, Some(&stored));
    tablet.put(docs::CASE, CURRENT, &amended);
    let err = upload(&mut fx, &key, &stored, &tablet.changes_since(&stored), "manager").unwrap_err();
    assert!(err.starts_with("decided"), "{err}");

    // Someone relays the director's change from another device: refused.
    let mut relay: Vec<Change> = phone.changes_since(&Automerge::new());
    let err = upload(&mut fx, &key, &Automerge::new(), &relay.split_off(0), "manager").unwrap_err();
    assert!(err.starts_with("foreign_actor"), "{err}");
    let events: BTreeMap<String, DecisionEvent> = docs::entries(&stored, docs::EVENTS).unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn a_revoked_device_cannot_upload_anything() {
    let mut fx = wanhua();
    fx.revoke("inspector");
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(
        docs::INSPECTION_ENTRIES,
        fx.id().as_str(),
        &entry(&fx, "inspector", true),
    );
    let err = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap_err();
    assert!(err.starts_with("not_active") && err.contains("revoked"), "{err}");
}

#[test]
fn the_site_register_is_written_on_the_recorder_only() {
    let mut fx = Fixture::new(KAOHSIUNG_KINDERGARTEN);
    fx.add("manager", &[Role::Manager, Role::Head], 1);
    let stored = fx.site.document().clone();
    let mut tablet = Device::open(&fx, "manager", &DocKey::Site, Some(&stored));
    tablet.put(
        "people",
        fx.id().as_str(),
        &custos_core::site::Person {
            name: "自封管理員".into(),
            roles: vec![Role::Manager],
            unit: None,
            revoked_at: None,
        },
    );
    let err = upload(
        &mut fx,
        &DocKey::Site,
        &stored,
        &tablet.changes_since(&stored),
        "manager",
    )
    .unwrap_err();
    assert!(err.starts_with("site_readonly"), "{err}");
}

/// The map of one camera's result inside a check, to write into it by hand.
fn camera_check_obj(doc: &AutoCommit, entry: &str, camera: &str) -> automerge::ObjId {
    use automerge::ReadDoc;
    let entries = docs::collection(doc, docs::INSPECTION_ENTRIES).unwrap();
    let (_, entry_obj) = doc.get(&entries, entry).unwrap().unwrap();
    let (_, cameras) = doc.get(&entry_obj, "cameras").unwrap().unwrap();
    doc.get(&cameras, camera).unwrap().unwrap().1
}

#[test]
fn changes_outside_an_entry_or_hidden_in_one_are_refused() {
    use automerge::transaction::Transactable;
    let mut fx = wanhua();
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    let id = fx.id();
    tablet.put(docs::INSPECTION_ENTRIES, id.as_str(), &entry(&fx, "inspector", true));
    let stored = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap();
    let try_edit = |fx: &mut Fixture, new_entry: bool, edit: &dyn Fn(&mut AutoCommit, &str)| {
        let mut device = Device::open(fx, "inspector", &NOVEMBER, Some(&stored));
        let target = if new_entry {
            let new_id = fx.id();
            device.put(docs::INSPECTION_ENTRIES, new_id.as_str(), &entry(fx, "inspector", true));
            new_id.to_string()
        } else {
            id.to_string()
        };
        edit(&mut device.doc, &target);
        docs::commit(&mut device.doc, "by hand", NOW.0);
        upload(fx, &NOVEMBER, &stored, &device.changes_since(&stored), "inspector").unwrap_err()
    };

    // A new key at the document's root.
    let err = try_edit(&mut fx, false, &|doc, _| {
        doc.put(automerge::ROOT, "shadow", "x").unwrap()
    });
    assert!(err.starts_with("structure"), "{err}");
    // One field deep inside a recorded check: its camera's result flipped.
    let err = try_edit(&mut fx, false, &|doc, e| {
        let cam = camera_check_obj(doc, e, "cam-01");
        doc.put(&cam, "running", false).unwrap()
    });
    assert!(err.starts_with("immutable") && err.contains(id.as_str()), "{err}");
    // A new check whose camera result is text where a yes/no belongs.
    let err = try_edit(&mut fx, true, &|doc, e| {
        let cam = camera_check_obj(doc, e, "cam-02");
        doc.put(&cam, "storage_ok", "yes").unwrap()
    });
    assert!(
        err.starts_with("malformed_entry") && err.contains("storage_ok"),
        "{err}"
    );
    // And one whose result lacks a field.
    let err = try_edit(&mut fx, true, &|doc, e| {
        let cam = camera_check_obj(doc, e, "cam-01");
        doc.delete(&cam, "time_correct").unwrap()
    });
    assert!(
        err.starts_with("malformed_entry") && err.contains("time_correct"),
        "{err}"
    );
}

#[test]
fn a_fault_found_and_fixed_offline_arrives_opened_and_closed() {
    let mut fx = wanhua();
    let (entry_id, repair_id) = (fx.id(), fx.id());
    let e = entry(&fx, "inspector", false);
    let (_, repair) = e.repairs_to_open(&entry_id, [repair_id.clone()]).pop().unwrap();
    let inspector = fx.members["inspector"].id.clone();
    let fixed = |by: &custos_core::ids::PersonId, note: &str| Repair {
        closed: Some(RepairClosure {
            closed_by: by.clone(),
            closed_at: NOW,
            note: note.into(),
            photos: vec![],
        }),
        ..repair.clone()
    };
    let attempt = |fx: &mut Fixture, r: &Repair| {
        let mut tablet = Device::open(fx, "inspector", &NOVEMBER, None);
        tablet
            .put(docs::INSPECTION_ENTRIES, entry_id.as_str(), &e)
            .put(docs::REPAIRS, repair_id.as_str(), &repair)
            .put(docs::REPAIRS, repair_id.as_str(), r);
        upload_new(fx, &NOVEMBER, &mut tablet, "inspector")
    };
    let err = attempt(&mut fx, &fixed(&inspector, " ")).unwrap_err();
    assert!(err.starts_with("repair_update") && err.contains("note"), "{err}");
    let manager = fx.members["manager"].id.clone();
    let err = attempt(&mut fx, &fixed(&manager, "擦拭鏡頭")).unwrap_err();
    assert!(err.starts_with("author"), "closed in someone else's name: {err}");
    let stored = attempt(&mut fx, &fixed(&inspector, "擦拭鏡頭")).unwrap();
    let kept: Option<Repair> = docs::get_entry(&stored, docs::REPAIRS, repair_id.as_str()).unwrap();
    assert_eq!(kept.unwrap().closed.unwrap().note, "擦拭鏡頭");
}

#[test]
fn a_reply_letter_is_taken_once_the_agencys_case_is_decided_and_its_scan_is_referenced() {
    let mut fx = wanhua();
    let (case, _) = fx.case(ApplicantKind::PublicAgency, "manager");
    let key = DocKey::ApplicationCase(case.id.clone());
    let mut tablet = Device::open(&fx, "manager", &key, None);
    tablet.put(docs::CASE, CURRENT, &case);
    let stored = upload_new(&mut fx, &key, &mut tablet, "manager").unwrap();
    let scan = "cd".repeat(32);
    let reply = Decision::Reply {
        letter: custos_core::application::ReplyLetter {
            number: "北市萬戶字第1150001號".into(),
            date: "2026-11-24".into(),
            blob: Some(scan.clone()),
        },
    };

    let none = BTreeMap::new();
    let early = fx.sign("manager", Role::Manager, reply.clone(), &case, &none);
    let mut tablet = Device::open(&fx, "manager", &key, Some(&stored));
    tablet.put(docs::EVENTS, early.id.as_str(), &early);
    let err = upload(&mut fx, &key, &stored, &tablet.changes_since(&stored), "manager").unwrap_err();
    assert!(err.contains("ReplyWithoutDecision"), "{err}");

    let approval = fx.sign("director", Role::Head, Decision::Approve, &case, &none);
    let mut phone = Device::open(&fx, "director", &key, Some(&stored));
    phone.put(docs::EVENTS, approval.id.as_str(), &approval);
    let stored = upload(&mut fx, &key, &stored, &phone.changes_since(&stored), "director").unwrap();
    assert!(custos_core::application::blobs(&stored).unwrap().is_empty());

    let seen: BTreeMap<String, DecisionEvent> = docs::entries(&stored, docs::EVENTS).unwrap();
    let answer = fx.sign("manager", Role::Manager, reply, &case, &seen);
    let mut tablet = Device::open(&fx, "manager", &key, Some(&stored));
    tablet.put(docs::EVENTS, answer.id.as_str(), &answer);
    let stored = upload(&mut fx, &key, &stored, &tablet.changes_since(&stored), "manager").unwrap();
    assert_eq!(
        custos_core::application::blobs(&stored).unwrap(),
        [scan].into_iter().collect(),
        "the reply's scan may be fetched by whoever reads the case"
    );
}

#[test]
fn a_document_is_created_only_whole_with_a_first_entry() {
    let mut fx = wanhua();
    let new = Automerge::new();
    // Nothing at all, or the genesis alone: no document comes of it.
    let err = upload(&mut fx, &DocKey::Holds, &new, &[], "inspector").unwrap_err();
    assert!(err.starts_with("no_genesis"), "{err}");
    let genesis: Vec<Change> = docs::genesis(&NOVEMBER).get_changes(&[]).into_iter().collect();
    let err = upload(&mut fx, &NOVEMBER, &new, &genesis, "inspector").unwrap_err();
    assert!(err.starts_with("empty_document"), "{err}");
    // With its first entry, it is.
    let mut tablet = Device::open(&fx, "inspector", &NOVEMBER, None);
    tablet.put(
        docs::INSPECTION_ENTRIES,
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        &entry(&fx, "inspector", true),
    );
    let stored = upload_new(&mut fx, &NOVEMBER, &mut tablet, "inspector").unwrap();
    // An empty push to a document that exists changes nothing.
    let again = upload(&mut fx, &NOVEMBER, &stored, &[], "inspector").unwrap();
    assert_eq!(again.get_heads(), stored.get_heads());
}

#[test]
fn a_decision_naming_more_decisions_seen_than_a_case_may_hold_is_refused() {
    let mut fx = wanhua();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let key = DocKey::ApplicationCase(case.id.clone());
    let mut tablet = Device::open(&fx, "manager", &key, None);
    tablet.put(docs::CASE, CURRENT, &case);
    let stored = upload_new(&mut fx, &key, &mut tablet, "manager").unwrap();
    let mut seen = BTreeMap::new();
    for i in 0..=custos_core::workflow::MAX_SEEN as u64 {
        let mut e = fx.sign("director", Role::Head, Decision::Approve, &case, &BTreeMap::new());
        e.id = EntryId::from_parts(i + 1, i.into());
        seen.insert(e.id.to_string(), e);
    }
    let flood = fx.sign("director", Role::Head, Decision::Approve, &case, &seen);
    let mut phone = Device::open(&fx, "director", &key, Some(&stored));
    phone.put(docs::EVENTS, flood.id.as_str(), &flood);
    let err = upload(&mut fx, &key, &stored, &phone.changes_since(&stored), "director").unwrap_err();
    assert!(err.starts_with("too_many_events"), "{err}");
}
