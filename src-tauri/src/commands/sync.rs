//! Sync with the recorder: now, on request; what waits and what was refused.

use serde::Serialize;
use tauri::State;

use super::error::{CommandError, ErrorKind, Result};
use crate::device::ThisDevice;
use crate::sync::{self, SyncError, SyncEvent};

/// The event the UI listens to for sync progress and state.
pub const SYNC_EVENT: &str = "sync";

/// Syncs now and answers with how it ended; progress goes out as `sync` events.
#[tauri::command]
#[specta::specta]
pub async fn sync_now(device: State<'_, ThisDevice>) -> Result<SyncEvent> {
    if let Err(SyncError::NotEnrolled) = device.sync_round().await {
        return Err(SyncError::NotEnrolled.into());
    }
    Ok(device.last_event().unwrap_or(SyncEvent::Failed {
        message: "no sync has run".into(),
    }))
}

#[derive(Debug, Serialize, specta::Type)]
pub struct RefusedChange {
    pub hash: String,
    pub document: String,
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Serialize, specta::Type)]
pub struct SyncStatus {
    /// Changes made here that have not reached the recorder.
    pub waiting: usize,
    pub refused: Vec<RefusedChange>,
    pub last: Option<SyncEvent>,
    /// Set once the recorder showed an audit trail other than the one this
    /// device countersigned; it stays until dealt with.
    pub audit_alarm: Option<String>,
    /// What kind of alarm it is (`smaller`, `different`, `gone`,
    /// `bad_signature`), for the screen's own words.
    pub audit_alarm_code: Option<String>,
}

/// Always visible in the UI: what waits, what was refused, how the last sync ended.
#[tauri::command]
#[specta::specta]
pub fn sync_status(device: State<'_, ThisDevice>) -> Result<SyncStatus> {
    let store = crate::store::lock(&device.store);
    let refused = store
        .refused_changes()?
        .into_iter()
        .map(|o| {
            let (rule, message) = o.refused.unwrap_or_default();
            RefusedChange {
                hash: o.hash,
                document: o.key,
                rule,
                message,
            }
        })
        .collect();
    Ok(SyncStatus {
        waiting: store.waiting_count()?,
        audit_alarm: store.setting(sync::AUDIT_ALARM_SETTING)?,
        audit_alarm_code: store.setting(sync::AUDIT_ALARM_CODE_SETTING)?,
        refused,
        last: device.last_event(),
    })
}

/// The person has read a refusal: it leaves the list.
#[tauri::command]
#[specta::specta]
pub fn dismiss_refused(device: State<'_, ThisDevice>, hash: String) -> Result<()> {
    let removed = crate::store::lock(&device.store).dismiss_refused(&hash)?;
    if removed {
        Ok(())
    } else {
        Err(CommandError::new(
            ErrorKind::NotFound,
            format!("no refused change {hash}"),
        ))
    }
}
