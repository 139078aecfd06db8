//! The background re-hash: every sealed segment's bytes read again and
//! checked against its seal at least every [`REHASH_WITHIN_DAYS`] days, at
//! a pace set by the footage the recorder holds (the whole of it in
//! [`PASS_DAYS`] days), a little every [`REHASH_EVERY_MS`]: an 8 TB disk is
//! about 3.4 MB/s of reading. A segment not as sealed raises the alarm
//! `footage_not_as_sealed` for its camera in the inspection log, and each
//! one is an audit row of the same name, for the ethics office.

use std::path::Path;

use custos_core::documents::{self as docs, DocKey};
use custos_core::footage_log::{FootageFinding, SealedSegment};
use custos_core::ids::CameraId;
use custos_core::inspection::AlarmKind;
use custos_core::time::{DAY_MS, Timestamp};
use serde_json::json;

use super::seal::{Destroyed, Examined, Finding, FindingKind, examine};
use crate::base::error::{RecorderError, Result};
use crate::db::Store;
use crate::db::audit::AuditEvent;
use crate::registers::Registers;

/// What the issue asks: every segment re-hashed at least this often.
pub const REHASH_WITHIN_DAYS: i64 = 30;
/// The pace: the whole log in this many days, leaving room before the 30.
pub const PASS_DAYS: i64 = 27;
/// How often a share is re-hashed.
pub const REHASH_EVERY_MS: i64 = 60_000;
/// A recorder that was off re-hashes at most a day's share at once.
const MOST_CATCH_UP_MS: i64 = DAY_MS;
/// Rows read at a time.
const PAGE: u64 = 500;

/// Where the pass is, between runs and restarts.
const NEXT_SEQ: &str = "footage_rehash_next";
const LAST_RUN: &str = "footage_rehash_last_run";
/// When the last whole pass ended.
pub const PASS_COMPLETED: &str = "footage_rehash_completed";

/// What one run did.
#[derive(Debug, Default)]
pub struct RehashRun {
    pub rehashed: u64,
    pub bytes: u64,
    pub findings: Vec<Finding>,
    /// The run reached the end of the log: a pass is complete.
    pub completed_pass: bool,
}

/// The bytes to re-hash in a run `elapsed_ms` after the last one, out of
/// `total_bytes` held: the share that covers all of it in [`PASS_DAYS`].
pub fn share(total_bytes: u64, elapsed_ms: i64) -> u64 {
    let elapsed = elapsed_ms.clamp(0, MOST_CATCH_UP_MS) as u128;
    (u128::from(total_bytes) * elapsed / (PASS_DAYS as u128 * DAY_MS as u128)) as u64
}

fn setting_i64(store: &Store, key: &str) -> Result<Option<i64>> {
    Ok(store.setting(key)?.and_then(|v| v.parse().ok()))
}

/// One run at `now`: re-hashes the next share of the log (at least one
/// segment), from where the last run stopped, and says what it found.
pub fn rehash_share(store: &Store, data: &Path, destroyed: &Destroyed, now: Timestamp) -> Result<RehashRun> {
    let last_run = setting_i64(store, LAST_RUN)?.unwrap_or(now.0 - REHASH_EVERY_MS);
    let mut next = setting_i64(store, NEXT_SEQ)?.unwrap_or(1).max(1) as u64;
    let budget = share(store.footage_total_bytes()?, now.0 - last_run).max(1);
    let mut run = RehashRun::default();
    'pages: loop {
        let page: Vec<SealedSegment> = store.sealed_page(next, PAGE)?;
        if page.is_empty() {
            run.completed_pass = true;
            break;
        }
        for row in page {
            next = row.seq + 1;
            match examine(data, destroyed, &row, true) {
                Examined::Rehashed(bytes) => {
                    run.rehashed += 1;
                    run.bytes += bytes;
                }
                Examined::NotAsSealed(finding) => {
                    run.rehashed += 1;
                    run.bytes += row.seal.bytes;
                    run.findings.push(finding);
                }
                Examined::Present | Examined::Destroyed => {}
            }
            if run.bytes >= budget {
                break 'pages;
            }
        }
    }
    if run.completed_pass {
        store.set_setting(PASS_COMPLETED, &now.0.to_string())?;
        next = 1;
    }
    store.set_setting(NEXT_SEQ, &next.to_string())?;
    store.set_setting(LAST_RUN, &now.0.to_string())?;
    Ok(run)
}

/// One run at `now` on the service's registers: [`rehash_share`] off the
/// runtime's threads, then each finding on record (an audit row each, and
/// the camera's alarm in the inspection log). A file gone meanwhile is
/// checked against the destruction register again first: a sweep may have
/// destroyed it since the run began.
pub async fn rehash_and_report(registers: &Registers, data: &Path, now: Timestamp) -> Result<RehashRun> {
    let destroyed = Destroyed::new(&registers.destruction_records()?);
    let (store, dir) = (registers.store.clone(), data.to_path_buf());
    let mut run = tokio::task::spawn_blocking(move || rehash_share(&store, &dir, &destroyed, now))
        .await
        .map_err(RecorderError::internal)??;
    if run.findings.iter().any(|f| f.what == FindingKind::Missing) {
        let destroyed = Destroyed::new(&registers.destruction_records()?);
        run.findings.retain(|f| {
            let row = registers
                .store
                .sealed_page(f.seq, 1)
                .ok()
                .and_then(|p| p.into_iter().next());
            !row.is_some_and(|row| matches!(examine(data, &destroyed, &row, false), Examined::Destroyed))
        });
    }
    if run.findings.is_empty() {
        return Ok(run);
    }
    let writing = registers.write().await?;
    for finding in &run.findings {
        let said = finding.describe();
        tracing::error!("{said}");
        let event = AuditEvent {
            kind: "footage_not_as_sealed",
            actor: "recorder",
            detail: json!({ "camera": finding.camera, "file": finding.file, "seq": finding.seq, "what": said }),
        };
        // In the audit document too, for the ethics office's devices.
        let published = FootageFinding {
            camera: finding.camera.clone(),
            file: finding.file.clone(),
            seq: finding.seq,
            missing: finding.what == FindingKind::Missing,
            detail: said.clone(),
            found_at: now,
        };
        writing.append_change(&DocKey::Audit, "footage finding", now, Some(event), |doc| {
            docs::extend(doc, &DocKey::Audit)?;
            Ok(docs::put_entry(
                doc,
                docs::FOOTAGE_FINDINGS,
                &published.key(),
                &published,
            )?)
        })?;
        let camera: Option<CameraId> = finding.camera.parse().ok();
        writing.raise_alarm(AlarmKind::FootageNotAsSealed, camera.as_ref(), &said, now)?;
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_covers_the_footage_in_the_pass_and_catches_up_at_most_a_day() {
        let tb8 = 8_000_000_000_000u64;
        let minute = share(tb8, REHASH_EVERY_MS);
        // 8 TB in 27 days: about 3.4 MB/s, 206 MB a minute.
        assert!((minute / 60).abs_diff(tb8 / (27 * 86_400)) <= 1, "{minute}");
        let minutes_in_a_pass = (PASS_DAYS * DAY_MS / REHASH_EVERY_MS) as u64;
        assert!(minute * minutes_in_a_pass <= tb8 && tb8 - minute * minutes_in_a_pass < minutes_in_a_pass);
        assert_eq!(share(tb8, 7 * DAY_MS), share(tb8, DAY_MS), "a week off: a day's share");
        assert_eq!(share(tb8, -5), 0, "a clock set back re-hashes nothing extra");
    }
}
