//! 通知 on the simulated clock, against the real binary: each notice raised
//! by the recorder into the register it concerns, with its audit row, and
//! cleared on record when its cause is. A major case (002 §10) as it
//! arrives; the decision deadline passed; a daily check missed (004 §6); a
//! check awaiting its 核章; the public notice of camera locations outdated or
//! unchecked (004 §5(3)).

mod common;

use std::collections::BTreeMap;

use automerge::AutoCommit;
use common::phone::*;
use common::*;
use custos_core::application::Decision;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::EntryId;
use custos_core::inspection::{AlarmKind, CameraCheck, InspectionEntry, RecorderAlarm, alarms};
use custos_core::location_notice::{LocationNoticeReview, ReviewKind, list_digest, public_locations};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::terms::ApplicantKind;
use custos_core::time::{DAY_MS, MINUTE_MS, Timestamp};

/// Tuesday 2026-11-24, 10:00 Taipei.
const TUESDAY_10AM: Timestamp = Timestamp(1_795_485_600_000);
const CAMERAS: &[(&str, &str, bool)] = &[("cam-01", "rtsp://127.0.0.1:9/none", false)];

/// The notices of `kind` in a document as `phone` receives it.
async fn notices(r: &Recorder, phone: &Phone, key: &DocKey, kind: AlarmKind) -> Vec<RecorderAlarm> {
    let mut doc = AutoCommit::new();
    assert_eq!(pull(r, phone, &key.to_string(), &mut doc).await, 200, "{key}");
    alarms(&doc).unwrap().into_values().filter(|a| a.kind == kind).collect()
}

#[tokio::test]
async fn a_major_case_is_told_to_the_ethics_office_as_it_arrives_and_cleared_when_decided() {
    let people: &[(&str, &[&str])] = &[
        ("林專責", &["manager"]),
        ("吳首長", &["head"]),
        ("鄭政風", &["auditor"]),
    ];
    let r = Recorder::start_simulated("dahu-office", people, CAMERAS, &["--no-recording"], TUESDAY_10AM);
    let manager = sign_in(&r, "林專責", 1).await;
    let (_, site) = site_of(&r, &manager).await;
    let (case, personal) = filed(&site, ApplicantKind::Citizen, "林專責", r.now(), true);
    file(&r, &manager, &case, &personal, r.now()).await;

    // In the case's own document at once, for the ethics office to read.
    let auditor = sign_in(&r, "鄭政風", 3).await;
    let key = DocKey::ApplicationCase(case.id.clone());
    let told = notices(&r, &auditor, &key, AlarmKind::MajorCase).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].ended_at.is_none() && told[0].detail.contains("政風"),
        "{told:?}"
    );
    assert!(audit_kinds(&r).contains(&"major_case_notice".to_string()));
    // Raised once: the next sweep leaves it as it is.
    r.advance(11 * MINUTE_MS).await;
    assert_eq!(notices(&r, &auditor, &key, AlarmKind::MajorCase).await.len(), 1);

    // Decided: cleared, on record.
    let head = sign_in(&r, "吳首長", 2).await;
    let reject = Decision::Reject {
        reason: "非屬得調閱之事由".into(),
    };
    decide(&r, &head, "吳首長", Role::Head, reject, &case, r.now()).await;
    let cleared = notices(&r, &auditor, &key, AlarmKind::MajorCase).await;
    assert_eq!(cleared.len(), 1);
    assert!(cleared[0].ended_at.is_some(), "{cleared:?}");
    assert!(audit_kinds(&r).contains(&"major_case_notice_cleared".to_string()));
}

