//! The Custos app: the Tauri shell around `custos-core`. Commands stay thin:
//! parse, call the core (and, later, the local store), return.

pub mod commands;

/// Builds the app with its commands; shared by `run` and the command tests.
pub fn builder<R: tauri::Runtime>() -> tauri::Builder<R> {
    tauri::Builder::<R>::new().invoke_handler(tauri::generate_handler![commands::app_info])
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    builder::<tauri::Wry>()
        .run(tauri::generate_context!())
        .expect("the Custos window could not start");
}
