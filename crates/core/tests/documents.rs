//! Every register type survives a trip through its automerge document,
//! optional fields included, and reads back exactly as written.

mod common;

use std::fmt::Debug;

use common::*;
use custos_core::application::Attachment;
use custos_core::application::Decision;
use custos_core::documents::{self as docs, DocKey};
use custos_core::holds::{DestructionReason, DestructionRecord, Hold, HoldBasis};
use custos_core::inspection::{CameraCheck, FaultKind, InspectionEntry, Repair, RepairClosure};
use custos_core::logbook::{LogbookEntry, SessionEnd};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::seeds::KAOHSIUNG_KINDERGARTEN;
use custos_core::terms::ApplicantKind;
use custos_core::terms::AttachmentKind;

fn round_trip<T>(key: &DocKey, collection: &str, value: &T)
where
    T: autosurgeon::Reconcile + autosurgeon::Hydrate + PartialEq + Debug,
{
    let device = custos_core::signing::DeviceKey::from_seed(&[9; 32]).device_id();
    let mut doc = docs::open(key, None, &device).unwrap();
    docs::put_entry(&mut doc, collection, "x", value).unwrap();
    docs::commit(&mut doc, "write", NOW.0);
    let reloaded = automerge::AutoCommit::load(&doc.save()).unwrap();
    let back: Option<T> = docs::get_entry(&reloaded, collection, "x").unwrap();
    assert_eq!(back.as_ref(), Some(value));
    let missing: Option<T> = docs::get_entry(&reloaded, collection, "y").unwrap();
    assert!(missing.is_none());
}

#[test]
fn every_register_type_round_trips() {
    let mut fx = Fixture::new(KAOHSIUNG_KINDERGARTEN);
    let manager = fx.add("manager", &[Role::Manager], 1);
    fx.add("principal", &[Role::Head], 2);
    fx.revoke("principal");
    let site = fx.history().current().unwrap();
    assert_eq!(site.people.len(), 2);
    assert!(site.people.values().any(|p| p.revoked_at == Some(NOW)));
    assert_eq!(site.profile().unwrap(), fx.profile);

    let (mut case, personal) = fx.case(ApplicantKind::Staff, "manager");
    case.attachments = vec![
        Attachment {
            kind: AttachmentKind::OfficialLetter,
            reference: "高市教字第1號".into(),
            blob: Some("ab".repeat(32)),
        },
        Attachment {
            kind: AttachmentKind::Other,
            reference: "照片".into(),
            blob: None,
        },
    ];
    let id = case.id.clone();
    round_trip(&DocKey::ApplicationCase(id.clone()), docs::CASE, &case);
    let mut personal = personal;
    personal.address = Some("高雄市苓雅區四維三路2號".into());
    round_trip(&DocKey::ApplicationPersonal(id.clone()), docs::PERSONAL, &personal);

    let events = std::collections::BTreeMap::new();
    for decision in [
        Decision::Approve,
        reject("理由"),
        vote(true),
        vote(false),
        Decision::Withdraw {
            reason: "撤回".into()
        },
        viewing("session-1"),
    ] {
        let e = fx.sign("manager", Role::Manager, decision, &case, &events);
        round_trip(&DocKey::ApplicationCase(id.clone()), docs::EVENTS, &e);
    }

    let month = DocKey::Inspections { year: 2026, month: 11 };
    let entry = InspectionEntry {
        checked_at: NOW,
        inspector: manager.clone(),
        host_ok: false,
        cameras: [
            (
                "cam-01".into(),
                CameraCheck {
                    running: true,
                    picture_clear: false,
                    audio_ok: Some(false),
                    storage_ok: true,
                    time_correct: false,
                    note: "偏移3分".into(),
                },
            ),
            (
                "cam-02".into(),
                CameraCheck {
                    running: false,
                    picture_clear: true,
                    audio_ok: None,
                    storage_ok: false,
                    time_correct: true,
                    note: String::new(),
                },
            ),
        ]
        .into(),
        maintenance: "清潔鏡頭".into(),
        handling: "報修".into(),
        remarks: String::new(),
        photos: vec!["cd".repeat(32)],
    };
    round_trip(&month, docs::INSPECTION_ENTRIES, &entry);
    assert_eq!(entry.faults().len(), 6);
    let summary = entry.summary();
    assert!(!summary.all_normal && summary.picture && summary.audio && summary.storage);
    let repair = Repair {
        found_in: fx.id(),
        camera: Some("cam-01".parse().unwrap()),
        fault: FaultKind::Picture,
        description: "畫面模糊".into(),
        opened_by: manager.clone(),
        opened_at: NOW,
        closed: Some(RepairClosure {
            closed_by: manager.clone(),
            closed_at: NOW.plus_days(1),
            note: "更換".into(),
            photos: vec![],
        }),
    };
    round_trip(&month, docs::REPAIRS, &repair);
    let seal = Seal::sign(
        fx.id(),
        SealPurpose::Countersign,
        fx.id(),
        entry.content_hash(),
        Role::Supervisor,
        manager.clone(),
        fx.heads(),
        NOW,
        "核章".into(),
        &fx.members["manager"].key,
    );
    round_trip(&month, docs::SEALS, &seal);

    let logbook = DocKey::Logbook { year: 2026 };
    let log = LogbookEntry {
        application: id.clone(),
        session: "01JSESSION".into(),
        opened_at: NOW,
        closed_at: Some(NOW.plus_days(0)),
        applicant_name: "王小明".into(),
        unit: "大班".into(),
        cameras: case.cameras.clone(),
        window: case.window,
        reason_summary: "疑似不當對待".into(),
        escort: manager.clone(),
        handling: case.kinds.clone(),
        served: vec![custos_core::logbook::served_camera(
            case.cameras[0].clone(),
            [(NOW.0, 12), (NOW.0 + 1_000, 3)],
        )],
        ended_by: Some(SessionEnd::Interrupted),
        after_viewing: Some("no copy kept".into()),
    };
    round_trip(&logbook, docs::LOGBOOK_ENTRIES, &log);

    let hold = Hold {
        placed_by: Some(manager),
        basis: HoldBasis::OfficialLetter,
        ..Hold::for_filed_application(&case, &fx.profile, NOW)
    };
    round_trip(&DocKey::Holds, docs::HOLDS, &hold);
    let destroyed = DestructionRecord {
        camera: "cam-02".parse().unwrap(),
        start: NOW.minus_days(400),
        end: NOW.minus_days(399),
        bytes: 7_500_000,
        destroyed_at: NOW,
        reason: DestructionReason::PastCeiling,
    };
    round_trip(&DocKey::Holds, docs::DESTRUCTIONS, &destroyed);
}
