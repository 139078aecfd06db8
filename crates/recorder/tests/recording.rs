//! Recording from a real RTSP test camera (GStreamer) through real ffmpeg:
//! segments are written and indexed continuously, and recording resumes
//! when ffmpeg is killed or the camera goes away and comes back.

mod common;

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
            "only {} of {n} segments after {secs} s",
            rows.len()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn segments_are_recorded_indexed_and_recording_resumes_after_a_kill() {
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
        // The first segment of a run also holds what ffmpeg read while probing the stream.
        let longest = if i == 0 { 7_000 } else { 3_500 };
        assert!((300..=longest).contains(&length), "segment {i} lasted {length} ms");
    }
    // Continuous: each segment starts where the one before ended (give or take a keyframe).
    for pair in rows.windows(2) {
        let gap = pair[1]["real_start_ms"].as_i64().unwrap() - pair[0]["real_end_ms"].as_i64().unwrap();
        assert!(gap.abs() <= 1_000, "gap of {gap} ms between segments");
    }
    let file = r
        .data()
        .join("footage/cam-01")
        .join(custos_recorder::ingest::segment_file_name(
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

    // Kill ffmpeg: recording resumes by itself.
    let before = segments(&r).len();
    let killed = std::process::Command::new("pkill")
        .args(["-f", &format!("ffmpeg.*{url}")])
        .status()
        .unwrap();
    assert!(killed.success(), "ffmpeg was running");
    wait_for_segments(&r, before + 3, 30);

    // The camera goes away and comes back on the same address: recording resumes.
    camera.stop();
    std::thread::sleep(Duration::from_secs(3));
    let during = segments(&r).len();
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap().to_string();
    let _back = TestCamera::start_on(&port, &[("cam-01", "moving")], true);
    wait_for_segments(&r, during + 2, 60);
}
