//! Sync over real HTTPS: download with the automerge sync protocol (the
//! recorder's side read-only, need-to-know), upload by push checked against
//! the core's write rules, all or nothing.

mod common;

use std::collections::BTreeMap;

use automerge::AutoCommit;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::phone::*;
use common::*;
use custos_core::application::{ApplicationCase, Attachment, PersonalData};
use custos_core::application::{Decision, DecisionDraft, DecisionEvent};
use custos_core::documents::CURRENT;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{EntryId, PersonId};
use custos_core::inspection::InspectionEntry;
use custos_core::site::SiteRegister;
use custos_core::terms::ApplicantKind;
use custos_core::terms::{AccessKind, AttachmentKind, Category};
use custos_core::time::{MINUTE_MS, MinuteWindow, Timestamp};
use serde_json::{Value, json};

const PEOPLE: &[(&str, &[&str])] = &[
    ("林專責", &["manager"]),
    ("張主管", &["supervisor"]),
    ("吳主任", &["head"]),
    ("黃巡檢", &["inspector"]),
];

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    Timestamp(ms - ms % MINUTE_MS)
}

fn case(site: &SiteRegister, filed_by: PersonId, personal: &PersonalData) -> ApplicationCase {
    let t = now();
    ApplicationCase {
        id: EntryId::from_parts(t.0 as u64, 7),
        filed_at: t,
        filed_by,
        applicant_kind: ApplicantKind::Citizen,
        applicant_name: "王小明".into(),
        relation: "本人".into(),
        unit: String::new(),
        cameras: site.cameras.keys().take(1).map(|c| c.parse().unwrap()).collect(),
        window: MinuteWindow::new(Timestamp(t.0 - 90 * MINUTE_MS), Timestamp(t.0 - 30 * MINUTE_MS)).unwrap(),
        reason: "遺失錢包".into(),
        category: Category::LossOrDamage,
        kinds: vec![AccessKind::View],
        attachments: vec![Attachment {
            kind: AttachmentKind::PoliceReport,
            reference: "萬華分局報案三聯單 113-001".into(),
            blob: None,
        }],
        in_court: false,
        major_or_abnormal: false,
        personal_data_digest: personal.digest(),
        viewer: None,
        official_letter: None,
    }
}

#[tokio::test]
async fn a_device_downloads_the_site_and_an_inspection_round_trips() {
    let r = Recorder::start("wanhua-household", PEOPLE);
    let tablet = sign_in(&r, "黃巡檢", 4).await;
    let (_, site) = site_of(&r, &tablet).await;
    assert_eq!(site.site.name, "測試機關");
    assert_eq!(site.people.len(), 4);
    assert_eq!(site.profile().unwrap().id, "wanhua-household");

    let month = {
        let d = now().taipei_date();
        DocKey::Inspections {
            year: d.year,
            month: d.month,
        }
    };
    let mut log = docs::open(&month, None, &tablet.device.id).unwrap();
    let entry = InspectionEntry {
        checked_at: now(),
        inspector: person_id(&site, "黃巡檢"),
        host_ok: true,
        cameras: site
            .cameras
            .iter()
            .map(|(id, c)| {
                let check = custos_core::inspection::CameraCheck {
                    running: true,
                    picture_clear: true,
                    audio_ok: c.features.audio.then_some(true),
                    storage_ok: true,
                    time_correct: true,
                    note: String::new(),
                };
                (id.clone(), check)
            })
            .collect(),
        maintenance: "清潔主機濾網".into(),
        handling: String::new(),
        remarks: String::new(),
        photos: vec![],
    };
    docs::put_entry(
        &mut log,
        docs::INSPECTION_ENTRIES,
        EntryId::from_parts(now().0 as u64, 1).as_str(),
        &entry,
    )
    .unwrap();
    docs::commit(&mut log, "check", now().0);
    let res = push(&r, &tablet, &month.to_string(), &new_changes(&mut log, &[])).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let supervisor = sign_in(&r, "張主管", 2).await;
    let mut copy = docs::open(&month, None, &supervisor.device.id).unwrap();
    assert_eq!(pull(&r, &supervisor, &month.to_string(), &mut copy).await, 200);
    let entries: BTreeMap<String, InspectionEntry> = docs::entries(&copy, docs::INSPECTION_ENTRIES).unwrap();
    assert_eq!(entries.into_values().collect::<Vec<_>>(), vec![entry]);
}

