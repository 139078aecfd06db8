//! Camera health, measured: whether each camera is recording, the age of
//! its last segment, its bitrate, gaps in the index, and whether its picture
//! is black or frozen (ffmpeg's blackdetect and freezedetect over the newest
//! finished segment, once a minute per camera). The walk-around checklist is
//! pre-filled from this, and the inspector confirms it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use custos_core::time::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::alarms::{AlarmWriter, open_alarms};
use crate::clock::Clock;
use crate::ingest::{camera_dir, segment_file_name};
use crate::registry::site_register;
use crate::store::SegmentRow;
use custos_core::ids::CameraId;
use custos_core::inspection::AlarmKind;

/// How often a camera's picture is examined.
pub const PICTURE_CHECK_EVERY_MS: i64 = 60_000;

/// How much of a segment is decoded to examine it: enough for the one-second
/// black and freeze detectors. Decoding whole segments cost as much as
/// decoding every camera's every frame with 60 s segments (a fifth of a core
/// for 32 cameras with 10 s ones). Not 2: the test camera's frozen picture
/// then goes unseen (the first frames of a segment still differ a little,
/// and the detector needs a whole second of sameness after them).
pub const EXAMINED_SECONDS: u32 = 3;

/// The outcome of examining one segment's picture.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PictureCheck {
    /// Start of the segment examined (ms).
    pub segment_start_ms: i64,
    pub checked_at_ms: i64,
    /// Black for a second or more.
    pub black: bool,
    /// The same picture for a second or more.
    pub frozen: bool,
    /// Frames per second in the part of the segment examined.
    pub fps: Option<f64>,
    /// Variance of the Laplacian of one frame, 320 px wide: how much sharp
    /// detail the picture holds. Low means blurred (fogged or dirty lens, out
    /// of focus) or featureless.
    pub sharpness: Option<f64>,
    /// `sharpness` below [`BLUR_THRESHOLD`] on a picture that is not black.
    pub blurred: bool,
}

/// Below this, a picture is reported blurred. Calibrated on the test
/// camera: its moving test picture measures in the thousands, the same
/// picture scaled down to 32 px and back up (a fogged lens) under 100.
pub const BLUR_THRESHOLD: f64 = 150.0;

/// What one examination of a segment found.
#[derive(Debug, Clone, PartialEq)]
pub struct Examined {
    pub black: bool,
    pub frozen: bool,
    pub frames: Option<u64>,
    pub sharpness: Option<f64>,
}

/// Width of the frame the sharpness is measured on.
const SHARPNESS_WIDTH: usize = 320;

/// Variance of the 4-neighbour Laplacian over a grey frame.
pub fn laplacian_variance(gray: &[u8], width: usize) -> Option<f64> {
    let height = gray.len() / width;
    if width < 3 || height < 3 {
        return None;
    }
    let px = |x: usize, y: usize| f64::from(gray[y * width + x]);
    let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..height - 1 {
        for x in 1..width - 1 {
            let l = px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    Some(sum_sq / n - mean * mean)
}

/// The latest picture check per camera, shared with the API.
#[derive(Default)]
pub struct PictureChecks(Mutex<HashMap<String, PictureCheck>>);

impl PictureChecks {
    pub fn get(&self, camera: &str) -> Option<PictureCheck> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(camera).cloned()
    }
    fn put(&self, camera: &str, check: PictureCheck) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(camera.to_string(), check);
    }
}

