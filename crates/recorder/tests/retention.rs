//! Retention with a simulated clock over a real data directory: the floor is
//! kept under disk pressure (and the alarm raised), footage past the ceiling
//! is destroyed except what a hold covers, and every destruction is recorded.

mod common;

use std::collections::BTreeMap;

use common::*;
use custos_clock::{Clock, SimulatedClock, SystemClock};
use custos_core::documents as docs;
use custos_core::holds::{DestructionReason, DestructionRecord, Hold, HoldBasis};
use custos_core::inspection::{AlarmKind, RecorderAlarm};
use custos_core::time::{DAY_MS, MINUTE_MS, MinuteWindow, Timestamp};
use custos_recorder::db::Store;
use custos_recorder::footage::disk::DiskSpace;
use custos_recorder::footage::paths::{camera_dir, segment_file_name};
use custos_recorder::footage::reconcile::reconcile;
use custos_recorder::footage::retention::{sweep, sweep_index};
use custos_recorder::registers::Registers;

/// The start of the minute of footage that ended `days` days before `now`.
fn minute_aged(now: Timestamp, days: i64) -> i64 {
    (now.0 - days * DAY_MS) / MINUTE_MS * MINUTE_MS - MINUTE_MS
}

/// A kindergarten (floor 14 days, ceiling 365) with a real minute of
/// footage per camera ending at each age in days, indexed by the start-up
/// reconcile; returns the bytes of one minute too.
fn site_with_footage(ages: &[(&str, i64)], now: Timestamp) -> (tempfile::TempDir, std::path::PathBuf, Registers, i64) {
    let (dir, data) = init_data_dir("幼兒園", "kaohsiung-kindergarten");
    let registers = Registers::open(&data, std::sync::Arc::new(SystemClock)).unwrap();
    let minutes: Vec<(&str, i64)> = ages
        .iter()
        .map(|(camera, days)| (*camera, minute_aged(now, *days)))
        .collect();
    put_footage(&data, &minutes);
    assert_eq!(reconcile(&registers.store, &data, now).unwrap(), (0, 0));
    assert_eq!(registers.store.segments(None).unwrap().len(), ages.len(), "all indexed");
    (dir, data, registers, minute_bytes() as i64)
}

fn ages_left(store: &Store, now: Timestamp) -> Vec<(String, i64)> {
    store
        .segments(None)
        .unwrap()
        .into_iter()
        .map(|r| (r.camera_id, (now.0 - r.real_start_ms) / DAY_MS))
        .collect()
}

fn destructions(store: &Store) -> Vec<DestructionRecord> {
    let doc = automerge::Automerge::load(&store.document(&docs::DocKey::Holds).unwrap().unwrap()).unwrap();
    let map: BTreeMap<String, DestructionRecord> = docs::entries(&doc, docs::DESTRUCTIONS).unwrap();
    map.into_values().collect()
}

const PLENTY: DiskSpace = DiskSpace {
    free: 1 << 40,
    reserve: 1 << 30,
};

