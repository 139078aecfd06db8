//! The recorder's measurements and live pictures (online only).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tauri::State;

use super::error::Result;
use crate::device::ThisDevice;

/// Each camera's measured health and the disk's, from the recorder now
/// (online only): pre-fills the walk-around checklist.
#[tauri::command]
#[specta::specta]
pub async fn camera_health(device: State<'_, ThisDevice>) -> Result<custos_api::cameras::SiteHealth> {
    Ok(device.client().await?.camera_health(device.clock.now().0).await?)
}

/// A camera's current picture as a data: URL (online only, and only for the
/// roles the profile lets see live pictures).
#[tauri::command]
#[specta::specta]
pub async fn camera_snapshot(device: State<'_, ThisDevice>, camera: String) -> Result<String> {
    let jpeg = device.client().await?.snapshot(&camera, device.clock.now().0).await?;
    Ok(format!("data:image/jpeg;base64,{}", B64.encode(jpeg)))
}
