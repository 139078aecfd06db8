//! The Custos app: the Tauri shell around `custos-core`. Commands stay thin:
//! parse, call the core (through `registers` and `sync`) and the local
//! store, return.

pub mod client;
pub mod commands;
pub mod device;
pub mod frames;
pub mod identity;
pub mod photos;
pub mod pinning;
pub mod registers;
pub mod store;
pub mod sync;

/// Every command the UI may call, with its TypeScript types: the one list.
/// The handler Tauri calls, `ui/src/lib/bindings.ts` (a test regenerates it
/// and fails on any difference), the `allow-<command>` permissions `build.rs`
/// makes (it reads this list) and the capability file (checked by the same
/// test) all come from it.
pub fn commands<R: tauri::Runtime>() -> tauri_specta::Builder<R> {
    tauri_specta::Builder::<R>::new()
        .commands(tauri_specta::collect_commands![
            commands::device::app_info,
            commands::device::device_info,
            commands::device::enroll,
            commands::sync::sync_now,
            commands::sync::sync_status,
            commands::sync::dismiss_refused,
            commands::site::site,
            commands::site::location_notice,
            commands::site::review_location_notice,
            commands::inspections::inspection_month,
            commands::inspections::record_check,
            commands::inspections::close_repair,
            commands::photos::add_photo,
            commands::photos::photo,
            commands::cameras::camera_health,
            commands::cameras::camera_snapshot,
            commands::viewing::open_viewing,
            commands::viewing::close_viewing,
            commands::export::start_export,
            commands::export::export_job,
            commands::logbook::logbook_view,
            commands::logbook::countersign_logbook,
            commands::inspections::countersign_check,
            commands::applications::application_form,
            commands::applications::file_application,
            commands::applications::amend_application,
            commands::applications::footage_spans,
            commands::applications::decide,
            commands::applications::applications,
            commands::applications::application_personal,
            commands::logbook::logbook,
            commands::audit::audit_review,
            commands::audit::verify_audit,
            commands::holds::holds,
            commands::holds::release_hold,
            commands::holds::renew_hold,
        ])
        // The accessors keep the commands' own names, as the IPC does.
        .function_casing(tauri_specta::Casing::SnakeCase)
        // Errors reach the UI as thrown `{ kind, message }`, as invoke throws them.
        .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        // Every integer the UI sees is a time in ms, a count or a size, far
        // below 2^53: safe as a JavaScript number.
        .dangerously_cast_bigints_to_number()
        // One TypeScript type per Rust type: the screens send what they read.
        .disable_serde_phases()
}

/// Where the generated TypeScript lives, from this crate's folder.
pub const BINDINGS: &str = "../ui/src/lib/bindings.ts";

/// The TypeScript of [`commands`], as `ui/src/lib/bindings.ts` holds it.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    commands::<tauri::Wry>()
        .export(specta_typescript::Typescript::default(), path)
        .map_err(|e| e.to_string())
}

/// Every command the UI may call ([`commands`]) as Tauri's invoke handler.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(commands::<R>().invoke_handler())
}

/// The app's Tauri context: its configuration and the built UI, for the
/// window and for the command journeys on Tauri's mock runtime.
pub fn context<R: tauri::Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    use tauri::{Emitter, Manager};
    with_commands(tauri::Builder::default())
        .register_asynchronous_uri_scheme_protocol(frames::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                responder.respond(frames::respond(app, request).await);
            });
        })
        .setup(|app| {
            let dir = app.path().app_data_dir()?;
            #[cfg(desktop)]
            let device = device::ThisDevice::open(&dir)?;
            // Mobile: the key belongs in the platform keystore (mobile/README.md);
            // that seam is not built or checked on this machine.
            #[cfg(mobile)]
            let device = device::ThisDevice::open_mobile(&dir)?;
            // Provisioning (and the demo): an enrollment text handed over in
            // the environment enrolls a device that is not enrolled yet.
            if let Ok(text) = std::env::var("CUSTOS_ENROLL_TEXT") {
                let provisioning = device.clone();
                tauri::async_runtime::spawn(async move {
                    match sync::enroll(&provisioning.store, &provisioning.key, &text).await {
                        Ok(_) | Err(sync::SyncError::AlreadyEnrolled(_)) => provisioning.wake.notify_one(),
                        Err(e) => eprintln!("CUSTOS_ENROLL_TEXT: {e}"),
                    }
                });
            }
            // Every sync event reaches the window, whoever started the round.
            let handle = app.handle().clone();
            let mut events = device.events.subscribe();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            let _ = handle.emit(commands::SYNC_EVENT, &event);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            device.spawn_background();
            app.manage(device);
            Ok(())
        })
        .on_window_event(|window, event| {
            // Back in front (a tablet woken, the app switched to): sync at once.
            if let tauri::WindowEvent::Focused(true) = event
                && let Some(device) = window.try_state::<device::ThisDevice>()
            {
                device.wake.notify_one();
            }
        })
        .run(context())
        .expect("the Custos window could not start");
}
