//! 調閱申請單: filing, amending and deciding applications.

use tauri::State;

use super::error::{CommandError, ErrorKind, Result};
use crate::device::ThisDevice;
use crate::registers;

/// A fresh salt for the personal data's digest.
fn new_salt() -> String {
    hex::encode(custos_clock::random_bytes::<32>())
}

pub(super) fn application_id(text: &str) -> Result<custos_core::ids::EntryId> {
    text.parse()
        .map_err(|e: custos_core::CoreError| CommandError::new(ErrorKind::Invalid, e))
}

/// The form an applicant of this kind fills in on this site: its fields
/// as the paper form names them, which are required, the attachments, the
/// kinds and categories allowed, and the signature boxes.
#[tauri::command]
#[specta::specta]
pub fn application_form(
    device: State<'_, ThisDevice>,
    applicant: custos_core::terms::ApplicantKind,
) -> Result<custos_core::application_form::ApplicationForm> {
    Ok(registers::application_form(&device.store, applicant)?)
}

/// Files an application (調閱申請) from the form's fields.
#[tauri::command]
#[specta::specta]
pub fn file_application(device: State<'_, ThisDevice>, draft: registers::ApplicationDraft) -> Result<String> {
    let me = device.me()?;
    let id = registers::file_application(
        &device.store,
        &me,
        draft,
        device.clock.now(),
        device.clock.new_entry_id(),
        new_salt(),
    )?;
    device.wake.notify_one();
    Ok(id)
}

/// Amends an application still in review with the form's fields anew.
#[tauri::command]
#[specta::specta]
pub fn amend_application(
    device: State<'_, ThisDevice>,
    application: String,
    draft: registers::ApplicationDraft,
) -> Result<registers::ApplicationView> {
    let me = device.me()?;
    let id = application_id(&application)?;
    let view = registers::amend_application(&device.store, &me, &id, draft, device.clock.now(), new_salt())?;
    device.wake.notify_one();
    Ok(view)
}

/// Approves, rejects (with a reason), votes on, withdraws or records the viewing of an application,
/// signed by this device's key, acting in `role` (one of this person's roles).
#[tauri::command]
#[specta::specta]
pub fn decide(
    device: State<'_, ThisDevice>,
    application: String,
    role: custos_core::roles::Role,
    decision: registers::DecisionRequest,
) -> Result<registers::ApplicationView> {
    let me = device.me()?;
    if !device.my_roles()?.contains(&role) {
        return Err(CommandError::new(
            ErrorKind::Invalid,
            format!("this person does not hold the role {}", role.as_str()),
        ));
    }
    let id = application_id(&application)?;
    let signer = device.signer(&me);
    let view = registers::decide(&device.store, &id, decision, role, signer)?;
    device.wake.notify_one();
    Ok(view)
}

/// 申請人個人資料 of an application (national ID, phone, the drawn
/// signature), where this device's roles receive it; `null` elsewhere.
#[tauri::command]
#[specta::specta]
pub fn application_personal(
    device: State<'_, ThisDevice>,
    application: String,
) -> Result<Option<custos_core::application::PersonalData>> {
    let id = application_id(&application)?;
    Ok(registers::application_personal(&device.store, &id)?)
}

/// The applications this device holds, newest first, each with its derived status.
#[tauri::command]
#[specta::specta]
pub fn applications(device: State<'_, ThisDevice>) -> Result<Vec<registers::ApplicationView>> {
    Ok(registers::applications(&device.store, &device.me()?)?)
}

/// Which footage exists for the cameras over the window the manager is
/// filing (Taipei minutes, `YYYY-MM-DD HH:MM`, as the form takes them),
/// from the recorder now: offline, the screen says it cannot tell.
#[tauri::command]
#[specta::specta]
pub async fn footage_spans(
    device: State<'_, ThisDevice>,
    cameras: Vec<String>,
    from: String,
    to: String,
) -> Result<custos_api::footage::FootageSpans> {
    let minute = |text: &str| {
        custos_core::time::Timestamp::parse_taipei_minute(text).map_err(|e| CommandError::new(ErrorKind::Invalid, e))
    };
    let query = custos_api::footage::SpansQuery {
        cameras: cameras.join(","),
        from_ms: minute(&from)?.0,
        to_ms: minute(&to)?.0,
    };
    Ok(device
        .client()
        .await?
        .footage_spans(&query, device.clock.now().0)
        .await?)
}