#[tokio::test]
async fn a_case_past_its_decision_deadline_is_raised_and_cleared_when_withdrawn() {
    let people: &[(&str, &[&str])] = &[("林專責", &["manager"]), ("陳園長", &["head"])];
    let r = Recorder::start_simulated(
        "kaohsiung-kindergarten",
        people,
        CAMERAS,
        &["--no-recording"],
        TUESDAY_10AM,
    );
    let mut manager = sign_in(&r, "林專責", 1).await;
    let (_, site) = site_of(&r, &manager).await;
    let (case, personal) = filed(&site, ApplicantKind::GuardianOrStudent, "林專責", r.now(), false);
    file(&r, &manager, &case, &personal, r.now()).await;
    let key = DocKey::ApplicationCase(case.id.clone());
    assert!(
        notices(&r, &manager, &key, AlarmKind::MajorCase).await.is_empty(),
        "a case not flagged tells no one"
    );
    // 29 days and a sweep: not yet; 30 days: the deadline (the profile's) has passed.
    advance(&r, 29 * DAY_MS, &mut [&mut manager]).await;
    assert!(notices(&r, &manager, &key, AlarmKind::DecisionOverdue).await.is_empty());
    advance(&r, DAY_MS, &mut [&mut manager]).await;
    let overdue = notices(&r, &manager, &key, AlarmKind::DecisionOverdue).await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert!(overdue[0].detail.contains("30"), "{overdue:?}");
    assert!(audit_kinds(&r).contains(&"decision_overdue_notice".to_string()));

    let withdraw = Decision::Withdraw {
        reason: "家長撤回申請".into(),
    };
    decide(&r, &manager, "林專責", Role::Manager, withdraw, &case, r.now()).await;
    let cleared = notices(&r, &manager, &key, AlarmKind::DecisionOverdue).await;
    assert!(
        cleared.iter().all(|a| a.ended_at.is_some()) && cleared.len() == 1,
        "{cleared:?}"
    );
    assert!(audit_kinds(&r).contains(&"decision_overdue_notice_cleared".to_string()));
}