#[test]
fn past_the_ceiling_goes_unless_held_and_each_destruction_is_recorded() {
    let clock = SimulatedClock::new(Timestamp(1_795_485_600_000));
    let now = clock.now();
    let ages = [
        ("cam-01", 400),
        ("cam-01", 200),
        ("cam-01", 1),
        ("cam-02", 400),
        ("cam-02", 370),
    ];
    let (_dir, data, registers, minute) = site_with_footage(&ages, now);
    let store = &registers.store;

    // A police investigation holds cam-02's footage from 400 days ago.
    let start = Timestamp((now.0 - 401 * DAY_MS) / MINUTE_MS * MINUTE_MS);
    let hold = Hold {
        cameras: vec!["cam-02".parse().unwrap()],
        window: MinuteWindow::new(start, Timestamp(start.0 + 2 * DAY_MS)).unwrap(),
        basis: HoldBasis::Investigation,
        legal_basis: "刑事訴訟法第133條".into(),
        reference: "高市警刑字第1130001號".into(),
        application: None,
        placed_at: now,
        placed_by: None,
        review_at: now.plus_days(90),
    };
    registers.write_blocking().unwrap().place_hold(&hold, now).unwrap();

    let report = sweep(&registers.write_blocking().unwrap(), &data, now, PLENTY).unwrap();
    let gone: Vec<(String, i64)> = report
        .destroyed
        .iter()
        .map(|r| (r.camera_id.clone(), (now.0 - r.real_start_ms) / DAY_MS))
        .collect();
    assert_eq!(gone, vec![("cam-01".to_string(), 400), ("cam-02".to_string(), 370)]);
    assert_eq!(report.held_segments, 1);
    assert_eq!(
        ages_left(store, now),
        vec![("cam-01".into(), 200), ("cam-01".into(), 1), ("cam-02".into(), 400)]
    );
    for row in &report.destroyed {
        assert!(
            !camera_dir(&data, &row.camera_id)
                .join(segment_file_name(row.start_ms))
                .exists(),
            "file removed"
        );
    }
    let records = destructions(store);
    assert_eq!(records.len(), 2);
    assert!(
        records
            .iter()
            .all(|r| r.reason == DestructionReason::PastCeiling && r.bytes == minute as u64)
    );
    let kinds: Vec<String> = store.audit_rows().unwrap().into_iter().map(|r| r.kind).collect();
    assert!(kinds.contains(&"footage_destroyed".to_string()) && kinds.contains(&"hold_placed".to_string()));

    // A second sweep the same day has nothing more to do; a year later the held footage is still there.
    assert!(
        sweep(&registers.write_blocking().unwrap(), &data, now, PLENTY)
            .unwrap()
            .destroyed
            .is_empty()
    );
    clock.advance_ms(30 * DAY_MS);
    sweep(&registers.write_blocking().unwrap(), &data, clock.now(), PLENTY).unwrap();
    assert!(
        ages_left(store, clock.now()).iter().any(|(c, _)| c == "cam-02"),
        "held footage outlives the ceiling"
    );
    assert!(
        ages_left(store, clock.now())
            .iter()
            .all(|(c, a)| c != "cam-01" || *a < 365)
    );
    // Every minute was sealed as the start-up reconcile indexed it; the two
    // destroyed keep their seals and show as destroyed, with their records.
    let verified = ok(console(&[
        "audit",
        "verify",
        "--data",
        data.to_str().unwrap(),
        "--footage",
    ]));
    assert!(
        verified.contains("footage log intact: 5 sealed segment(s), 2 destroyed by retention")
            && verified.contains("3 re-hashed and matching"),
        "{verified}"
    );
}

#[test]
fn a_hold_inside_old_footage_splits_the_destruction_and_a_stop_before_unlinking_loses_nothing_held() {
    let now = Timestamp(1_795_485_600_000);
    let ages = [
        ("cam-01", 403),
        ("cam-01", 402),
        ("cam-01", 401),
        ("cam-01", 400),
        ("cam-01", 10),
    ];
    let (_dir, data, registers, minute) = site_with_footage(&ages, now);
    let store = &registers.store;
    let start = Timestamp(minute_aged(now, 402));
    let hold = Hold {
        cameras: vec!["cam-01".parse().unwrap()],
        window: MinuteWindow::new(start, Timestamp(start.0 + MINUTE_MS)).unwrap(),
        basis: HoldBasis::Investigation,
        legal_basis: "刑事訴訟法第133條".into(),
        reference: "高市警刑字第1130002號".into(),
        application: None,
        placed_at: now,
        placed_by: None,
        review_at: now.plus_days(90),
    };
    registers.write_blocking().unwrap().place_hold(&hold, now).unwrap();

    // The recorder stops after the index and the registers, before unlinking.
    let report = sweep_index(&registers.write_blocking().unwrap(), now, PLENTY).unwrap();
    assert_eq!(report.destroyed.len(), 3);
    assert_eq!(
        ages_left(store, now),
        vec![("cam-01".into(), 402), ("cam-01".into(), 10)],
        "the held minute in the middle stays; the rest is out of the index at once"
    );
    assert_eq!(store.footage_bytes().unwrap(), 2 * minute, "the totals follow");
    let file = |age: i64| camera_dir(&data, "cam-01").join(segment_file_name(minute_aged(now, age)));
    assert!(file(403).exists() && file(400).exists(), "not yet unlinked");
    assert_eq!(
        store.files_to_unlink().unwrap().len(),
        2,
        "two runs either side of the hold"
    );

    // On the next start the reconcile finishes the destruction: the files
    // go, none of them is reported as footage nobody indexed, and the held
    // minute is untouched.
    let (orphans, missing) = reconcile(store, &data, now).unwrap();
    assert_eq!((orphans, missing), (0, 0));
    assert!(!file(403).exists() && !file(401).exists() && !file(400).exists());
    assert!(file(402).exists() && file(10).exists());
    assert!(store.files_to_unlink().unwrap().is_empty());
    let kinds: Vec<String> = store.audit_rows().unwrap().into_iter().map(|r| r.kind).collect();
    assert!(!kinds.contains(&"footage_unindexed".to_string()), "{kinds:?}");
    assert_eq!(
        destructions(store).len(),
        3,
        "each destroyed minute recorded (days apart, so not merged)"
    );
}

