//! 稽核軌跡: the audit checkpoints as this device checked them itself.

use tauri::State;

use super::error::Result;
use crate::device::ThisDevice;
use crate::registers::{self, AuditReview};

/// The last review this device made of the audit checkpoints it holds
/// (after every sync round); `None` before the first.
#[tauri::command]
#[specta::specta]
pub fn audit_review(device: State<'_, ThisDevice>) -> Result<Option<AuditReview>> {
    Ok(registers::last_audit_review(&device.store)?)
}

/// Checks the audit checkpoints this device holds, now, offline too.
#[tauri::command]
#[specta::specta]
pub fn verify_audit(device: State<'_, ThisDevice>) -> Result<Option<AuditReview>> {
    Ok(registers::verify_audit(&device.store, device.clock.now())?)
}
