//! `cargo xtask bench` (playback): the latency to a watermarked 640 px
//! JPEG of 720p 25 fps footage (ffmpeg's `testsrc2`) at 1 s and 4 s
//! keyframe intervals (`-g 25`, `-g 100`), p50 and p95 over random times,
//! each beside the baseline measured in the same run: `ffmpeg -ss T -i
//! SEGMENT -frames:v 1` with a drawtext watermark, scaled to 640 px.
//!
//! - cold, the keyframe preview, the file opened (goal p95 <= 40 ms at 4 s
//!   keyframes);
//! - cold, the exact frame at `t` (goal: at least 4x faster than the
//!   baseline): the file opened; the segment already open in the session
//!   (as after its first frame), sought and decoded from the keyframe; and
//!   after its keyframe preview (a scrub released), decoded on from it;
//! - warm, scrubbing inside decoded pictures (goal p95 <= 8 ms);
//! - play: frames per second of one session decoding ahead while a second
//!   session plays another segment on another thread (goal >= 15).
//!
//! Decoding, watermarking and encoding are the recorder's own functions
//! (`footage::decode`, `footage::watermark`), called as its frame handler
//! calls them, without the HTTP and TLS around them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use custos_core::time::Timestamp;
use custos_recorder::footage::decode::{PLAYBACK_WIDTH, SegmentReader, Want, decode};
use custos_recorder::footage::testing::encode_footage;
use custos_recorder::footage::watermark::{Marking, marked_jpeg};

const SAMPLES: usize = 40;
const START_MS: i64 = 1_795_485_600_000;

fn segment(dir: &Path, gop: u32) -> PathBuf {
    let path = dir.join(format!("g{gop}.mp4"));
    encode_footage(&path, "testsrc2=size=1280x720:rate=25:duration=60", gop);
    path
}

/// Times spread over the minute, the same in every run.
fn times() -> Vec<i64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..SAMPLES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            START_MS + 500 + (x % 58_000) as i64
        })
        .collect()
}

fn marking() -> Marking {
    Marking {
        application: "3Q7XKD".into(),
        viewer: "王小明家長".into(),
        escort: "林專責".into(),
        viewing_at: Timestamp(START_MS + 86_400_000),
    }
}

fn percentiles(mut d: Vec<Duration>) -> (f64, f64) {
    d.sort();
    let ms = |i: usize| d[i.min(d.len() - 1)].as_secs_f64() * 1000.0;
    (ms(d.len() / 2), ms(d.len() * 95 / 100))
}

fn recorder_frame(reader: &mut SegmentReader, t: i64, want: Want) -> usize {
    let decoded = reader.frames(t, want, PLAYBACK_WIDTH).unwrap();
    marked_jpeg(decoded.shown_at(t).unwrap(), &marking()).unwrap().0.len()
}

fn opened(file: &Path) -> SegmentReader {
    SegmentReader::open(file, START_MS).unwrap()
}

