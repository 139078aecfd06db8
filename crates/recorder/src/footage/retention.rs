//! Retention on the recorder (DESIGN §5): the core decides (pure
//! `custos_core::retention`), this module acts. Footage past the ceiling
//! that no hold covers is destroyed; when the disk needs room, the oldest
//! footage past the floor goes first; the floor is never broken, and when
//! the disk cannot hold it an alarm is raised. Every destruction is recorded
//! in the destruction register (holds document) and the audit chain.

use std::collections::BTreeMap;
use std::path::Path;

use automerge::Automerge;
use custos_core::application::ApplicationCase;
use custos_core::documents::{self as docs, DocKey};
use custos_core::history::SiteHistory;
use custos_core::holds::{DestructionReason, DestructionRecord, Hold, HoldBasis, RELEASE_ROLES};
use custos_core::ids::DeviceId;
use custos_core::inspection::AlarmKind;
use custos_core::retention::{FloorCheck, Segment, ceiling_cut, choose_for_space, floor_check, plan};
use custos_core::seal::{Seal, SealPurpose};
use custos_core::signing::DeviceKey;
use custos_core::signing::verify;
use custos_core::time::{DAY_MS, Timestamp};
use custos_core::workflow::Status;
use serde_json::json;

use crate::error::{RecorderError, Result};
use crate::ingest::{camera_dir, segment_file_name};
use crate::own_changes::append_change;
use crate::registry::new_id;
use crate::store::{AuditEvent, SegmentRow, SegmentRun, Store};

pub const HOLDS_DOC: &str = "holds";

/// At most this many of the oldest segments past the floor are read per
/// sweep when the disk needs room (two days of 32 cameras at 60 s); a
/// longer shortage is worked off by the next sweeps.
pub const SPACE_CANDIDATES: i64 = 100_000;

/// What the disk offers footage, measured by the caller (so tests can set it).
#[derive(Debug, Clone, Copy)]
pub struct DiskSpace {
    /// Bytes free on the footage disk.
    pub free: u64,
    /// Free bytes to keep in reserve for recording.
    pub reserve: u64,
}

impl DiskSpace {
    /// The real disk the data directory is on; the reserve is 2 % of it,
    /// at least 1 GiB.
    pub fn measure(data: &Path) -> Result<DiskSpace> {
        let free = fs4::available_space(data).map_err(|e| RecorderError::file(data, e))?;
        let total = fs4::total_space(data).map_err(|e| RecorderError::file(data, e))?;
        Ok(DiskSpace {
            free,
            reserve: (total / 50).max(1 << 30),
        })
    }
}

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

/// The holds in force: placed and not released by a valid release seal.
pub fn active_holds(store: &Store) -> Result<Vec<Hold>> {
    let Some(bytes) = store.document(HOLDS_DOC)? else {
        return Ok(vec![]);
    };
    let doc = Automerge::load(&bytes)?;
    let holds: BTreeMap<String, Hold> = docs::entries(&doc, docs::HOLDS)?;
    let releases: BTreeMap<String, Seal> = docs::entries(&doc, docs::RELEASES)?;
    let site = SiteHistory::load(&store.document("site")?.unwrap_or_default())?;
    let register = site.current()?;
    let profile = register.profile()?;
    let mut in_force = Vec::new();
    for (id, hold) in holds {
        let released = releases.iter().any(|(key, seal)| {
            seal.subject.as_str() == id
                && (seal.verify(key, &hold.content_hash(), &RELEASE_ROLES, &site).is_ok()
                    || is_console_release(key, seal, &hold, &register))
        });
        if released {
            continue;
        }
        let ended = match &hold.application {
            Some(application) => application_outcome(store, application, &site, &profile)?
                .is_some_and(|(_, status)| hold.ended_by(&status)),
            None => false,
        };
        if !ended {
            in_force.push(hold);
        }
    }
    Ok(in_force)
}

/// An application the recorder holds and its derived status, if it does.
fn application_outcome(
    store: &Store,
    application: &custos_core::ids::EntryId,
    site: &SiteHistory,
    profile: &custos_core::policy::PolicyProfile,
) -> Result<Option<(ApplicationCase, custos_core::workflow::Status)>> {
    let Some(bytes) = store.document(&DocKey::ApplicationCase(application.clone()).to_string())? else {
        return Ok(None);
    };
    let Some((case, events)) = docs::application_case(&Automerge::load(&bytes)?)? else {
        return Ok(None);
    };
    let status = custos_core::workflow::derive_status(&case, &events, site, profile).status;
    Ok(Some((case, status)))
}

