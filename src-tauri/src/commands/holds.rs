//! Holds on footage, and their release by the head.

use tauri::State;

use super::error::Result;
use crate::device::ThisDevice;
use crate::registers;

/// The holds on footage, and which are released.
#[tauri::command]
#[specta::specta]
pub fn holds(device: State<'_, ThisDevice>) -> Result<registers::HoldsView> {
    Ok(registers::holds(&device.store)?)
}

/// The head (or delegate) releases a hold, with the reason; signed.
#[tauri::command]
#[specta::specta]
pub fn release_hold(device: State<'_, ThisDevice>, hold: String, reason: String) -> Result<()> {
    let me = device.me()?;
    let roles = device.my_roles()?;
    let signer = registers::Signer {
        person: &me,
        key: &device.key,
        now: device.clock.now(),
        id: device.clock.new_entry_id(),
    };
    registers::release_hold(&device.store, &hold, &reason, &roles, signer)?;
    device.wake.notify_one();
    Ok(())
}
