//! Holds on footage, their release by the head, and their renewal.

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
    let signer = device.signer(&me);
    registers::release_hold(&device.store, &hold, &reason, &roles, signer)?;
    device.wake.notify_one();
    Ok(())
}

/// The head (or delegate) renews a hold before it lapses, with the legal
/// basis that requires keeping the footage; signed.
#[tauri::command]
#[specta::specta]
pub fn renew_hold(device: State<'_, ThisDevice>, hold: String, legal_basis: String) -> Result<()> {
    let me = device.me()?;
    let roles = device.my_roles()?;
    let signer = device.signer(&me);
    registers::renew_hold(&device.store, &hold, &legal_basis, &roles, signer)?;
    device.wake.notify_one();
    Ok(())
}