/// After a viewing, keeps the viewed footage on record where the profile
/// says so (001 §6(4)): places the application's `ViewedOnRecord` hold,
/// once, before its filing hold ends (which the viewing also does). Run
/// when a push is accepted and at every sweep, so a stop in between cannot
/// leave the footage unheld; `only` one application (a push) or all of
/// them (a sweep). Returns the holds placed.
pub fn keep_viewed_on_record(
    store: &Store,
    site_key: &DeviceKey,
    only: Option<&custos_core::ids::EntryId>,
    now: Timestamp,
) -> Result<usize> {
    let Some(bytes) = store.document(HOLDS_DOC)? else {
        return Ok(0);
    };
    let holds: BTreeMap<String, Hold> = docs::entries(&Automerge::load(&bytes)?, docs::HOLDS)?;
    let site = SiteHistory::load(&store.document("site")?.unwrap_or_default())?;
    let profile = site.current()?.profile()?;
    let mut placed = 0;
    for hold in holds.values().filter(|h| h.basis == HoldBasis::ApplicationFiled) {
        let Some(application) = &hold.application else { continue };
        if only.is_some_and(|o| o != application) {
            continue;
        }
        let already = holds
            .values()
            .any(|h| h.basis == HoldBasis::ViewedOnRecord && h.application.as_ref() == Some(application));
        if already {
            continue;
        }
        if let Some((case, Status::Viewed)) = application_outcome(store, application, &site, &profile)?
            && let Some(kept) = Hold::for_viewed_application(&case, &profile, now)
        {
            place_hold(store, site_key, &kept, now)?;
            placed += 1;
        }
    }
    Ok(placed)
}

/// A release made on the recorder's console, naming the head: signed with
/// the site key, for a signer who holds a releasing role now.
fn is_console_release(key: &str, seal: &Seal, hold: &Hold, site: &custos_core::site::SiteRegister) -> bool {
    let recorder = hex::decode(&site.site.recorder_public_key)
        .map(|k| DeviceId::for_public_key(&k))
        .ok();
    key == seal.id.as_str()
        && recorder.as_ref() == Some(&seal.device)
        && seal.subject_hash == hold.content_hash()
        && RELEASE_ROLES.contains(&seal.role)
        && site
            .person(&seal.signer)
            .is_some_and(|p| p.revoked_at.is_none() && p.roles.contains(&seal.role))
        && verify(&site.site.recorder_public_key, &seal.signing_bytes(), &seal.signature)
}

/// Releases a hold on the console in the name of the head (or delegate).
pub fn release_on_console(
    store: &Store,
    site_key: &DeviceKey,
    hold_id: &str,
    head_name: &str,
    note: &str,
    now: Timestamp,
) -> Result<()> {
    let site = crate::registry::site_register(store)?;
    let (person_id, person) = site
        .people
        .iter()
        .find(|(_, p)| p.name == head_name && p.revoked_at.is_none())
        .ok_or_else(|| RecorderError::Usage(format!("no active person named {head_name:?}")))?;
    let role = RELEASE_ROLES
        .into_iter()
        .find(|r| person.roles.contains(r))
        .ok_or_else(|| {
            RecorderError::Usage(format!(
                "{head_name} is not the head or a delegate: only they release holds"
            ))
        })?;
    if note.trim().is_empty() {
        return Err(RecorderError::Usage("say why the hold is released (--note)".into()));
    }
    let detail = json!({ "hold": hold_id, "released_by": person_id, "role": role.as_str(), "note": note.trim(), "on": "console" });
    let audit = AuditEvent {
        kind: "hold_released",
        actor: "console",
        detail,
    };
    let active = active_holds(store)?;
    append_change(
        store,
        site_key,
        &DocKey::Holds,
        "hold released",
        now,
        Some(audit),
        |doc| {
            let hold: Hold = docs::get_entry(doc, docs::HOLDS, hold_id)?
                .ok_or_else(|| RecorderError::Usage(format!("no hold {hold_id}; see `hold list`")))?;
            if !active.contains(&hold) {
                return Err(RecorderError::Usage(format!("hold {hold_id} is already released")));
            }
            let seal = Seal::sign(
                new_id(now),
                SealPurpose::ReleaseHold,
                hold_id.parse()?,
                hold.content_hash(),
                role,
                person_id.parse()?,
                custos_core::history::heads_to_hex(&doc.get_heads()),
                now,
                note.trim().into(),
                site_key,
            );
            Ok(docs::put_entry(doc, docs::RELEASES, seal.id.as_str(), &seal)?)
        },
    )
}

