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