#[tokio::test]
async fn applications_reach_only_the_roles_that_may_read_them() {
    let r = Recorder::start("wanhua-household", PEOPLE);
    let manager = sign_in(&r, "林專責", 1).await;
    let supervisor = sign_in(&r, "張主管", 2).await;
    let inspector = sign_in(&r, "黃巡檢", 4).await;
    let (_, site) = site_of(&r, &manager).await;
    // The citizen signed 附件2's undertaking on the tablet: a drawing kept
    // as a photo, uploaded before the personal data that names it.
    let mut drawn = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    drawn.extend(b"a drawn signature".repeat(40));
    let signature = custos_core::signing::sha256_hex(&drawn);
    let put = r
        .client
        .put(r.url(&format!("/v1/blobs/{signature}")))
        .bearer_auth(&manager.token)
        .body(drawn.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let personal = PersonalData {
        national_id: Some("A123456789".into()),
        phone: Some("02-2306-1234".into()),
        address: None,
        officer_id: None,
        signature: Some(signature.clone()),
        salt: "5a".repeat(32),
    };
    let c = case(&site, person_id(&site, "林專責"), &personal);
    let case_key = DocKey::ApplicationCase(c.id.clone()).to_string();
    let personal_key = DocKey::ApplicationPersonal(c.id.clone()).to_string();
    for (key, coll, value) in [
        (&case_key, docs::CASE, serde_json::to_value(&c).unwrap()),
        (&personal_key, docs::PERSONAL, serde_json::to_value(&personal).unwrap()),
    ] {
        let mut doc = docs::open(&key.parse().unwrap(), None, &manager.device.id).unwrap();
        if coll == docs::CASE {
            docs::put_entry(&mut doc, coll, CURRENT, &c).unwrap();
        } else {
            docs::put_entry(&mut doc, coll, CURRENT, &personal).unwrap();
        }
        let _ = value;
        docs::commit(&mut doc, "filed", now().0);
        let res = push(&r, &manager, key, &new_changes(&mut doc, &[])).await;
        assert_eq!(res.status(), 200, "{key}: {}", res.text().await.unwrap());
    }

    // Filing held the requested window at once.
    let registers =
        custos_recorder::registers::Registers::open(&r.data(), std::sync::Arc::new(custos_clock::SystemClock)).unwrap();
    let holds = registers.active_holds(now()).unwrap();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].application.as_ref(), Some(&c.id));
    assert_eq!((holds[0].window, &holds[0].cameras), (c.window, &c.cameras));

    let for_manager = listed(&r, &manager).await;
    assert!(
        for_manager.contains(&case_key) && for_manager.contains(&personal_key),
        "{for_manager:?}"
    );
    let for_supervisor = listed(&r, &supervisor).await;
    assert!(
        !for_supervisor.contains(&personal_key),
        "the supervisor never receives the ID number"
    );
    // A citizen's case goes to the director alone: the unit heads sign the
    // office's own (附件3) cases, and need not see this one.
    assert!(!for_supervisor.contains(&case_key), "{for_supervisor:?}");
    let for_inspector = listed(&r, &inspector).await;
    assert!(
        !for_inspector.contains(&case_key) && !for_inspector.contains(&personal_key),
        "{for_inspector:?}"
    );

    let mut doc = AutoCommit::new();
    assert_eq!(pull(&r, &inspector, &case_key, &mut doc).await, 403);
    assert_eq!(pull(&r, &supervisor, &personal_key, &mut doc).await, 403);

    // The director receives the ID number, and that is on record once.
    let director = sign_in(&r, "吳主任", 3).await;
    let sent = || {
        let store = custos_recorder::db::Store::open(&r.data()).unwrap();
        store
            .audit_rows()
            .unwrap()
            .into_iter()
            .filter(|row| row.kind == "personal_data_sent")
            .map(|row| serde_json::from_str::<Value>(&row.detail).unwrap())
            .collect::<Vec<Value>>()
    };
    let mut received = AutoCommit::new();
    assert_eq!(pull(&r, &director, &personal_key, &mut received).await, 200);
    let got: PersonalData = docs::get_entry(&received, docs::PERSONAL, CURRENT).unwrap().unwrap();
    assert_eq!(got, personal);
    let rows = sent();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["device"], director.device.id.as_str());
    assert_eq!(pull(&r, &director, &personal_key, &mut received).await, 200);
    assert_eq!(sent().len(), 1, "nothing new was sent");

    // The applicant's signature goes where the personal data goes.
    let signature_for = |phone: &Phone| {
        r.client
            .get(r.url(&format!("/v1/blobs/{signature}")))
            .bearer_auth(&phone.token)
            .send()
    };
    let fetched = signature_for(&director).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), drawn);
    assert_eq!(signature_for(&supervisor).await.unwrap().status(), 404);
    assert_eq!(signature_for(&inspector).await.unwrap().status(), 404);
}