#[test]
fn the_ceiling_takes_whole_days_so_a_day_of_sweeps_writes_one_record_per_camera() {
    let today = Timestamp(1_795_485_600_000).taipei_day_start();
    let (_dir, data, registers, _) = site_with_footage(&[], today);
    let store = &registers.store;
    // Three whole days of footage, the oldest a year and two days ago, in
    // hour-long segments (a site recording long segments; 4,320 minute files
    // would take the reconcile's ffprobe minutes to index).
    let hours: Vec<(&str, i64)> = (0..3 * 24)
        .map(|hour| ("cam-01", today.0 - 366 * DAY_MS + hour * 60 * MINUTE_MS))
        .collect();
    put_segments(&data, &hours, 3600);
    assert_eq!(reconcile(store, &data, today).unwrap(), (0, 0));
    assert_eq!(store.segments(None).unwrap().len(), 72);

    // A sweep every ten minutes for a day and a bit.
    let mut destroyed_at = Vec::new();
    for step in 0..150 {
        let now = Timestamp(today.0 + 5 * MINUTE_MS + step * 10 * MINUTE_MS);
        if !sweep(&registers.write_blocking().unwrap(), &data, now, PLENTY)
            .unwrap()
            .destroyed
            .is_empty()
        {
            destroyed_at.push(step);
        }
        // Never anything older than the ceiling left after a sweep.
        assert!(
            store
                .segments(None)
                .unwrap()
                .iter()
                .all(|r| r.start_ms >= now.minus_days(365).0)
        );
    }
    // Just after midnight the two days past the ceiling go; the next
    // midnight the third; the sweeps in between find nothing due.
    assert_eq!(destroyed_at, vec![0, 144]);
    let records = destructions(store);
    let days: Vec<i64> = records.iter().map(|r| (r.end.0 - r.start.0) / DAY_MS).collect();
    assert_eq!(days, vec![2, 1], "one record per unbroken span, whole days");
    assert!(store.segments(None).unwrap().is_empty());
}

