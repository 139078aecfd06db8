//! The Custos app: the Tauri shell around `custos-core`. Commands stay thin:
//! parse, call the core (and, later, the local store), return.

pub mod client;
pub mod commands;
pub mod identity;
pub mod photos;
pub mod pinning;
pub mod store;
pub mod sync;

/// Adds the app's commands to a builder; shared by `run` and the command tests.
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    with_commands(tauri::Builder::default())
        .run(tauri::generate_context!())
        .expect("the Custos window could not start");
}
