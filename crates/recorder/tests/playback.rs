//! The frames of a viewing against real footage (ffmpeg's `testsrc2`, 720p,
//! 10 fps): the frame for `t` is ffmpeg's frame for the last frame time at
//! or before `t`, watermarked in a band that names the viewer; only the
//! approved camera and window are shown, only on the escort's tablet, only
//! while the session is open; the logbook entry lists what was served
//! (issue #13 items 2, 5, 7).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::phone::*;
use common::*;
use custos_core::application::{ApplicationCase, Decision};
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::EntryId;
use custos_core::logbook::LogbookEntry;
use custos_core::roles::Role;
use custos_core::terms::ApplicantKind;
use custos_core::time::{DAY_MS, MINUTE_MS, MinuteWindow, Timestamp};
use serde_json::Value;

/// Tuesday 2026-11-24, 10:00 Taipei.
const TUESDAY_10AM: Timestamp = Timestamp(1_795_485_600_000);
const CAMERAS: &[(&str, &str, bool)] = &[
    ("cam-01", "rtsp://127.0.0.1:9/none", false),
    ("cam-02", "rtsp://127.0.0.1:9/none", false),
];
const FPS: i64 = 10;

/// A minute of 720p test picture at 10 fps, keyframes every 2.5 s, as the
/// recorder writes segments (fragmented MP4, timestamps from zero).
fn record_minute(path: &Path) {
    encode_footage(path, &format!("testsrc2=size=1280x720:rate={FPS}:duration=60"), 25);
}