#[test]
fn the_start_up_reconcile_reports_missing_runs_and_unindexed_files_and_leaves_the_new_run_alone() {
    let now = Timestamp(1_795_485_600_000);
    let (_dir, data, registers, _) = site_with_footage(&[], now);
    let store = &registers.store;
    let minute = |m: i64| now.0 - 60 * MINUTE_MS + m * MINUTE_MS;
    let file = |camera: &str, m: i64| camera_dir(&data, camera).join(segment_file_name(minute(m)));
    let kinds_of = |kind: &str| -> Vec<serde_json::Value> {
        store
            .audit_rows()
            .unwrap()
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| serde_json::from_str(&r.detail).unwrap())
            .collect()
    };

    // A first start indexes what was recorded: cam-01 minutes 0-5, cam-03
    // minutes 20-21.
    let mut recorded: Vec<(&str, i64)> = (0..6).map(|m| ("cam-01", minute(m))).collect();
    recorded.extend((20..22).map(|m| ("cam-03", minute(m))));
    put_footage(&data, &recorded);
    assert_eq!(reconcile(store, &data, now).unwrap(), (0, 0));
    assert_eq!(kinds_of("footage_indexed_at_start").len(), 8);

    // Then cam-01 loses minutes 1-3 and 5; minute 6 is a file the stop cut
    // short that nothing can read; minute 7 is real footage put back from a
    // copy; 61 is the run that starts now. cam-02 has an unreadable file and
    // no index; cam-03's directory is gone.
    for m in [1, 2, 3, 5] {
        std::fs::remove_file(file("cam-01", m)).unwrap();
    }
    std::fs::write(file("cam-01", 6), b"fragmented mp4").unwrap();
    put_footage(&data, &[("cam-01", minute(7)), ("cam-01", minute(61))]);
    std::fs::create_dir_all(camera_dir(&data, "cam-02")).unwrap();
    std::fs::write(file("cam-02", 10), b"fragmented mp4").unwrap();
    std::fs::remove_dir_all(camera_dir(&data, "cam-03")).unwrap();

    let (orphans, missing) = reconcile(store, &data, now).unwrap();
    assert_eq!((orphans, missing), (2, 6));
    let missing_runs: Vec<(String, i64)> = kinds_of("footage_missing")
        .iter()
        .map(|d| (d["camera"].as_str().unwrap().to_string(), d["files"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        missing_runs,
        [("cam-01".into(), 3), ("cam-01".into(), 1), ("cam-03".into(), 2)],
        "one row per run of missing files"
    );
    let unindexed: Vec<String> = kinds_of("footage_unindexed")
        .iter()
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unindexed, [segment_file_name(minute(6)), segment_file_name(minute(10))]);
    let indexed = kinds_of("footage_indexed_at_start");
    assert_eq!(indexed.len(), 9, "the minute put back is indexed, on record");
    assert_eq!(indexed[8]["file"], segment_file_name(minute(7)));
    let starts: Vec<i64> = store.segments(None).unwrap().iter().map(|r| r.start_ms).collect();
    assert!(starts.contains(&minute(7)) && !starts.contains(&minute(61)));
    assert!(file("cam-01", 61).exists(), "the new run's file is left to it");
}

#[test]
fn disk_pressure_takes_the_oldest_past_the_floor_and_never_the_floor() {
    let clock = SimulatedClock::new(Timestamp(1_795_485_600_000));
    let now = clock.now();
    let ages = [
        ("cam-01", 100),
        ("cam-01", 30),
        ("cam-01", 20),
        ("cam-01", 15),
        ("cam-01", 13),
        ("cam-01", 2),
        ("cam-01", 0),
    ];
    let (_dir, data, registers, minute) = site_with_footage(&ages, now);
    let store = &registers.store;

    // The disk wants two minutes' bytes back, and a day's recording (the
    // last day holds one minute) is freed on top so the next sweeps need
    // not: the three oldest past the floor go.
    let report = sweep(
        &registers.write_blocking().unwrap(),
        &data,
        now,
        DiskSpace {
            free: 0,
            reserve: 2 * minute as u64,
        },
    )
    .unwrap();
    let gone: Vec<i64> = report
        .destroyed
        .iter()
        .map(|r| (now.0 - r.real_start_ms) / DAY_MS)
        .collect();
    assert_eq!(gone, vec![100, 30, 20]);
    assert!(
        destructions(store)
            .iter()
            .all(|r| r.reason == DestructionReason::SpaceNeeded)
    );
    assert!(!report.space_short);

    // It wants far more than can be freed: only the last one past the floor
    // goes, the floor stays whole, and the alarm is raised.
    let report = sweep(
        &registers.write_blocking().unwrap(),
        &data,
        now,
        DiskSpace {
            free: 0,
            reserve: 1 << 40,
        },
    )
    .unwrap();
    let gone: Vec<i64> = report
        .destroyed
        .iter()
        .map(|r| (now.0 - r.real_start_ms) / DAY_MS)
        .collect();
    assert_eq!(gone, vec![15]);
    assert!(report.space_short && report.floor.floor_at_risk);
    assert_eq!(
        ages_left(store, now).into_iter().map(|(_, a)| a).collect::<Vec<_>>(),
        vec![13, 2, 0]
    );
    // Both sweeps found a full disk that cannot hold 14 days at this rate:
    // one alarm, raised by the first, in the audit chain and in the
    // inspection log where the inspector sees it.
    let count = |kind: &str| store.audit_rows().unwrap().iter().filter(|r| r.kind == kind).count();
    assert_eq!(count("retention_floor_at_risk"), 1);
    let alarms = alarms_in_log(store, now);
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0].kind, AlarmKind::RetentionFloorAtRisk);
    assert_eq!((alarms[0].raised_at, alarms[0].ended_at), (now, None));
    assert!(alarms[0].detail.contains("14"), "{}", alarms[0].detail);

    // With room enough the alarm ends, once; a further sweep says nothing.
    let later = Timestamp(now.0 + 600_000);
    let report = sweep(&registers.write_blocking().unwrap(), &data, later, PLENTY).unwrap();
    assert!(!report.floor.floor_at_risk && !report.space_short);
    assert_eq!(count("retention_floor_at_risk_ended"), 1);
    assert_eq!(alarms_in_log(store, now)[0].ended_at, Some(later));
    let before = store.audit_rows().unwrap().len();
    sweep(&registers.write_blocking().unwrap(), &data, later, PLENTY).unwrap();
    assert_eq!(store.audit_rows().unwrap().len(), before);
}

