//! Footage sealed as it is recorded (issue #15 item 1): the GStreamer test
//! camera recorded through ffmpeg, each segment hashed into the footage log
//! as it is indexed; a checkpoint signs the log's Merkle root and is on the
//! audit chain; `audit verify` names a segment whose bytes changed (with
//! `--footage`), one cut short, and one deleted by hand with no destruction
//! record, and says the rest is intact.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use serde_json::Value;

fn segment_files(r: &Recorder) -> Vec<PathBuf> {
    let out = ok(console(&["footage", "list", "--data", &r.data_str(), "--json"]));
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    rows.iter()
        .map(|row| {
            custos_recorder::footage::paths::camera_dir(&r.data(), row["camera_id"].as_str().unwrap()).join(
                custos_recorder::footage::paths::segment_file_name(row["start_ms"].as_i64().unwrap()),
            )
        })
        .collect()
}

fn verify(r: &Recorder, footage: bool) -> (bool, String, String) {
    let mut args = vec!["audit", "verify", "--data"];
    let data = r.data_str();
    args.push(&data);
    if footage {
        args.push("--footage");
    }
    let out = console(&args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn recorded_footage_is_sealed_and_audit_verify_names_each_segment_not_as_recorded() {
    let camera = TestCamera::start(&[("cam-01", "moving")], false);
    let mut r = Recorder::start_with(
        "kaohsiung-kindergarten",
        &[],
        &[("cam-01", &camera.urls[0], false)],
        &["--segment-seconds", "2"],
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    while segment_files(&r).len() < 5 {
        assert!(std::time::Instant::now() < deadline, "five segments within 40 s");
        std::thread::sleep(Duration::from_millis(250));
    }
    // Stopped, so what is on disk stays put while it is checked.
    r.kill_serving();
    custos_recorder::cmds::ingest::stop_and_wait(&r.data(), Duration::from_secs(10));
    let files = segment_files(&r);

    ok(console(&["audit", "checkpoint", "--data", &r.data_str()]));
    let (intact, said, _) = verify(&r, true);
    assert!(intact, "{said}");
    let sealed = files.len();
    assert!(
        said.contains(&format!("footage log intact: {sealed} sealed segment(s)"))
            && said.contains(&format!("{sealed} re-hashed and matching"))
            && said.contains("1 signed checkpoint(s)"),
        "every indexed segment sealed and checked: {said}"
    );
    let audit = ok(console(&["audit", "verify", "--data", &r.data_str()]));
    assert!(audit.contains("audit chain intact"), "{audit}");

    // A re-hash stopped at the third segment resumes there, with its progress bar.
    let registers =
        custos_recorder::registers::Registers::open(&r.data(), std::sync::Arc::new(custos_clock::SystemClock)).unwrap();
    registers
        .store
        .set_setting(custos_recorder::cmds::audit::REHASHED_UP_TO, "3")
        .unwrap();
    let (intact, said, progress) = verify(&r, true);
    assert!(intact, "{said}");
    assert!(
        progress.contains(&format!("resuming the re-hash at segment 3 of {sealed}")),
        "{progress}"
    );
    assert!(
        progress.contains("re-hashing footage [") && progress.contains("100%"),
        "{progress}"
    );
    assert!(
        said.contains(&format!("{} re-hashed and matching", sealed - 2)),
        "{said}"
    );
    let (_, said, progress) = verify(&r, true);
    assert!(
        !progress.contains("resuming") && said.contains(&format!("{sealed} re-hashed")),
        "a finished re-hash starts over next time"
    );

    // One byte of the second segment changed: its size is the same, so only
    // the re-hash sees it, and names it.
    let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
    let mut bytes = std::fs::read(&files[1]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&files[1], &bytes).unwrap();
    let (intact, said, _) = verify(&r, false);
    assert!(intact, "sizes alone still agree: {said}");
    let (intact, _, why) = verify(&r, true);
    assert!(!intact);
    assert!(
        why.contains(&format!("cam-01 {} (sealed as segment", name(&files[1])))
            && why.contains("not as sealed: SHA-256"),
        "{why}"
    );

    // The third cut short and the fourth deleted by hand: both named without a re-hash.
    let third = std::fs::read(&files[2]).unwrap();
    std::fs::write(&files[2], &third[..third.len() - 10]).unwrap();
    std::fs::remove_file(&files[3]).unwrap();
    let (intact, _, why) = verify(&r, false);
    assert!(!intact);
    assert!(
        why.contains(&format!("{} (sealed as segment", name(&files[2]))) && why.contains("bytes, sealed with"),
        "{why}"
    );
    assert!(
        why.contains(&format!("{} (sealed as segment", name(&files[3])))
            && why.contains("gone, and no destruction record covers it"),
        "{why}"
    );
    assert!(why.contains("footage not as recorded: 2 segment(s)"), "{why}");
    assert!(
        !why.contains(&name(&files[0])) && !why.contains(&name(&files[4])),
        "the rest is intact: {why}"
    );
}

/// The background re-hash, on the simulated clock: a share of the sealed
/// footage every minute, the whole of it within 30 days; a segment whose
/// bytes changed is an audit row and the camera's alarm in the inspection
/// log, and the segments as sealed are neither.
#[tokio::test]
async fn the_background_rehash_finds_a_changed_segment_within_30_days_and_raises_the_cameras_alarm() {
    use custos_core::inspection::AlarmKind;
    use custos_core::time::{DAY_MS, MINUTE_MS, Timestamp};
    use custos_recorder::footage::rehash::{PASS_COMPLETED, REHASH_WITHIN_DAYS};
    let start = Timestamp(1_795_485_600_000);
    let cameras = [("cam-01", "rtsp://127.0.0.1:9/none", false)];
    let mut r = Recorder::start_simulated("kaohsiung-kindergarten", &[], &cameras, &["--no-recording"], start);
    let minute = |n: i64| (start.0 - DAY_MS) / MINUTE_MS * MINUTE_MS + n * MINUTE_MS;
    r.kill_serving();
    put_footage(
        &r.data(),
        &[("cam-01", minute(0)), ("cam-01", minute(1)), ("cam-01", minute(2))],
    );
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    assert_eq!(
        store.footage_log_head().unwrap().map(|(n, _)| n),
        Some(3),
        "sealed as the reconcile indexed them"
    );
    let changed = custos_recorder::footage::paths::camera_dir(&r.data(), "cam-01")
        .join(custos_recorder::footage::paths::segment_file_name(minute(1)));
    let mut bytes = std::fs::read(&changed).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0xff;
    std::fs::write(&changed, bytes).unwrap();

    let found = |store: &custos_recorder::db::Store| {
        store
            .audit_rows()
            .unwrap()
            .into_iter()
            .filter(|row| row.kind == "footage_not_as_sealed")
            .map(|row| row.detail)
            .collect::<Vec<_>>()
    };
    let mut days = 0;
    while found(&store).is_empty() {
        days += 1;
        assert!(days <= REHASH_WITHIN_DAYS, "not found within {REHASH_WITHIN_DAYS} days");
        r.advance(DAY_MS).await;
    }
    let said = found(&store);
    assert_eq!(said.len(), 1, "only the changed one: {said:?}");
    assert!(
        said[0].contains(&custos_recorder::footage::paths::segment_file_name(minute(1))) && said[0].contains("SHA-256"),
        "{said:?}"
    );
    let registers =
        custos_recorder::registers::Registers::open(&r.data(), std::sync::Arc::new(custos_clock::SystemClock)).unwrap();
    let alarms = registers.open_alarms(r.now()).unwrap();
    assert!(
        alarms.iter().any(|a| a.alarm.kind == AlarmKind::FootageNotAsSealed
            && a.alarm.camera.as_ref().is_some_and(|c| c.as_str() == "cam-01")),
        "the camera's alarm is open: {alarms:?}"
    );
    // The whole log is gone through within the 30 days.
    while store
        .setting(PASS_COMPLETED)
        .unwrap()
        .is_none_or(|at| at.parse::<i64>().unwrap() <= start.0)
    {
        days += 1;
        assert!(
            days <= REHASH_WITHIN_DAYS,
            "no whole pass within {REHASH_WITHIN_DAYS} days"
        );
        r.advance(DAY_MS).await;
    }
    assert_eq!(found(&store).len(), 1, "the segments as sealed stay unremarked");

    // The ethics office's devices receive both in the audit document: the
    // signed footage checkpoint and the finding.
    use custos_core::documents::{self as docs, DocKey};
    use custos_core::footage_log::{FootageFinding, PublishedFootageCheckpoint, review_footage};
    let audit = automerge::Automerge::load(&store.document(&DocKey::Audit).unwrap().unwrap()).unwrap();
    let checkpoints: std::collections::BTreeMap<String, PublishedFootageCheckpoint> =
        docs::entries(&audit, docs::FOOTAGE_CHECKPOINTS).unwrap();
    let findings: std::collections::BTreeMap<String, FootageFinding> =
        docs::entries(&audit, docs::FOOTAGE_FINDINGS).unwrap();
    let key = registers.site().unwrap().site.recorder_public_key.clone();
    let review = review_footage(checkpoints.values(), findings.values(), &key);
    assert!(review.signed && review.continues && review.sealed == 3, "{review:?}");
    assert_eq!(review.findings.len(), 1);
    assert!(
        !review.findings[0].missing
            && review.findings[0].file == custos_recorder::footage::paths::segment_file_name(minute(1))
    );
}

#[tokio::test]
async fn footage_recorded_before_sealing_began_is_sealed_late_and_watched_from_then_on() {
    const TUESDAY_10AM: i64 = 1_795_485_600_000;
    let mut r = Recorder::start_simulated(
        "kaohsiung-kindergarten",
        &[],
        &[("cam-01", "rtsp://127.0.0.1:9/none", false)],
        &["--no-recording"],
        custos_core::time::Timestamp(TUESDAY_10AM),
    );
    r.kill_serving();
    // Two minutes an older recorder indexed without sealing them.
    let minute = TUESDAY_10AM - 86_400_000;
    put_footage(&r.data(), &[("cam-01", minute), ("cam-01", minute + 60_000)]);
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    let files = [minute, minute + 60_000].map(|start| {
        let file = custos_recorder::footage::paths::camera_dir(&r.data(), "cam-01")
            .join(custos_recorder::footage::paths::segment_file_name(start));
        store
            .insert_segment(&custos_recorder::db::segments::SegmentRow {
                camera_id: "cam-01".into(),
                start_ms: start,
                real_start_ms: start,
                real_end_ms: start + 60_000,
                bytes: std::fs::metadata(&file).unwrap().len() as i64,
            })
            .unwrap();
        file
    });
    let (intact, said, _) = verify(&r, false);
    assert!(intact && said.contains("2 indexed segment(s) not sealed"), "{said}");

    let out = r.console(&["footage", "seal", "--data", &r.data_str()]);
    let (said, progress) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{progress}");
    assert!(
        said.contains("2 segment(s) recorded before sealing began are sealed now"),
        "{said}"
    );
    assert!(
        progress.contains("sealing footage [") && progress.contains("100%"),
        "{progress}"
    );
    let (intact, said, _) = verify(&r, true);
    assert!(
        intact && !said.contains("not sealed") && said.contains("2 re-hashed and matching"),
        "{said}"
    );
    let again = ok(r.console(&["footage", "seal", "--data", &r.data_str()]));
    assert!(again.contains("Every indexed segment is sealed"), "{again}");

    // From now on, a change shows.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&files[0], &bytes).unwrap();
    let (intact, _, why) = verify(&r, true);
    assert!(!intact && why.contains("not as sealed: SHA-256"), "{why}");
}
