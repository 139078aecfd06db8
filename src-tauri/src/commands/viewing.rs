//! 閱覽: the escort opens the one viewing of an approved application on
//! their tablet, and ends it. Playback passes through to the recorder over
//! the pinned connection: nothing of it is stored on this device.

use custos_core::viewing::{OpeningDraft, ViewingOpening};
use tauri::State;

use super::applications::application_id;
use super::error::{CommandError, ErrorKind, Result};
use crate::device::ThisDevice;
use crate::registers;

/// Opens the viewing of `application` with this device's escort, who has
/// checked the applicant in person against their ID card; the applicant's
/// drawn signature, if they signed, by its SHA-256 (a photo already stored).
#[tauri::command]
#[specta::specta]
pub async fn open_viewing(
    device: State<'_, ThisDevice>,
    application: String,
    role: custos_core::roles::Role,
    applicant_checked: bool,
    applicant_signature: Option<String>,
) -> Result<custos_api::viewing::ViewingSession> {
    let me = device.me()?;
    if !applicant_checked {
        return Err(CommandError::new(
            ErrorKind::Invalid,
            "confirm the applicant in person against their ID card first".to_string(),
        ));
    }
    if !device.my_roles()?.contains(&role) {
        return Err(CommandError::new(
            ErrorKind::Invalid,
            format!("this person does not hold the role {}", role.as_str()),
        ));
    }
    let id = application_id(&application)?;
    let case = registers::application_view(&device.store, &me, &id)?.case;
    let now = device.clock.now();
    let key = device.key.clone();
    let sign = move |nonce: String| {
        ViewingOpening::sign(
            OpeningDraft {
                application: case.id.clone(),
                case_hash: case.content_hash(),
                escort: me,
                role,
                nonce,
                applicant_checked,
                applicant_signature,
                signed_at: now,
            },
            &key,
        )
    };
    let session = device.playback_client().await?.open_viewing(sign, now.0).await?;
    // The recorder recorded the viewing: bring it here.
    device.wake.notify_one();
    Ok(session)
}

/// Ends the session; the recorder completes its logbook entry.
#[tauri::command]
#[specta::specta]
pub async fn close_viewing(
    device: State<'_, ThisDevice>,
    session: String,
) -> Result<custos_api::viewing::ViewingClosed> {
    let closed = device
        .client()
        .await?
        .close_viewing(&session, device.clock.now().0)
        .await?;
    device.wake.notify_one();
    Ok(closed)
}
