//! 複製 for a public agency against the real recorder (issue #15 items 3–6):
//! the manager writes an approved copy application's footage to a disk on
//! the recorder's machine; the export verifies with `export verify` and with
//! the documented `openssl`/`sha256sum` procedure alone; one flipped byte of
//! a segment, of the manifest or of its signature makes both fail and say
//! what; the logbook says 複製, the spans are held under the letter, the
//! working copy is gone; and every refusal is refused and audited.
//!
//! One test records a minute from the GStreamer test camera (with sound)
//! and exports it while recording goes on; the others, on the simulated
//! clock, use MP4 made by ffmpeg, placed as recorded and indexed and sealed
//! by the recorder itself as it starts.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::phone::*;
use common::*;
use custos_core::application::{ApplicationCase, Decision, OfficialLetter};
use custos_core::audit::PublishedCheckpoint;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::EntryId;
use custos_core::logbook::{LogbookEntry, SessionEnd};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::terms::{AccessKind, ApplicantKind};
use custos_core::time::{DAY_MS, MINUTE_MS, MinuteWindow, Timestamp};
use serde_json::Value;

/// Tuesday 2026-11-24, 10:00 Taipei.
const TUESDAY_10AM: Timestamp = Timestamp(1_795_485_600_000);
const CAMERAS: &[(&str, &str, bool)] = &[("cam-01", "rtsp://127.0.0.1:9/none", false)];

fn export_refusals(r: &Recorder) -> Vec<String> {
    audited_codes(r, "export_refused")
}

