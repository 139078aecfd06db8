//! The start-up reconcile: the footage index against the files on disk
//! (and the files it indexes, or that a stop left unsealed, sealed).

use std::path::Path;

use custos_core::time::Timestamp;
use serde_json::json;

use super::capture::capture_origins;
use super::ingest::MAX_CAMERA_DELAY_MS;
use super::paths::{camera_dir, parse_segment_file_name, segment_file_name};
use super::seal::seal_segment;
use crate::base::error::Result;
use crate::db::Store;
use crate::db::audit::AuditEvent;
use crate::db::segments::SegmentRow;

/// How long a segment file plays (ffprobe), or `None` if it cannot be read.
fn probe_seconds(path: &Path) -> Option<f64> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .ok()?;
    let seconds: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    (out.status.success() && seconds.is_finite() && seconds > 0.0).then_some(seconds)
}

/// How far back the start-up looks for segments indexed but not sealed.
const RESEAL_WITHIN_MS: i64 = 60 * 60 * 1000;

fn seal_or_log(store: &Store, data: &Path, row: &SegmentRow, now: Timestamp) {
    if let Err(err) = seal_segment(store, data, row, now) {
        tracing::error!(
            "camera {}: cannot seal {}: {err}",
            row.camera_id,
            segment_file_name(row.start_ms)
        );
    }
}

/// Where a file found at start-up begins: by the camera's clock where the
/// file has it and it agrees with the name (a file is named by its first
/// frame's second), else by the name.
fn placed_start(path: &Path, named: i64) -> i64 {
    let agrees = (named as f64 - MAX_CAMERA_DELAY_MS)..(named as f64 + 1000.0);
    capture_origins(path)
        .into_iter()
        .reduce(f64::min)
        .filter(|origin| agrees.contains(origin))
        .map_or(named, |origin| origin.round() as i64)
}