/// The floor check has one home (`footage::disk::floor_outlook`): the sweep
/// and what the health API and `retention status` report agree, and both
/// count held footage as room the disk cannot free. Here the floor is at
/// risk only because held footage counts.
#[test]
fn the_sweep_and_the_reported_outlook_agree_on_the_floor_and_count_held_footage() {
    let now = Timestamp(1_795_485_600_000);
    // A day's recording of one minute, and five minutes from 100 days ago
    // that a case holds.
    let (_dir, data, registers, minute) = site_with_footage(&[("cam-01", 0)], now);
    let store = &registers.store;
    let held_start = minute_aged(now, 100);
    let held: Vec<(&str, i64)> = (0..5).map(|m| ("cam-01", held_start + m * MINUTE_MS)).collect();
    put_footage(&data, &held);
    assert_eq!(reconcile(store, &data, now).unwrap(), (0, 0));
    let hold = Hold {
        cameras: vec!["cam-01".parse().unwrap()],
        window: MinuteWindow::new(Timestamp(held_start), Timestamp(held_start + 5 * MINUTE_MS)).unwrap(),
        basis: HoldBasis::Investigation,
        legal_basis: "刑事訴訟法第133條".into(),
        reference: "高市警刑字第1130003號".into(),
        application: None,
        placed_at: now,
        placed_by: None,
        review_at: now.plus_days(90),
    };
    let hold_id = registers.write_blocking().unwrap().place_hold(&hold, now).unwrap();
    registers
        .write_blocking()
        .unwrap()
        .add_person("林園長", &[custos_core::roles::Role::Head], now)
        .unwrap();
    // Ten minutes' bytes free past the reserve: 11 days of room without the
    // five held minutes, 16 days if held footage were counted as room.
    let disk = DiskSpace {
        free: (1 << 30) + 10 * minute as u64,
        reserve: 1 << 30,
    };
    let rule = registers.profile().unwrap().effective_retention().unwrap();
    let capacity = 6 * minute as u64 + 10 * minute as u64;
    assert!(
        !custos_core::retention::floor_check(rule, capacity, 0, minute as u64).floor_at_risk,
        "the premise: not counting held footage, the floor would look safe"
    );

    let report = sweep(&registers.write_blocking().unwrap(), &data, now, disk).unwrap();
    assert!(report.destroyed.is_empty());
    assert!(report.floor.floor_at_risk, "the sweep: at risk");
    let reported = custos_recorder::footage::disk::outlook(&registers, disk, now).unwrap();
    assert!(reported.floor.floor_at_risk, "health and status: at risk");
    assert_eq!(reported.held_bytes, 5 * minute as u64);
    assert!((reported.floor.days_disk_can_hold - 11.0).abs() < 1e-9);
    let open: Vec<RecorderAlarm> = alarms_in_log(store, now)
        .into_iter()
        .filter(|a| a.ended_at.is_none())
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].kind, AlarmKind::RetentionFloorAtRisk);

    // The head releases the hold: all say not at risk, and the alarm ends.
    let later = Timestamp(now.0 + 600_000);
    registers
        .write_blocking()
        .unwrap()
        .release_on_console(&hold_id, "林園長", "案件終結", later)
        .unwrap();
    assert!(
        !custos_recorder::footage::disk::outlook(&registers, disk, later)
            .unwrap()
            .floor
            .floor_at_risk
    );
    let report = sweep(&registers.write_blocking().unwrap(), &data, later, disk).unwrap();
    assert!(!report.floor.floor_at_risk);
    assert!(alarms_in_log(store, now).iter().all(|a| a.ended_at == Some(later)));
}