/// `export make`, returning success, stdout and stderr.
fn make(r: &Recorder, application: &EntryId, by: &str, to: &Path, extra: &[&str]) -> (bool, String, String) {
    let data = r.data_str();
    let id = application.to_string();
    let to = to.to_str().unwrap();
    let mut args = vec![
        "export",
        "make",
        "--data",
        &data,
        "--application",
        &id,
        "--by",
        by,
        "--to",
        to,
    ];
    args.extend_from_slice(extra);
    let out = r.console(&args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_in(dir: &Path, shell: &str) -> (bool, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(shell)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The procedure of docs/export.md, with `openssl` and `sha256sum` alone.
/// Returns whether every step held, and what they printed.
fn openssl_procedure(archive: &Path, fingerprint: &str) -> (bool, String) {
    let steps = [
        "openssl pkey -pubin -in site.pem -outform DER | sha256sum".to_string(),
        "openssl pkeyutl -verify -pubin -inkey site.pem -rawin -in manifest.json -sigfile manifest.sig".into(),
        "openssl pkeyutl -verify -pubin -inkey site.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig".into(),
        "sha256sum -c SHA256SUMS".into(),
    ];
    let mut said = String::new();
    let mut all = true;
    for (n, step) in steps.iter().enumerate() {
        let (ok, out) = run_in(archive, step);
        let ok = ok && (n != 0 || out.starts_with(fingerprint));
        all &= ok;
        said.push_str(&format!("$ {step}\n{out}"));
    }
    (all, said)
}

fn verify_cli(r: &Recorder, archive: &Path, fingerprint: &str) -> (bool, String) {
    let out = r.console(&[
        "export",
        "verify",
        archive.to_str().unwrap(),
        "--fingerprint",
        fingerprint,
    ]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Flips one byte in the middle of `path`; returns a way back.
fn flip(path: &Path) -> Vec<u8> {
    let original = std::fs::read(path).unwrap();
    let mut bytes = original.clone();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
    original
}

/// The head countersigns the newest audit checkpoint on their phone.
async fn countersign_newest_checkpoint(r: &Recorder, head: &Phone) {
    let (site_doc, site) = site_of(r, head).await;
    let mut audit = docs::open(&DocKey::Audit, None, &head.device.id).unwrap();
    assert_eq!(pull(r, head, "audit", &mut audit).await, 200);
    let published: BTreeMap<String, PublishedCheckpoint> = docs::entries(&audit, docs::CHECKPOINTS).unwrap();
    let newest = published.values().max_by_key(|c| c.tree_size).unwrap().clone();
    let before = audit.get_heads();
    let seal = Seal::sign(
        EntryId::from_parts(newest.at.0 as u64, 4242),
        SealPurpose::AuditCheckpoint,
        newest.key(),
        newest.content_hash(),
        Role::Head,
        person_id(&site, "吳園長"),
        custos_core::history::heads_to_hex(&site_doc.clone().get_heads()),
        r.now(),
        "已核對".into(),
        &head.device.key,
    );
    docs::put_entry(&mut audit, docs::COUNTERSIGNATURES, seal.id.as_str(), &seal).unwrap();
    docs::commit(&mut audit, "countersign", r.now().0);
    let res = push(r, head, "audit", &new_changes(&mut audit, &before)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

fn agency_case(
    site: &custos_core::site::SiteRegister,
    now: Timestamp,
    window: MinuteWindow,
    n: u128,
) -> (ApplicationCase, custos_core::application::PersonalData) {
    let (mut case, personal) = filed(site, ApplicantKind::PublicAgency, "林專責", now, false);
    case.id = EntryId::from_parts(now.0 as u64, 300 + n);
    case.window = window;
    case.kinds = vec![AccessKind::Copy];
    case.unit = "高雄市政府警察局刑事警察大隊".into();
    case.attachments = vec![custos_core::application::Attachment {
        kind: custos_core::terms::AttachmentKind::OfficialLetter,
        reference: "高市警刑字第1150001234號".into(),
        blob: None,
    }];
    case.official_letter = Some(OfficialLetter {
        number: "高市警刑字第1150001234號".into(),
        date: now.taipei_date().to_string(),
        legal_basis: "刑事訴訟法第133條".into(),
        purpose: "偵辦竊盜案".into(),
        scope: "大門攝影機 11/23 10:00-10:03".into(),
        intended_use: "刑案偵查證據".into(),
    });
    (case, personal)
}

/// A kindergarten on the simulated clock with two minutes of cam-01 recorded
/// yesterday (indexed and sealed as the recorder starts), its manager's and
/// head's phones signed in: the recorder, the phones, the site, the minute.
async fn a_kindergarten_with_two_minutes_recorded() -> (Recorder, Phone, Phone, custos_core::site::SiteRegister, i64) {
    let people: &[(&str, &[&str])] = &[("林專責", &["manager"]), ("吳園長", &["head"])];
    let mut r = Recorder::start_simulated(
        "kaohsiung-kindergarten",
        people,
        CAMERAS,
        &["--no-recording"],
        TUESDAY_10AM,
    );
    let minute = (TUESDAY_10AM.0 - DAY_MS) / MINUTE_MS * MINUTE_MS;
    r.kill_serving();
    put_footage(&r.data(), &[("cam-01", minute), ("cam-01", minute + MINUTE_MS)]);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let manager = sign_in(&r, "林專責", 1).await;
    let head = sign_in(&r, "吳園長", 2).await;
    let (_, site) = site_of(&r, &manager).await;
    (r, manager, head, site, minute)
}

#[tokio::test]
async fn an_agencys_copy_is_written_signed_verifiable_anywhere_and_on_record() {
    let (mut r, manager, head, site, minute) = a_kindergarten_with_two_minutes_recorded().await;
    let window = MinuteWindow::new(Timestamp(minute), Timestamp(minute + 3 * MINUTE_MS)).unwrap();
    let (case, personal) = agency_case(&site, r.now(), window, 1);
    file(&r, &manager, &case, &personal, r.now()).await;
    let disk = tempfile::tempdir().unwrap();

    // Refused while in review, by a head, into the recorder's own data
    // directory, and outside the approval; each on record.
    let (ok, _, why) = make(&r, &case.id, "林專責", disk.path(), &[]);
    assert!(!ok && why.contains("not approved"), "{why}");
    decide(&r, &head, "吳園長", Role::Head, Decision::Approve, &case, r.now()).await;
    let (ok, _, why) = make(&r, &case.id, "吳園長", disk.path(), &[]);
    assert!(!ok && why.contains("not a manager"), "{why}");
    let (ok, _, why) = make(&r, &case.id, "林專責", &r.data(), &[]);
    assert!(!ok && why.contains("outside the recorder's data directory"), "{why}");
    let early = taipei_minute(Timestamp(minute - MINUTE_MS));
    let end = taipei_minute(Timestamp(minute + MINUTE_MS));
    let (ok, _, why) = make(
        &r,
        &case.id,
        "林專責",
        disk.path(),
        &["--from", &early, "--until", &end],
    );
    assert!(!ok && why.contains("not inside the approved window"), "{why}");
    // An agency's application to view is not a copy.
    let (mut viewing, viewing_personal) = agency_case(&site, r.now(), window, 2);
    viewing.kinds = vec![AccessKind::View];
    file(&r, &manager, &viewing, &viewing_personal, r.now()).await;
    decide(&r, &head, "吳園長", Role::Head, Decision::Approve, &viewing, r.now()).await;
    let (ok, _, why) = make(&r, &viewing.id, "林專責", disk.path(), &[]);
    assert!(!ok && why.contains("not for a copy (複製)"), "{why}");
    // Rejected; withdrawn.
    let (rejected, p) = agency_case(&site, r.now(), window, 3);
    file(&r, &manager, &rejected, &p, r.now()).await;
    let no = Decision::Reject {
        reason: "函文未載明法令依據".into(),
    };
    decide(&r, &head, "吳園長", Role::Head, no, &rejected, r.now()).await;
    let (ok, _, why) = make(&r, &rejected.id, "林專責", disk.path(), &[]);
    assert!(!ok && why.contains("rejected (否准)"), "{why}");
    let (withdrawn, p) = agency_case(&site, r.now(), window, 4);
    file(&r, &manager, &withdrawn, &p, r.now()).await;
    let gone = Decision::Withdraw {
        reason: "機關來函撤回".into(),
    };
    decide(&r, &manager, "林專責", Role::Manager, gone, &withdrawn, r.now()).await;
    let (ok, _, why) = make(&r, &withdrawn.id, "林專責", disk.path(), &[]);
    assert!(!ok && why.contains("withdrew"), "{why}");
    assert_eq!(
        export_refusals(&r),
        [
            "not_approved",
            "export_role",
            "destination",
            "outside_approval",
            "not_a_copy",
            "rejected",
            "withdrawn"
        ]
    );

    // A checkpoint the head countersigned covers the two minutes recorded;
    // the third minute is recorded after it, so its segment is pending.
    assert!(
        r.console(&["audit", "checkpoint", "--data", &r.data_str()])
            .status
            .success()
    );
    countersign_newest_checkpoint(&r, &head).await;
    r.kill_serving();
    put_footage(&r.data(), &[("cam-01", minute + 2 * MINUTE_MS)]);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;

    let (ok, said, progress) = make(&r, &case.id, "林專責", disk.path(), &[]);
    assert!(ok, "{said}{progress}");
    assert!(
        progress.contains("writing and checking the export [") && progress.contains("100%"),
        "{progress}"
    );
    assert!(
        said.contains("3 segment(s)") && said.contains("1 segment(s) are sealed, countersignature pending"),
        "{said}"
    );
    let archive: PathBuf = said
        .lines()
        .find_map(|l| l.strip_prefix("Export written and verified: "))
        .unwrap()
        .into();
    let key = String::from_utf8(r.console(&["export", "key", "--data", &r.data_str()]).stdout).unwrap();
    let fingerprint = key
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint (SHA-256 of the key's DER): "))
        .unwrap()
        .to_string();
    assert!(
        said.contains(&fingerprint),
        "the console states the fingerprint for the reply letter"
    );
    assert!(
        std::fs::read_dir(r.data().join("exports")).unwrap().next().is_none(),
        "the working copy is deleted"
    );

    // Verified by the recorder's tool and by openssl and sha256sum alone.
    let (ok, out) = verify_cli(&r, &archive, &fingerprint);
    assert!(
        ok && out.contains("3 segment(s) sealed at recording, 2 proven into the footage checkpoint")
            && out.contains("(countersigned by 吳園長（head）); 1 sealed after it"),
        "{out}"
    );
    let (ok, out) = openssl_procedure(&archive, &fingerprint);
    assert!(ok, "{out}");
    assert!(
        out.contains("Signature Verified Successfully") && out.contains(": OK"),
        "{out}"
    );
    let (ok, out) = verify_cli(&r, &archive, &"ab".repeat(32));
    assert!(!ok && out.contains("was not signed by that site's recorder"), "{out}");

    // One byte of a segment, of the manifest, of its signature: both checks fail and say what.
    let segment = archive
        .join("segments/cam-01")
        .join(custos_recorder::footage::paths::segment_file_name(minute + MINUTE_MS));
    let name = segment.strip_prefix(&archive).unwrap().to_str().unwrap().to_string();
    for (path, ours, theirs) in [
        (segment.clone(), name.clone(), format!("{name}: FAILED")),
        (
            archive.join("manifest.json"),
            "signature does not verify".to_string(),
            "Signature Verification Failure".to_string(),
        ),
        (
            archive.join("manifest.sig"),
            "signature does not verify".to_string(),
            "Signature Verification Failure".to_string(),
        ),
    ] {
        let original = flip(&path);
        let (ok, out) = verify_cli(&r, &archive, &fingerprint);
        assert!(!ok && out.contains(&ours), "{}: {out}", path.display());
        let (ok, out) = openssl_procedure(&archive, &fingerprint);
        assert!(!ok && out.contains(&theirs), "{}: {out}", path.display());
        std::fs::write(&path, original).unwrap();
    }
    assert!(verify_cli(&r, &archive, &fingerprint).0, "restored, it verifies again");

    // On record: the one export consumed, the logbook's 複製 entry, the hold
    // under the letter; a second export is refused.
    let (ok, _, why) = make(&r, &case.id, "林專責", disk.path(), &[]);
    assert!(!ok && why.contains("has had its one copy"), "{why}");
    assert_eq!(export_refusals(&r).last().map(String::as_str), Some("already_exported"));
    let key = DocKey::Logbook { year: 2026 };
    let mut doc = docs::open(&key, None, &manager.device.id).unwrap();
    assert_eq!(pull(&r, &manager, &key.to_string(), &mut doc).await, 200);
    let entries: BTreeMap<String, LogbookEntry> = docs::entries(&doc, docs::LOGBOOK_ENTRIES).unwrap();
    let entry = entries
        .values()
        .find(|e| e.application == case.id)
        .expect("the export's logbook entry");
    assert_eq!(entry.handling, vec![AccessKind::Copy]);
    assert_eq!(entry.ended_by, Some(SessionEnd::Exported));
    assert!(entry.is_complete(), "ready to countersign");
    let spans: Vec<(i64, i64)> = entry.served[0].spans.iter().map(|s| (s.from.0, s.to.0)).collect();
    assert_eq!(
        spans,
        [(minute, minute + 3 * MINUTE_MS - 1)],
        "the three minutes exported, to the second"
    );
    let holds: Vec<Value> = serde_json::from_str(&common::ok(r.console(&[
        "hold",
        "list",
        "--data",
        &r.data_str(),
        "--json",
    ])))
    .unwrap();
    assert!(
        holds.iter().any(|h| h["hold"]["basis"] == "official_letter"
            && h["hold"]["reference"] == "高市警刑字第1150001234號"
            && h["active"] == true),
        "{holds:?}"
    );
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    let made = store
        .audit_rows()
        .unwrap()
        .into_iter()
        .find(|row| row.kind == "export_made")
        .expect("audited");
    let detail: Value = serde_json::from_str(&made.detail).unwrap();
    assert_eq!(detail["working_copy_deleted"], true);
    assert_eq!(detail["segments"], 3);
}

/// The segments the recorder has indexed, as `footage list` gives them:
/// (named start, end of the media).
fn indexed(r: &Recorder) -> Vec<(i64, i64)> {
    let out = common::ok(console(&["footage", "list", "--data", &r.data_str(), "--json"]));
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    rows.iter()
        .map(|row| (row["start_ms"].as_i64().unwrap(), row["real_end_ms"].as_i64().unwrap()))
        .collect()
}

fn indexed_starts(r: &Recorder) -> Vec<i64> {
    indexed(r).into_iter().map(|(start, _)| start).collect()
}

#[tokio::test]
async fn a_minute_recorded_from_the_test_camera_exports_and_verifies_both_ways() {
    let people: &[(&str, &[&str])] = &[("林專責", &["manager"]), ("吳園長", &["head"])];
    let camera = TestCamera::start(&[("cam-01", "moving")], true);
    let mut r = Recorder::start_with(
        "kaohsiung-kindergarten",
        people,
        &[("cam-01", &camera.urls[0], true)],
        &["--segment-seconds", "2"],
    );
    // The minute the recording began in, once it is over and its last
    // segment indexed: a whole-minute window, its first seconds missing.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let first = loop {
        if let Some(&first) = indexed_starts(&r).first() {
            break first;
        }
        assert!(std::time::Instant::now() < deadline, "a segment within 40 s");
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    // Begun in the last quarter of a minute: the next whole one, so the
    // window holds enough segments to tell.
    let minute = first / MINUTE_MS * MINUTE_MS + if first % MINUTE_MS > 45_000 { MINUTE_MS } else { 0 };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !indexed_starts(&r).iter().any(|&s| s >= minute + MINUTE_MS + 4_000) {
        assert!(std::time::Instant::now() < deadline, "the minute recorded within 120 s");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let manager = sign_in(&r, "林專責", 1).await;
    let head = sign_in(&r, "吳園長", 2).await;
    let (_, site) = site_of(&r, &manager).await;
    let window = MinuteWindow::new(Timestamp(minute), Timestamp(minute + MINUTE_MS)).unwrap();
    let (case, personal) = agency_case(&site, r.now(), window, 1);
    file(&r, &manager, &case, &personal, r.now()).await;
    decide(&r, &head, "吳園長", Role::Head, Decision::Approve, &case, r.now()).await;
    // Every segment with media in the window, also one begun just before it.
    let in_window = indexed(&r)
        .iter()
        .filter(|&&(start, end)| start < minute + MINUTE_MS && end > minute)
        .count();
    // Exported while the camera is still being recorded.
    let disk = tempfile::tempdir().unwrap();
    let (ok, said, why) = make(&r, &case.id, "林專責", disk.path(), &[]);
    assert!(ok, "{said}{why}");
    r.kill_serving();
    assert!(in_window >= 5, "several 2 s segments in the minute: {in_window}");
    assert!(
        said.contains(&format!("{in_window} segment(s)"))
            && said.contains(&format!("{in_window} segment(s) are sealed, countersignature pending")),
        "every segment of the minute, none yet under a countersigned checkpoint: {said}"
    );
    let archive: PathBuf = said
        .lines()
        .find_map(|l| l.strip_prefix("Export written and verified: "))
        .unwrap()
        .into();
    let fingerprint = said
        .lines()
        .find_map(|l| l.strip_prefix("Site key fingerprint (state it in the reply letter): "))
        .unwrap()
        .to_string();
    let (ok, out) = verify_cli(&r, &archive, &fingerprint);
    assert!(ok, "{out}");
    let (ok, out) = openssl_procedure(&archive, &fingerprint);
    assert!(ok, "{out}");
    // The seconds of the minute before recording began are stated as missing.
    let manifest: Value = serde_json::from_slice(&std::fs::read(archive.join("manifest.json")).unwrap()).unwrap();
    let missing = manifest["missing"].as_array().unwrap();
    if first - minute > 5_000 {
        let gap = &missing[0];
        assert!(
            gap["camera"] == "cam-01" && gap["from_ms"] == minute && gap["to_ms"].as_i64().unwrap() <= first + 2_000,
            "{missing:?}"
        );
    }
    // The recorded segments themselves, byte for byte.
    // (The minute's last segment: the recording may have begun late in it.)
    let last = *indexed_starts(&r)
        .iter()
        .filter(|&&s| s < minute + MINUTE_MS)
        .max()
        .unwrap();
    let name = custos_recorder::footage::paths::segment_file_name(last);
    let original = custos_recorder::footage::paths::camera_dir(&r.data(), "cam-01").join(&name);
    let exported = archive.join("segments/cam-01").join(&name);
    assert_eq!(std::fs::read(&original).unwrap(), std::fs::read(&exported).unwrap());
    // With the sound the camera recorded.
    let streams = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0"])
        .arg(&exported)
        .output()
        .unwrap();
    let streams = String::from_utf8_lossy(&streams.stdout);
    assert!(streams.contains("video") && streams.contains("audio"), "{streams}");
}

async fn start_export(r: &Recorder, phone: &Phone, application: &EntryId) -> reqwest::Response {
    r.client
        .post(r.url("/v1/exports"))
        .bearer_auth(&phone.token)
        .json(&serde_json::json!({ "application": application.to_string() }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_manager_asks_from_the_tablet_and_follows_the_export_to_the_recorders_disk() {
    let (r, manager, head, site, minute) = a_kindergarten_with_two_minutes_recorded().await;
    let window = MinuteWindow::new(Timestamp(minute), Timestamp(minute + 2 * MINUTE_MS)).unwrap();
    let (case, personal) = agency_case(&site, r.now(), window, 1);
    file(&r, &manager, &case, &personal, r.now()).await;
    decide(&r, &head, "吳園長", Role::Head, Decision::Approve, &case, r.now()).await;

    // Not the head's to make; no disk set up yet: both said, both on record.
    let res = start_export(&r, &head, &case.id).await;
    assert_eq!(res.status(), 403);
    let res = start_export(&r, &manager, &case.id).await;
    assert_eq!(res.status(), 409);
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("export disk --set"),
        "{problem}"
    );
    assert_eq!(export_refusals(&r), ["export_role", "destination"]);

    let disk = tempfile::tempdir().unwrap();
    let set = common::ok(r.console(&[
        "export",
        "disk",
        "--data",
        &r.data_str(),
        "--set",
        disk.path().to_str().unwrap(),
    ]));
    assert!(set.contains("Exports asked for from a tablet are written to"), "{set}");
    let res = start_export(&r, &manager, &case.id).await;
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.unwrap();
    assert_eq!(job["progress"]["state"], "writing");
    let id = job["job"].as_str().unwrap().to_string();
    let url = r.url(&format!("/v1/exports/{id}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let done = loop {
        let state: Value = r
            .client
            .get(&url)
            .bearer_auth(&manager.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if state["progress"]["state"] != "writing" {
            break state;
        }
        assert!(std::time::Instant::now() < deadline, "written within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(done["progress"]["state"], "done", "{done}");
    assert_eq!(done["progress"]["segments"], 2);
    let archive = PathBuf::from(done["progress"]["archive"].as_str().unwrap());
    assert!(
        archive.starts_with(std::fs::canonicalize(disk.path()).unwrap()),
        "on the disk set up for exports"
    );
    let fingerprint = done["progress"]["fingerprint"].as_str().unwrap();
    let (ok, out) = verify_cli(&r, &archive, fingerprint);
    assert!(ok, "{out}");
    // Another device may not follow it; a second export is refused.
    let other = r.client.get(&url).bearer_auth(&head.token).send().await.unwrap();
    assert_eq!(other.status(), 404);
    let res = start_export(&r, &manager, &case.id).await;
    assert_eq!(res.status(), 409);
    assert_eq!(export_refusals(&r).last().map(String::as_str), Some("already_exported"));
    let mut r = r;
    recorder_stopped_mid_export_leaves_no_half_archive(&mut r, disk.path(), &archive, fingerprint);
}

/// What stops in an export's last steps leave on the export disk, put
/// right at the next start: an archive on record whose rename the stop
/// cut off takes its name; one cut off during its copy (no manifest yet,
/// not on record) is deleted; what else is on the disk stays.
fn recorder_stopped_mid_export_leaves_no_half_archive(
    r: &mut Recorder,
    disk: &Path,
    archive: &Path,
    fingerprint: &str,
) {
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(disk)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let name = archive.file_name().unwrap().to_str().unwrap().to_string();
    assert_eq!(
        listing(),
        std::slice::from_ref(&name),
        "only the whole archive, by its name"
    );
    r.kill_serving();
    let recorded = archive.with_file_name(format!("{name}.partial"));
    std::fs::rename(archive, &recorded).unwrap();
    let cut_off = disk.join("custos-export-20261202-ABCDEF.partial");
    std::fs::create_dir_all(cut_off.join("segments/cam-01")).unwrap();
    let first = std::fs::read_dir(recorded.join("segments/cam-01"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::copy(first.path(), cut_off.join("segments/cam-01").join(first.file_name())).unwrap();
    std::fs::create_dir(disk.join("someone-elses.partial")).unwrap();
    r.serve_again(&["--no-recording"]);
    assert_eq!(listing(), [name, "someone-elses.partial".to_string()]);
    let (ok, out) = verify_cli(r, archive, fingerprint);
    assert!(ok, "the archive on record, whole under its name: {out}");
}