/// 萬華 (004 §6): a daily check, each countersigned (核章) by the supervisor.
#[tokio::test]
async fn a_missed_daily_check_and_a_check_awaiting_its_countersignature_are_raised_in_the_log_and_cleared() {
    let people: &[(&str, &[&str])] = &[("黃巡檢", &["inspector"]), ("張主管", &["supervisor"])];
    let r = Recorder::start_simulated("wanhua-household", people, CAMERAS, &["--no-recording"], TUESDAY_10AM);
    let mut inspector = sign_in(&r, "黃巡檢", 1).await;
    let mut supervisor = sign_in(&r, "張主管", 2).await;
    let (site_doc, site) = site_of(&r, &inspector).await;
    let month = DocKey::Inspections { year: 2026, month: 11 };
    let mut log = docs::open(&month, None, &inspector.device.id).unwrap();
    let check = |at: Timestamp| InspectionEntry {
        checked_at: at,
        inspector: person_id(&site, "黃巡檢"),
        host_ok: true,
        cameras: [("cam-01".to_string(), CameraCheck::all_clear(false))].into(),
        maintenance: String::new(),
        handling: String::new(),
        remarks: String::new(),
        photos: vec![],
    };
    let record = |log: &mut AutoCommit, at: Timestamp, n: u128| {
        let id = EntryId::from_parts(at.0 as u64, n);
        docs::put_entry(log, docs::INSPECTION_ENTRIES, id.as_str(), &check(at)).unwrap();
        docs::commit(log, "check", at.0);
        id
    };
    let tuesday = record(&mut log, r.now(), 1);
    let res = push(&r, &inspector, &month.to_string(), &new_changes(&mut log, &[])).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    async fn open(r: &Recorder, phone: &Phone, month: &DocKey, kind: AlarmKind) -> Vec<RecorderAlarm> {
        let all = notices(r, phone, month, kind).await;
        all.into_iter().filter(|a| a.ended_at.is_none()).collect()
    }
    assert!(
        open(&r, &inspector, &month, AlarmKind::AwaitingCountersign)
            .await
            .is_empty(),
        "checked just now"
    );
    assert!(open(&r, &inspector, &month, AlarmKind::CheckOverdue).await.is_empty());

    // Wednesday 11:00: Tuesday's check waits for its 核章; Wednesday's check is not missed yet.
    advance(&r, 25 * 60 * MINUTE_MS, &mut [&mut inspector, &mut supervisor]).await;
    let waiting = open(&r, &inspector, &month, AlarmKind::AwaitingCountersign).await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].subject.as_deref(), Some(tuesday.as_str()));
    assert!(
        open(&r, &inspector, &month, AlarmKind::CheckOverdue).await.is_empty(),
        "the day is not over"
    );

    // The supervisor countersigns: cleared at once.
    assert_eq!(pull(&r, &supervisor, &month.to_string(), &mut log).await, 200);
    let before = log.get_heads();
    let seal = Seal::sign(
        EntryId::from_parts(r.now().0 as u64, 5),
        SealPurpose::Countersign,
        tuesday.clone(),
        check(TUESDAY_10AM).content_hash(),
        Role::Supervisor,
        person_id(&site, "張主管"),
        custos_core::history::heads_to_hex(&site_doc.clone().get_heads()),
        r.now(),
        String::new(),
        &supervisor.device.key,
    );
    let mut signed = docs::open(&month, Some(&log.save()), &supervisor.device.id).unwrap();
    docs::put_entry(&mut signed, docs::SEALS, seal.id.as_str(), &seal).unwrap();
    docs::commit(&mut signed, "核章", r.now().0);
    let res = push(&r, &supervisor, &month.to_string(), &new_changes(&mut signed, &before)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert!(
        open(&r, &inspector, &month, AlarmKind::AwaitingCountersign)
            .await
            .is_empty(),
        "countersigned"
    );
    assert!(audit_kinds(&r).contains(&"awaiting_countersign_notice_cleared".to_string()));

    // Thursday 11:00: Wednesday passed without a check: on record, from Wednesday.
    advance(&r, DAY_MS, &mut [&mut inspector]).await;
    let missed = open(&r, &inspector, &month, AlarmKind::CheckOverdue).await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0].subject.as_deref(), Some("2026-11-25"));
    assert!(audit_kinds(&r).contains(&"check_overdue_notice".to_string()));

    // Thursday's check clears it; the record of the missed day stays.
    let mut log = docs::open(&month, None, &inspector.device.id).unwrap();
    assert_eq!(pull(&r, &inspector, &month.to_string(), &mut log).await, 200);
    let before = log.get_heads();
    record(&mut log, r.now(), 2);
    let res = push(&r, &inspector, &month.to_string(), &new_changes(&mut log, &before)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert!(open(&r, &inspector, &month, AlarmKind::CheckOverdue).await.is_empty());
    let all: Vec<RecorderAlarm> = notices(&r, &inspector, &month, AlarmKind::CheckOverdue).await;
    assert_eq!(all.len(), 1);
    assert!(all[0].ended_at.is_some());
    let kinds: BTreeMap<String, usize> = audit_kinds(&r).into_iter().fold(BTreeMap::new(), |mut m, k| {
        *m.entry(k).or_default() += 1;
        m
    });
    assert_eq!(kinds.get("check_overdue_notice_cleared"), Some(&1), "{kinds:?}");
}

/// The manager's phone records a publication or a check of the public list
/// of camera locations, as its screen showed the list, in this month's log.
async fn review_notice(r: &Recorder, phone: &Phone, who: &str, kind: ReviewKind, matches: bool) -> reqwest::Response {
    let (_, site) = site_of(r, phone).await;
    let today = r.now().taipei_date();
    let month = DocKey::Inspections {
        year: today.year,
        month: today.month,
    };
    let mut log = docs::open(&month, None, &phone.device.id).unwrap();
    let pulled = pull(r, phone, &month.to_string(), &mut log).await;
    assert!(pulled == 200 || pulled == 404, "{pulled}: a log or none yet");
    let before = if pulled == 200 { log.get_heads() } else { vec![] };
    docs::extend(&mut log, &month).unwrap();
    let review = LocationNoticeReview {
        kind,
        reviewed_at: r.now(),
        reviewer: person_id(&site, who),
        list_digest: list_digest(&public_locations(&site)),
        matches,
        note: if matches {
            String::new()
        } else {
            "網站少列一處".into()
        },
    };
    static REVIEWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = REVIEWS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let id = EntryId::from_parts(r.now().0 as u64, u128::from(n));
    docs::put_entry(&mut log, docs::LOCATION_NOTICES, id.as_str(), &review).unwrap();
    docs::commit(&mut log, "公告", r.now().0);
    push(r, phone, &month.to_string(), &new_changes(&mut log, &before)).await
}

