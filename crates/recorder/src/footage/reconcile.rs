//! The start-up reconcile: the footage index against the files on disk.

use std::path::Path;

use custos_core::time::Timestamp;
use serde_json::json;

use super::paths::{camera_dir, parse_segment_file_name, segment_file_name};
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
                let row = SegmentRow {
                    camera_id: camera.clone(),
                    start_ms: start,
                    real_start_ms: start,
                    real_end_ms: start + (seconds * 1000.0).round() as i64,
                    bytes: bytes as i64,
                };
                store.insert_segment(&row)?;
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