/// Runs blackdetect and freezedetect over the first [`EXAMINED_SECONDS`] of
/// a file, counts their frames, and takes one grey frame (320 px wide) for
/// the sharpness; `None` if ffmpeg cannot read it. One ffmpeg run, one decode.
pub async fn examine(file: &Path) -> Option<Examined> {
    let scale = format!("scale={SHARPNESS_WIDTH}:-2,format=gray");
    let out = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-t", &EXAMINED_SECONDS.to_string(), "-i"])
        .arg(file)
        .args([
            "-filter_complex",
            &format!("[0:v]split[a][b];[a]blackdetect=d=1:pix_th=0.10,freezedetect=n=0.003:d=1,nullsink;[b]{scale}[g]"),
            // The null output first: ffmpeg's progress line counts the first output's frames.
            "-map",
            "0:v",
            "-f",
            "null",
            "-",
            "-map",
            "[g]",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-",
        ])
        .kill_on_drop(true)
        .output()
        .await
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let log = String::from_utf8_lossy(&out.stderr);
    // The last progress line counts the frames of the whole file (the null output).
    let frames = log
        .rsplit("frame=")
        .next()
        .filter(|_| log.contains("frame="))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    Some(Examined {
        black: log.contains("black_start"),
        frozen: log.contains("freeze_start"),
        frames,
        sharpness: laplacian_variance(&out.stdout, SHARPNESS_WIDTH),
    })
}

/// Writes into the inspection log (and the audit chain) when a camera's
/// outage during opening hours begins and when it ends, each once, so the
/// alarm is on record even if nobody had the app open. `in_outage` is what
/// the log holds open, read from it at start.
async fn record_outage_changes(
    alarms: &AlarmWriter,
    site: &custos_core::site::SiteRegister,
    now: Timestamp,
    segment_seconds: u32,
    in_outage: &mut std::collections::HashSet<String>,
) {
    let open = site.site.opening_hours.is_open(now);
    let mut changes: Vec<(String, Option<String>)> = Vec::new();
    for (camera, info) in site.active_cameras() {
        // Whether it records depends on its newest segment alone.
        let Ok(newest) = alarms.store.newest_segment(camera) else {
            continue;
        };
        let alarm = index_health(newest.as_slice(), now, segment_seconds, open).outage_alarm;
        if alarm && !in_outage.contains(camera) {
            tracing::warn!("camera {camera} ({}): not recording while the site is open", info.name);
            changes.push((camera.to_string(), Some(format!("{}（{}）", info.name, info.location))));
        } else if !alarm && in_outage.contains(camera) {
            changes.push((camera.to_string(), None));
        }
    }
    // A camera removed from the register while down: its alarm ends too.
    for camera in in_outage.iter() {
        if !site.active_cameras().any(|(id, _)| *id == camera[..]) {
            changes.push((camera.clone(), None));
        }
    }
    for (camera, raised) in changes {
        let Ok(id) = camera.parse::<CameraId>() else { continue };
        let written = match &raised {
            Some(detail) => alarms
                .raise(AlarmKind::CameraOutage, Some(&id), detail, now)
                .await
                .map(|_| ()),
            None => alarms.end(AlarmKind::CameraOutage, Some(&id), now).await.map(|_| ()),
        };
        match written {
            Ok(()) if raised.is_some() => {
                in_outage.insert(camera);
            }
            Ok(()) => {
                in_outage.remove(&camera);
            }
            Err(e) => tracing::error!("camera {camera}: the outage alarm could not be recorded: {e}"),
        }
    }
}

