//! Retention on the recorder (DESIGN §5): the core decides (pure
//! `custos_core::retention`), this module acts. Footage past the ceiling
//! that no hold covers is destroyed; when the disk needs room, the oldest
//! footage past the floor goes first; the floor is never broken, and when
//! the disk cannot hold it an alarm is raised. Every destruction is recorded
//! in the destruction register (holds document) and the audit chain.

use std::collections::BTreeMap;
use std::path::Path;

use custos_core::documents::{self as docs, DocKey};
use custos_core::holds::{DestructionReason, DestructionRecord, Hold};
use custos_core::ids::{CameraId, EntryId};
use custos_core::inspection::AlarmKind;
use custos_core::retention::{FloorCheck, Segment, ceiling_cut, choose_for_space, plan};
use custos_core::time::{DAY_MS, Timestamp};
use serde_json::json;

use super::disk::{DiskSpace, floor_outlook};
use super::paths::{camera_dir, segment_file_name};
use crate::base::error::Result;
use crate::db::Store;
use crate::db::audit::AuditEvent;
use crate::db::segments::{SegmentRow, SegmentRun};
use crate::registers::Writing;
use custos_clock::random_bytes;

/// At most this many of the oldest segments past the floor are read per
/// sweep when the disk needs room (two days of 32 cameras at 60 s); a
/// longer shortage is worked off by the next sweeps.
pub const SPACE_CANDIDATES: i64 = 100_000;

#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepReport {
    pub destroyed: Vec<SegmentRow>,
    pub held_segments: usize,
    pub floor: FloorCheck,
    /// The disk needed room that only footage inside the floor could give.
    pub space_short: bool,
    /// Per camera, the nominal starts of each run taken out of the index,
    /// whose files [`unlink_destroyed`] removes.
    #[serde(skip)]
    pub unlink: Vec<(String, Vec<i64>)>,
}

/// The destruction register's entries for what a sweep deleted: one per
/// camera, reason and unbroken span, so a day of one-minute segments is one
/// record, not 1,440.
fn destruction_records(
    rows: &[SegmentRow],
    reasons: &[DestructionReason],
    now: Timestamp,
) -> Result<Vec<DestructionRecord>> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        (&rows[a].camera_id, rows[a].real_start_ms).cmp(&(&rows[b].camera_id, rows[b].real_start_ms))
    });
    let mut out: Vec<DestructionRecord> = Vec::new();
    for i in order {
        let (row, reason) = (&rows[i], reasons[i]);
        match out.last_mut() {
            Some(last)
                if last.camera.as_str() == row.camera_id
                    && last.reason == reason
                    && row.real_start_ms - last.end.0 <= 5_000 =>
            {
                last.end = Timestamp(last.end.0.max(row.real_end_ms));
                last.bytes += row.bytes.max(0) as u64;
            }
            _ => out.push(DestructionRecord {
                camera: row.camera_id.parse()?,
                start: Timestamp(row.real_start_ms),
                end: Timestamp(row.real_end_ms),
                bytes: row.bytes.max(0) as u64,
                destroyed_at: now,
                reason,
            }),
        }
    }
    Ok(out)
}

/// One retention sweep at `now`: [`sweep_index`], then [`unlink_destroyed`].
pub fn sweep(writing: &Writing<'_>, data: &Path, now: Timestamp, disk: DiskSpace) -> Result<SweepReport> {
    let report = sweep_index(writing, now, disk)?;
    unlink_destroyed(&writing.store, data, &report)?;
    Ok(report)
}