/// The recorder's alarms in the inspection log of `now`'s month.
fn alarms_in_log(store: &Store, now: Timestamp) -> Vec<RecorderAlarm> {
    let today = now.taipei_date();
    let key = docs::DocKey::Inspections {
        year: today.year,
        month: today.month,
    };
    let doc = automerge::Automerge::load(&store.document(&key).unwrap().unwrap()).unwrap();
    custos_core::inspection::alarms(&doc).unwrap().into_values().collect()
}

#[test]
fn holds_on_the_console_are_placed_by_a_manager_and_released_only_by_the_head() {
    let (_dir, data) = init_data_dir("萬華戶政", "wanhua-household");
    let d = data.to_str().unwrap();
    ok(console(&[
        "person",
        "add",
        "--data",
        d,
        "--name",
        "林專責",
        "--role",
        "manager",
    ]));
    ok(console(&[
        "person",
        "add",
        "--data",
        d,
        "--name",
        "吳主任",
        "--role",
        "head",
    ]));
    ok(console(&[
        "camera",
        "add",
        "--data",
        d,
        "--id",
        "cam-01",
        "--name",
        "櫃檯",
        "--location",
        "一樓",
        "--zone",
        "indoor-public",
        "--rtsp",
        "rtsp://127.0.0.1:9/x",
    ]));
    let add = |by: &str| {
        console(&[
            "hold",
            "add",
            "--data",
            d,
            "--camera",
            "cam-01",
            "--from",
            "2026-11-20 09:00",
            "--to",
            "2026-11-20 10:30",
            "--basis",
            "official-letter",
            "--legal-basis",
            "刑事訴訟法第133條",
            "--reference",
            "北市警萬分刑字第1130001號",
            "--by",
            by,
        ])
    };
    let refused = add("吳主任");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a manager"));
    ok(add("林專責"));
    let list: serde_json::Value = serde_json::from_str(&ok(console(&["hold", "list", "--data", d, "--json"]))).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["active"], true);
    assert_eq!(
        list[0]["hold"]["window"]["start"],
        Timestamp::parse_taipei_minute("2026-11-20 09:00").unwrap().0
    );

    let by_manager = console(&[
        "hold",
        "release",
        "--data",
        d,
        "--id",
        &id,
        "--head",
        "林專責",
        "--note",
        "結案",
    ]);
    assert!(String::from_utf8_lossy(&by_manager.stderr).contains("not the head"));
    let no_note = console(&[
        "hold",
        "release",
        "--data",
        d,
        "--id",
        &id,
        "--head",
        "吳主任",
        "--note",
        " ",
    ]);
    assert!(!no_note.status.success());
    ok(console(&[
        "hold",
        "release",
        "--data",
        d,
        "--id",
        &id,
        "--head",
        "吳主任",
        "--note",
        "警方函覆結案",
    ]));
    let list: serde_json::Value = serde_json::from_str(&ok(console(&["hold", "list", "--data", d, "--json"]))).unwrap();
    assert_eq!(list[0]["active"], false);
    let again = console(&[
        "hold",
        "release",
        "--data",
        d,
        "--id",
        &id,
        "--head",
        "吳主任",
        "--note",
        "再次",
    ]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already released"));

    let status: serde_json::Value =
        serde_json::from_str(&ok(console(&["retention", "status", "--data", d, "--json"]))).unwrap();
    assert_eq!(status["floor_days"], 31);
    assert_eq!(status["ceiling_days"], 365);
    assert_eq!(status["holds_in_force"], 0);
    assert!(ok(console(&["audit", "verify", "--data", d])).contains("intact"));
}

