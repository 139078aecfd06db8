//! What an export will carry: the approved cameras and window (or less),
//! each segment's file, its sealed row and its inclusion proof into the
//! newest countersigned footage checkpoint, and what of the window is
//! missing. Segments recorded before sealing began are sealed here, late,
//! with the time of sealing on their row.

use std::path::{Path, PathBuf};

use custos_api::footage::Span;
use custos_core::application::ApplicationCase;
use custos_core::audit::verify_checkpoints;
use custos_core::export::{ExportManifest, ManifestCountersignature, ManifestSegment};
use custos_core::footage_log::{FootageCheckpoint, inclusion_proofs};
use custos_core::ids::CameraId;
use custos_core::logbook::{ServedCamera, ServedSpan};
use custos_core::time::{MinuteWindow, Timestamp};

use crate::base::error::{RecorderError, Result};
use crate::db::segments::SegmentRow;
use crate::footage::paths::{LONGEST_SEGMENT_MS, camera_dir, segment_file_name};
use crate::footage::seal::seal_segment;
use crate::footage::spans::{missing_spans, recorded_spans};
use crate::registers::Registers;

pub struct PlannedSegment {
    /// The segment's file on the recorder's disk.
    pub source: PathBuf,
    pub segment: ManifestSegment,
}

pub struct ExportPlan {
    pub cameras: Vec<CameraId>,
    pub window: MinuteWindow,
    pub segments: Vec<PlannedSegment>,
    pub checkpoint: FootageCheckpoint,
    pub checkpoint_signature: String,
    pub countersigned_by: Vec<ManifestCountersignature>,
    /// Bytes of footage to copy.
    pub bytes: u64,
    pub missing: Vec<(CameraId, Span)>,
}

/// Why the request cannot be exported as asked.
pub struct Refusal {
    pub code: &'static str,
    pub detail: String,
}

fn refusal(code: &'static str, detail: String) -> Refusal {
    Refusal { code, detail }
}

/// Plans the export of `case`, narrowed to `cameras` and `window` where
/// they are given.
pub fn plan_export(
    registers: &Registers,
    data: &Path,
    case: &ApplicationCase,
    (cameras, window): (Option<&[CameraId]>, Option<MinuteWindow>),
    now: Timestamp,
) -> Result<std::result::Result<ExportPlan, Refusal>> {
    let cameras = cameras.map_or_else(|| case.cameras.clone(), <[CameraId]>::to_vec);
    let window = window.unwrap_or(case.window);
    if let Some(other) = cameras.iter().find(|c| !case.cameras.contains(c)) {
        return Ok(Err(refusal(
            "outside_approval",
            format!("camera {other} is not among the cameras the application approved"),
        )));
    }
    if cameras.is_empty() || window.start < case.window.start || window.end > case.window.end {
        return Ok(Err(refusal(
            "outside_approval",
            "the window asked for is not inside the approved window".into(),
        )));
    }
    let span = Span {
        from_ms: window.start.0,
        to_ms: window.end.0,
    };
    let store = &registers.store;
    let mut rows: Vec<SegmentRow> = Vec::new();
    let mut missing = Vec::new();
    for camera in &cameras {
        let mine = store.segments_in_window(camera.as_str(), span.from_ms, span.to_ms, LONGEST_SEGMENT_MS)?;
        let recorded = recorded_spans(&mine, span);
        missing.extend(missing_spans(&recorded, span).into_iter().map(|m| (camera.clone(), m)));
        rows.extend(mine);
    }
    if rows.is_empty() {
        return Ok(Err(refusal(
            "no_footage",
            "none of this window's footage exists any more: it is past retention or was never recorded (001 §6(3)); tell the agency so in the reply letter".into(),
        )));
    }
    for row in &rows {
        if seal_segment(store, data, row, now).is_err() {
            return Ok(Err(refusal(
                "segment_unreadable",
                format!(
                    "{}'s segment {} cannot be read; run `audit verify --footage`",
                    row.camera_id,
                    segment_file_name(row.start_ms)
                ),
            )));
        }
    }
    let (checkpoint, checkpoint_signature, countersigned_by) = newest_countersigned(registers, now)?;
    let mut sealed = Vec::with_capacity(rows.len());
    for row in &rows {
        let found = store
            .sealed_row(&row.camera_id, row.start_ms)?
            .ok_or_else(|| RecorderError::internal("a segment sealed above has no row"))?;
        sealed.push((row, found));
    }
    let indices: Vec<u64> = sealed.iter().map(|(_, s)| s.seq - 1).collect();
    let mut failed = None;
    let hashes = store.sealed_hashes(checkpoint.tree_size).map_while(|h| match h {
        Ok(h) => Some(h),
        Err(e) => {
            failed = Some(e);
            None
        }
    });
    let proofs = inclusion_proofs(hashes, checkpoint.tree_size, &indices);
    if let Some(e) = failed {
        return Err(e);
    }
    let segments: Vec<PlannedSegment> = sealed
        .into_iter()
        .zip(proofs)
        .map(|((row, found), proof)| {
            let file_name = segment_file_name(row.start_ms);
            PlannedSegment {
                source: camera_dir(data, &row.camera_id).join(&file_name),
                segment: ManifestSegment {
                    file: format!("segments/{}/{file_name}", row.camera_id),
                    pending: found.seq > checkpoint.tree_size || countersigned_by.is_empty(),
                    row: found,
                    proof,
                },
            }
        })
        .collect();
    Ok(Ok(ExportPlan {
        bytes: segments.iter().map(|s| s.segment.row.seal.bytes).sum(),
        cameras,
        window,
        segments,
        checkpoint,
        checkpoint_signature,
        countersigned_by,
        missing,
    }))
}