/// Examines each camera's newest finished segment about once a minute
/// (`every_ms`; tests use less), and records outages during opening hours.
pub fn spawn_monitor(
    alarms: AlarmWriter,
    data: PathBuf,
    checks: Arc<PictureChecks>,
    clock: Arc<dyn Clock>,
    every_ms: i64,
    segment_seconds: u32,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis((every_ms / 4).clamp(250, 15_000) as u64));
        // A fresh start gives a camera down since before it a minute to come up.
        let started = clock.now();
        let store = alarms.store.clone();
        let mut in_outage: std::collections::HashSet<String> = match open_alarms(&store, started) {
            Ok(open) => open
                .into_iter()
                .filter(|o| o.alarm.kind == AlarmKind::CameraOutage)
                .filter_map(|o| o.alarm.camera.map(|c| c.to_string()))
                .collect(),
            Err(e) => {
                tracing::error!("the open alarms could not be read: {e}");
                Default::default()
            }
        };
        loop {
            tick.tick().await;
            let Ok(site) = site_register(&store) else { continue };
            let now = clock.now();
            if now.0 - started.0 > i64::from(segment_seconds) * 2000 + 10_000 {
                record_outage_changes(&alarms, &site, now, segment_seconds, &mut in_outage).await;
            }
            for (camera, _) in site.active_cameras() {
                let previous = checks.get(camera);
                let now = clock.now();
                if previous.as_ref().is_some_and(|p| now.0 - p.checked_at_ms < every_ms) {
                    continue;
                }
                let Ok(Some(newest)) = store.newest_segment(camera) else {
                    continue;
                };
                if previous.as_ref().is_some_and(|p| p.segment_start_ms == newest.start_ms) {
                    continue;
                }
                let file = camera_dir(&data, camera).join(segment_file_name(newest.start_ms));
                if let Some(found) = examine(&file).await {
                    let seconds =
                        ((newest.real_end_ms - newest.real_start_ms) as f64 / 1000.0).min(f64::from(EXAMINED_SECONDS));
                    let fps = found.frames.filter(|_| seconds > 0.5).map(|f| f as f64 / seconds);
                    let blurred = !found.black && found.sharpness.is_some_and(|s| s < BLUR_THRESHOLD);
                    for (bad, what) in [(found.black, "black"), (found.frozen, "frozen"), (blurred, "blurred")] {
                        if bad {
                            tracing::warn!("camera {camera}: picture {what}");
                        }
                    }
                    let check = PictureCheck {
                        segment_start_ms: newest.start_ms,
                        checked_at_ms: now.0,
                        black: found.black,
                        frozen: found.frozen,
                        fps,
                        sharpness: found.sharpness,
                        blurred,
                    };
                    checks.put(camera, check);
                }
            }
        }
    });
}

/// What the index says of a camera at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndexHealth {
    /// A segment ended recently enough that recording is going on.
    pub recording: bool,
    /// Seconds since the newest segment ended; null before the first.
    pub last_segment_age_s: Option<f64>,
    /// Over the newest five segments.
    pub bitrate_kbps: Option<f64>,
    /// Breaks of more than five seconds between segments in the last hour.
    pub gaps_last_hour: usize,
    /// Not recording while the site is open (its opening hours): an alarm.
    pub outage_alarm: bool,
}

/// `open`: whether the site is open now (an outage then is an alarm).
/// The bitrate is measured over a camera's newest this many segments.
pub const RECENT_FOR_BITRATE: usize = 5;

/// How far back [`index_health`] needs a camera's segments: the gaps of the
/// last hour, and ten minutes more for segments that started before it
/// (their file name's time) but began recording inside it.
pub const HEALTH_LOOKBACK_MS: i64 = 3_600_000 + 600_000;

