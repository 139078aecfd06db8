//! Every hold ends (#12 item 6), on the simulated clock against the real
//! binary: an application left in review lets its footage go at the
//! ceiling once its decision deadline passes, an approved one never viewed
//! once its viewing deadline passes, each with its destruction record; the
//! head is told a week before, and a renewal by the head with a legal basis
//! keeps the footage, while one by anyone else, or without a basis, is refused.

mod common;

use std::collections::BTreeMap;

use automerge::AutoCommit;
use common::phone::*;
use common::*;
use custos_core::application::Decision;
use custos_core::documents::{self as docs, DocKey};
use custos_core::holds::{DestructionRecord, Hold};
use custos_core::ids::EntryId;
use custos_core::inspection::{AlarmKind, alarms};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::terms::ApplicantKind;
use custos_core::time::{DAY_MS, MINUTE_MS, MinuteWindow, Timestamp};

/// Tuesday 2026-11-24, 10:00 Taipei.
const TUESDAY_10AM: Timestamp = Timestamp(1_795_485_600_000);
const CAMERAS: &[(&str, &str, bool)] = &[("cam-01", "rtsp://127.0.0.1:9/none", false)];

/// The holds document as `phone` receives it.
async fn holds_doc(r: &Recorder, phone: &Phone) -> AutoCommit {
    let mut doc = docs::open(&DocKey::Holds, None, &phone.device.id).unwrap();
    assert_eq!(pull(r, phone, "holds", &mut doc).await, 200);
    doc
}

/// The footage minutes of cam-01 still indexed, by their start.
fn minutes_left(r: &Recorder) -> Vec<i64> {
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    store
        .segments(None)
        .unwrap()
        .into_iter()
        .map(|s| s.real_start_ms)
        .collect()
}

/// The head's (or anyone's) renewal of `hold_id` with `basis`, pushed from `phone`.
async fn renew(r: &Recorder, phone: &Phone, who: &str, role: Role, hold_id: &str, basis: &str) -> reqwest::Response {
    let (site_doc, site) = site_of(r, phone).await;
    let mut doc = holds_doc(r, phone).await;
    let before = doc.get_heads();
    let holds: BTreeMap<String, Hold> = docs::entries(&doc, docs::HOLDS).unwrap();
    docs::extend(&mut doc, &DocKey::Holds).unwrap();
    let seal = Seal::sign(
        EntryId::from_parts(r.now().0 as u64, u128::from(phone.device.id.as_str().len() as u64) + 7),
        SealPurpose::RenewHold,
        hold_id.parse().unwrap(),
        holds[hold_id].content_hash(),
        role,
        person_id(&site, who),
        custos_core::history::heads_to_hex(&site_doc.clone().get_heads()),
        r.now(),
        basis.into(),
        &phone.device.key,
    );
    docs::put_entry(&mut doc, docs::RENEWALS, seal.id.as_str(), &seal).unwrap();
    docs::commit(&mut doc, "renewed", r.now().0);
    push(r, phone, "holds", &new_changes(&mut doc, &before)).await
}

