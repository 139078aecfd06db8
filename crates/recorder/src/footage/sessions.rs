//! A viewing session's logbook entry (調閱登記簿 / 影音應用紀錄簿) kept true
//! to what it served: brought up to date from the served seconds stored,
//! completed when the session ends (by the escort, its limits, or marked
//! interrupted after a stop), and the sweep that enforces the limits.

use std::collections::BTreeMap;

use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::CameraId;
use custos_core::logbook::{LogbookEntry, SessionEnd, served_camera};
use custos_core::policy::{AfterViewing, PolicyProfile};
use custos_core::time::Timestamp;
use serde_json::json;

use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use crate::db::viewings::{SessionRow, close_session, session_logged};
use crate::registers::Writing;

/// The logbook entry is brought up to date at least this often while frames are served.
pub const LOG_EVERY_MS: i64 = 10_000;

/// How a session ends by its limits at `now`, if it does.
pub fn limit_reached(row: &SessionRow, profile: &PolicyProfile, now: Timestamp) -> Option<SessionEnd> {
    if now.0 >= row.ends_ms {
        Some(SessionEnd::Limit)
    } else if now.0 >= row.active_ms + i64::from(profile.viewing_idle_minutes) * 60_000 {
        Some(SessionEnd::Idle)
    } else {
        None
    }
}

/// The logbook entry as the served seconds stored say; with `ended`, the
/// session's end (and what became of the frames, as the profile asks).
pub fn bring_entry_up_to_date(
    writing: &Writing<'_>,
    row: &SessionRow,
    ended: Option<(SessionEnd, Timestamp)>,
    now: Timestamp,
) -> Result<bool> {
    let key = DocKey::Logbook { year: row.year };
    let Some(doc) = writing.document(&key)? else {
        return Err(RecorderError::internal(format!("{key} is missing its open entry")));
    };
    let Some(mut entry): Option<LogbookEntry> = docs::get_entry(&doc, docs::LOGBOOK_ENTRIES, &row.id)? else {
        return Err(RecorderError::internal(format!("{key} is missing entry {}", row.id)));
    };
    let mut by_camera: BTreeMap<String, Vec<(i64, u32)>> = BTreeMap::new();
    for (camera, second, frames) in writing.store.viewing_served_seconds(&row.id)? {
        by_camera.entry(camera).or_default().push((second, frames));
    }
    entry.served = by_camera
        .into_iter()
        .filter_map(|(camera, seconds)| Some(served_camera(camera.parse::<CameraId>().ok()?, seconds)))
        .collect();
    match ended {
        Some((end, at)) => {
            entry.closed_at = Some(at);
            entry.ended_by = Some(end);
            let profile = writing.profile()?;
            entry.after_viewing = match profile.after_viewing {
                AfterViewing::KeepOnRecord => Some("viewed footage kept on record (001 §6(4))".into()),
                AfterViewing::DestroyTemporaryCopies => Some(format!(
                    "no copy kept: {} frames served from the original (004 §7(3))",
                    entry.frames_served()
                )),
                AfterViewing::Nothing => None,
            };
        }
        None => {
            entry.closed_at = None;
            entry.ended_by = None;
        }
    }
    let Some(write) = writing.prepare_change(&key, "logbook entry updated", now, |doc| {
        Ok(docs::put_entry(doc, docs::LOGBOOK_ENTRIES, &row.id, &entry)?)
    })?
    else {
        return Ok(false);
    };
    let closing = ended.filter(|(end, _)| *end != SessionEnd::Interrupted);
    let actor = row.escort.clone();
    let audit = closing.map(|(end, _)| AuditEvent {
        kind: "viewing_closed",
        actor: &actor,
        detail: json!({
            "application": row.application,
            "session": row.id,
            "ended_by": end.as_str(),
            "frames": entry.frames_served(),
            "cameras": entry.served.iter().map(|c| json!({"camera": c.camera.as_str(), "frames": c.frames, "spans": c.spans.len()})).collect::<Vec<_>>(),
        }),
    });
    let mut closed = true;
    writing.store.write_documents(&[write], now, audit, |tx| {
        match closing {
            Some((end, at)) => closed = close_session(tx, &row.id, end.as_str(), at)?,
            None => session_logged(tx, &row.id, now)?,
        }
        if closed {
            Ok(())
        } else {
            Err(RecorderError::conflict(
                "Session ended",
                "the session was closed meanwhile",
            ))
        }
    })?;
    writing.compact_if_due(&key)?;
    Ok(true)
}

/// Ends a session and completes its entry.
pub fn close(writing: &Writing<'_>, row: &SessionRow, end: SessionEnd, now: Timestamp) -> Result<()> {
    bring_entry_up_to_date(writing, row, Some((end, now)), now)?;
    Ok(())
}

/// The sweep: sessions past their limits are closed; an open session's
/// entry is brought up to date when frames were served since it last was.
pub fn sweep(writing: &Writing<'_>, now: Timestamp) -> Result<()> {
    let profile = writing.profile()?;
    for row in writing.store.open_viewing_sessions()? {
        if let Some(end) = limit_reached(&row, &profile, now) {
            close(writing, &row, end, now)?;
        } else if row.active_ms > row.logged_ms && now.0 - row.logged_ms >= LOG_EVERY_MS {
            bring_entry_up_to_date(writing, &row, None, now)?;
        }
    }
    Ok(())
}

/// At start: every session a stopped recorder left open gets an entry that
/// lists what it had served, ended `interrupted`; the session itself may
/// resume within its limits, which opens the entry again.
pub fn mark_interrupted(writing: &Writing<'_>, now: Timestamp) -> Result<usize> {
    let open = writing.store.open_viewing_sessions()?;
    for row in &open {
        let at = Timestamp(row.active_ms);
        bring_entry_up_to_date(writing, row, Some((SessionEnd::Interrupted, at)), now)?;
        let actor = row.escort.clone();
        writing.store.append_audit(
            now,
            AuditEvent {
                kind: "viewing_interrupted",
                actor: &actor,
                detail: json!({ "application": row.application, "session": row.id }),
            },
        )?;
    }
    Ok(open.len())
}