/// Compares the index with the files on disk at start-up, one camera at a
/// time, as two sorted sequences (a year is 525,600 files a camera: never
/// all in memory at once). A file the index lacks (the segment open when the
/// recorder stopped, footage put back from a copy) is indexed as ffprobe
/// reads it, on record in the audit chain, so retention sees it; one that
/// cannot be read, and a run of indexed segments whose files are gone, are
/// logged and written to the audit chain; files of footage a sweep destroyed
/// but had not unlinked are removed. Files from `now` on belong to the run
/// starting now and are left to it, so this can run beside the recording.
/// Returns the files left unindexed and the indexed segments missing.
pub fn reconcile(store: &Store, data: &Path, now: Timestamp) -> Result<(usize, usize)> {
    // A file named in the current second may be this run's first.
    let before = now.0 - now.0.rem_euclid(1000);
    let destroyed = store.files_to_unlink()?;
    let mut cameras: std::collections::BTreeSet<String> = store.cameras_with_footage()?.into_iter().collect();
    if let Ok(dirs) = std::fs::read_dir(data.join("footage")) {
        cameras.extend(
            dirs.flatten()
                .filter(|d| d.path().is_dir())
                .map(|d| d.file_name().to_string_lossy().into_owned()),
        );
    }
    let (mut orphans, mut missing, mut finished) = (0, 0, 0);
    for camera in &cameras {
        let dir = camera_dir(data, camera);
        let mut on_disk: Vec<i64> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|f| parse_segment_file_name(&f.file_name().to_string_lossy()))
            .filter(|start| *start < before)
            .collect();
        on_disk.sort_unstable();
        let mut files = on_disk.into_iter().peekable();
        let mut unindexed: Vec<i64> = Vec::new();
        // Runs of consecutive indexed segments without a file: (first, last, count).
        let mut gone: Vec<(i64, i64, usize)> = Vec::new();
        let mut run: Option<(i64, i64, usize)> = None;
        store.for_each_segment_start(camera, before, |start| {
            while let Some(file) = files.next_if(|f| *f < start) {
                unindexed.push(file);
            }
            if files.next_if_eq(&start).is_some() {
                gone.extend(run.take());
            } else {
                run = Some(match run {
                    Some((first, _, n)) => (first, start, n + 1),
                    None => (start, start, 1),
                });
            }
        })?;
        gone.extend(run);
        unindexed.extend(files);
        // Sealed as they are indexed; a stop in between leaves the last few unsealed.
        for row in store.unsealed_segments_since(camera, before - RESEAL_WITHIN_MS)? {
            seal_or_log(store, data, &row, now);
        }

        // Footage a sweep destroyed before the last stop: finished off.
        unindexed.retain(|start| {
            let destroyed_here = destroyed
                .iter()
                .any(|(c, first, last)| c == camera && (*first..=*last).contains(start));
            if destroyed_here {
                let path = dir.join(segment_file_name(*start));
                match std::fs::remove_file(&path) {
                    Ok(()) => finished += 1,
                    Err(e) => tracing::error!("cannot remove destroyed footage {}: {e}", path.display()),
                }
            }
            !destroyed_here
        });
        for (first, last, files) in gone {
            missing += files;
            tracing::error!(
                "footage missing: {camera} {} to {}: {files} indexed segment(s) whose files are gone",
                segment_file_name(first),
                segment_file_name(last)
            );
            let detail = json!({ "camera": camera, "first_start_ms": first, "last_start_ms": last, "files": files,
                "first_file": segment_file_name(first), "last_file": segment_file_name(last) });
            let event = AuditEvent {
                kind: "footage_missing",
                actor: "recorder",
                detail,
            };
            store.append_audit(now, event)?;
        }
        for start in unindexed {
            let path = dir.join(segment_file_name(start));
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            // Footage retention cannot see would never be destroyed: a file
            // ffmpeg can read is indexed as it is.
            if let Some(seconds) = probe_seconds(&path) {
                let real_start = placed_start(&path, start);
                let row = SegmentRow {
                    camera_id: camera.clone(),
                    start_ms: start,
                    real_start_ms: real_start,
                    real_end_ms: real_start + (seconds * 1000.0).round() as i64,
                    bytes: bytes as i64,
                };
                store.insert_segment(&row)?;
                seal_or_log(store, data, &row, now);
                let detail = json!({ "camera": camera, "start_ms": start, "file": segment_file_name(start),
                    "bytes": bytes, "seconds": seconds });
                let event = AuditEvent {
                    kind: "footage_indexed_at_start",
                    actor: "recorder",
                    detail,
                };
                store.append_audit(now, event)?;
                continue;
            }
            orphans += 1;
            tracing::warn!(
                "footage not indexed: {} ({bytes} bytes), left by a stop mid-segment",
                path.display()
            );
            let detail =
                json!({ "camera": camera, "start_ms": start, "file": segment_file_name(start), "bytes": bytes });
            let event = AuditEvent {
                kind: "footage_unindexed",
                actor: "recorder",
                detail,
            };
            store.append_audit(now, event)?;
        }
    }
    if finished > 0 {
        tracing::info!("removed {finished} file(s) of footage destroyed before the last stop");
    }
    store.files_unlinked(destroyed.iter().map(|(c, first, _)| (c.as_str(), *first)))?;
    Ok((orphans, missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::footage::capture::tests::{ntp, segment};

    #[test]
    fn a_file_found_at_start_is_placed_by_the_cameras_clock_when_it_agrees_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let named = 1_795_487_120_000i64;
        let path = dir.path().join(segment_file_name(named));
        // Its first frame captured 300 ms before the second it was named in
        // (named by the placement as it opened, refined since).
        std::fs::write(&path, segment(&[(ntp(named as u64 - 300), 0)])).unwrap();
        assert_eq!(placed_start(&path, named), named - 300);
        // A camera clock a minute off, or no clock at all: by the name.
        std::fs::write(&path, segment(&[(ntp(named as u64 - 60_000), 0)])).unwrap();
        assert_eq!(placed_start(&path, named), named);
        std::fs::write(&path, segment(&[])).unwrap();
        assert_eq!(placed_start(&path, named), named);
    }
}
