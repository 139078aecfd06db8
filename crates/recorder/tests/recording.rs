//! Recording from a real RTSP test camera (GStreamer), read and written in
//! the recorder's own process: segments are written and indexed
//! continuously, recording resumes when the camera's connection breaks or
//! the camera goes away and comes back, and a crash of the HTTP side stops
//! no camera.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn segments(r: &Recorder) -> Vec<Value> {
    let out = ok(console(&["footage", "list", "--data", &r.data_str(), "--json"]));
    serde_json::from_str::<Value>(&out).unwrap().as_array().unwrap().clone()
}

/// Waits until at least `n` segments are indexed, or panics after `secs`.
fn wait_for_segments(r: &Recorder, n: usize, secs: u64) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let rows = segments(r);
        if rows.len() >= n {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} segments after {secs} s; the recording process said:\n{}",
            rows.len(),
            std::fs::read_to_string(r.data().join("ingest.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn segments_are_recorded_indexed_and_recording_resumes_after_a_break() {
    let mut camera = TestCamera::start(&[("cam-01", "moving")], true);
    let url = camera.urls[0].clone();
    let r = Recorder::start_with(
        "kaohsiung-kindergarten",
        &[],
        &[("cam-01", &url, true)],
        &["--segment-seconds", "2"],
    );

    let rows = wait_for_segments(&r, 3, 30);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["camera_id"], "cam-01");
        assert!(row["bytes"].as_i64().unwrap() > 1000, "{row}");
        let length = row["real_end_ms"].as_i64().unwrap() - row["real_start_ms"].as_i64().unwrap();
        // Two seconds, cut at the first keyframe after (one a second); a
        // run's first also takes the rest of the period it started in.
        let longest = if i == 0 { 4_500 } else { 3_500 };
        assert!((1_000..=longest).contains(&length), "segment {i} lasted {length} ms");
    }
    // Continuous: each segment starts where the one before ended (give or take a keyframe).
    for pair in rows.windows(2) {
        let gap = pair[1]["real_start_ms"].as_i64().unwrap() - pair[0]["real_end_ms"].as_i64().unwrap();
        assert!(gap.abs() <= 1_000, "gap of {gap} ms between segments");
    }
    let file = r
        .data()
        .join("footage/cam-01")
        .join(custos_recorder::footage::paths::segment_file_name(
            rows[1]["start_ms"].as_i64().unwrap(),
        ));
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0"])
        .arg(&file)
        .output()
        .unwrap();
    let codecs = String::from_utf8_lossy(&probe.stdout);
    assert!(
        codecs.contains("h264") && codecs.contains("aac"),
        "video and sound recorded: {codecs:?}"
    );

    // The connection cut under the recorder: recording resumes by itself.
    let port = port_of(&url);
    assert_eq!(camera_connections(&port), 1, "one connection to the camera");
    let before = segments(&r).len();
    let cut = std::process::Command::new("ss")
        .args(["-K", "state", "established", "dport", "=", &format!(":{port}")])
        .output()
        .unwrap();
    assert!(cut.status.success(), "{}", String::from_utf8_lossy(&cut.stderr));
    wait_for_segments(&r, before + 3, 30);

    // The camera goes away and comes back on the same address: recording resumes.
    camera.stop();
    std::thread::sleep(Duration::from_secs(3));
    let during = segments(&r).len();
    let _back = TestCamera::start_on(&port, &[("cam-01", "moving")], true);
    wait_for_segments(&r, during + 2, 60);
}

