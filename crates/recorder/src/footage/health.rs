//! Camera health, measured: whether each camera is recording, the age of
//! its last segment, its bitrate, gaps in the index, and its picture check
//! ([`super::picture`]); outages while the site is open are alarms in the
//! inspection log. The walk-around checklist is pre-filled from this, and
//! the inspector confirms it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use custos_api::cameras::{CameraHealth, DiskHealth, IndexHealth, SiteHealth};
use custos_core::ids::CameraId;
use custos_core::inspection::AlarmKind;
use custos_core::site::SiteRegister;
use custos_core::time::Timestamp;

use custos_core::permissions::{self, Access, Register};

use super::disk::{DiskSpace, outlook};
use super::paths::{camera_dir, segment_file_name};
use super::spans::BREAK_TOLERANCE_MS;
use custos_api::cameras::PictureCheck;

use super::picture::{BLUR_THRESHOLD, EXAMINED_SECONDS, PictureChecks, examine};
use crate::base::error::{RecorderError, Result};
use crate::db::segments::SegmentRow;
use crate::registers::{Registers, SignedIn};
use custos_clock::Clock;

/// Writes into the inspection log (and the audit chain) when a camera's
/// outage during opening hours begins and when it ends, each once, so the
/// alarm is on record even if nobody had the app open. `in_outage` is what
/// the log holds open, read from it at start.
async fn record_outage_changes(
    registers: &Registers,
    site: &SiteRegister,
    now: Timestamp,
    segment_seconds: u32,
    in_outage: &mut HashSet<String>,
) {
    let open = site.site.opening_hours.is_open(now);
    let mut changes: Vec<(String, Option<String>)> = Vec::new();
    for (camera, info) in site.active_cameras() {
        // Whether it records depends on its newest segment alone.
        let Ok(newest) = registers.store.newest_segment(camera) else {
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
        let written = match registers.write().await {
            Ok(writing) => match &raised {
                Some(detail) => writing
                    .raise_alarm(AlarmKind::CameraOutage, Some(&id), detail, now)
                    .map(|_| ()),
                None => writing.end_alarm(AlarmKind::CameraOutage, Some(&id), now).map(|_| ()),
            },
            Err(e) => Err(e),
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

/// Examines each camera's newest finished segment once in each minute of
/// the clock (`every_ms`; tests use less) in which one has closed, and
/// records outages during opening hours.
pub fn spawn_monitor(
    registers: Registers,
    data: PathBuf,
    checks: Arc<PictureChecks>,
    clock: Arc<dyn Clock>,
    every_ms: i64,
    segment_seconds: u32,
) {
    let mut timer = clock.timer("health");
    let tick_ms = (every_ms / 4).clamp(250, 15_000);
    tokio::spawn(async move {
        // A fresh start gives a camera down since before it a minute to come up.
        let started = clock.now();
        let store = registers.store.clone();
        let mut in_outage: HashSet<String> = match registers.open_alarms(started) {
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
        let mut next = started;
        loop {
            timer.sleep_until(next).await;
            // Ticks fall on the clock's multiples of the tick, and a camera is
            // examined once per slot of `every_ms` (also on the clock): the
            // checks then come at the same moments whenever the recorder
            // started, once a segment (cut at clock minutes) has closed, and
            // never slip a tick because this round ran faster than the last.
            next = Timestamp((clock.now().0.div_euclid(tick_ms) + 1) * tick_ms);
            let Ok(site) = registers.site() else { continue };
            let now = clock.now();
            if now.0 - started.0 > i64::from(segment_seconds) * 2000 + 10_000 {
                record_outage_changes(&registers, &site, now, segment_seconds, &mut in_outage).await;
            }
            for (camera, _) in site.active_cameras() {
                let previous = checks.get(camera);
                let now = clock.now();
                if previous
                    .as_ref()
                    .is_some_and(|p| p.checked_at_ms.div_euclid(every_ms) == now.0.div_euclid(every_ms))
                {
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

/// What the recording looks like now, for the walk-around checklist: each
/// camera in service from its last hour and newest segments (a year of
/// footage is 16.8 million rows, never read for this), and the disk
/// against the floor ([`super::disk::outlook`], as the sweep sees it).
/// Camera health pre-fills the inspection log, so the same people see it.
pub fn site_health(
    registers: &Registers,
    who: &SignedIn,
    pictures: &PictureChecks,
    disk: DiskSpace,
    segment_seconds: u32,
) -> Result<SiteHealth> {
    let site = registers.site()?;
    let profile = site.profile()?;
    if !permissions::allows(&who.person.roles, Register::Inspections, Access::Read, &profile) {
        return Err(RecorderError::forbidden(
            "camera health is for the staff who look after the system",
        ));
    }
    let now = registers.now();
    let open = site.site.opening_hours.is_open(now);
    let mut problems = registers.store.camera_link_problems()?;
    let mut cameras = Vec::new();
    for (id, camera) in site.active_cameras() {
        let rows = registers
            .store
            .recent_segments(id, now.0 - HEALTH_LOOKBACK_MS, RECENT_FOR_BITRATE)?;
        let index = index_health(&rows, now, segment_seconds, open);
        let link_problem = problems
            .remove(id as &str)
            .filter(|p| now.0 - p.at_ms <= LINK_PROBLEM_SHOWN_MS);
        cameras.push(CameraHealth {
            id: id.to_string(),
            name: camera.name.clone(),
            location: camera.location.clone(),
            index,
            picture: pictures.get(id),
            link_problem,
        });
    }
    let outlook = outlook(registers, disk, now)?;
    let days = outlook.floor.days_disk_can_hold;
    Ok(SiteHealth {
        open,
        cameras,
        disk: DiskHealth {
            free_bytes: outlook.free_bytes,
            days_disk_can_hold: days.is_finite().then_some(days),
            floor_days: outlook.floor_days,
            floor_at_risk: outlook.floor.floor_at_risk,
        },
    })
}

/// A camera's stream problem is shown while it is this recent: the
/// recording process tries a failing camera again at least every 30 s, and
/// records each failure. Also while the camera records: one cut off again
/// and again (a flood, a failing link) records a little after each
/// reconnection, so its newest segment stays recent while most of its time
/// is gaps.
pub const LINK_PROBLEM_SHOWN_MS: i64 = 120_000;

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
        .filter(|w| w[1].real_start_ms > hour_ago && w[1].real_start_ms - w[0].real_end_ms > BREAK_TOLERANCE_MS)
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
        let store = crate::db::Store::create(dir.path()).unwrap();
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
