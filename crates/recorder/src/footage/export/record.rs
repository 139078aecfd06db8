//! An export on record: the application's one export, its logbook entry
//! (複製) and its audit row in one transaction, then the hold under the
//! letter.

use std::path::Path;

use custos_core::application::{Decision, DecisionDraft, DecisionEvent};
use custos_core::documents::{self as docs, DocKey};
use custos_core::export::ExportManifest;
use custos_core::history::heads_to_hex;
use custos_core::holds::Hold;
use custos_core::ids::{CameraId, EntryId, PersonId};
use custos_core::logbook::{LogbookEntry, SessionEnd};
use custos_core::roles::Role;
use custos_core::terms::AccessKind;
use custos_core::time::{MinuteWindow, Timestamp};
use custos_core::workflow::frontier;
use serde_json::json;

use super::plan;
use super::rules::{not_exportable, refuse};
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use crate::footage::viewing::{HeldCase, case_and_status};
use crate::registers::Registers;
use custos_clock::random_bytes;

/// Records the export: the application's one export, the logbook entry
/// (複製) and the audit row in one transaction; then the hold under the
/// letter. Refuses if another export of the application counted meanwhile.
pub fn record(
    registers: &Registers,
    held: &HeldCase,
    (person, role): (&PersonId, Role),
    (export_id, manifest, manifest_sha256): (&EntryId, &ExportManifest, &str),
    (archive_path, working_copy_deleted): (&Path, bool),
    started: Timestamp,
) -> Result<()> {
    let writing = registers.write_blocking()?;
    let profile = writing.profile()?;
    let now = writing.now();
    let case = &held.case;
    let latest = case_and_status(&writing, &case.id, &profile)?
        .ok_or_else(|| RecorderError::internal("the application disappeared during the export"))?;
    if let Some((code, why)) = not_exportable(&latest, &profile) {
        return Err(refuse(&writing, person.as_str(), code, case.id.as_str(), why));
    }
    let site_doc = writing
        .document(&DocKey::Site)?
        .ok_or_else(|| RecorderError::internal("the site register is missing"))?;
    let event = DecisionEvent::sign(
        DecisionDraft {
            id: EntryId::from_parts(now.0 as u64, u128::from_le_bytes(random_bytes::<16>())),
            decision: Decision::Export {
                export: export_id.to_string(),
                manifest_sha256: manifest_sha256.into(),
            },
            role,
            signer: person.clone(),
            signed_at: now,
        },
        case,
        heads_to_hex(&site_doc.get_heads()),
        frontier(latest.events.values()),
        &writing.site_key,
    );
    let cameras: Vec<CameraId> = manifest.cameras.iter().filter_map(|c| c.parse().ok()).collect();
    let window = MinuteWindow::new(Timestamp(manifest.from_ms), Timestamp(manifest.to_ms))?;
    let entry = LogbookEntry {
        application: case.id.clone(),
        session: export_id.to_string(),
        opened_at: started,
        closed_at: Some(now),
        applicant_name: case.applicant_name.clone(),
        unit: case.unit.clone(),
        cameras: cameras.clone(),
        window,
        reason_summary: case.reason.chars().take(200).collect(),
        escort: person.clone(),
        handling: vec![AccessKind::Copy],
        served: plan::exported_spans(manifest),
        ended_by: Some(SessionEnd::Exported),
        after_viewing: Some(format!(
            "匯出 {} 段原始影像至錄影主機外接磁碟，驗證無誤{} ({} original segments exported and verified{})",
            manifest.segments.len(),
            if working_copy_deleted {
                "，工作副本已刪除"
            } else {
                ""
            },
            manifest.segments.len(),
            if working_copy_deleted {
                "; working copy deleted"
            } else {
                ""
            },
        )),
    };
    let year = now.taipei_date().year;
    let writes = [
        writing.prepare_change(
            &DocKey::ApplicationCase(case.id.clone()),
            "export recorded",
            now,
            |doc| Ok(docs::put_entry(doc, docs::EVENTS, event.id.as_str(), &event)?),
        )?,
        writing.prepare_change(&DocKey::Logbook { year }, "logbook entry: copy", now, |doc| {
            Ok(docs::put_entry(doc, docs::LOGBOOK_ENTRIES, export_id.as_str(), &entry)?)
        })?,
    ];
    let writes: Vec<_> = writes.into_iter().flatten().collect();
    let actor = person.to_string();
    let audit = AuditEvent {
        kind: "export_made",
        actor: &actor,
        detail: json!({
            "application": case.id.as_str(),
            "export": export_id.as_str(),
            "letter": manifest.letter.number,
            "manifest_sha256": manifest_sha256,
            "archive": archive_path.display().to_string(),
            "cameras": manifest.cameras,
            "window": [manifest.from_ms, manifest.to_ms],
            "segments": manifest.segments.len(),
            "pending": manifest.segments.iter().filter(|s| s.pending).count(),
            "working_copy_deleted": working_copy_deleted,
        }),
    };
    writing.store.write_documents(&writes, now, Some(audit), |_| Ok(()))?;
    if let Some(hold) = Hold::for_exported_application(case, (cameras, window), person.clone(), &profile, now) {
        writing.place_hold(&hold, now)?;
    }
    Ok(())
}