/// The newest footage checkpoint an audit checkpoint countersigned on the
/// head's or the ethics office's device covers (the footage checkpoint is
/// made just before the audit one, whose chain holds its row), with who
/// countersigned; with none yet, the newest footage checkpoint (made now
/// if there is none) and nobody.
fn newest_countersigned(
    registers: &Registers,
    now: Timestamp,
) -> Result<(FootageCheckpoint, String, Vec<ManifestCountersignature>)> {
    let (published, countersignatures) = registers.published()?;
    let key = registers.site_key.public_key_hex();
    let findings =
        registers.with_site_history(|site| verify_checkpoints(&published, &countersignatures, &key, site, &[]))?;
    let countersigned = findings
        .checkpoints
        .iter()
        .find(|c| c.site_signature && c.countersignatures.iter().any(|s| s.problem.is_none()));
    let mut footage = registers.store.footage_checkpoints()?;
    if footage.is_empty() || countersigned.is_none() {
        registers.write_blocking()?.make_footage_checkpoint(now)?;
        footage = registers.store.footage_checkpoints()?;
    }
    let site = registers.site()?;
    let chosen = countersigned.and_then(|audit| {
        let covered = footage
            .iter()
            .filter(|(f, _)| f.at <= audit.at)
            .max_by_key(|(f, _)| f.tree_size)?;
        let by = audit
            .countersignatures
            .iter()
            .filter(|s| s.problem.is_none())
            .map(|s| ManifestCountersignature {
                name: site
                    .person(&s.signer)
                    .map_or_else(|| s.signer.to_string(), |p| p.name.clone()),
                role: s.role.as_str().into(),
                signed_at: s.signed_at,
                audit_rows: audit.tree_size,
            })
            .collect();
        Some((covered.0.clone(), covered.1.clone(), by))
    });
    match chosen {
        Some(found) => Ok(found),
        None => {
            let (newest, signature) = footage
                .into_iter()
                .max_by_key(|(f, _)| f.tree_size)
                .ok_or_else(|| RecorderError::internal("no footage checkpoint after making one"))?;
            Ok((newest, signature, Vec::new()))
        }
    }
}

/// The logbook's record of an export: per camera, the footage it carries,
/// clipped to the window, to the second.
pub fn exported_spans(manifest: &ExportManifest) -> Vec<ServedCamera> {
    let window = Span {
        from_ms: manifest.from_ms,
        to_ms: manifest.to_ms,
    };
    manifest
        .cameras
        .iter()
        .filter_map(|camera| {
            let rows: Vec<SegmentRow> = manifest
                .segments
                .iter()
                .filter(|s| &s.row.seal.camera == camera)
                .map(|s| SegmentRow {
                    camera_id: camera.clone(),
                    start_ms: s.row.seal.start_ms,
                    real_start_ms: s.row.seal.real_start_ms,
                    real_end_ms: s.row.seal.real_end_ms,
                    bytes: s.row.seal.bytes as i64,
                })
                .collect();
            let spans = recorded_spans(&rows, window)
                .into_iter()
                .map(|s| ServedSpan {
                    from: Timestamp(s.from_ms.div_euclid(1000) * 1000),
                    to: Timestamp((s.to_ms - 1).div_euclid(1000) * 1000 + 999),
                })
                .collect();
            Some(ServedCamera {
                camera: camera.parse().ok()?,
                spans,
                frames: 0,
            })
        })
        .collect()
}