#[tokio::test]
async fn the_public_notice_of_camera_locations_is_raised_when_it_is_outdated_or_unchecked_and_cleared_by_the_manager() {
    let people: &[(&str, &[&str])] = &[("林管理", &["manager"]), ("黃巡檢", &["inspector"])];
    let r = Recorder::start_simulated("wanhua-household", people, CAMERAS, &["--no-recording"], TUESDAY_10AM);
    let mut manager = sign_in(&r, "林管理", 1).await;
    let mut inspector = sign_in(&r, "黃巡檢", 2).await;
    async fn open(r: &Recorder, phone: &Phone, kind: AlarmKind) -> Vec<RecorderAlarm> {
        let all = notices(r, phone, &DocKey::Site, kind).await;
        all.into_iter().filter(|a| a.ended_at.is_none()).collect()
    }

    // A camera was added and its place was never published: raised at once,
    // in the site register every device reads.
    let outdated = open(&r, &inspector, AlarmKind::LocationNoticeOutdated).await;
    assert_eq!(outdated.len(), 1, "{outdated:?}");
    assert!(audit_kinds(&r).contains(&"location_notice_outdated_notice".to_string()));

    // The inspector may not record the notice; the manager publishes it.
    let res = review_notice(&r, &inspector, "黃巡檢", ReviewKind::Published, true).await;
    assert_eq!(res.status(), 422);
    let refusal: serde_json::Value = res.json().await.unwrap();
    assert_eq!(refusal["refusal"]["rule"], "role", "{refusal}");
    let res = review_notice(&r, &manager, "林管理", ReviewKind::Published, true).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert!(open(&r, &manager, AlarmKind::LocationNoticeOutdated).await.is_empty());

    // The camera moves on the console: "update the public notice" at once.
    let data = r.data_str();
    let out = ok(r.console(&[
        "camera",
        "edit",
        "--data",
        &data,
        "--id",
        "cam-01",
        "--location",
        "一樓側門",
    ]));
    assert!(out.contains("update the public list"), "{out}");
    let moved = open(&r, &manager, AlarmKind::LocationNoticeOutdated).await;
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_ne!(moved[0].subject, outdated[0].subject, "a notice of the new list");
    let html = ok(r.console(&["camera", "notice", "--data", &data]));
    assert!(html.contains("一樓側門") && !html.contains("3140101"), "{html}");
    let res = review_notice(&r, &manager, "林管理", ReviewKind::Published, true).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert!(open(&r, &manager, AlarmKind::LocationNoticeOutdated).await.is_empty());

    // Not checked for the profile's period (90 days): raised on the sweep.
    advance(&r, 89 * DAY_MS, &mut [&mut manager, &mut inspector]).await;
    assert!(open(&r, &manager, AlarmKind::LocationNoticeUnchecked).await.is_empty());
    advance(&r, DAY_MS, &mut [&mut manager, &mut inspector]).await;
    let unchecked = open(&r, &manager, AlarmKind::LocationNoticeUnchecked).await;
    assert_eq!(unchecked.len(), 1, "{unchecked:?}");
    assert!(audit_kinds(&r).contains(&"location_notice_unchecked_notice".to_string()));

    // A check that finds the website as the register clears it, on record.
    let res = review_notice(&r, &manager, "林管理", ReviewKind::Checked, true).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert!(open(&r, &manager, AlarmKind::LocationNoticeUnchecked).await.is_empty());
    let all = notices(&r, &manager, &DocKey::Site, AlarmKind::LocationNoticeUnchecked).await;
    assert!(all.len() == 1 && all[0].ended_at.is_some(), "{all:?}");
    assert!(audit_kinds(&r).contains(&"location_notice_unchecked_notice_cleared".to_string()));
    // One that finds it differs raises "update" again.
    let res = review_notice(&r, &manager, "林管理", ReviewKind::Checked, false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(open(&r, &manager, AlarmKind::LocationNoticeOutdated).await.len(), 1);
    // The site register still reads whole on every device.
    let (_, site) = site_of(&r, &inspector).await;
    assert_eq!(site.cameras["cam-01"].location, "一樓側門");
}
