//! This device: what the build is, whether it is enrolled, and enrolling it.

use serde::Serialize;
use tauri::State;

use super::error::Result;
use crate::device::ThisDevice;
use crate::sync;

#[derive(Debug, Serialize, PartialEq, Eq, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub core_version: String,
    /// The built-in policy profiles this build knows.
    pub profiles: Vec<String>,
}

/// What this build is: shown on the home screen and in bug reports.
#[tauri::command]
#[specta::specta]
pub fn app_info() -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        core_version: custos_core::VERSION.to_owned(),
        profiles: custos_core::seeds::BUILTIN_PROFILES
            .iter()
            .map(|p| p.to_string())
            .collect(),
    }
}

#[derive(Debug, Serialize, specta::Type)]
pub struct DeviceInfo {
    pub device_id: String,
    /// `None` until the device is enrolled.
    pub enrollment: Option<sync::Enrollment>,
}

/// This device and, once enrolled, its recorder and person.
#[tauri::command]
#[specta::specta]
pub fn device_info(device: State<'_, ThisDevice>) -> Result<DeviceInfo> {
    Ok(DeviceInfo {
        device_id: device.key.device_id().to_string(),
        enrollment: sync::enrollment(&device.store)?,
    })
}

/// Enrolls this device with the pasted enrollment text, then syncs.
#[tauri::command]
#[specta::specta]
pub async fn enroll(device: State<'_, ThisDevice>, text: String) -> Result<sync::Enrollment> {
    let enrolled = sync::enroll(&device.store, &device.key, &text).await?;
    device.wake.notify_one();
    Ok(enrolled)
}
