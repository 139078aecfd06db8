//! `cargo xtask bench` (part 2): the footage index at a year's size
//! (32 cameras x 525,600 minutes = 16.8 million segments), each figure beside
//! plain SQLite doing the least the same job needs, measured in the same run:
//!
//! - a retention sweep of one day of 32 cameras (goal <= 50 ms): the
//!   decision, the index and the registers; the unlinking of its 46,080
//!   files follows outside it and is printed on its own line;
//! - a one-camera ten-minute window query (goal <= 0.1 ms).

use std::time::{Duration, Instant};

use custos_clock::SystemClock;
use custos_core::time::{DAY_MS, MINUTE_MS, Timestamp};
use custos_recorder::db::segments::SegmentRow;
use custos_recorder::footage::disk::DiskSpace;
use custos_recorder::footage::paths::{camera_dir, segment_file_name};
use custos_recorder::footage::retention::{sweep_index, unlink_destroyed};
use custos_recorder::registers::Registers;

const CAMERAS: usize = 32;
const MINUTES: i64 = 365 * 24 * 60;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_custos-recorder");
    let ok = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    ok(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--site",
        "基準",
        "--profile",
        "kaohsiung-kindergarten",
    ]);
    let cameras: Vec<String> = (1..=CAMERAS).map(|i| format!("cam-{i:02}")).collect();
    for cam in &cameras {
        ok(&[
            "camera",
            "add",
            "--data",
            data.to_str().unwrap(),
            "--id",
            cam,
            "--name",
            cam,
            "--location",
            "園區",
            "--zone",
            "indoor-public",
            "--rtsp",
            "rtsp://127.0.0.1:9/x",
        ]);
    }
    let registers = Registers::open(&data, std::sync::Arc::new(SystemClock)).unwrap();
    let store = &registers.store;

    // A year of one-minute segments; the oldest day has files to delete.
    let first = Timestamp(1_767_196_800_000); // 2026-01-01T00:00 Taipei
    // A year of footage, and a morning a year later: the ceiling takes whole
    // Taipei days, and exactly the first is due (its first minute is past
    // the one-year ceiling).
    let now = Timestamp(first.0 + 365 * DAY_MS + 8 * 3_600_000);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(CAMERAS * 24 * 60);
    for day in 0..365 {
        for minute in 0..24 * 60 {
            let start = first.0 + (day * 24 * 60 + minute) * MINUTE_MS;
            for cam in &cameras {
                batch.push(SegmentRow {
                    camera_id: cam.clone(),
                    start_ms: start,
                    real_start_ms: start,
                    real_end_ms: start + MINUTE_MS,
                    bytes: 15_000_000,
                });
            }
        }
        if day == 0 {
            for row in &batch {
                let path = camera_dir(&data, &row.camera_id);
                std::fs::create_dir_all(&path).unwrap();
                std::fs::write(path.join(segment_file_name(row.start_ms)), b"").unwrap();
            }
        }
        store.insert_segments(&batch).unwrap();
        batch.clear();
    }
    let rows = 365 * 24 * 60 * CAMERAS as i64;
    println!(
        "index: {rows} segments written in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // Plain SQLite: find and delete the oldest day's rows.
    let raw_sweep = {
        let copy = dir.path().join("copy.sqlite");
        let db = rusqlite::Connection::open(data.join("recorder.sqlite")).unwrap();
        db.execute("VACUUM INTO ?1", [copy.to_str().unwrap()]).unwrap();
        let db = rusqlite::Connection::open(&copy).unwrap();
        let cut = first.0 + DAY_MS;
        let t = Instant::now();
        let tx = db.unchecked_transaction().unwrap();
        let mut n = 0;
        for cam in &cameras {
            n += tx
                .execute(
                    "DELETE FROM segments WHERE camera_id = ?1 AND start_ms < ?2",
                    rusqlite::params![cam, cut],
                )
                .unwrap();
        }
        tx.commit().unwrap();
        let took = t.elapsed();
        assert_eq!(n, CAMERAS * 24 * 60, "one day of every camera");
        took
    };
    let plenty = DiskSpace {
        free: 1 << 50,
        reserve: 1 << 30,
    };
    let (custos_sweep, custos_unlink) = {
        let t = Instant::now();
        let writing = registers.write_blocking().unwrap();
        let report = sweep_index(&writing, now, plenty).unwrap();
        drop(writing);
        let took = t.elapsed();
        assert_eq!(
            report.destroyed.len(),
            CAMERAS * 24 * 60,
            "one day of every camera destroyed"
        );
        let t = Instant::now();
        unlink_destroyed(store, &data, &report).unwrap();
        let unlinking = t.elapsed();
        assert!(store.files_to_unlink().unwrap().is_empty());
        (took, unlinking)
    };
    // The least unlinking the same files can cost: a loop of unlink(2).
    let raw_unlink = {
        let mut paths = Vec::with_capacity(CAMERAS * 24 * 60);
        for minute in 0..24 * 60 {
            for cam in &cameras {
                let path = camera_dir(&data, cam).join(segment_file_name(first.0 + minute * MINUTE_MS));
                std::fs::write(&path, b"").unwrap();
                paths.push(path);
            }
        }
        let t = Instant::now();
        for path in &paths {
            std::fs::remove_file(path).unwrap();
        }
        t.elapsed()
    };

    // A ten-minute window of one camera, 1,000 times over the year.
    let queries = 1000;
    let raw_query = {
        let db = rusqlite::Connection::open(data.join("recorder.sqlite")).unwrap();
        let mut stmt = db
            .prepare("SELECT start_ms, bytes FROM segments WHERE camera_id = ?1 AND start_ms >= ?2 AND start_ms < ?3")
            .unwrap();
        let t = Instant::now();
        let mut found = 0;
        for i in 0..queries {
            let from = first.0 + DAY_MS + (i as i64 * 7919 % (MINUTES - 24 * 60 - 20)) * MINUTE_MS;
            found += stmt
                .query_map(
                    rusqlite::params![cameras[i % CAMERAS], from, from + 10 * MINUTE_MS],
                    |_| Ok(()),
                )
                .unwrap()
                .count();
        }
        assert_eq!(found, queries * 10);
        t.elapsed() / queries as u32
    };
    let custos_query = {
        let t = Instant::now();
        let mut found = 0;
        for i in 0..queries {
            let from = first.0 + DAY_MS + (i as i64 * 7919 % (MINUTES - 24 * 60 - 20)) * MINUTE_MS;
            found += store
                .segments_in_window(&cameras[i % CAMERAS], from, from + 10 * MINUTE_MS, MINUTE_MS)
                .unwrap()
                .len();
        }
        assert_eq!(found, queries * 10);
        t.elapsed() / queries as u32
    };

    println!();
    println!(
        "{:<52} {:>14} {:>14} {:>10}",
        "measurement", "plain SQLite", "Custos", "goal"
    );
    let row = |what: &str, raw: Duration, custos: Duration, goal: Duration| {
        let met = if custos <= goal { "met" } else { "NOT MET" };
        println!(
            "{what:<52} {:>11.3} ms {:>11.3} ms {:>7.3} ms  {met}",
            ms(raw),
            ms(custos),
            ms(goal)
        );
    };
    row(
        "retention sweep: one day of 32 cameras out of a year",
        raw_sweep,
        custos_sweep,
        Duration::from_millis(50),
    );
    println!(
        "{:<52} {:>11.3} ms {:>11.3} ms {:>10}",
        "  then its files unlinked, outside the sweep",
        ms(raw_unlink),
        ms(custos_unlink),
        "-"
    );
    row(
        "one camera, ten-minute window (per query)",
        raw_query,
        custos_query,
        Duration::from_micros(100),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