/// What the index says of a camera: `rows` in start order, at least those
/// since [`HEALTH_LOOKBACK_MS`], the one before them and the newest
/// [`RECENT_FOR_BITRATE`] (`Store::recent_segments`).
pub fn index_health(rows: &[SegmentRow], now: Timestamp, segment_seconds: u32, open: bool) -> IndexHealth {
    let last = rows.last();
    let age = last.map(|r| (now.0 - r.real_end_ms) as f64 / 1000.0);
    let recent: Vec<&SegmentRow> = rows.iter().rev().take(RECENT_FOR_BITRATE).collect();
    let span_ms: i64 = recent.iter().map(|r| r.real_end_ms - r.real_start_ms).sum();
    let bytes: i64 = recent.iter().map(|r| r.bytes).sum();
    let bitrate = (span_ms > 0).then(|| bytes as f64 * 8.0 / span_ms as f64);
    let hour_ago = now.0 - 3_600_000;
    let gaps = rows
        .windows(2)
        .filter(|w| w[1].real_start_ms > hour_ago && w[1].real_start_ms - w[0].real_end_ms > 5_000)
        .count();
    // A segment closes every `segment_seconds`; allow two of them and the probe time.
    let recording = age.is_some_and(|a| a <= f64::from(segment_seconds) * 2.0 + 10.0);
    IndexHealth {
        recording,
        last_segment_age_s: age,
        bitrate_kbps: bitrate,
        gaps_last_hour: gaps,
        outage_alarm: open && !recording,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn health_from_the_recent_rows_equals_health_from_the_whole_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::create(dir.path()).unwrap();
        let row = |start_s: i64, bytes: i64| SegmentRow {
            camera_id: "cam-01".into(),
            start_ms: start_s * 1000,
            real_start_ms: start_s * 1000 + 1_500,
            real_end_ms: start_s * 1000 + 61_500,
            bytes,
        };
        // A day of minutes, a three-hour outage ending 40 minutes ago, then
        // recording again with one more gap.
        let now = Timestamp(86_400_000);
        let mut rows: Vec<SegmentRow> = (0..1440 - 220).map(|m| row(m * 60, 1_000 + m)).collect();
        rows.extend((1440 - 40..1440 - 20).map(|m| row(m * 60, 2_000 + m)));
        rows.extend((1440 - 15..1440 - 1).map(|m| row(m * 60, 3_000 + m)));
        store.insert_segments(&rows).unwrap();
        let whole = store.segments(Some("cam-01")).unwrap();
        let recent = store
            .recent_segments("cam-01", now.0 - HEALTH_LOOKBACK_MS, RECENT_FOR_BITRATE)
            .unwrap();
        assert!(recent.len() < 100, "read {} rows", recent.len());
        let expected = index_health(&whole, now, 60, true);
        assert_eq!(expected.gaps_last_hour, 2, "the outage's end and the later gap");
        assert_eq!(index_health(&recent, now, 60, true), expected);
        // A camera with only a few old segments: still the newest five.
        let few = store
            .recent_segments("cam-01", now.0 + 86_400_000, RECENT_FOR_BITRATE)
            .unwrap();
        assert_eq!(few.len(), RECENT_FOR_BITRATE);
        assert_eq!(few.last(), whole.last());
    }

    use super::*;

    #[test]
    fn a_sharp_picture_has_a_high_laplacian_variance_and_a_flat_one_none() {
        let width = 64;
        let stripes: Vec<u8> = (0..width * 48)
            .map(|i| if (i % width) % 2 == 0 { 0 } else { 255 })
            .collect();
        let flat = vec![128u8; width * 48];
        let gradient: Vec<u8> = (0..width * 48).map(|i| ((i % width) * 4) as u8).collect();
        assert!(laplacian_variance(&stripes, width).unwrap() > BLUR_THRESHOLD);
        assert_eq!(laplacian_variance(&flat, width), Some(0.0));
        assert!(laplacian_variance(&gradient, width).unwrap() < BLUR_THRESHOLD);
        assert_eq!(laplacian_variance(&[1, 2], width), None, "too small to measure");
    }

    fn row(start_s: i64, end_s: i64) -> SegmentRow {
        SegmentRow {
            camera_id: "cam-01".into(),
            start_ms: start_s * 1000,
            real_start_ms: start_s * 1000,
            real_end_ms: end_s * 1000,
            bytes: 250_000,
        }
    }

    #[test]
    fn recording_gaps_and_bitrate_from_the_index() {
        let rows = vec![row(0, 60), row(60, 120), row(200, 260), row(260, 320)];
        let h = index_health(&rows, Timestamp(330_000), 60, true);
        assert!(h.recording);
        assert_eq!(h.gaps_last_hour, 1);
        assert!((h.bitrate_kbps.unwrap() - 33.33).abs() < 0.1);
        let stale = index_health(&rows, Timestamp(600_000), 60, true);
        assert!(!stale.recording);
        assert!(stale.outage_alarm, "down while open");
        assert!(
            !index_health(&rows, Timestamp(600_000), 60, false).outage_alarm,
            "down while closed"
        );
        assert_eq!(index_health(&[], Timestamp(0), 60, true).last_segment_age_s, None);
    }
}
