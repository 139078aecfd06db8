//! `cargo xtask bench`: the recorder's sync measured against raw automerge
//! in the same run (DESIGN §7 goals, issue #3):
//!
//! 1. a year of registers (365 days of checks of 32 cameras, 100
//!    applications, their logbook) synced to a new device over HTTPS on
//!    loopback (goal ≤ 1 s);
//! 2. a week of offline edits (500 changes) pushed and converged (≤ 300 ms);
//! 3. 200 devices each pushing one change (≤ 1 s of recorder CPU).
//!
//! The recorder runs as its real binary; its CPU time is read from /proc.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, Automerge, Change};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_clock::{Clock, SystemClock};
use custos_core::application::{ApplicationCase, Attachment, OfficialLetter, PersonalData};
use custos_core::application::{Decision, DecisionDraft, DecisionEvent};
use custos_core::documents::CURRENT;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{CameraId, DeviceId, EntryId, PersonId};
use custos_core::inspection::{CameraCheck, InspectionEntry};
use custos_core::logbook::{LogbookEntry, SessionEnd};
use custos_core::roles::Role;
use custos_core::signing::{DeviceKey, auth_challenge_bytes};
use custos_core::site::{Camera, CameraFeatures, Zone};
use custos_core::terms::ApplicantKind;
use custos_core::terms::{AccessKind, AttachmentKind, Category};
use custos_core::time::{DAY_MS, MINUTE_MS, MinuteWindow, Timestamp};
use custos_recorder::registers::Registers;
use serde_json::{Value, json};

const CAMERAS: usize = 32;
const APPLICATIONS: usize = 100;
const OFFLINE_EDITS: usize = 500;
const DEVICES: usize = 200;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// User plus system CPU time of the recorder process so far.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // Linux reports in clock ticks of 1/100 s on every platform Custos runs on.
        Duration::from_millis(ticks * 10)
    }
}

