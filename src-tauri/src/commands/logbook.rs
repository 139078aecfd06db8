//! 調閱登記簿: the access logbook.

use tauri::State;

use super::error::Result;
use crate::device::ThisDevice;
use crate::registers;

/// 調閱登記簿 for a year.
#[tauri::command]
#[specta::specta]
pub fn logbook(
    device: State<'_, ThisDevice>,
    year: i32,
) -> Result<std::collections::BTreeMap<String, custos_core::logbook::LogbookEntry>> {
    Ok(registers::logbook(&device.store, year)?)
}

/// 調閱登記簿 for its screen: the entries, who countersigned each, and
/// whether this person countersigns.
#[tauri::command]
#[specta::specta]
pub fn logbook_view(device: State<'_, ThisDevice>, year: i32) -> Result<registers::LogbookView> {
    let roles = device.my_roles()?;
    Ok(registers::logbook_view(&device.store, year, &roles)?)
}

/// 核章: the manager or the supervisor countersigns a completed entry.
#[tauri::command]
#[specta::specta]
pub fn countersign_logbook(device: State<'_, ThisDevice>, year: i32, entry: String) -> Result<()> {
    let me = device.me()?;
    let roles = device.my_roles()?;
    let signer = device.signer(&me);
    registers::countersign_logbook(&device.store, year, &entry, &roles, signer)?;
    device.wake.notify_one();
    Ok(())
}
