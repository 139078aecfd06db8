//! Footage sealed as it is recorded (`custos_core::footage_log`): each
//! segment is hashed as it is indexed and appended to the footage log; and
//! the check of the log against the disk that `audit verify` runs: a
//! segment whose bytes no longer match its seal, or that is gone without a
//! destruction record, is named; one retention destroyed is shown destroyed,
//! with its record.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use custos_core::footage_log::{FootageChainCheck, SealedSegment, SegmentSeal};
use custos_core::holds::DestructionRecord;
use custos_core::time::Timestamp;

use super::paths::{camera_dir, segment_file_name};
use crate::base::error::{RecorderError, Result};
use crate::db::Store;
use crate::db::segments::SegmentRow;

/// SHA-256 (hex) and length of a file, read in 256 KiB pieces.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = vec![0u8; 256 * 1024];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        context.update(&buffer[..n]);
        len += n as u64;
    }
    Ok((hex::encode(context.finish().as_ref()), len))
}

/// Seals the segment `row` indexes (its file under `data`), unless it is
/// sealed already. Returns whether it was sealed now.
pub fn seal_segment(store: &Store, data: &Path, row: &SegmentRow, now: Timestamp) -> Result<bool> {
    if store.is_sealed(&row.camera_id, row.start_ms)? {
        return Ok(false);
    }
    let path = camera_dir(data, &row.camera_id).join(segment_file_name(row.start_ms));
    let (sha256, bytes) = sha256_file(&path)
        .map_err(|e| RecorderError::internal(format!("cannot read {} to seal it: {e}", path.display())))?;
    let seal = SegmentSeal {
        camera: row.camera_id.clone(),
        start_ms: row.start_ms,
        real_start_ms: row.real_start_ms,
        real_end_ms: row.real_end_ms,
        bytes,
        sha256,
    };
    store.seal_segment(&seal, now)
}

/// One sealed segment whose file is not as sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub seq: u64,
    pub camera: String,
    pub file: String,
    pub what: FindingKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// The file is gone and no destruction record covers it.
    Missing,
    /// The file's size or (re-hashed) bytes differ from its seal.
    Altered { detail: String },
}

/// What the footage log says against the disk.
#[derive(Debug, Default)]
pub struct FootageReport {
    /// Rows in the log (the chain checked).
    pub sealed: u64,
    /// Segments destroyed by retention, with their record.
    pub destroyed: u64,
    /// Segments whose bytes were re-hashed (with `--footage`).
    pub rehashed: u64,
    pub findings: Vec<Finding>,
    /// The Merkle root at each size asked for (the checkpoints'), by size.
    pub roots: BTreeMap<u64, (String, String)>,
}

/// The checks of [`check_footage`].
pub struct FootageCheck<'a> {
    pub data: &'a Path,
    /// Destruction records: a sealed file gone is destroyed if one covers it.
    pub destroyed: &'a Destroyed,
    /// Re-hash files from this row on (`None`: sizes only).
    pub rehash_from: Option<u64>,
    /// Tree sizes whose Merkle root (and head) to report.
    pub roots_at: &'a [u64],
}

/// Walks the whole log in order: the chain (an edited, removed or inserted
/// row stops the walk with its error); each file against its seal; the
/// roots at the sizes asked. `progress` is told each row re-hashed.
pub fn check_footage(
    store: &Store,
    check: &FootageCheck<'_>,
    mut progress: impl FnMut(&SealedSegment),
) -> Result<FootageReport> {
    let mut chain = FootageChainCheck::default();
    let mut report = FootageReport::default();
    store.for_each_sealed(1, |row| {
        chain
            .push(&row)
            .map_err(|e| RecorderError::Usage(format!("footage log broken: {e}")))?;
        if check.roots_at.contains(&chain.size()) {
            report
                .roots
                .insert(chain.size(), (chain.root(), chain.head().to_string()));
        }
        let rehash = check.rehash_from.is_some_and(|from| row.seq >= from);
        match examine(check.data, check.destroyed, &row, rehash) {
            Examined::Present => {}
            Examined::Destroyed => report.destroyed += 1,
            Examined::Rehashed(_) => {
                report.rehashed += 1;
                progress(&row);
            }
            Examined::NotAsSealed(finding) => {
                if rehash {
                    report.rehashed += 1;
                    progress(&row);
                }
                report.findings.push(finding);
            }
        }
        Ok(())
    })?;
    report.sealed = chain.size();
    Ok(report)
}

/// What one sealed segment's file says against its seal.
pub enum Examined {
    /// There, with its size (not re-hashed).
    Present,
    /// Re-hashed and matching (its bytes).
    Rehashed(u64),
    /// Gone, with a destruction record that covers it.
    Destroyed,
    NotAsSealed(Finding),
}