/// Decides what to destroy at `now`, takes it out of the index and records
/// it (destruction register, audit chain), in milliseconds. From then on the
/// footage cannot be found or played; its files are unlinked afterwards by
/// [`unlink_destroyed`], outside any transaction (unlinking a day of 32
/// cameras takes ~330 ms on ext4 here, six times the rest of the sweep).
pub fn sweep_index(writing: &Writing<'_>, now: Timestamp, disk: DiskSpace) -> Result<SweepReport> {
    let store = &writing.store;
    let rule = writing.profile()?.effective_retention()?;
    // Recording at the last day's rate; when the disk is short, a day of it
    // is freed on top, so space is made once a day (one destruction record
    // per camera) and not a few minutes at every sweep.
    let bytes_per_day = store.bytes_since(now.0 - DAY_MS)?.max(0) as u64;
    let short = disk.reserve.saturating_sub(disk.free);
    let needed = if short > 0 { short + bytes_per_day } else { 0 };
    // Only candidates are read, never a year of index: what started before
    // the ceiling, and, when the disk needs room, the oldest past the floor.
    let mut rows = store.segments_starting_before(ceiling_cut(rule, now).0)?;
    if needed > 0 {
        let mut seen: std::collections::HashSet<(String, i64)> =
            rows.iter().map(|r| (r.camera_id.clone(), r.start_ms)).collect();
        for row in store.oldest_segments_before(now.minus_days(rule.floor_days).0, SPACE_CANDIDATES)? {
            if seen.insert((row.camera_id.clone(), row.start_ms)) {
                rows.push(row);
            }
        }
    }
    // A row whose camera id does not parse stays untouched; `rows` and
    // `segments` keep the same indices. Each camera's id is parsed once.
    let mut segments: Vec<Segment> = Vec::with_capacity(rows.len());
    let mut parsed: Option<(String, CameraId)> = None;
    rows.retain(|r| {
        if parsed.as_ref().is_none_or(|(text, _)| *text != r.camera_id) {
            parsed = r.camera_id.parse().ok().map(|id| (r.camera_id.clone(), id));
        }
        let Some((_, camera)) = parsed.as_ref().filter(|(text, _)| *text == r.camera_id) else {
            return false;
        };
        segments.push(Segment {
            camera: camera.clone(),
            start: Timestamp(r.real_start_ms),
            end: Timestamp(r.real_end_ms),
            bytes: r.bytes.max(0) as u64,
        });
        true
    });
    writing.keep_viewed_on_record(None, now)?;
    let holds = writing.active_holds(now)?;
    let hold_refs: Vec<&Hold> = holds.iter().collect();
    let decided = plan(&segments, &hold_refs, rule, now);

    let (chosen, _) = choose_for_space(&decided, &segments, needed);
    // Short of space only if what goes does not cover the shortfall itself
    // (the day on top is headroom, not a need).
    let enough = chosen.iter().map(|&i| segments[i].bytes).sum::<u64>() >= short;
    // Flags by index: a day of 32 cameras is 46,080 segments, where hashed
    // sets cost milliseconds.
    let mut must = vec![false; rows.len()];
    for &i in &decided.must_destroy {
        must[i] = true;
    }

    // Runs of consecutive chosen segments per camera: a camera's candidates
    // are a prefix of its index, so no unchosen segment lies inside a run.
    let mut picked = vec![false; rows.len()];
    for &i in &chosen {
        picked[i] = true;
    }
    let mut by_camera: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_camera.entry(row.camera_id.as_str()).or_default().push(i);
    }
    let mut unlink: Vec<(String, Vec<i64>)> = Vec::new();
    for (camera, mut indices) in by_camera {
        indices.sort_by_key(|&i| rows[i].start_ms);
        let mut current: Vec<i64> = Vec::new();
        for i in indices {
            if picked[i] {
                current.push(rows[i].start_ms);
            } else if !current.is_empty() {
                unlink.push((camera.to_string(), std::mem::take(&mut current)));
            }
        }
        if !current.is_empty() {
            unlink.push((camera.to_string(), current));
        }
    }

    // The destroyed rows are kept in place of the candidates (a new vector
    // of 46,080 rows costs milliseconds of page faults alone).
    let mut reasons = Vec::with_capacity(chosen.len());
    let mut destroyed = rows;
    let mut i = 0;
    destroyed.retain(|_| {
        let keep = picked[i];
        if keep {
            reasons.push(if must[i] {
                DestructionReason::PastCeiling
            } else {
                DestructionReason::SpaceNeeded
            });
        }
        i += 1;
        keep
    });

    // Recorded before the index lets go: a stop in between leaves footage
    // the next sweep destroys (and records) again, never a destruction
    // without its record.
    let records = destruction_records(&destroyed, &reasons, now)?;
    if !records.is_empty() {
        let total: u64 = records.iter().map(|r| r.bytes).sum();
        let detail = json!({ "segments": records.len(), "bytes": total,
            "past_ceiling": records.iter().filter(|r| r.reason == DestructionReason::PastCeiling).count(),
            "space_needed": records.iter().filter(|r| r.reason == DestructionReason::SpaceNeeded).count() });
        let audit = AuditEvent {
            kind: "footage_destroyed",
            actor: "recorder",
            detail,
        };
        writing.append_change(&DocKey::Holds, "footage destroyed", now, Some(audit), |doc| {
            for (n, record) in records.iter().enumerate() {
                let id = EntryId::from_parts(now.0 as u64, u128::from_le_bytes(random_bytes::<16>()) ^ n as u128);
                docs::put_entry(doc, docs::DESTRUCTIONS, id.as_str(), record)?;
            }
            Ok(())
        })?;
    }
    let runs: Vec<SegmentRun<'_>> = unlink
        .iter()
        .map(|(camera, starts)| SegmentRun { camera, starts })
        .collect();
    store.destroy_runs(&runs)?;

    // Can the disk hold the floor at the rate of the last day?
    let floor = floor_outlook(store, &holds, rule, disk, now)?.floor;
    // An alarm in the inspection log (with its audit row) once while the
    // disk cannot hold the floor, ended when it can again.
    if floor.floor_at_risk || !enough {
        let detail = format!(
            "磁碟僅能保存 {:.1} 日錄影，低於規定之 {} 日 / the disk holds {:.1} days of footage, below the {}-day floor",
            floor.days_disk_can_hold, rule.floor_days, floor.days_disk_can_hold, rule.floor_days
        );
        writing.raise_alarm(AlarmKind::RetentionFloorAtRisk, None, &detail, now)?;
        tracing::error!(
            "retention floor at risk: the disk holds {:.1} days, the floor is {} days; footage inside the floor is kept",
            floor.days_disk_can_hold,
            rule.floor_days
        );
    } else {
        writing.end_alarm(AlarmKind::RetentionFloorAtRisk, None, now)?;
    }
    Ok(SweepReport {
        destroyed,
        held_segments: decided.held.len(),
        floor,
        space_short: !enough,
        unlink,
    })
}

/// Unlinks the files of the footage a sweep took out of the index, then
/// clears their spans from `files_to_unlink`. A file already gone is
/// logged (footage the index had lost) and counts as done; a file that
/// cannot be removed keeps its span, for the start-up reconcile to finish.
pub fn unlink_destroyed(store: &Store, data: &Path, report: &SweepReport) -> Result<()> {
    let mut done = Vec::new();
    for (camera, starts) in &report.unlink {
        let dir = camera_dir(data, camera);
        let mut removed_all = true;
        for &start in starts {
            let path = dir.join(segment_file_name(start));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::error!("footage missing at destruction: {}", path.display())
                }
                Err(e) => {
                    tracing::error!("cannot remove destroyed footage {}: {e}", path.display());
                    removed_all = false;
                }
            }
        }
        if removed_all {
            done.push((camera.as_str(), starts[0]));
        }
    }
    store.files_unlinked(done)
}