/// The floor check agrees everywhere, against the real recorder: footage is
/// held so that the floor is at risk only when held footage counts; the
/// sweep raises `retention_floor_at_risk`, `GET /v1/cameras/health` and
/// `retention status` say at risk; once the head releases the hold, all say
/// it is not, and the alarm ends. The footage is real segments made by
/// ffmpeg at chosen times, which the start-up reconcile indexes; the disk
/// is stated (`CUSTOS_SIMULATED_DISK`), the clock simulated.
#[tokio::test]
async fn the_sweep_the_health_api_and_retention_status_agree_on_the_floor() {
    let now = Timestamp(1_795_485_600_000);
    let people: &[(&str, &[&str])] = &[("王經理", &["manager"]), ("林園長", &["head"])];
    let cameras = [("cam-01", "rtsp://127.0.0.1:9/unreachable", false)];
    let mut r = Recorder::start_simulated("kaohsiung-kindergarten", people, &cameras, &["--no-recording"], now);
    r.kill_serving();

    // Half an hour ago, and five minutes 100 days ago that a case holds.
    let recent = now.0 - 30 * MINUTE_MS;
    let old = (now.0 - 100 * DAY_MS) / MINUTE_MS * MINUTE_MS;
    let mut footage = vec![("cam-01", recent)];
    footage.extend((0..5).map(|m| ("cam-01", old + m * MINUTE_MS)));
    put_footage(&r.data(), &footage);
    let day_bytes = minute_bytes();
    let held_bytes = 5 * day_bytes;
    ok(r.console(&[
        "hold",
        "add",
        "--data",
        &r.data_str(),
        "--camera",
        "cam-01",
        "--from",
        &taipei_minute(Timestamp(old)),
        "--to",
        &taipei_minute(Timestamp(old + 5 * MINUTE_MS)),
        "--basis",
        "investigation",
        "--legal-basis",
        "刑事訴訟法第133條",
        "--reference",
        "高市警刑字第1130004號",
        "--by",
        "王經理",
    ]));
    // Room past the reserve of ten days' recording: the disk holds 11 days
    // with the held footage counted as kept, 16 if it were counted as room
    // that retention could free (the floor is 14).
    let room = 10 * day_bytes;
    let reserve = 1u64 << 30;
    r.set_env("CUSTOS_SIMULATED_DISK", &format!("{},{reserve}", reserve + room));
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;

    let device = r.enroll("王經理", 1).await;
    let token = r.token(&device).await;
    async fn health(r: &Recorder, token: &str) -> serde_json::Value {
        let res = r.get("/v1/cameras/health", Some(token)).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
    let status = |r: &Recorder| -> serde_json::Value {
        serde_json::from_str(&ok(r.console(&[
            "retention",
            "status",
            "--data",
            &r.data_str(),
            "--json",
        ])))
        .unwrap()
    };
    let open_floor_alarms = |r: &Recorder| -> usize {
        let store = Store::open(&r.data()).unwrap();
        alarms_in_log(&store, now)
            .iter()
            .filter(|a| a.kind == AlarmKind::RetentionFloorAtRisk && a.ended_at.is_none())
            .count()
    };

    let reported = health(&r, &token).await;
    assert_eq!(reported["disk"]["floor_at_risk"], true, "the health API: {reported}");
    let days = reported["disk"]["days_disk_can_hold"].as_f64().unwrap();
    assert!((days - 11.0).abs() < 0.01, "{days}");
    assert!(
        (6 * day_bytes + room) as f64 / day_bytes as f64 >= 14.0,
        "the premise: counted as room, the held footage would make the floor look safe"
    );
    let console = status(&r);
    assert_eq!(console["floor_at_risk"], true, "retention status: {console}");
    assert_eq!(console["held_bytes"].as_u64(), Some(held_bytes));
    assert_eq!(open_floor_alarms(&r), 1, "the sweep's alarm in the inspection log");

    // The head releases the hold; the next sweep ends the alarm.
    let holds: serde_json::Value =
        serde_json::from_str(&ok(r.console(&["hold", "list", "--data", &r.data_str(), "--json"]))).unwrap();
    let id = holds[0]["id"].as_str().unwrap().to_string();
    ok(r.console(&[
        "hold",
        "release",
        "--data",
        &r.data_str(),
        "--id",
        &id,
        "--head",
        "林園長",
        "--note",
        "案件終結",
    ]));
    r.advance(10 * MINUTE_MS).await;
    assert_eq!(health(&r, &token).await["disk"]["floor_at_risk"], false);
    assert_eq!(status(&r)["floor_at_risk"], false);
    assert_eq!(open_floor_alarms(&r), 0, "ended");
}

/// The staff filing an application ask which footage exists for the
/// cameras and window (001 §6(3)): each camera's recorded spans, joined
/// across the cut between segments, and what is missing; the rest of the
/// staff are refused, and a question that is not bounded is refused
/// before the index is read.
#[tokio::test]
async fn the_filing_staff_see_which_footage_exists_for_a_window() {
    let now = Timestamp(1_795_485_600_000);
    let people: &[(&str, &[&str])] = &[("王經理", &["manager"]), ("黃巡檢", &["inspector"])];
    let cameras = [
        ("cam-01", "rtsp://127.0.0.1:9/unreachable", false),
        ("cam-02", "rtsp://127.0.0.1:9/unreachable", false),
    ];
    let mut r = Recorder::start_simulated("kaohsiung-kindergarten", people, &cameras, &["--no-recording"], now);
    r.kill_serving();
    // Yesterday 10:00-10:30: cam-01 recorded five-minute segments except
    // 10:10-10:20; cam-02 nothing.
    let from = now.0 - DAY_MS;
    let five = 5 * MINUTE_MS;
    let starts: Vec<(&str, i64)> = [0, 1, 4, 5].iter().map(|k| ("cam-01", from + k * five)).collect();
    put_segments(&r.data(), &starts, 300);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let manager = r.enroll("王經理", 1).await;
    let manager = r.token(&manager).await;
    let inspector = r.enroll("黃巡檢", 2).await;
    let inspector = r.token(&inspector).await;
    let to = from + 6 * five;
    let ask =
        |cameras: &str, from: i64, to: i64| format!("/v1/footage/spans?cameras={cameras}&from_ms={from}&to_ms={to}");

    let res = r.get(&ask("cam-01,cam-02,cam-01", from, to), Some(&manager)).await;
    assert_eq!(res.status(), 200);
    let answer: serde_json::Value = res.json().await.unwrap();
    let spans = |camera: usize, kind: &str| -> Vec<(i64, i64)> {
        answer["cameras"][camera][kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["from_ms"].as_i64().unwrap(), s["to_ms"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(
        answer["cameras"].as_array().unwrap().len(),
        2,
        "each camera once: {answer}"
    );
    let near = |(a, b): (i64, i64), (c, d): (i64, i64)| (a - c).abs() <= 2_000 && (b - d).abs() <= 2_000;
    let recorded = spans(0, "recorded");
    assert_eq!(recorded.len(), 2, "{answer}");
    assert!(near(recorded[0], (from, from + 2 * five)), "{recorded:?}");
    assert!(near(recorded[1], (from + 4 * five, to)), "{recorded:?}");
    let missing = spans(0, "missing");
    assert_eq!(missing.len(), 1, "{answer}");
    assert!(near(missing[0], (from + 2 * five, from + 4 * five)), "{missing:?}");
    assert_eq!(spans(1, "recorded"), []);
    assert_eq!(spans(1, "missing"), [(from, to)], "cam-02 recorded nothing then");

    let res = r.get(&ask("cam-01", from, to), Some(&inspector)).await;
    assert_eq!(res.status(), 403, "only the staff who receive applications ask");
    for (path, why) in [
        (ask("cam-01", from, from + 8 * DAY_MS), "seven days"),
        (ask("cam-99", from, to), "cam-99"),
        (ask("", from, to), "at least one camera"),
        (ask("cam-01", to, from), "end after it starts"),
        // Found by Schemathesis: the length of this window overflowed.
        (
            ask("cam-01", -9_000_000_000_000_000_000, 9_000_000_000_000_000_000),
            "not times of footage",
        ),
        ("/v1/footage/spans?cameras=cam-01".to_string(), "query parameters"),
    ] {
        let res = r.get(&path, Some(&manager)).await;
        assert_eq!(res.status(), 400, "{path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{path}");
        let problem: serde_json::Value = res.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains(why), "{path}: {problem}");
    }
}
