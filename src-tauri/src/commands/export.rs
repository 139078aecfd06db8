//! 複製: the manager asks the recorder to export an approved copy
//! application for the agency, and follows it. The export is written to
//! the disk attached to the recorder; nothing of the footage reaches this
//! device, so these commands pass through and store nothing.

use tauri::State;

use super::applications::application_id;
use super::error::Result;
use crate::device::ThisDevice;

/// Starts the export of `application` on the recorder.
#[tauri::command]
#[specta::specta]
pub async fn start_export(
    device: State<'_, ThisDevice>,
    application: String,
) -> Result<custos_api::exports::ExportJob> {
    let application = application_id(&application)?;
    let job = device
        .client()
        .await?
        .start_export(application.as_str(), device.clock.now().0)
        .await?;
    Ok(job)
}

/// How far the export `job` is; once done, the recorder has recorded it:
/// the case and the logbook are brought here.
#[tauri::command]
#[specta::specta]
pub async fn export_job(device: State<'_, ThisDevice>, job: String) -> Result<custos_api::exports::ExportJob> {
    let state = device.client().await?.export_job(&job, device.clock.now().0).await?;
    if !matches!(state.progress, custos_api::exports::ExportProgress::Writing { .. }) {
        device.wake.notify_one();
    }
    Ok(state)
}