fn ffmpeg_frame(file: &Path, t: i64, text: &Path) -> usize {
    let filter = format!(
        "scale=640:-2,drawtext=fontfile=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:textfile={}:expansion=none:fontcolor=white:fontsize=15:box=1:boxcolor=black@0.6:x=8:y=h-40",
        text.display()
    );
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-ss"])
        .arg(format!("{:.3}", (t - START_MS) as f64 / 1000.0))
        .arg("-i")
        .arg(file)
        .args([
            "-frames:v",
            "1",
            "-vf",
            &filter,
            "-f",
            "image2",
            "-c:v",
            "mjpeg",
            "pipe:1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout.len()
}

fn measure(mut f: impl FnMut(i64)) -> (f64, f64) {
    let samples = times()
        .into_iter()
        .map(|t| {
            let began = Instant::now();
            f(t);
            began.elapsed()
        })
        .collect();
    percentiles(samples)
}

/// Frames per second of sequential play from `from` for `seconds`,
/// decoding ahead a second at a time as the play mode does.
fn play(file: &Path, from: i64, seconds: i64) -> f64 {
    let began = Instant::now();
    let mut frames = 0usize;
    let mut t = from;
    let mut reader = opened(file);
    while t < from + seconds * 1000 {
        let decoded = reader.frames(t, Want::Ahead, PLAYBACK_WIDTH).unwrap();
        for picture in decoded.pictures.iter().filter(|p| p.at_ms >= t) {
            marked_jpeg(picture, &marking()).unwrap();
            frames += 1;
        }
        t = decoded.next_at_ms.unwrap_or(from + seconds * 1000);
    }
    frames as f64 / began.elapsed().as_secs_f64()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("mark.txt");
    std::fs::write(
        &text,
        "調閱申請 3Q7XKD · 閱覽人 王小明家長 · 陪同 林專責 · 僅供閱覽 禁止翻拍",
    )
    .unwrap();
    println!("playback: 720p 25 fps testsrc2, {SAMPLES} random times per row, to a watermarked 640 px JPEG");
    let row = |what: &str, (p50, p95): (f64, f64), note: String| {
        println!("  {what:<34} p50 {p50:>6.1} ms  p95 {p95:>6.1} ms  {note}");
    };
    for gop in [25u32, 100] {
        let file = segment(dir.path(), gop);
        // The first decode opens the libraries and the font: not a frame's cost.
        recorder_frame(&mut opened(&file), START_MS + 1000, Want::Exact);
        let keyframe = measure(|t| {
            recorder_frame(&mut opened(&file), t, Want::Keyframe);
        });
        let exact_opened = measure(|t| {
            recorder_frame(&mut opened(&file), t, Want::Exact);
        });
        let mut reader = opened(&file);
        let exact_open = measure(|t| {
            recorder_frame(&mut reader, t, Want::Exact);
        });
        // The preview on the session's open segment (not timed), then the exact frame.
        let mut previewed = opened(&file);
        let after_preview = percentiles(
            times()
                .into_iter()
                .map(|t| {
                    recorder_frame(&mut previewed, t, Want::Keyframe);
                    let began = Instant::now();
                    recorder_frame(&mut previewed, t, Want::Exact);
                    began.elapsed()
                })
                .collect(),
        );
        // Warm: the pictures of one play decode, scrubbed through (watermark and JPEG only).
        let decoded = decode(&file, START_MS, START_MS + 30_000, Want::Ahead, PLAYBACK_WIDTH).unwrap();
        let pictures = decoded.pictures;
        let mut i = 0usize;
        let warm = measure(|_| {
            i = (i * 7 + 3) % pictures.len();
            marked_jpeg(&pictures[i], &marking()).unwrap();
        });
        let baseline = measure(|t| {
            ffmpeg_frame(&file, t, &text);
        });
        let faster = |x: (f64, f64)| {
            let ratio = baseline.0 / x.0;
            format!(
                "{ratio:.1}x faster than ffmpeg at p50 (goal >= 4x: {})",
                if ratio >= 4.0 { "met" } else { "MISSED" }
            )
        };
        println!("keyframes every {:.0} s:", f64::from(gop) / 25.0);
        let keyframe_goal = if gop == 100 {
            format!(
                "goal p95 <= 40 ms ({})",
                if keyframe.1 <= 40.0 { "met" } else { "MISSED" }
            )
        } else {
            String::new()
        };
        row("keyframe preview, file opened", keyframe, keyframe_goal);
        row("exact frame, file opened", exact_opened, faster(exact_opened));
        row("exact frame, segment open", exact_open, faster(exact_open));
        row("exact frame after its preview", after_preview, faster(after_preview));
        row(
            "warm (decoded already)",
            warm,
            format!("goal p95 <= 8 ms ({})", if warm.1 <= 8.0 { "met" } else { "MISSED" }),
        );
        row("ffmpeg -ss T -frames:v 1 (baseline)", baseline, String::new());
    }
    // Play: one session while a second plays on another thread.
    let one = segment(dir.path(), 50);
    let other = segment(dir.path(), 100);
    let busy = std::thread::spawn(move || play(&other, START_MS, 20));
    let fps = play(&one, START_MS, 20);
    let second = busy.join().unwrap();
    println!(
        "play: {fps:.1} frames/s for one 720p session while a second runs ({second:.1} frames/s); goal >= 15 ({})",
        if fps >= 15.0 { "met" } else { "MISSED" }
    );
}