/// ffmpeg's own frame at `seconds` into `file` (the first frame at or after
/// it), scaled to 640×360, as RGB.
fn ffmpeg_frame(file: &Path, seconds: f64) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-ss"])
        .arg(format!("{seconds:.3}"))
        .arg("-i")
        .arg(file)
        .args([
            "-frames:v",
            "1",
            "-vf",
            "scale=640:360:flags=bilinear",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "pipe:1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.len() == 640 * 360 * 3);
    out.stdout
}

/// PSNR of two RGB pictures of width 640 over rows `0..rows`.
fn psnr(a: &[u8], b: &[u8], rows: usize) -> f64 {
    let n = rows * 640 * 3;
    let mse: f64 = a[..n]
        .iter()
        .zip(&b[..n])
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / n as f64;
    if mse == 0.0 {
        99.0
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

struct Served {
    status: u16,
    rgb: Vec<u8>,
    mark_y: usize,
    at_ms: i64,
    body: String,
}

async fn frame(r: &Recorder, phone: &Phone, session: &str, camera: &str, t: i64) -> Served {
    let res = r
        .client
        .get(r.url(&format!("/v1/viewings/{session}/frame?camera={camera}&t={t}")))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    if status != 200 {
        return Served {
            status,
            rgb: vec![],
            mark_y: 0,
            at_ms: 0,
            body: res.text().await.unwrap(),
        };
    }
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(header("content-type").as_deref(), Some("image/jpeg"));
    let mark_y = header("x-watermark-box")
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let at_ms = header("x-frame-time").unwrap().parse().unwrap();
    let jpeg = res.bytes().await.unwrap();
    let picture = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    assert_eq!(picture.dimensions(), (640, 360));
    Served {
        status,
        rgb: picture.into_raw(),
        mark_y,
        at_ms,
        body: String::new(),
    }
}

async fn logbook(r: &Recorder, phone: &Phone) -> BTreeMap<String, LogbookEntry> {
    let key = DocKey::Logbook { year: 2026 };
    let mut doc = docs::open(&key, None, &phone.device.id).unwrap();
    assert_eq!(pull(r, phone, &key.to_string(), &mut doc).await, 200);
    docs::entries(&doc, docs::LOGBOOK_ENTRIES).unwrap()
}

#[tokio::test]
async fn a_viewing_serves_the_frame_for_t_watermarked_for_its_viewer_and_nothing_else() {
    let people: &[(&str, &[&str])] = &[
        ("林專責", &["manager"]),
        ("李專責", &["manager"]),
        ("吳首長", &["head"]),
    ];
    let mut r = Recorder::start_simulated("dahu-office", people, CAMERAS, &["--no-recording"], TUESDAY_10AM);
    let minute = (TUESDAY_10AM.0 - DAY_MS) / MINUTE_MS * MINUTE_MS;
    r.kill_serving();
    let segment = custos_recorder::footage::paths::camera_dir(&r.data(), "cam-01")
        .join(custos_recorder::footage::paths::segment_file_name(minute));
    record_minute(&segment);
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let manager = sign_in(&r, "林專責", 1).await;
    let other = sign_in(&r, "李專責", 2).await;
    let head = sign_in(&r, "吳首長", 3).await;
    let (_, site) = site_of(&r, &manager).await;
    let approved = |n: u128, viewer: &str| {
        let (mut case, personal) = filed(&site, ApplicantKind::Citizen, "林專責", r.now(), false);
        case.id = EntryId::from_parts(r.now().0 as u64, 200 + n);
        case.window = MinuteWindow::new(Timestamp(minute), Timestamp(minute + MINUTE_MS)).unwrap();
        case.applicant_name = viewer.into();
        (case, personal)
    };
    let mut sessions = Vec::new();
    let mut cases: Vec<ApplicationCase> = Vec::new();
    for (n, viewer) in [(1, "王小明"), (2, "陳大文")] {
        let (case, personal) = approved(n, viewer);
        file(&r, &manager, &case, &personal, r.now()).await;
        decide(&r, &head, "吳首長", Role::Head, Decision::Approve, &case, r.now()).await;
        let res = open_viewing(&r, &manager, "林專責", Role::Manager, &case).await;
        assert_eq!(res.status(), 200);
        sessions.push(
            res.json::<Value>().await.unwrap()["session"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        cases.push(case);
    }
    let (first, second) = (&sessions[0], &sessions[1]);

    // The frame for 12.34 s is the one recorded at 12.3 s: ffmpeg's frame
    // there, outside the watermark, and not the next one.
    let t = minute + 12_340;
    let served = frame(&r, &manager, first, "cam-01", t).await;
    assert_eq!(served.status, 200, "{}", served.body);
    assert_eq!(served.at_ms, minute + 12_300, "the last frame at or before t");
    let rows = served.mark_y;
    assert!(rows > 200, "the watermark is a band at the bottom: {rows}");
    let same = psnr(&served.rgb, &ffmpeg_frame(&segment, 12.299), rows);
    let next = psnr(&served.rgb, &ffmpeg_frame(&segment, 12.399), rows);
    assert!(same >= 35.0, "PSNR against ffmpeg's frame for t: {same:.1} dB");
    eprintln!("PSNR {same:.1} dB, next {next:.1} dB");
    assert!(next < same, "the next frame scores lower ({next:.1} vs {same:.1} dB)");
    // Scrubbing back inside what was decoded.
    let back = frame(&r, &manager, first, "cam-01", minute + 11_000).await;
    assert_eq!(back.at_ms, minute + 11_000);
    assert!(psnr(&back.rgb, &ffmpeg_frame(&segment, 10.999), rows) >= 35.0);

    // The scrubber's strip: ten keyframe thumbnails across the window, watermarked.
    let res = r
        .client
        .get(r.url(&format!("/v1/viewings/{first}/strip?camera=cam-01")))
        .bearer_auth(&manager.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let strip = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(strip.width(), 1600);

    // Another viewer's session: the same picture above the band, another
    // watermark in it.
    let theirs = frame(&r, &manager, second, "cam-01", t).await;
    assert_eq!(theirs.mark_y, rows);
    assert_eq!(
        served.rgb[..rows * 640 * 3],
        theirs.rgb[..rows * 640 * 3],
        "the picture agrees"
    );
    assert_ne!(
        served.rgb[rows * 640 * 3..],
        theirs.rgb[rows * 640 * 3..],
        "the watermark differs"
    );

    // Outside the approval, another tablet, after the end: refused.
    assert_eq!(frame(&r, &manager, first, "cam-02", t).await.status, 403);
    assert_eq!(
        frame(&r, &manager, first, "cam-01", minute + MINUTE_MS).await.status,
        403
    );
    assert_eq!(frame(&r, &manager, first, "cam-01", minute - 1).await.status, 403);
    assert_eq!(frame(&r, &other, first, "cam-01", t).await.status, 403);
    let res = r
        .client
        .post(r.url(&format!("/v1/viewings/{first}/close")))
        .bearer_auth(&manager.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(frame(&r, &manager, first, "cam-01", t).await.status, 410);

    // The entry lists what was served: the two frames and the strip's ten
    // thumbnails (the second session's entry, below, is checked exactly).
    let entry = &logbook(&r, &manager).await[first];
    let served = &entry.served[0];
    assert_eq!(served.camera.as_str(), "cam-01");
    assert_eq!(served.frames, 12);
    assert!(
        served
            .spans
            .iter()
            .any(|s| s.from.0 <= minute + 11_000 && minute + 12_999 <= s.to.0),
        "{:?}",
        served.spans
    );

    // The recorder is killed while the second session is open: at restart
    // its entry lists what it had served and ends `interrupted`, and the
    // application stays consumed.
    r.kill_serving();
    r.serve_again(&["--no-recording"]);
    r.advance(0).await;
    let mut manager = manager;
    manager.token = r.token(&manager.device).await;
    let entry = &logbook(&r, &manager).await[second];
    assert_eq!(entry.ended_by, Some(custos_core::logbook::SessionEnd::Interrupted));
    let served = &entry.served[0];
    assert_eq!(
        (served.frames, served.spans[0].from.0, served.spans[0].to.0),
        (1, minute + 12_000, minute + 12_999)
    );
    let mut other = other;
    other.token = r.token(&other.device).await;
    let again = open_viewing(&r, &other, "李專責", Role::Manager, &cases[1]).await;
    assert_eq!(again.status(), 409, "consumed across the restart");
}

/// A session keeps the segment in view open and decodes on from where it
/// stopped; whatever the order of the requests (a keyframe preview, the
/// exact frame after it, steps forward and back, play, a jump past a
/// keyframe), each answer is the one a file opened afresh gives.
#[test]
fn a_segment_kept_open_gives_the_frames_of_one_opened_afresh() {
    use custos_recorder::footage::decode::{PLAYBACK_WIDTH, SegmentReader, Want, decode};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("segment.mp4");
    // Keyframes every second at 25 fps, small so the debug build decodes it quickly.
    encode_footage(&file, "testsrc2=size=320x180:rate=25:duration=10", 25);
    let start = TUESDAY_10AM.0;
    let at = |ms: i64| start + ms;
    let mut reader = SegmentReader::open(&file, start).unwrap();
    let requests = [
        (at(1_500), Want::Keyframe),
        (at(1_500), Want::Exact),
        (at(1_630), Want::Exact),
        (at(1_640), Want::Ahead),
        (at(2_900), Want::Exact),
        (at(5_210), Want::Exact),
        (at(700), Want::Exact),
        (at(9_990), Want::Exact),
        (at(4_000), Want::Keyframe),
        (at(4_960), Want::Exact),
    ];
    for (t, want) in requests {
        let kept = reader.frames(t, want, PLAYBACK_WIDTH).unwrap();
        let afresh = decode(&file, start, t, want, PLAYBACK_WIDTH).unwrap();
        let times =
            |d: &custos_recorder::footage::decode::Decoded| d.pictures.iter().map(|p| p.at_ms).collect::<Vec<_>>();
        assert_eq!(times(&kept), times(&afresh), "{want:?} at {} ms", t - start);
        assert_eq!(kept.next_at_ms, afresh.next_at_ms, "{want:?} at {} ms", t - start);
        for (a, b) in kept.pictures.iter().zip(&afresh.pictures) {
            assert!(
                a.rgb == b.rgb,
                "{want:?} at {} ms: the picture of {} differs",
                t - start,
                a.at_ms - start
            );
        }
    }
}

/// The exact frame skips the B-frames nothing refers to before `t`: for
/// every time, it is the very frame, to the byte, that decoding every
/// frame in order shows for that time (play from before the start, which
/// skips none), never an earlier one.
#[test]
fn skipping_unreferenced_frames_keeps_the_exact_frame() {
    use custos_recorder::footage::decode::{PLAYBACK_WIDTH, Want, decode};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("segment.mp4");
    // libx264's veryfast preset makes B-frames, some of them unreferenced.
    encode_footage(&file, "testsrc2=size=320x180:rate=25:duration=2", 50);
    let start = TUESDAY_10AM.0;
    let every = decode(&file, start, start - 1, Want::Ahead, PLAYBACK_WIDTH).unwrap();
    assert!(every.pictures.len() >= 25, "a second of frames in order");
    for t in (0..1_000).step_by(13).map(|ms| start + ms) {
        let exact = decode(&file, start, t, Want::Exact, PLAYBACK_WIDTH).unwrap();
        let shown = exact.shown_at(t).unwrap();
        let truth = every.pictures.iter().rev().find(|p| p.at_ms <= t).unwrap();
        assert_eq!(shown.at_ms, truth.at_ms, "the frame for {} ms", t - start);
        assert!(
            shown.rgb == truth.rgb,
            "the frame for {} ms differs from the one decoded in order",
            t - start
        );
    }
}