fn month_key(t: Timestamp) -> DocKey {
    let d = t.taipei_date();
    DocKey::Inspections {
        year: d.year,
        month: d.month,
    }
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_custos-recorder");
    let init = Command::new(bin)
        .args([
            "init",
            "--data",
            data.to_str().unwrap(),
            "--site",
            "基準測試幼兒園",
            "--profile",
            "kaohsiung-kindergarten",
        ])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));

    // ---- A year of registers, written as devices would have written them ----
    let started = Instant::now();
    let now = SystemClock.now();
    let registers = Registers::open(&data, std::sync::Arc::new(SystemClock)).unwrap();
    let store = &registers.store;
    let registry = registers.write().await.unwrap();
    let manager = registry.add_person("經理", &[Role::Manager], now).unwrap();
    let head = registry
        .add_person("園長", &[Role::Head, Role::Supervisor], now)
        .unwrap();
    let manager_key = DeviceKey::from_seed(&[1; 32]);
    let head_key = DeviceKey::from_seed(&[2; 32]);
    registry
        .enroll_device(&manager, &manager_key.public_key_hex(), now)
        .unwrap();
    registry.enroll_device(&head, &head_key.public_key_hex(), now).unwrap();
    let cameras: Vec<CameraId> = (1..=CAMERAS).map(|i| format!("cam-{i:02}").parse().unwrap()).collect();
    for cam in &cameras {
        let camera = Camera {
            name: format!("攝影機 {cam}"),
            location: "園區".into(),
            zone: Zone::IndoorPublic,
            features: CameraFeatures {
                colour: true,
                full_angle: true,
                time_overlay: true,
                audio: false,
            },
            property_number: None,
            removed_at: None,
        };
        let stream = format!("rtsp://127.0.0.1:8554/{cam}");
        registry.add_camera(cam, camera, &stream, now).unwrap();
    }
    let mut inspectors = Vec::new();
    for i in 0..DEVICES {
        let person = registry
            .add_person(&format!("巡檢員 {i}"), &[Role::Inspector], now)
            .unwrap();
        let key = DeviceKey::from_seed(&[
            (i % 250) as u8 + 3,
            (i / 250) as u8,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            7,
            9,
        ]);
        registry.enroll_device(&person, &key.public_key_hex(), now).unwrap();
        inspectors.push((person, key));
    }
    drop(registry);
    let site_bytes = store.document(&DocKey::Site).unwrap().unwrap();
    let site_heads = custos_core::history::heads_to_hex(&Automerge::load(&site_bytes).unwrap().get_heads());

    let entry = |inspector: &PersonId, at: Timestamp, n: usize| InspectionEntry {
        checked_at: at,
        inspector: inspector.clone(),
        host_ok: true,
        cameras: cameras
            .iter()
            .map(|c| (c.to_string(), CameraCheck::all_clear(false)))
            .collect(),
        maintenance: if n.is_multiple_of(30) {
            "每月清潔鏡頭".into()
        } else {
            String::new()
        },
        handling: String::new(),
        remarks: String::new(),
        photos: vec![],
    };
    let mut months: BTreeMap<DocKey, AutoCommit> = BTreeMap::new();
    for day in 0..365 {
        let at = Timestamp(now.0 - (365 - day) * DAY_MS);
        let key = month_key(at);
        let doc = months
            .entry(key.clone())
            .or_insert_with(|| docs::open(&key, None, &manager_key.device_id()).unwrap());
        let id = EntryId::from_parts(at.0 as u64, day as u128);
        docs::put_entry(
            doc,
            docs::INSPECTION_ENTRIES,
            id.as_str(),
            &entry(&manager, at, day as usize),
        )
        .unwrap();
        docs::commit(doc, "check", at.0);
    }
    for (key, doc) in &mut months {
        store.save_document(key, &doc.save(), now, None).unwrap();
    }
    let mut logbook = docs::open(
        &DocKey::Logbook {
            year: now.taipei_date().year,
        },
        None,
        &registers.site_key.device_id(),
    )
    .unwrap();
    for i in 0..APPLICATIONS {
        let filed = Timestamp((now.0 - (i as i64 + 2) * DAY_MS) / MINUTE_MS * MINUTE_MS);
        let personal = PersonalData {
            national_id: None,
            phone: Some("0912345678".into()),
            address: None,
            officer_id: Some("警員 A123456789".into()),
            signature: None,
            salt: format!("{:064x}", i),
        };
        let case = ApplicationCase {
            id: EntryId::from_parts(filed.0 as u64, i as u128),
            filed_at: filed,
            filed_by: manager.clone(),
            applicant_kind: ApplicantKind::PublicAgency,
            applicant_name: format!("高雄市政府警察局 第{i}號"),
            relation: String::new(),
            unit: "刑事警察大隊".into(),
            cameras: vec![cameras[i % CAMERAS].clone()],
            window: MinuteWindow::new(Timestamp(filed.0 - 60 * MINUTE_MS), filed).unwrap(),
            reason: "調查竊盜案".into(),
            category: Category::CrimeOrLawsuit,
            kinds: vec![AccessKind::View],
            attachments: vec![Attachment {
                kind: AttachmentKind::OfficialLetter,
                reference: format!("高市警刑字第{i}號"),
                blob: None,
            }],
            in_court: false,
            major_or_abnormal: false,
            personal_data_digest: personal.digest(),
            viewer: None,
            official_letter: Some(OfficialLetter {
                number: format!("高市警刑字第{i}號"),
                date: {
                    let d = filed.taipei_date();
                    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
                },
                legal_basis: "刑事訴訟法第133條".into(),
                purpose: "調查竊盜案".into(),
                scope: "一台攝影機，一小時".into(),
                intended_use: "證據".into(),
            }),
        };
        let mut case_doc = docs::open(
            &DocKey::ApplicationCase(case.id.clone()),
            None,
            &manager_key.device_id(),
        )
        .unwrap();
        docs::put_entry(&mut case_doc, docs::CASE, CURRENT, &case).unwrap();
        docs::commit(&mut case_doc, "filed", filed.0);
        let mut head_doc = case_doc.fork().with_actor(head_key.device_id().actor_id());
        let draft = DecisionDraft {
            id: EntryId::from_parts(filed.0 as u64 + 1, i as u128),
            decision: Decision::Approve,
            role: Role::Head,
            signer: head.clone(),
            signed_at: filed,
        };
        let approval = DecisionEvent::sign(draft, &case, site_heads.clone(), Vec::<EntryId>::new(), &head_key);
        docs::put_entry(&mut head_doc, docs::EVENTS, approval.id.as_str(), &approval).unwrap();
        docs::commit(&mut head_doc, "approve", filed.0);
        store
            .save_document(&DocKey::ApplicationCase(case.id.clone()), &head_doc.save(), now, None)
            .unwrap();
        let mut personal_doc = docs::open(
            &DocKey::ApplicationPersonal(case.id.clone()),
            None,
            &manager_key.device_id(),
        )
        .unwrap();
        docs::put_entry(&mut personal_doc, docs::PERSONAL, CURRENT, &personal).unwrap();
        docs::commit(&mut personal_doc, "filed", filed.0);
        store
            .save_document(
                &DocKey::ApplicationPersonal(case.id.clone()),
                &personal_doc.save(),
                now,
                None,
            )
            .unwrap();
        let log = LogbookEntry {
            application: case.id.clone(),
            session: EntryId::from_parts(filed.0 as u64 + 2, i as u128).to_string(),
            opened_at: filed,
            closed_at: Some(filed),
            applicant_name: case.applicant_name.clone(),
            unit: case.unit.clone(),
            cameras: case.cameras.clone(),
            window: case.window,
            reason_summary: case.reason.clone(),
            escort: manager.clone(),
            handling: vec![AccessKind::View],
            served: vec![custos_core::logbook::served_camera(
                case.cameras[0].clone(),
                (0..40).map(|s| (case.window.start.0 + s * 1_000, 1)),
            )],
            ended_by: Some(SessionEnd::Escort),
            after_viewing: None,
        };
        docs::put_entry(
            &mut logbook,
            docs::LOGBOOK_ENTRIES,
            EntryId::from_parts(filed.0 as u64 + 2, i as u128).as_str(),
            &log,
        )
        .unwrap();
        docs::commit(&mut logbook, "viewing", filed.0);
    }
    store
        .save_document(
            &DocKey::Logbook {
                year: now.taipei_date().year,
            },
            &logbook.save(),
            now,
            None,
        )
        .unwrap();
    let stored: Vec<(String, Vec<u8>)> = store
        .document_keys()
        .unwrap()
        .into_iter()
        .map(|k| {
            let b = store.document(&k).unwrap().unwrap();
            (k.to_string(), b)
        })
        .collect();
    let total_bytes: usize = stored.iter().map(|(_, b)| b.len()).sum();
    drop(registers);
    println!(
        "a year of registers: {} documents, {:.1} MB, written in {:.1} s",
        stored.len(),
        total_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // ---- Start the real recorder ----
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--no-recording",
        ])
        .env("CUSTOS_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(addr) = line.strip_prefix("listening on ") {
            break addr.to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let server = Server { child, base };
    let pem = std::fs::read(data.join("tls-cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    let token = sign_in(&client, &server.base, &manager_key).await;

    // ---- 1. A year of registers to a new device ----
    let raw_year = {
        let t = Instant::now();
        for (_, bytes) in &stored {
            let source = Automerge::load(bytes).unwrap();
            let mut target = Automerge::new();
            raw_sync(&source, &mut target);
        }
        t.elapsed()
    };
    let (https_year, copies) = {
        let t = Instant::now();
        let copies = sync_everything(&client, &server.base, &token, &manager_key.device_id()).await;
        (t.elapsed(), copies)
    };
    assert_eq!(
        copies.len(),
        stored.len(),
        "the manager receives every register document"
    );

    // ---- 2. A week of offline edits (500 changes), pushed and converged ----
    let month = month_key(now);
    let known = copies.get(&month.to_string()).cloned();
    let mut offline = known
        .clone()
        .unwrap_or_else(|| docs::open(&month, None, &manager_key.device_id()).unwrap());
    // On the first of a month the recorder has no log for it yet: the week
    // goes out whole, its genesis first, as the app sends a month begun offline.
    let synced_heads = if known.is_some() {
        offline.get_heads()
    } else {
        Vec::new()
    };
    for i in 0..OFFLINE_EDITS {
        let at = Timestamp(now.0 - (i as i64 % 7) * 60_000);
        let at = if month_key(at) == month { at } else { now };
        let id = EntryId::from_parts(at.0 as u64, 1_000_000 + i as u128);
        docs::put_entry(
            &mut offline,
            docs::INSPECTION_ENTRIES,
            id.as_str(),
            &entry(&manager, at, i),
        )
        .unwrap();
        docs::commit(&mut offline, "offline check", at.0);
    }
    let week: Vec<Change> = offline.get_changes(&synced_heads).into_iter().collect();
    assert_eq!(week.len(), OFFLINE_EDITS + usize::from(known.is_none()));
    let raw_week = {
        let base_doc = Automerge::load(
            &stored
                .iter()
                .find(|(k, _)| *k == month.to_string())
                .map(|(_, b)| b.clone())
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        let t = Instant::now();
        let mut recorder_copy = base_doc.clone();
        recorder_copy.apply_changes(week.clone()).unwrap();
        let _ = recorder_copy.save();
        let mut device_copy = recorder_copy.clone();
        raw_sync(&recorder_copy, &mut device_copy);
        t.elapsed()
    };
    let https_week = {
        let t = Instant::now();
        let res = push(&client, &server.base, &token, &month.to_string(), &week).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let mut state = sync::State::new();
        sync_one(
            &client,
            &server.base,
            &token,
            &month.to_string(),
            &mut offline,
            &mut state,
        )
        .await;
        t.elapsed()
    };

    // ---- 3. 200 devices each pushing one change ----
    let mut tokens = Vec::new();
    for (_, key) in &inspectors {
        tokens.push(sign_in(&client, &server.base, key).await);
    }
    let mut stored_month = {
        let mut d = docs::open(&month, None, &inspectors[0].1.device_id()).unwrap();
        let mut state = sync::State::new();
        sync_one(
            &client,
            &server.base,
            &tokens[0],
            &month.to_string(),
            &mut d,
            &mut state,
        )
        .await;
        d
    };
    let month_heads = stored_month.get_heads();
    let mut one_change_each = Vec::new();
    for (i, (person, key)) in inspectors.iter().enumerate() {
        let mut d = stored_month.fork().with_actor(key.device_id().actor_id());
        let id = EntryId::from_parts(now.0 as u64, 2_000_000 + i as u128);
        docs::put_entry(&mut d, docs::INSPECTION_ENTRIES, id.as_str(), &entry(person, now, i)).unwrap();
        docs::commit(&mut d, "check", now.0);
        one_change_each.push(d.get_changes(&month_heads).into_iter().collect::<Vec<_>>());
    }
    let raw_devices = {
        let t = Instant::now();
        let mut doc = stored_month.document().clone();
        for changes in &one_change_each {
            doc.apply_changes(changes.clone()).unwrap();
            let _ = doc.save();
        }
        t.elapsed()
    };
    let cpu_before = server.cpu();
    let wall = Instant::now();
    for (changes, token) in one_change_each.iter().zip(&tokens) {
        let res = push(&client, &server.base, token, &month.to_string(), changes).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let devices_wall = wall.elapsed();
    let devices_cpu = server.cpu() - cpu_before;

    println!();
    println!(
        "{:<58} {:>14} {:>16} {:>8}",
        "measurement", "raw automerge", "Custos (HTTPS)", "goal"
    );
    let row = |what: &str, raw: Duration, custos: Duration, goal_ms: u64| {
        let met = if custos.as_millis() as u64 <= goal_ms {
            "met"
        } else {
            "NOT MET"
        };
        println!(
            "{:<58} {:>11.0} ms {:>13.0} ms {:>5} ms  {met} ({:.1}x raw)",
            what,
            raw.as_secs_f64() * 1e3,
            custos.as_secs_f64() * 1e3,
            goal_ms,
            custos.as_secs_f64() / raw.as_secs_f64().max(1e-9)
        );
    };
    row("a year of registers to a new device (wall)", raw_year, https_year, 1000);
    row(
        "a week of offline edits (500 changes) converged (wall)",
        raw_week,
        https_week,
        300,
    );
    row(
        "200 devices push one change each (recorder CPU)",
        raw_devices,
        devices_cpu,
        1000,
    );
    println!(
        "(200 pushes took {:.0} ms of wall time, one after another)",
        devices_wall.as_secs_f64() * 1e3
    );
}

/// Two in-memory peers run the sync protocol until neither has anything to say.
fn raw_sync(source: &Automerge, target: &mut Automerge) {
    let mut source = source.clone();
    let (mut s1, mut s2) = (sync::State::new(), sync::State::new());
    loop {
        let a = target.generate_sync_message(&mut s2);
        if let Some(m) = a.clone() {
            source.receive_sync_message(&mut s1, m).unwrap();
        }
        let b = source.generate_sync_message(&mut s1);
        if let Some(m) = b.clone() {
            target.receive_sync_message(&mut s2, m).unwrap();
        }
        if a.is_none() && b.is_none() {
            break;
        }
    }
}

async fn sign_in(client: &reqwest::Client, base: &str, key: &DeviceKey) -> String {
    let device = key.device_id();
    let challenge: Value = client
        .post(format!("{base}/v1/auth/challenge"))
        .json(&json!({ "device_id": device.as_str() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce = challenge["nonce"].as_str().unwrap();
    let body = json!({ "device_id": device.as_str(), "nonce": nonce, "signature": key.sign(&auth_challenge_bytes(nonce, &device)) });
    let token: Value = client
        .post(format!("{base}/v1/auth/token"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["token"].as_str().unwrap().to_string()
}

async fn push(client: &reqwest::Client, base: &str, token: &str, key: &str, changes: &[Change]) -> reqwest::Response {
    let encoded: Vec<String> = changes.iter().map(|c| B64.encode(c.raw_bytes())).collect();
    client
        .post(format!("{base}/v1/push"))
        .bearer_auth(token)
        .json(&json!({ "key": key, "changes": encoded }))
        .send()
        .await
        .unwrap()
}

async fn sync_one(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    doc: &mut AutoCommit,
    state: &mut sync::State,
) {
    loop {
        let Some(m) = doc.sync().generate_sync_message(state) else {
            return;
        };
        let body = json!({ "documents": [{ "key": key, "message": B64.encode(m.encode()) }] });
        let reply: Value = client
            .post(format!("{base}/v1/sync"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        match reply["documents"][0]["message"].as_str() {
            Some(m) => doc
                .sync()
                .receive_sync_message(state, sync::Message::decode(&B64.decode(m).unwrap()).unwrap())
                .unwrap(),
            None => return,
        }
    }
}

/// What a new device does: list its documents, then sync them all, every
/// round trip carrying a message for each document still in progress.
async fn sync_everything(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    device: &DeviceId,
) -> BTreeMap<String, AutoCommit> {
    let list: Value = client
        .get(format!("{base}/v1/documents"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut docs: BTreeMap<String, (AutoCommit, sync::State)> = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let key = d["key"].as_str().unwrap().to_string();
            (
                key,
                (AutoCommit::new().with_actor(device.actor_id()), sync::State::new()),
            )
        })
        .collect();
    loop {
        let mut items = Vec::new();
        for (key, (doc, state)) in docs.iter_mut() {
            if let Some(m) = doc.sync().generate_sync_message(state) {
                items.push(json!({ "key": key, "message": B64.encode(m.encode()) }));
            }
        }
        if items.is_empty() {
            break;
        }
        for chunk in items.chunks(custos_recorder::registers::sync::MAX_SYNC_DOCUMENTS) {
            let reply: Value = client
                .post(format!("{base}/v1/sync"))
                .bearer_auth(token)
                .json(&json!({ "documents": chunk }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for r in reply["documents"].as_array().unwrap() {
                let key = r["key"].as_str().unwrap();
                if let Some(m) = r["message"].as_str() {
                    let (doc, state) = docs.get_mut(key).unwrap();
                    doc.sync()
                        .receive_sync_message(state, sync::Message::decode(&B64.decode(m).unwrap()).unwrap())
                        .unwrap();
                }
            }
        }
    }
    docs.into_iter().map(|(k, (d, _))| (k, d)).collect()
}