/// Every hold with its id and whether it is still in force.
pub fn list_holds(store: &Store) -> Result<Vec<(String, Hold, bool)>> {
    let Some(bytes) = store.document(HOLDS_DOC)? else {
        return Ok(vec![]);
    };
    let doc = Automerge::load(&bytes)?;
    let holds: BTreeMap<String, Hold> = docs::entries(&doc, docs::HOLDS)?;
    let active = active_holds(store)?;
    Ok(holds
        .into_iter()
        .map(|(id, h)| {
            let on = active.contains(&h);
            (id, h, on)
        })
        .collect())
}

/// Adds a hold to the holds document, as the recorder; returns its id.
pub fn place_hold(store: &Store, site_key: &DeviceKey, hold: &Hold, now: Timestamp) -> Result<String> {
    let id = new_id(now);
    let detail = json!({ "hold": id.as_str(), "reference": hold.reference, "basis": hold.basis,
        "cameras": hold.cameras, "from": hold.window.start.0, "to": hold.window.end.0 });
    let actor = hold
        .placed_by
        .as_ref()
        .map_or("recorder".to_string(), |p| p.to_string());
    let audit = AuditEvent {
        kind: "hold_placed",
        actor: &actor,
        detail,
    };
    append_change(
        store,
        site_key,
        &DocKey::Holds,
        "hold placed",
        now,
        Some(audit),
        |doc| Ok(docs::put_entry(doc, docs::HOLDS, id.as_str(), hold)?),
    )?;
    Ok(id.to_string())
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
pub fn sweep(store: &Store, data: &Path, site_key: &DeviceKey, now: Timestamp, disk: DiskSpace) -> Result<SweepReport> {
    let report = sweep_index(store, site_key, now, disk)?;
    unlink_destroyed(store, data, &report)?;
    Ok(report)
}

/// Decides what to destroy at `now`, takes it out of the index and records
/// it (destruction register, audit chain), in milliseconds. From then on the
/// footage cannot be found or played; its files are unlinked afterwards by
/// [`unlink_destroyed`], outside any transaction (unlinking a day of 32
/// cameras takes ~330 ms on ext4 here, six times the rest of the sweep).
pub fn sweep_index(store: &Store, site_key: &DeviceKey, now: Timestamp, disk: DiskSpace) -> Result<SweepReport> {
    let site = crate::registry::site_register(store)?;
    let rule = site.profile()?.effective_retention()?;
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
    let mut parsed: Option<(String, custos_core::ids::CameraId)> = None;
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
    keep_viewed_on_record(store, site_key, None, now)?;
    let holds = active_holds(store)?;
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
        append_change(
            store,
            site_key,
            &DocKey::Holds,
            "footage destroyed",
            now,
            Some(audit),
            |doc| {
                for (n, record) in records.iter().enumerate() {
                    let id = custos_core::ids::EntryId::from_parts(
                        now.0 as u64,
                        u128::from_le_bytes(crate::registry::random_bytes::<16>()) ^ n as u128,
                    );
                    docs::put_entry(doc, docs::DESTRUCTIONS, id.as_str(), record)?;
                }
                Ok(())
            },
        )?;
    }
    let runs: Vec<SegmentRun<'_>> = unlink
        .iter()
        .map(|(camera, starts)| SegmentRun { camera, starts })
        .collect();
    store.destroy_runs(&runs)?;

    // Can the disk hold the floor at the rate of the last day?
    let kept = store.footage_bytes()?.max(0) as u64;
    let mut held = 0u64;
    for hold in &holds {
        for camera in &hold.cameras {
            let longest = 10 * 60_000;
            let rows = store.segments_in_window(camera.as_str(), hold.window.start.0, hold.window.end.0, longest)?;
            held += rows.iter().map(|r| r.bytes.max(0) as u64).sum::<u64>();
        }
    }
    let floor = floor_check(rule, kept + disk.free.saturating_sub(disk.reserve), held, bytes_per_day);
    // An alarm in the inspection log (with its audit row) once while the
    // disk cannot hold the floor, ended when it can again.
    if floor.floor_at_risk || !enough {
        let detail = format!(
            "磁碟僅能保存 {:.1} 日錄影，低於規定之 {} 日 / the disk holds {:.1} days of footage, below the {}-day floor",
            floor.days_disk_can_hold, rule.floor_days, floor.days_disk_can_hold, rule.floor_days
        );
        crate::alarms::raise(store, site_key, AlarmKind::RetentionFloorAtRisk, None, &detail, now)?;
        tracing::error!(
            "retention floor at risk: the disk holds {:.1} days, the floor is {} days; footage inside the floor is kept",
            floor.days_disk_can_hold,
            rule.floor_days
        );
    } else {
        crate::alarms::end(store, site_key, AlarmKind::RetentionFloorAtRisk, None, now)?;
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
