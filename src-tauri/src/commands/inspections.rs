//! 檢查及保養紀錄: a month of the log, recording a check, closing a
//! repair, 核章.

use custos_core::documents::DocKey;
use tauri::State;

use super::error::{CommandError, ErrorKind, Result};
use crate::device::ThisDevice;
use crate::registers::{self, CheckDraft, MonthView, RecordedCheck};

/// One month of the inspection log (checks and repairs).
#[tauri::command]
#[specta::specta]
pub fn inspection_month(device: State<'_, ThisDevice>, year: i32, month: u32) -> Result<MonthView> {
    if !(1..=12).contains(&month) || !(2000..=2200).contains(&year) {
        return Err(CommandError::new(
            ErrorKind::Invalid,
            format!("{year}-{month}: not a month"),
        ));
    }
    Ok(registers::month(&device.store, year, month)?)
}

/// Records a walk-around check made by this device's person, now.
#[tauri::command]
#[specta::specta]
pub fn record_check(device: State<'_, ThisDevice>, draft: CheckDraft) -> Result<RecordedCheck> {
    let me = device.me()?;
    let recorded = registers::record_check(&device.store, &me, draft, device.clock.now(), || {
        device.clock.new_entry_id()
    })?;
    device.wake.notify_one();
    Ok(recorded)
}

/// Closes an open repair with what was done.
#[tauri::command]
#[specta::specta]
pub fn close_repair(
    device: State<'_, ThisDevice>,
    year: i32,
    month: u32,
    repair: String,
    note: String,
    photos: Vec<String>,
) -> Result<()> {
    let me = device.me()?;
    let key = DocKey::Inspections { year, month };
    registers::close_repair(&device.store, &key, &repair, &me, &note, photos, device.clock.now())?;
    device.wake.notify_one();
    Ok(())
}

/// 核章: the supervisor countersigns a recorded check.
#[tauri::command]
#[specta::specta]
pub fn countersign_check(device: State<'_, ThisDevice>, year: i32, month: u32, entry: String) -> Result<()> {
    let me = device.me()?;
    let roles = device.my_roles()?;
    let key = DocKey::Inspections { year, month };
    let signer = device.signer(&me);
    registers::countersign_check(&device.store, &key, &entry, &roles, signer)?;
    device.wake.notify_one();
    Ok(())
}
