/// The app's own commands. Naming them makes Tauri generate `allow-<command>`
/// permissions, so a window can call only what its capability grants.
const COMMANDS: &[&str] = &[
    "app_info",
    "device_info",
    "enroll",
    "sync_now",
    "sync_status",
    "dismiss_refused",
    "site",
    "inspection_month",
    "record_check",
    "close_repair",
    "add_photo",
    "camera_health",
    "camera_snapshot",
    "countersign_check",
    "file_application",
    "amend_application",
    "decide",
    "applications",
    "logbook",
    "holds",
    "release_hold",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}