#[tokio::test]
async fn holds_lapse_at_their_deadlines_and_only_the_heads_renewal_with_a_legal_basis_keeps_footage() {
    let people: &[(&str, &[&str])] = &[("林專責", &["manager"]), ("吳首長", &["head"])];
    let mut r = Recorder::start_simulated("dahu-office", people, CAMERAS, &["--no-recording"], TUESDAY_10AM);
    // Three minutes of footage 340 days old: past the ceiling in 25 days.
    let minute = |n: i64| (TUESDAY_10AM.0 - 340 * DAY_MS) / MINUTE_MS * MINUTE_MS + n * 10 * MINUTE_MS;
    let (a, b, c) = (minute(0), minute(1), minute(2));
    r.kill_serving();
    put_footage(&r.data(), &[("cam-01", a), ("cam-01", b), ("cam-01", c)]);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    assert_eq!(minutes_left(&r), [a, b, c]);

    let mut manager = sign_in(&r, "林專責", 1).await;
    let mut head = sign_in(&r, "吳首長", 2).await;
    let (_, site) = site_of(&r, &manager).await;
    let mut cases = Vec::new();
    for (n, start) in [a, b, c].into_iter().enumerate() {
        let (mut case, personal) = filed(&site, ApplicantKind::Citizen, "林專責", r.now(), false);
        case.id = EntryId::from_parts(r.now().0 as u64, 100 + n as u128);
        case.window = MinuteWindow::new(Timestamp(start), Timestamp(start + MINUTE_MS)).unwrap();
        file(&r, &manager, &case, &personal, r.now()).await;
        cases.push(case);
    }
    // A stays in review; the head approves B and C.
    for case in &cases[1..] {
        decide(&r, &head, "吳首長", Role::Head, Decision::Approve, case, r.now()).await;
    }
    let holds: BTreeMap<String, Hold> = docs::entries(&holds_doc(&r, &head).await, docs::HOLDS).unwrap();
    let hold_of = |case: &custos_core::application::ApplicationCase| {
        holds
            .iter()
            .find(|(_, h)| h.application.as_ref() == Some(&case.id))
            .map(|(id, _)| id.clone())
            .expect("filing held the window")
    };
    let (hold_b, hold_c) = (hold_of(&cases[1]), hold_of(&cases[2]));

    // Day 29: past the ceiling, but held. Day 31: A's decision deadline
    // (30 days) has passed: its footage goes, on record.
    advance(&r, 29 * DAY_MS, &mut [&mut manager, &mut head]).await;
    assert_eq!(minutes_left(&r), [a, b, c], "held past the ceiling");
    advance(&r, 2 * DAY_MS, &mut [&mut manager, &mut head]).await;
    assert_eq!(minutes_left(&r), [b, c], "A's hold lapsed with its deadline");

    // Day 54: B's and C's holds (approved: 30 more days for the viewing)
    // lapse within a week: the head is told, in the holds document.
    advance(&r, 23 * DAY_MS, &mut [&mut manager, &mut head]).await;
    let doc = holds_doc(&r, &head).await;
    let lapsing: Vec<String> = alarms(&doc)
        .unwrap()
        .into_values()
        .filter(|n| n.kind == AlarmKind::HoldLapsing && n.ended_at.is_none())
        .filter_map(|n| n.subject)
        .collect();
    assert_eq!(lapsing.len(), 2, "{lapsing:?}");
    assert!(lapsing.contains(&hold_b) && lapsing.contains(&hold_c));
    assert!(audit_kinds(&r).contains(&"hold_lapsing_notice".to_string()));

    // The manager may not renew; the head must state a legal basis.
    let res = renew(&r, &manager, "林專責", Role::Manager, &hold_c, "刑事訴訟法第133條").await;
    assert_eq!(res.status(), 422);
    let refusal: serde_json::Value = res.json().await.unwrap();
    assert_eq!(refusal["refusal"]["rule"], "seal", "{refusal}");
    let res = renew(&r, &head, "吳首長", Role::Head, &hold_c, "").await;
    assert_eq!(res.status(), 422);
    let refusal: serde_json::Value = res.json().await.unwrap();
    assert_eq!(refusal["refusal"]["rule"], "legal_basis", "{refusal}");
    let res = renew(&r, &head, "吳首長", Role::Head, &hold_c, "偵查中，依刑事訴訟法第133條").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let doc = holds_doc(&r, &head).await;
    let open: Vec<String> = alarms(&doc)
        .unwrap()
        .into_values()
        .filter(|n| n.kind == AlarmKind::HoldLapsing && n.ended_at.is_none())
        .filter_map(|n| n.subject)
        .collect();
    assert_eq!(
        open,
        std::slice::from_ref(&hold_b),
        "the renewed hold's notice is cleared"
    );

    // Day 61: B's viewing deadline has passed: its footage goes; C's is kept.
    advance(&r, 7 * DAY_MS, &mut [&mut manager, &mut head]).await;
    assert_eq!(minutes_left(&r), [c], "B lapsed; the renewal keeps C");
    let doc = holds_doc(&r, &head).await;
    let records: BTreeMap<String, DestructionRecord> = docs::entries(&doc, docs::DESTRUCTIONS).unwrap();
    let destroyed: Vec<i64> = records.values().map(|d| d.start.0).collect();
    assert!(
        destroyed.contains(&a) && destroyed.contains(&b) && !destroyed.contains(&c),
        "{records:?}"
    );
}

