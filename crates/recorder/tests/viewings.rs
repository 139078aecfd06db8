//! Accompanied viewing sessions against the real recorder (simulated
//! clock): the recorder records the one viewing itself from the escort's
//! signed opening, writes the logbook entry, and refuses, on record, every
//! opening and request the rules do not allow (issue #13 items 1, 5, 7).

mod common;

use std::collections::BTreeMap;

use automerge::AutoCommit;
use common::phone::*;
use common::*;
use custos_core::application::{ApplicationCase, Decision, DecisionDraft, DecisionEvent};
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::EntryId;
use custos_core::logbook::{LogbookEntry, SessionEnd};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::terms::ApplicantKind;
use custos_core::time::{DAY_MS, MINUTE_MS, MinuteWindow, Timestamp};
use custos_core::viewing::{OpeningDraft, ViewingOpening};
use serde_json::Value;

/// Tuesday 2026-11-24, 10:00 Taipei.
const TUESDAY_10AM: Timestamp = Timestamp(1_795_485_600_000);
const CAMERAS: &[(&str, &str, bool)] = &[("cam-01", "rtsp://127.0.0.1:9/none", false)];

/// The refusals on record, by their code, in order.
fn refusal_codes(r: &Recorder) -> Vec<String> {
    audited_codes(r, "viewing_refused")
}

async fn refused(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status);
    res.json().await.unwrap()
}

async fn logbook(r: &Recorder, phone: &Phone) -> BTreeMap<String, LogbookEntry> {
    let key = DocKey::Logbook { year: 2026 };
    let mut doc = docs::open(&key, None, &phone.device.id).unwrap();
    assert_eq!(pull(r, phone, &key.to_string(), &mut doc).await, 200);
    docs::entries(&doc, docs::LOGBOOK_ENTRIES).unwrap()
}

/// The manager countersigns (核章) logbook entry `id` as they hold it.
async fn countersign(r: &Recorder, phone: &Phone, id: &str) -> reqwest::Response {
    let (site_doc, site) = site_of(r, phone).await;
    let key = DocKey::Logbook { year: 2026 };
    let mut doc = docs::open(&key, None, &phone.device.id).unwrap();
    assert_eq!(pull(r, phone, &key.to_string(), &mut doc).await, 200);
    let before = doc.get_heads();
    let entries: BTreeMap<String, LogbookEntry> = docs::entries(&doc, docs::LOGBOOK_ENTRIES).unwrap();
    let seal = Seal::sign(
        EntryId::from_parts(r.now().0 as u64, 31),
        SealPurpose::Countersign,
        id.parse().unwrap(),
        entries[id].content_hash(),
        Role::Manager,
        person_id(&site, "林專責"),
        custos_core::history::heads_to_hex(&site_doc.clone().get_heads()),
        r.now(),
        String::new(),
        &phone.device.key,
    );
    docs::put_entry(&mut doc, docs::SEALS, seal.id.as_str(), &seal).unwrap();
    docs::commit(&mut doc, "countersigned", r.now().0);
    push(r, phone, &key.to_string(), &new_changes(&mut doc, &before)).await
}

async fn close(r: &Recorder, phone: &Phone, id: &str) -> reqwest::Response {
    r.client
        .post(r.url(&format!("/v1/viewings/{id}/close")))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap()
}

async fn events_of(r: &Recorder, phone: &Phone, case: &ApplicationCase) -> BTreeMap<String, DecisionEvent> {
    let key = DocKey::ApplicationCase(case.id.clone());
    let mut doc: AutoCommit = docs::open(&key, None, &phone.device.id).unwrap();
    assert_eq!(pull(r, phone, &key.to_string(), &mut doc).await, 200);
    docs::entries(&doc, docs::EVENTS).unwrap()
}