/// How many connections the recorder holds open to the camera on `port`.
fn camera_connections(port: &str) -> usize {
    let out = std::process::Command::new("ss")
        .args(["-Htn", "state", "established", "dport", "=", &format!(":{port}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

fn port_of(url: &str) -> String {
    url.rsplit(':').next().unwrap().split('/').next().unwrap().to_string()
}

/// The recording process's pid, from the data directory.
fn ingest_pid(r: &Recorder) -> String {
    std::fs::read_to_string(r.data().join("ingest.pid"))
        .unwrap()
        .trim()
        .to_string()
}

/// A crash of the HTTP side (`serve` killed with SIGKILL) stops no camera:
/// the recording process goes on recording and indexing, the `serve`
/// started again leaves it be, and the footage has no gap beyond a
/// segment's length across the crash.
#[test]
fn a_crash_of_the_http_side_stops_no_camera_and_leaves_no_gap() {
    let camera = TestCamera::start(&[("cam-01", "moving")], false);
    let url = camera.urls[0].clone();
    let mut r = Recorder::start_with(
        "kaohsiung-kindergarten",
        &[],
        &[("cam-01", &url, false)],
        &["--segment-seconds", "2"],
    );
    wait_for_segments(&r, 2, 30);
    let recording = ingest_pid(&r);
    let crashed_at = custos_clock::Clock::now(&custos_clock::SystemClock).0;
    r.kill_serving();
    // Six seconds with no API at all: three segments.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        camera_connections(&port_of(&url)),
        1,
        "recording goes on without the API"
    );
    let during = segments(&r);
    assert!(
        during
            .iter()
            .any(|row| row["real_start_ms"].as_i64().unwrap() > crashed_at + 2_000),
        "footage recorded after the crash is indexed"
    );
    r.serve_again(&["--segment-seconds", "2"]);
    let after = wait_for_segments(&r, during.len() + 2, 30);
    assert_eq!(
        ingest_pid(&r),
        recording,
        "the same recording process, not a second one"
    );
    assert_eq!(camera_connections(&port_of(&url)), 1, "one connection per camera");
    for pair in after.windows(2) {
        let gap = pair[1]["real_start_ms"].as_i64().unwrap() - pair[0]["real_end_ms"].as_i64().unwrap();
        assert!(gap.abs() <= 1_000, "gap of {gap} ms between segments across the crash");
    }
    drop(camera);
}

/// The recording process killed: `serve` starts a new one within seconds,
/// every file the killed one closed plays whole and is in the index.
#[test]
fn a_killed_recording_process_is_started_again_and_loses_no_closed_file() {
    let camera = TestCamera::start(&[("cam-01", "moving")], false);
    let url = camera.urls[0].clone();
    let r = Recorder::start_with(
        "kaohsiung-kindergarten",
        &[],
        &[("cam-01", &url, false)],
        &["--segment-seconds", "2"],
    );
    wait_for_segments(&r, 2, 30);
    let first = ingest_pid(&r);
    let port = port_of(&url);
    assert_eq!(camera_connections(&port), 1);
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &first])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while camera_connections(&port) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Fragmented MP4: every file closed before the kill plays whole; only
    // the one open at the kill (under one segment) may hold less.
    let dir = r.data().join("footage/cam-01");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let duration = |file: &std::path::Path| -> f64 {
        let probe = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap_or(0.0)
    };
    let (_open_at_kill, closed) = files.split_last().unwrap();
    assert!(!closed.is_empty());
    let indexed_at_kill = segments(&r);
    for file in closed {
        let name = file.file_name().unwrap().to_str().unwrap();
        // The index says how long each lasted (a run's first segment, from
        // its first keyframe to the next clock boundary, may be short).
        let row = indexed_at_kill
            .iter()
            .find(|row| custos_recorder::footage::paths::segment_file_name(row["start_ms"].as_i64().unwrap()) == name)
            .unwrap_or_else(|| panic!("{name} is in the index"));
        let lasted = (row["real_end_ms"].as_i64().unwrap() - row["real_start_ms"].as_i64().unwrap()) as f64 / 1000.0;
        let d = duration(file);
        assert!(
            d > 0.5 && (d - lasted).abs() <= 0.25,
            "{name} plays {d} s after the kill, of the {lasted} s indexed"
        );
    }
    // `serve` notices within its two-second watch and starts another.
    let before = segments(&r).len();
    let after = wait_for_segments(&r, before + 3, 30);
    assert_ne!(ingest_pid(&r), first, "a new recording process");
    for file in closed {
        let name = file.file_name().unwrap().to_str().unwrap();
        let indexed = after
            .iter()
            .any(|row| custos_recorder::footage::paths::segment_file_name(row["start_ms"].as_i64().unwrap()) == name);
        assert!(indexed, "{name} is in the index");
    }
    drop(camera);
}

/// Polls camera health until `done` holds, or panics after `secs`.
async fn health_until(r: &Recorder, token: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let health: Value = r.get("/v1/cameras/health", Some(token)).await.json().await.unwrap();
        if done(&health) {
            return health;
        }
        assert!(Instant::now() < deadline, "health never showed it: {health}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn camera<'a>(health: &'a Value, id: &str) -> &'a Value {
    health["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn health_shows_black_frozen_and_lost_cameras_and_snapshots_follow_the_profile() {
    let mut cam = TestCamera::start(
        &[
            ("cam-01", "moving"),
            ("cam-02", "black"),
            ("cam-03", "frozen"),
            ("cam-04", "blurred"),
        ],
        false,
    );
    let cams: Vec<(&str, &str, bool)> = vec![
        ("cam-01", &cam.urls[0], false),
        ("cam-02", &cam.urls[1], false),
        ("cam-03", &cam.urls[2], false),
        ("cam-04", &cam.urls[3], false),
    ];
    let people: &[(&str, &[&str])] = &[("經理", &["manager"]), ("巡檢", &["inspector"])];
    let r = Recorder::start_with("kaohsiung-kindergarten", people, &cams, &["--segment-seconds", "4"]);
    let manager = r.enroll("經理", 1).await;
    let manager = r.token(&manager).await;
    let inspector = r.enroll("巡檢", 2).await;
    let inspector = r.token(&inspector).await;

    let all_checked = |h: &Value| h["cameras"].as_array().unwrap().iter().all(|c| !c["picture"].is_null());
    let health = health_until(&r, &inspector, 60, all_checked).await;
    let (moving, black, frozen) = (
        camera(&health, "cam-01"),
        camera(&health, "cam-02"),
        camera(&health, "cam-03"),
    );
    assert_eq!(moving["index"]["recording"], true, "{moving}");
    assert_eq!(
        (
            moving["picture"]["black"].as_bool(),
            moving["picture"]["frozen"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(black["picture"]["black"], true, "{black}");
    assert_eq!(
        (
            frozen["picture"]["frozen"].as_bool(),
            frozen["picture"]["black"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert!(moving["index"]["bitrate_kbps"].as_f64().unwrap() > 10.0);
    // The test camera sends 10 frames a second; a fogged lens shows as blurred.
    let fps = moving["picture"]["fps"].as_f64().unwrap();
    assert!((8.0..=12.0).contains(&fps), "{fps} frames/s");
    assert_eq!(moving["picture"]["blurred"], false, "{moving}");
    let blurred = camera(&health, "cam-04");
    assert_eq!(blurred["picture"]["blurred"], true, "{blurred}");
    assert_eq!(
        black["picture"]["blurred"], false,
        "a black picture is black, not blurred"
    );
    assert_eq!(health["disk"]["floor_days"], 14);

    // Live pictures: the manager may (Kaohsiung profile), the inspector may not.
    let snap = r.get("/v1/cameras/cam-01/snapshot", Some(&manager)).await;
    assert_eq!(snap.status(), 200);
    assert_eq!(snap.headers()["cache-control"], "no-store");
    assert!(snap.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]), "a JPEG");
    assert_eq!(
        r.get("/v1/cameras/cam-01/snapshot", Some(&inspector)).await.status(),
        403
    );
    assert_eq!(r.get("/v1/cameras/cam-99/snapshot", Some(&manager)).await.status(), 404);

    assert_eq!(moving["link_problem"], Value::Null, "{moving}");

    // The camera goes away: health says it is not recording, within a
    // minute, and why: the recording process cannot reach it.
    cam.stop();
    let health = health_until(&r, &inspector, 60, |h| {
        camera(h, "cam-01")["index"]["recording"] == false
    })
    .await;
    let gone = camera(&health, "cam-01");
    assert_eq!(gone["link_problem"]["kind"], "unreachable", "{gone}");
    let at = gone["link_problem"]["at_ms"].as_i64().unwrap();
    assert!(r.now().0 - at < 60_000, "a problem of the last minute: {gone}");
}

/// Until every camera's picture has been checked `times` times (on a
/// segment each), counted in `seen` across calls.
async fn checked_until(r: &Recorder, token: &str, seen: &mut HashMap<String, HashSet<i64>>, times: usize) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let health: Value = r.get("/v1/cameras/health", Some(token)).await.json().await.unwrap();
        for c in health["cameras"].as_array().unwrap() {
            if let Some(start) = c["picture"]["segment_start_ms"].as_i64() {
                seen.entry(c["id"].as_str().unwrap().to_string())
                    .or_default()
                    .insert(start);
            }
        }
        let fewest = health["cameras"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| seen.get(c["id"].as_str().unwrap()).map_or(0, HashSet::len))
            .min()
            .unwrap();
        if fewest >= times {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pictures checked only {fewest} times: {health}"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

/// A recorder checking pictures for months holds no more memory than after
/// its first checks. The picture check once kept every frame it had
/// filtered (FFmpeg's buffersink fills a frame without letting go of what
/// it held): 14 MB a camera a minute at 640x360, so 32 cameras filled this
/// machine's 24 GiB in an hour.
#[tokio::test]
async fn checking_pictures_again_and_again_holds_no_more_memory() {
    let streams = [
        ("cam-01", "moving"),
        ("cam-02", "moving"),
        ("cam-03", "moving"),
        ("cam-04", "moving"),
    ];
    let cam = TestCamera::start(&streams, false);
    let cams: Vec<(&str, &str, bool)> = streams
        .iter()
        .zip(&cam.urls)
        .map(|((id, _), url)| (*id, url.as_str(), false))
        .collect();
    let people: &[(&str, &[&str])] = &[("巡檢", &["inspector"])];
    let r = Recorder::start_with("kaohsiung-kindergarten", people, &cams, &["--segment-seconds", "2"]);
    let inspector = r.enroll("巡檢", 1).await;
    let inspector = r.token(&inspector).await;
    let mut seen = HashMap::new();
    checked_until(&r, &inspector, &mut seen, 3).await;
    let warm = r.memory();
    // Each check decodes the 2 s of a segment: 20 frames of 640x360.
    checked_until(&r, &inspector, &mut seen, 15).await;
    let after = r.memory();
    let grown = after.saturating_sub(warm);
    assert!(
        grown < 32 << 20,
        "serve grew by {} MiB over 48 more picture checks ({} MiB to {} MiB)",
        grown >> 20,
        warm >> 20,
        after >> 20
    );
}

/// The frame the recorder shows for a time `t` was captured shortly before
/// `t`: the test camera stamps each frame's capture time (ms, 40 blocks
/// along the top), and the frame is decoded, watermarked and encoded as the
/// viewing's frame handler does, then read back from the JPEG. Segments
/// anchored on ffmpeg's file names put frames 0.77–0.87 s early (this test
/// failed so); anchored on when each segment's line arrives, 0.12–0.22 s
/// late (the camera's delay and ffmpeg's one frame); placed by the camera's
/// own clock (its sender reports, read as each frame arrives) they are
/// within the one frame interval the issue asks.
#[test]
fn the_frame_for_a_time_was_captured_shortly_before_it() {
    use custos_recorder::footage::decode::{PLAYBACK_WIDTH, Want, decode};
    use custos_recorder::footage::watermark::{Marking, marked_jpeg};
    const FRAME_MS: i64 = 100; // the camera's 10 frames a second
    let camera = TestCamera::start(&[("cam-01", "stamped")], false);
    let url = camera.urls[0].clone();
    let r = Recorder::start_with(
        "kaohsiung-kindergarten",
        &[],
        &[("cam-01", &url, false)],
        &["--segment-seconds", "2"],
    );
    let rows = wait_for_segments(&r, 5, 40);
    let marking = Marking {
        application: "TEST01".into(),
        viewer: "王小明".into(),
        escort: "林專責".into(),
        viewing_at: custos_clock::Clock::now(&custos_clock::SystemClock),
    };
    // t minus the capture time read from a served picture's stamp.
    let since_captured = |picture: &custos_recorder::footage::decode::Picture, t: i64| {
        let (jpeg, _) = marked_jpeg(picture, &marking).unwrap();
        let served = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        let mut captured: i64 = 0;
        for bit in 0..40u32 {
            let p = served.get_pixel(bit * 16 + 8, 8);
            let luma = (u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])) / 3;
            captured = (captured << 1) | i64::from(luma > 128);
        }
        let modulus = 1i64 << 40;
        let error = (t.rem_euclid(modulus) - captured).rem_euclid(modulus);
        if error > modulus / 2 { error - modulus } else { error }
    };
    // (t minus the shown frame's capture, t minus the next frame's).
    let mut errors = Vec::new();
    // Past the run's first file, placed by arrival until the camera's first
    // sender report.
    for row in &rows[1..5] {
        let (start, end) = (
            row["real_start_ms"].as_i64().unwrap(),
            row["real_end_ms"].as_i64().unwrap(),
        );
        let file = r
            .data()
            .join("footage/cam-01")
            .join(custos_recorder::footage::paths::segment_file_name(
                row["start_ms"].as_i64().unwrap(),
            ));
        // The file's own record of its capture time, as an index rebuilt
        // from the disk reads it (the earliest of its fragments' times: each
        // is the placement known when it was written, refined since),
        // agrees with the index.
        let origins = custos_recorder::footage::capture::capture_origins(&file);
        let earliest = origins.iter().copied().reduce(f64::min);
        assert!(
            earliest.is_some_and(|o| (o - start as f64).abs() <= 5.0),
            "the file places itself at {origins:?}, the index at {start}"
        );
        for k in 1..4 {
            let t = start + (end - start) * k / 4;
            // Play's decode: the frame for `t` first, then the ones after it.
            let decoded = decode(&file, start, t, Want::Ahead, PLAYBACK_WIDTH).unwrap();
            let shown = decoded.pictures.iter().rposition(|p| p.at_ms <= t).unwrap();
            let next = &decoded.pictures[shown + 1];
            errors.push((since_captured(&decoded.pictures[shown], t), since_captured(next, t)));
        }
    }
    eprintln!("t minus the capture time of the frame shown and of the next, ms: {errors:?}");
    // The frame shown was captured at or before `t` and the next one after
    // it (to the millisecond the index and this test round to): the frame
    // shown is the one captured last before `t`, within one frame interval
    // of it (the camera's timer makes an interval 100 ms give or take a few).
    assert!(
        errors.iter().all(|(shown, next)| *shown >= -2 && *next < 2),
        "each frame shown for t was the last captured at or before t: {errors:?}"
    );
    let mean = errors.iter().map(|(shown, _)| shown).sum::<i64>() / errors.len() as i64;
    assert!(
        mean <= FRAME_MS,
        "on average less than a frame before t (a frame late would be ~150): {mean} ms"
    );
}

/// The hostile camera (tests/camera/hostile_camera.py): one address per
/// attack, and a line per connection as it ends.
struct HostileCamera {
    child: std::process::Child,
    /// (attack, address).
    urls: Vec<(String, String)>,
    ended: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl HostileCamera {
    fn start() -> HostileCamera {
        use std::io::BufRead;
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/camera/hostile_camera.py");
        let mut child = std::process::Command::new("/usr/bin/python3")
            .arg(script)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the hostile camera starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let urls = lines
            .by_ref()
            .map(Result::unwrap)
            .take_while(|line| line != "serving")
            .map(|line| {
                let url = line.strip_prefix("ready ").unwrap().to_string();
                (url.rsplit('/').next().unwrap().to_string(), url)
            })
            .collect();
        let ended = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = ended.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                log.lock().unwrap().push(serde_json::from_str::<Value>(&line).unwrap());
            }
        });
        HostileCamera { child, urls, ended }
    }

    /// The connections of `attack` that have ended.
    fn ended(&self, attack: &str) -> Vec<Value> {
        let ended = self.ended.lock().unwrap();
        ended.iter().filter(|e| e["path"] == attack).cloned().collect()
    }
}

impl Drop for HostileCamera {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A camera is hostile input like any device. Cameras that never end a
/// frame, never end a header, announce a terabyte, send garbage, never
/// answer, send sender reports and no picture, or send valid video far
/// faster than any camera are each cut off within their bound, the
/// recording process neither dies nor grows, and the honest camera beside
/// them records on.
#[test]
fn a_hostile_camera_exhausts_nothing_and_stops_no_other_camera() {
    let honest = TestCamera::start(&[("cam-01", "moving")], false);
    let hostile = HostileCamera::start();
    let ids: Vec<String> = (0..hostile.urls.len()).map(|i| format!("cam-{:02}", i + 2)).collect();
    // The recorder's camera that reads an attack.
    let camera_of = |attack: &str| ids[hostile.urls.iter().position(|(a, _)| a == attack).unwrap()].as_str();
    let mut cameras = vec![("cam-01", honest.urls[0].as_str(), false)];
    for (id, (_, url)) in ids.iter().zip(&hostile.urls) {
        cameras.push((id.as_str(), url.as_str(), false));
    }
    let people: &[(&str, &[&str])] = &[("巡檢", &["inspector"])];
    let r = Recorder::start_with_env(
        "kaohsiung-kindergarten",
        people,
        &cameras,
        &["--segment-seconds", "2"],
        &[("CUSTOS_LOG", "warn")],
    );
    let honest_segments = |r: &Recorder| segments(r).iter().filter(|row| row["camera_id"] == "cam-01").count();
    let recording = {
        let deadline = Instant::now() + Duration::from_secs(30);
        while honest_segments(&r) < 1 {
            assert!(Instant::now() < deadline, "the honest camera is recorded");
            std::thread::sleep(Duration::from_millis(250));
        }
        ingest_pid(&r)
    };
    // Each attack has been cut at least once (the one that never answers
    // after the connect time limit, 10 s).
    let deadline = Instant::now() + Duration::from_secs(45);
    while hostile.urls.iter().any(|(attack, _)| hostile.ended(attack).is_empty()) {
        assert!(
            Instant::now() < deadline,
            "every attack ended: {:?}",
            hostile.ended.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let log = || std::fs::read_to_string(r.data().join("ingest.log")).unwrap_or_default();
    for (attack, _) in &hostile.urls {
        for ended in hostile.ended(attack) {
            // The recorder closed the connection, having read no more than
            // its bound plus what the kernel's socket buffers hold (a few
            // MiB on loopback); the camera's 256 MiB was never reached.
            let bound = match attack.as_str() {
                "endless-frame" => 32 << 20,
                // 40 Mbit/s for 10 s.
                "too-many-bytes" => (50 << 20) + (12 << 20),
                // The same, counted every 128 reads (up to 8 MiB) while
                // retina drops what it reads.
                "unassigned-channel" => (50 << 20) + (20 << 20),
                _ => 12 << 20,
            };
            assert_eq!(ended["ended"], "cut", "{attack}: {ended}\n{}", log());
            assert!(ended["sent"].as_u64().unwrap() <= bound, "{attack}: {ended}\n{}", log());
        }
    }
    // The log says why, in words a person can act on.
    for (attack, says) in [
        (
            "too-many-bytes",
            "more than 40 Mbit/s for 10 s: check its bitrate setting",
        ),
        (
            "too-many-frames",
            "more than 120 frames a second for 10 s: check its frame rate",
        ),
        (
            "unassigned-channel",
            "more than 40 Mbit/s for 10 s: check its bitrate setting",
        ),
    ] {
        let camera = camera_of(attack);
        assert!(
            log()
                .lines()
                .any(|l| l.contains(&format!("camera {camera}: the camera sent {says}"))),
            "{attack}: {}",
            log()
        );
    }
    // Health says why each flood keeps breaking, also while the flood's
    // newest segment (written before each cut) makes it look recording.
    let health: Value = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let inspector = r.enroll("巡檢", 1).await;
        let inspector = r.token(&inspector).await;
        r.get("/v1/cameras/health", Some(&inspector))
            .await
            .json()
            .await
            .unwrap()
    });
    for (attack, kind) in [
        ("too-many-bytes", "too_many_bytes"),
        ("too-many-frames", "too_many_frames"),
        ("unassigned-channel", "too_many_bytes"),
    ] {
        let flood = camera(&health, camera_of(attack));
        assert_eq!(flood["link_problem"]["kind"], kind, "{flood}");
    }
    // The honest camera is never blamed for the floods beside it (a break
    // of its own under the floods' load may show, as in service).
    let honest_problem = &camera(&health, "cam-01")["link_problem"]["kind"];
    assert!(
        !honest_problem.as_str().is_some_and(|k| k.starts_with("too_many")),
        "the honest camera: {honest_problem}"
    );
    // Each connection of the flood wrote at most its 10 s bound to the
    // footage disk (50 MB), one connection perhaps still writing.
    let flooder = camera_of("too-many-bytes");
    let written: u64 = std::fs::read_dir(r.data().join("footage").join(flooder))
        .unwrap()
        .map(|f| f.unwrap().metadata().unwrap().len())
        .sum();
    let connections = hostile.ended("too-many-bytes").len() as u64 + 1;
    assert!(
        written <= connections * 51_000_000,
        "{} MB of footage from {connections} connections of the flood",
        written / 1_000_000
    );
    let peak = peak_memory_of(&recording);
    eprintln!(
        "connections ended: {:?}; the recording process peaked at {} MiB",
        hostile.ended.lock().unwrap(),
        peak >> 20
    );
    // Unbounded, the endless frame alone would hold the 256 MiB the camera
    // sends; bounded, it holds 16 MiB in a read buffer grown to fit it
    // (110–145 MiB in all measured, a debug build with ten cameras).
    assert!(peak < 224 << 20, "the recording process peaked at {} MiB", peak >> 20);
    assert_eq!(ingest_pid(&r), recording, "the same recording process throughout");
    // The honest camera recorded on beside them.
    let before = honest_segments(&r);
    let deadline = Instant::now() + Duration::from_secs(20);
    while honest_segments(&r) < before + 2 {
        assert!(Instant::now() < deadline, "the honest camera records on:\n{}", log());
        std::thread::sleep(Duration::from_millis(250));
    }
}