/// 001 §6(3): a case for a window whose footage is no longer kept on any
/// of its cameras is refused, saying what is kept; one for footage still
/// kept is taken (and held).
#[tokio::test]
async fn filing_refuses_a_window_whose_footage_is_gone_and_says_what_is_kept() {
    let people: &[(&str, &[&str])] = &[("林專責", &["manager"])];
    let mut r = Recorder::start_simulated("dahu-office", people, CAMERAS, &["--no-recording"], TUESDAY_10AM);
    let kept = (TUESDAY_10AM.0 - 10 * DAY_MS) / MINUTE_MS * MINUTE_MS;
    r.kill_serving();
    put_footage(&r.data(), &[("cam-01", kept)]);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let manager = sign_in(&r, "林專責", 1).await;
    let (_, site) = site_of(&r, &manager).await;
    let case_for = |start: i64, n: u128| {
        let (mut case, _) = filed(&site, ApplicantKind::Citizen, "林專責", r.now(), false);
        case.id = EntryId::from_parts(r.now().0 as u64, n);
        case.window = MinuteWindow::new(Timestamp(start), Timestamp(start + MINUTE_MS)).unwrap();
        case
    };
    let push_case = |case: custos_core::application::ApplicationCase| {
        let key = DocKey::ApplicationCase(case.id.clone());
        let mut doc = docs::open(&key, None, &manager.device.id).unwrap();
        docs::put_entry(&mut doc, docs::CASE, docs::CURRENT, &case).unwrap();
        docs::commit(&mut doc, "filed", r.now().0);
        let changes = new_changes(&mut doc, &[]);
        let (r, manager) = (&r, &manager);
        async move { push(r, manager, &key.to_string(), &changes).await }
    };
    let gone = case_for(kept - 10 * DAY_MS, 1);
    let res = push_case(gone).await;
    assert_eq!(res.status(), 422);
    let refusal: serde_json::Value = res.json().await.unwrap();
    assert_eq!(refusal["refusal"]["rule"], "no_footage", "{refusal}");
    let message = refusal["refusal"]["message"].as_str().unwrap();
    assert!(
        message.contains("cam-01 from") && message.contains(&Timestamp(kept).taipei_minute()),
        "{message}"
    );
    let res = push_case(case_for(kept, 2)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// 001 §6(4): viewed footage kept on record is held until the profile's
/// review (180 days); past it, unrenewed, it goes at the ceiling with its
/// destruction record, the head told a week before.
#[tokio::test]
async fn a_viewed_on_record_hold_past_its_review_lets_the_footage_go_at_the_ceiling() {
    let people: &[(&str, &[&str])] = &[
        ("林專責", &["manager"]),
        ("張主任", &["supervisor"]),
        ("陳老師", &["committee_staff"]),
        ("吳家長", &["committee_parent"]),
        ("陳園長", &["head"]),
    ];
    let mut r = Recorder::start_simulated(
        "kaohsiung-kindergarten",
        people,
        CAMERAS,
        &["--no-recording"],
        TUESDAY_10AM,
    );
    let viewed = (TUESDAY_10AM.0 - 340 * DAY_MS) / MINUTE_MS * MINUTE_MS;
    r.kill_serving();
    put_footage(&r.data(), &[("cam-01", viewed)]);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let mut manager = sign_in(&r, "林專責", 1).await;
    let supervisor = sign_in(&r, "張主任", 2).await;
    let staff = sign_in(&r, "陳老師", 3).await;
    let parent = sign_in(&r, "吳家長", 4).await;
    let mut head = sign_in(&r, "陳園長", 5).await;
    let (_, site) = site_of(&r, &manager).await;
    let (mut case, personal) = filed(&site, ApplicantKind::GuardianOrStudent, "林專責", r.now(), false);
    case.window = MinuteWindow::new(Timestamp(viewed), Timestamp(viewed + MINUTE_MS)).unwrap();
    file(&r, &manager, &case, &personal, r.now()).await;
    let vote = || Decision::Vote {
        in_favour: true,
        reason: String::new(),
    };
    let now = r.now();
    decide(
        &r,
        &manager,
        "林專責",
        Role::Manager,
        Decision::Approve,
        &case,
        Timestamp(now.0 + 1),
    )
    .await;
    decide(
        &r,
        &supervisor,
        "張主任",
        Role::Supervisor,
        Decision::Approve,
        &case,
        Timestamp(now.0 + 2),
    )
    .await;
    decide(
        &r,
        &staff,
        "陳老師",
        Role::CommitteeStaff,
        vote(),
        &case,
        Timestamp(now.0 + 3),
    )
    .await;
    decide(
        &r,
        &parent,
        "吳家長",
        Role::CommitteeParent,
        vote(),
        &case,
        Timestamp(now.0 + 4),
    )
    .await;
    decide(
        &r,
        &head,
        "陳園長",
        Role::Head,
        Decision::Approve,
        &case,
        Timestamp(now.0 + 5),
    )
    .await;
    let opened = open_viewing(&r, &manager, "林專責", Role::Manager, &case).await;
    assert_eq!(opened.status(), 200, "{}", opened.text().await.unwrap());
    let holds: BTreeMap<String, Hold> = docs::entries(&holds_doc(&r, &head).await, docs::HOLDS).unwrap();
    assert!(
        holds
            .values()
            .any(|h| h.basis == custos_core::holds::HoldBasis::ViewedOnRecord),
        "the viewed footage is kept on record: {holds:?}"
    );

    // Day 179: held past the ceiling, the head told it lapses within a week.
    advance(&r, 179 * DAY_MS, &mut [&mut manager, &mut head]).await;
    assert_eq!(minutes_left(&r), [viewed], "kept on record past the ceiling");
    let doc = holds_doc(&r, &head).await;
    assert!(
        alarms(&doc)
            .unwrap()
            .values()
            .any(|n| n.kind == AlarmKind::HoldLapsing && n.ended_at.is_none()),
        "the head is told before it lapses"
    );
    // Day 181: past its review, unrenewed: the footage goes, on record.
    advance(&r, 2 * DAY_MS, &mut [&mut manager, &mut head]).await;
    assert_eq!(minutes_left(&r), Vec::<i64>::new(), "past its review, at the ceiling");
    let records: BTreeMap<String, DestructionRecord> =
        docs::entries(&holds_doc(&r, &head).await, docs::DESTRUCTIONS).unwrap();
    assert!(records.values().any(|d| d.start.0 == viewed), "{records:?}");
}