#[tokio::test]
async fn the_recorder_records_the_one_viewing_and_refuses_everything_else_on_record() {
    let people: &[(&str, &[&str])] = &[
        ("林專責", &["manager"]),
        ("李專責", &["manager"]),
        ("吳首長", &["head"]),
        ("王巡查", &["inspector"]),
    ];
    let mut r = Recorder::start_simulated("dahu-office", people, CAMERAS, &["--no-recording"], TUESDAY_10AM);
    let minute = (TUESDAY_10AM.0 - DAY_MS) / MINUTE_MS * MINUTE_MS;
    r.kill_serving();
    put_footage(&r.data(), &[("cam-01", minute), ("cam-01", minute + MINUTE_MS)]);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let mut manager = sign_in(&r, "林專責", 1).await;
    let mut other_manager = sign_in(&r, "李專責", 2).await;
    let mut head = sign_in(&r, "吳首長", 3).await;
    let mut inspector = sign_in(&r, "王巡查", 4).await;
    let (_, site) = site_of(&r, &manager).await;
    let file_case = |n: u128| {
        let (mut case, personal) = filed(&site, ApplicantKind::Citizen, "林專責", r.now(), false);
        case.id = EntryId::from_parts(r.now().0 as u64, 100 + n);
        case.window = MinuteWindow::new(Timestamp(minute), Timestamp(minute + 2 * MINUTE_MS)).unwrap();
        (case, personal)
    };
    let (a, personal_a) = file_case(1);
    file(&r, &manager, &a, &personal_a, r.now()).await;

    // An inspector may not escort; an application in review cannot be viewed.
    let res = r
        .client
        .post(r.url("/v1/viewings/nonce"))
        .bearer_auth(&inspector.token)
        .send()
        .await
        .unwrap();
    refused(res, 403).await;
    let problem = refused(open_viewing(&r, &manager, "林專責", Role::Manager, &a).await, 409).await;
    assert_eq!(problem["title"], "Not approved", "{problem}");

    decide(&r, &head, "吳首長", Role::Head, Decision::Approve, &a, r.now()).await;

    // The manager's opening sent from another manager's tablet: refused.
    let nonce: Value = r
        .client
        .post(r.url("/v1/viewings/nonce"))
        .bearer_auth(&manager.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let opening = ViewingOpening::sign(
        OpeningDraft {
            application: a.id.clone(),
            case_hash: a.content_hash(),
            escort: person_id(&site, "林專責"),
            role: Role::Manager,
            nonce: nonce["nonce"].as_str().unwrap().into(),
            applicant_checked: true,
            applicant_signature: None,
            signed_at: r.now(),
        },
        &manager.device.key,
    );
    refused(open_with(&r, &other_manager, &opening).await, 403).await;
    // Without the applicant checked in person: refused.
    let mut unchecked = opening.clone();
    unchecked.applicant_checked = false;
    unchecked.signature = manager.device.key.sign(&unchecked.signing_bytes());
    refused(open_with(&r, &manager, &unchecked).await, 403).await;

    // The manager opens it: the application is consumed by the recorder's
    // own viewing, signed with the site key, and the entry is begun.
    let res = open_with(&r, &manager, &opening).await;
    assert_eq!(res.status(), 200);
    let session: Value = res.json().await.unwrap();
    let id = session["session"].as_str().unwrap().to_string();
    assert_eq!(session["audio_withheld"], true);
    assert_eq!(
        session["cameras"][0]["recorded"].as_array().unwrap().len(),
        1,
        "{session}"
    );
    let events = events_of(&r, &manager, &a).await;
    let viewing = events
        .values()
        .find(|e| matches!(e.decision, Decision::Viewing { .. }))
        .expect("the viewing is on record");
    assert_eq!(
        viewing.device,
        custos_core::ids::DeviceId::for_public_key(&hex::decode(&site.site.recorder_public_key).unwrap())
    );
    let entry = &logbook(&r, &manager).await[&id];
    assert_eq!((entry.closed_at, entry.ended_by), (None, None));
    assert_eq!(entry.applicant_name, "王小明");
    let res = countersign(&r, &manager, &id).await;
    let body = res.text().await.unwrap();
    assert!(
        body.contains("session_open"),
        "an open entry is not countersigned: {body}"
    );

    // The same tablet asking again resumes the session; anyone else's
    // opening is a second viewing.
    let again: Value = open_with(&r, &manager, &opening).await.json().await.unwrap();
    assert_eq!(again["session"], id.as_str());
    let problem = refused(open_viewing(&r, &other_manager, "李專責", Role::Manager, &a).await, 409).await;
    assert_eq!(problem["title"], "Already viewed");

    // Another application: the used nonce is refused, and a device's own
    // viewing push is refused.
    let (b, personal_b) = file_case(2);
    file(&r, &manager, &b, &personal_b, r.now()).await;
    decide(&r, &head, "吳首長", Role::Head, Decision::Approve, &b, r.now()).await;
    let mut replay = opening.clone();
    replay.application = b.id.clone();
    replay.case_hash = b.content_hash();
    replay.signature = manager.device.key.sign(&replay.signing_bytes());
    let problem = refused(open_with(&r, &manager, &replay).await, 409).await;
    assert_eq!(problem["title"], "Opening expired");
    let key = DocKey::ApplicationCase(b.id.clone());
    let mut doc = docs::open(&key, None, &manager.device.id).unwrap();
    assert_eq!(pull(&r, &manager, &key.to_string(), &mut doc).await, 200);
    let before = doc.get_heads();
    let held: BTreeMap<String, DecisionEvent> = docs::entries(&doc, docs::EVENTS).unwrap();
    let own = DecisionEvent::sign(
        DecisionDraft {
            id: EntryId::from_parts(r.now().0 as u64, 77),
            decision: Decision::Viewing {
                session: "mine".into(),
                opening: replay.clone(),
            },
            role: Role::Manager,
            signer: person_id(&site, "林專責"),
            signed_at: r.now(),
        },
        &b,
        custos_core::history::heads_to_hex(&site_of(&r, &manager).await.0.get_heads()),
        custos_core::workflow::frontier(held.values()),
        &manager.device.key,
    );
    docs::put_entry(&mut doc, docs::EVENTS, own.id.as_str(), &own).unwrap();
    docs::commit(&mut doc, "viewed", r.now().0);
    let res = push(&r, &manager, &key.to_string(), &new_changes(&mut doc, &before)).await;
    let body = res.text().await.unwrap();
    assert!(body.contains("recorder_only"), "{body}");

    // The escort ends A: the entry is complete; the session is gone.
    assert_eq!(close(&r, &manager, &id).await.status(), 200);
    let entry = &logbook(&r, &manager).await[&id];
    assert_eq!(entry.ended_by, Some(SessionEnd::Escort));
    assert!(entry.closed_at.is_some());
    let res = countersign(&r, &manager, &id).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    refused(close(&r, &manager, &id).await, 410).await;

    // B is opened and left: past the idle limit (10 minutes) the sweep ends it.
    let res = open_viewing(&r, &manager, "林專責", Role::Manager, &b).await;
    assert_eq!(res.status(), 200);
    let b_session: Value = res.json().await.unwrap();
    let b_id = b_session["session"].as_str().unwrap().to_string();
    advance(
        &r,
        11 * MINUTE_MS,
        &mut [&mut manager, &mut other_manager, &mut head, &mut inspector],
    )
    .await;
    let entry = &logbook(&r, &manager).await[&b_id];
    assert_eq!(entry.ended_by, Some(SessionEnd::Idle));

    // C is opened, and the recorder is killed: at restart its entry is
    // ended `interrupted`, and the application stays consumed.
    let (c, personal_c) = file_case(3);
    file(&r, &manager, &c, &personal_c, r.now()).await;
    decide(&r, &head, "吳首長", Role::Head, Decision::Approve, &c, r.now()).await;
    let c_opening = opening_for(&r, &manager, "林專責", Role::Manager, &c).await;
    let res = open_with(&r, &manager, &c_opening).await;
    let c_id = res.json::<Value>().await.unwrap()["session"]
        .as_str()
        .unwrap()
        .to_string();
    r.kill_serving();
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    manager.token = r.token(&manager.device).await;
    other_manager.token = r.token(&other_manager.device).await;
    let entry = &logbook(&r, &manager).await[&c_id];
    assert_eq!(entry.ended_by, Some(SessionEnd::Interrupted));
    let problem = refused(open_viewing(&r, &other_manager, "李專責", Role::Manager, &c).await, 409).await;
    assert_eq!(problem["title"], "Already viewed", "consumed across the restart");
    // Within its limits the escort's tablet resumes it: the entry is open again.
    let resumed: Value = open_with(&r, &manager, &c_opening).await.json().await.unwrap();
    assert_eq!(resumed["session"], c_id.as_str(), "{resumed}");
    let entry = &logbook(&r, &manager).await[&c_id];
    assert_eq!((entry.ended_by, entry.closed_at), (None, None));

    assert_eq!(
        refusal_codes(&r),
        [
            "escort_role",
            "not_approved",
            "other_device",
            "opening",
            "already_viewed",
            "nonce",
            "session_ended",
            "already_viewed"
        ]
    );
}

/// A parent representative's phone (enrolled, signed in) cannot open, see
/// or break a viewing: every hostile request is a clear 4xx and the
/// recorder serves on.
#[tokio::test]
async fn a_parents_phone_cannot_open_or_see_a_viewing() {
    let people: &[(&str, &[&str])] = &[("吳家長", &["committee_parent"])];
    let r = Recorder::start_simulated(
        "kaohsiung-kindergarten",
        people,
        CAMERAS,
        &["--no-recording"],
        TUESDAY_10AM,
    );
    let parent = sign_in(&r, "吳家長", 7).await;
    let post = |path: &str, body: String| {
        r.client
            .post(r.url(path))
            .bearer_auth(&parent.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(post("/v1/viewings/nonce", String::new()).await.unwrap().status(), 403);
    for body in [
        "{}".to_string(),
        "{\"opening\": 1}".to_string(),
        format!("{{\"opening\": {{\"nonce\": \"{}\"}}}}", "a".repeat(100_000)),
    ] {
        let status = post("/v1/viewings", body).await.unwrap().status().as_u16();
        assert!((400..500).contains(&status), "{status}");
    }
    let long = "x".repeat(2_000);
    for path in [
        format!("/v1/viewings/{long}/frame?camera=cam-01&t=1"),
        format!("/v1/viewings/01JSESSION/frame?camera={long}&t={}", i64::MAX),
        "/v1/viewings/01JSESSION/frame?camera=cam-01&t=-9223372036854775808".to_string(),
        "/v1/viewings/01JSESSION/strip?camera=cam-01".to_string(),
    ] {
        let status = r
            .client
            .get(r.url(&path))
            .bearer_auth(&parent.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    assert_eq!(
        post(&format!("/v1/viewings/{long}/close"), String::new())
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(r.get("/v1/health", None).await.status(), 200, "the recorder serves on");
    assert!(
        refusal_codes(&r)
            .iter()
            .all(|c| c == "escort_role" || c == "no_session")
    );
}