#[tokio::test]
async fn refused_uploads_name_the_rule_and_change_nothing() {
    let r = Recorder::start("wanhua-household", PEOPLE);
    let manager = sign_in(&r, "林專責", 1).await;
    let head = sign_in(&r, "吳主任", 3).await;
    let inspector = sign_in(&r, "黃巡檢", 4).await;
    let (mut site_doc, site) = site_of(&r, &manager).await;
    let personal = PersonalData {
        national_id: Some("A123456789".into()),
        phone: Some("0912345678".into()),
        address: None,
        officer_id: None,
        // The citizen signed 附件2's undertaking on the tablet.
        signature: Some("5b".repeat(32)),
        salt: "11".repeat(32),
    };
    let c = case(&site, person_id(&site, "林專責"), &personal);
    let key = DocKey::ApplicationCase(c.id.clone());
    let mut filed = docs::open(&key, None, &manager.device.id).unwrap();
    docs::put_entry(&mut filed, docs::CASE, CURRENT, &c).unwrap();
    docs::commit(&mut filed, "filed", now().0);
    assert_eq!(
        push(&r, &manager, &key.to_string(), &new_changes(&mut filed, &[]))
            .await
            .status(),
        200
    );
    let base_heads = filed.get_heads();
    let stored_heads = || async {
        let body: Value = r.get("/v1/documents", Some(&manager.token)).await.json().await.unwrap();
        body["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["key"] == key.to_string())
            .unwrap()["heads"]
            .clone()
    };
    let before = stored_heads().await;

    let site_heads = custos_core::history::heads_to_hex(&site_doc.get_heads());
    let sign = |phone: &Phone, who: &str, role, decision| {
        let draft = DecisionDraft {
            id: EntryId::from_parts(now().0 as u64, 99),
            decision,
            role,
            signer: person_id(&site, who),
            signed_at: now(),
        };
        DecisionEvent::sign(draft, &c, site_heads.clone(), Vec::<EntryId>::new(), &phone.device.key)
    };

    // The inspector may not decide, even with a genuine signature.
    let mut doc = docs::open(&key, Some(&filed.save()), &inspector.device.id).unwrap();
    let e = sign(
        &inspector,
        "黃巡檢",
        custos_core::roles::Role::Inspector,
        Decision::Approve,
    );
    docs::put_entry(&mut doc, docs::EVENTS, e.id.as_str(), &e).unwrap();
    docs::commit(&mut doc, "approve", now().0);
    let res = push(&r, &inspector, &key.to_string(), &new_changes(&mut doc, &base_heads)).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["refusal"]["rule"], "decision", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("nothing was applied"));

    // The head's approval with a forged signature.
    let mut doc = docs::open(&key, Some(&filed.save()), &head.device.id).unwrap();
    let mut forged = sign(
        &head,
        "吳主任",
        custos_core::roles::Role::Head,
        Decision::Reject {
            reason: "不符".into()
        },
    );
    forged.decision = Decision::Approve;
    docs::put_entry(&mut doc, docs::EVENTS, forged.id.as_str(), &forged).unwrap();
    docs::commit(&mut doc, "approve", now().0);
    let forged_changes = new_changes(&mut doc, &base_heads);
    let res = push(&r, &head, &key.to_string(), &forged_changes).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("BadSignature"),
        "{problem}"
    );

    // A genuine approval, relayed by the manager's device instead of the head's.
    let mut doc = docs::open(&key, Some(&filed.save()), &head.device.id).unwrap();
    let genuine = sign(&head, "吳主任", custos_core::roles::Role::Head, Decision::Approve);
    docs::put_entry(&mut doc, docs::EVENTS, genuine.id.as_str(), &genuine).unwrap();
    docs::commit(&mut doc, "approve", now().0);
    let genuine_changes = new_changes(&mut doc, &base_heads);
    let res = push(&r, &manager, &key.to_string(), &genuine_changes).await;
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["refusal"]["rule"], "foreign_actor", "{problem}");
    assert!(problem["refusal"]["change"].as_str().is_some());

    // The site register itself is never written by a device.
    let mut tampered = site_doc.fork().with_actor(manager.device.id.actor_id());
    let mut me = site.people[person_id(&site, "林專責").as_str()].clone();
    me.roles.push(custos_core::roles::Role::Head);
    docs::put_entry(&mut tampered, "people", person_id(&site, "林專責").as_str(), &me).unwrap();
    docs::commit(&mut tampered, "promote myself", now().0);
    let res = push(&r, &manager, "site", &new_changes(&mut tampered, &site_doc.get_heads())).await;
    assert_eq!(res.status(), 422);

    // Malformed changes.
    let res = r
        .client
        .post(r.url("/v1/push"))
        .bearer_auth(&manager.token)
        .json(&json!({ "key": key.to_string(), "changes": ["not base64!"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = r
        .client
        .post(r.url("/v1/push"))
        .bearer_auth(&manager.token)
        .json(&json!({ "key": key.to_string(), "changes": [B64.encode(b"garbage")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = r
        .client
        .post(r.url("/v1/push"))
        .bearer_auth(&manager.token)
        .json(&json!({ "key": "../../etc/passwd", "changes": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    assert_eq!(stored_heads().await, before, "nothing stored changed");

    // The genuine approval from the head's own device is accepted.
    let res = push(&r, &head, &key.to_string(), &genuine_changes).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_ne!(stored_heads().await, before);

    // A revoked device is refused before anything is read.
    ok(console(&[
        "person",
        "revoke",
        "--data",
        &r.data_str(),
        "--name",
        "黃巡檢",
    ]));
    let res = push(&r, &inspector, &key.to_string(), &[]).await;
    assert_eq!(res.status(), 401);

    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    let kinds: Vec<String> = store.audit_rows().unwrap().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "upload_refused").count(), 4, "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "upload_accepted"));
    let _ = &mut site_doc;
    assert_eq!(r.get("/v1/health", None).await.status(), 200);
}

/// Reads server-sent events until one names `key`, or gives up after `secs`.
async fn wait_for_event(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    key: &str,
    secs: u64,
) -> bool {
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut text = String::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(chunk))) => {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.lines().any(|l| l == format!("data: {key}")) {
                    return true;
                }
            }
            _ => return false,
        }
    }
}

#[tokio::test]
async fn open_apps_hear_of_changes_they_may_read_and_only_those() {
    let r = Recorder::start("wanhua-household", PEOPLE);
    let manager = sign_in(&r, "林專責", 1).await;
    let inspector = sign_in(&r, "黃巡檢", 4).await;
    let (_, site) = site_of(&r, &manager).await;
    let open = |phone: &Phone| r.client.get(r.url("/v1/events")).bearer_auth(&phone.token).send();
    let mut manager_events = open(&manager).await.unwrap().bytes_stream();
    let mut inspector_events = open(&inspector).await.unwrap().bytes_stream();

    // A camera added on the console reaches both open apps.
    ok(console(&[
        "camera",
        "add",
        "--data",
        &r.data_str(),
        "--id",
        "cam-03",
        "--name",
        "櫃檯",
        "--location",
        "一樓櫃檯",
        "--zone",
        "indoor-public",
        "--rtsp",
        "rtsp://127.0.0.1:8554/c3",
    ]));
    assert!(wait_for_event(&mut manager_events, "site", 5).await);
    assert!(wait_for_event(&mut inspector_events, "site", 5).await);

    // A filed application reaches the manager, never the inspector.
    let personal = PersonalData {
        national_id: Some("A123456789".into()),
        phone: Some("0912345678".into()),
        address: None,
        officer_id: None,
        // The citizen signed 附件2's undertaking on the tablet.
        signature: Some("5b".repeat(32)),
        salt: "22".repeat(32),
    };
    let c = case(&site, person_id(&site, "林專責"), &personal);
    let key = DocKey::ApplicationCase(c.id.clone()).to_string();
    let mut doc = docs::open(&key.parse().unwrap(), None, &manager.device.id).unwrap();
    docs::put_entry(&mut doc, docs::CASE, CURRENT, &c).unwrap();
    docs::commit(&mut doc, "filed", now().0);
    assert_eq!(
        push(&r, &manager, &key, &new_changes(&mut doc, &[])).await.status(),
        200
    );
    assert!(wait_for_event(&mut manager_events, &key, 5).await);
    assert!(!wait_for_event(&mut inspector_events, &key, 2).await, "need-to-know");

    assert_eq!(r.get("/v1/events", None).await.status(), 401);
}

#[tokio::test]
async fn photos_are_checked_and_reach_only_those_who_may_read_the_entry() {
    let r = Recorder::start("wanhua-household", PEOPLE);
    let tablet = sign_in(&r, "黃巡檢", 4).await;
    let supervisor = sign_in(&r, "張主管", 2).await;
    let (_, site) = site_of(&r, &tablet).await;
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
    photo.extend(b"JFIF fault photo of cam-01".repeat(100));
    let hash = custos_core::signing::sha256_hex(&photo);
    let put = |phone: &Phone, name: &str, body: Vec<u8>| {
        r.client
            .put(r.url(&format!("/v1/blobs/{name}")))
            .bearer_auth(&phone.token)
            .body(body)
            .send()
    };

    assert_eq!(put(&tablet, &hash, photo.clone()).await.unwrap().status(), 201);
    assert_eq!(
        put(&tablet, &hash, photo.clone()).await.unwrap().status(),
        200,
        "the same bytes again"
    );
    let mut damaged = photo.clone();
    damaged[10] ^= 1;
    assert_eq!(put(&tablet, &hash, damaged).await.unwrap().status(), 400);
    let svg = b"<svg onload=alert(1)>".to_vec();
    assert_eq!(
        put(&tablet, &custos_core::signing::sha256_hex(&svg), svg)
            .await
            .unwrap()
            .status(),
        415
    );
    assert_eq!(put(&supervisor, &hash, photo.clone()).await.unwrap().status(), 403);
    assert_eq!(put(&tablet, "not-a-hash", photo.clone()).await.unwrap().status(), 400);

    let fetch = |phone: &Phone| {
        r.client
            .get(r.url(&format!("/v1/blobs/{hash}")))
            .bearer_auth(&phone.token)
            .send()
    };
    let mine = fetch(&tablet).await.unwrap();
    assert_eq!(mine.status(), 200);
    assert_eq!(mine.headers()["content-type"], "image/jpeg");
    assert_eq!(mine.headers()["cache-control"], "private, no-store");
    assert_eq!(mine.bytes().await.unwrap().to_vec(), photo);
    assert_eq!(
        fetch(&supervisor).await.unwrap().status(),
        404,
        "no entry the supervisor reads refers to it yet"
    );

    let month = {
        let d = now().taipei_date();
        DocKey::Inspections {
            year: d.year,
            month: d.month,
        }
    };
    let mut log = docs::open(&month, None, &tablet.device.id).unwrap();
    let cameras = site
        .cameras
        .iter()
        .map(|(id, c)| {
            let check = custos_core::inspection::CameraCheck {
                running: true,
                picture_clear: id != "cam-01",
                audio_ok: c.features.audio.then_some(true),
                storage_ok: true,
                time_correct: true,
                note: String::new(),
            };
            (id.clone(), check)
        })
        .collect();
    let entry = InspectionEntry {
        checked_at: now(),
        inspector: person_id(&site, "黃巡檢"),
        host_ok: true,
        cameras,
        maintenance: String::new(),
        handling: "已通報廠商維修".into(),
        remarks: String::new(),
        photos: vec![hash.clone()],
    };
    docs::put_entry(
        &mut log,
        docs::INSPECTION_ENTRIES,
        EntryId::from_parts(now().0 as u64, 5).as_str(),
        &entry,
    )
    .unwrap();
    docs::commit(&mut log, "check with a fault", now().0);
    assert_eq!(
        push(&r, &tablet, &month.to_string(), &new_changes(&mut log, &[]))
            .await
            .status(),
        200
    );
    assert_eq!(fetch(&supervisor).await.unwrap().status(), 200);
    assert_eq!(r.get(&format!("/v1/blobs/{hash}"), None).await.status(), 401);
}