/// Looks at `row`'s file under `data`: there with its size (and, with
/// `rehash`, its bytes), or gone with a destruction record in `destroyed`.
pub fn examine(data: &Path, destroyed: &Destroyed, row: &SealedSegment, rehash: bool) -> Examined {
    let seal = &row.seal;
    let file = segment_file_name(seal.start_ms);
    let path = camera_dir(data, &seal.camera).join(&file);
    let finding = |what| {
        Examined::NotAsSealed(Finding {
            seq: row.seq,
            camera: seal.camera.clone(),
            file: file.clone(),
            what,
        })
    };
    match std::fs::metadata(&path) {
        Err(_) if destroyed.covers(seal) => Examined::Destroyed,
        Err(_) => finding(FindingKind::Missing),
        Ok(meta) if meta.len() != seal.bytes => finding(FindingKind::Altered {
            detail: format!("{} bytes, sealed with {}", meta.len(), seal.bytes),
        }),
        Ok(_) if !rehash => Examined::Present,
        Ok(_) => match sha256_file(&path) {
            Ok((sha256, bytes)) if sha256 == seal.sha256 => Examined::Rehashed(bytes),
            Ok((sha256, _)) => finding(FindingKind::Altered {
                detail: format!("SHA-256 {sha256}, sealed with {}", seal.sha256),
            }),
            Err(e) => finding(FindingKind::Altered {
                detail: format!("cannot be read: {e}"),
            }),
        },
    }
}

impl Finding {
    /// What is wrong, in a sentence.
    pub fn describe(&self) -> String {
        let what = match &self.what {
            FindingKind::Missing => "gone, and no destruction record covers it".to_string(),
            FindingKind::Altered { detail } => format!("not as sealed: {detail}"),
        };
        format!(
            "footage {} {} (sealed as segment {}): {what}",
            self.camera, self.file, self.seq
        )
    }
}

/// The destruction register by camera, each camera's spans sorted by start:
/// one lookup per sealed segment (a year is millions of segments and
/// thousands of records).
#[derive(Debug, Default)]
pub struct Destroyed(BTreeMap<String, Vec<(i64, i64)>>);

impl Destroyed {
    pub fn new(records: &[DestructionRecord]) -> Destroyed {
        let mut by_camera: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
        for r in records {
            by_camera
                .entry(r.camera.to_string())
                .or_default()
                .push((r.start.0, r.end.0));
        }
        by_camera.values_mut().for_each(|spans| spans.sort_unstable());
        Destroyed(by_camera)
    }

    /// Whether a record of the segment's camera covers its span (records
    /// merge segments less than 5 s apart; a sealed span may have been
    /// corrected by a second or two since).
    pub fn covers(&self, seal: &SegmentSeal) -> bool {
        const SLACK_MS: i64 = 5_000;
        let Some(spans) = self.0.get(&seal.camera) else {
            return false;
        };
        let started = spans.partition_point(|(start, _)| start - SLACK_MS <= seal.real_start_ms);
        // Records of one camera do not overlap but for a reason's boundary.
        spans[..started]
            .iter()
            .rev()
            .take(4)
            .any(|(_, end)| seal.real_end_ms <= end + SLACK_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::holds::DestructionReason;

    #[test]
    fn a_segment_is_destroyed_only_where_a_record_of_its_camera_covers_it() {
        let record = |camera: &str, start: i64, end: i64| DestructionRecord {
            camera: camera.parse().unwrap(),
            start: Timestamp(start),
            end: Timestamp(end),
            bytes: 1,
            destroyed_at: Timestamp(end + 1),
            reason: DestructionReason::PastCeiling,
        };
        let destroyed = Destroyed::new(&[
            record("cam-02", 0, 1_000_000),
            record("cam-01", 5_000_000, 6_000_000),
            record("cam-01", 1_000_000, 2_000_000),
        ]);
        let seal = |camera: &str, start: i64, end: i64| SegmentSeal {
            camera: camera.into(),
            start_ms: start,
            real_start_ms: start,
            real_end_ms: end,
            bytes: 1,
            sha256: String::new(),
        };
        assert!(destroyed.covers(&seal("cam-01", 1_000_000, 1_060_000)));
        assert!(
            destroyed.covers(&seal("cam-01", 5_940_000, 6_002_000)),
            "a second or two corrected"
        );
        assert!(
            !destroyed.covers(&seal("cam-01", 3_000_000, 3_060_000)),
            "between its records"
        );
        assert!(
            !destroyed.covers(&seal("cam-01", 1_990_000, 2_050_000)),
            "running past the record"
        );
        assert!(
            !destroyed.covers(&seal("cam-03", 1_000_000, 1_060_000)),
            "another camera's record"
        );
        assert!(destroyed.covers(&seal("cam-02", 0, 60_000)));
    }
}
