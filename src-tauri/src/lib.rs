//! The Custos app: the Tauri shell around `custos-core`. Commands stay thin:
//! parse, call the core (through `registers` and `sync`) and the local
//! store, return.

pub mod client;
pub mod clock;
pub mod commands;
pub mod identity;
pub mod photos;
pub mod pinning;
pub mod registers;
pub mod session;
pub mod store;
pub mod sync;

/// The real recorder the command tests run against (shared with tests/).
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod test_recorder;

/// Every command the UI may call; `build.rs` names the same list so Tauri
/// makes an `allow-<command>` permission for each.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::device_info,
        commands::enroll,
        commands::sync_now,
        commands::sync_status,
        commands::dismiss_refused,
        commands::site,
        commands::inspection_month,
        commands::record_check,
        commands::close_repair,
        commands::add_photo,
        commands::camera_health,
        commands::camera_snapshot,
        commands::countersign_check,
        commands::file_application,
        commands::amend_application,
        commands::decide,
        commands::applications,
        commands::logbook,
        commands::holds,
        commands::release_hold,
    ])
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    use tauri::{Emitter, Manager};
    with_commands(tauri::Builder::default())
        .setup(|app| {
            let dir = app.path().app_data_dir()?;
            #[cfg(desktop)]
            let session = session::Session::open(&dir)?;
            // Mobile: the key belongs in the platform keystore (mobile/README.md);
            // that seam is not built or checked on this machine.
            #[cfg(mobile)]
            let session = session::Session::open_mobile(&dir)?;
            // Provisioning (and the demo): an enrollment text handed over in
            // the environment enrolls a device that is not enrolled yet.
            if let Ok(text) = std::env::var("CUSTOS_ENROLL_TEXT") {
                let provisioning = session.clone();
                tauri::async_runtime::spawn(async move {
                    match sync::enroll(&provisioning.store, &provisioning.key, &text).await {
                        Ok(_) | Err(sync::SyncError::AlreadyEnrolled(_)) => provisioning.wake.notify_one(),
                        Err(e) => eprintln!("CUSTOS_ENROLL_TEXT: {e}"),
                    }
                });
            }
            let handle = app.handle().clone();
            session.spawn_background(move |event| {
                let _ = handle.emit(commands::SYNC_EVENT, &event);
            });
            app.manage(session);
            Ok(())
        })
        .on_window_event(|window, event| {
            // Back in front (a tablet woken, the app switched to): sync at once.
            if let tauri::WindowEvent::Focused(true) = event
                && let Some(session) = window.try_state::<session::Session>()
            {
                session.wake.notify_one();
            }
        })
        .run(tauri::generate_context!())
        .expect("the Custos window could not start");
}
