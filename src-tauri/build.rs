//! Names the app's commands for Tauri, which makes an `allow-<command>`
//! permission for each, so a window can call only what its capability
//! grants. The names are read from the one list, `collect_commands!` in
//! `src/lib.rs`; a test checks the capability file against the same list.

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    let lib = std::fs::read_to_string("src/lib.rs").expect("src/lib.rs");
    let list = lib
        .split_once("collect_commands![")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("src/lib.rs lists the commands in collect_commands![...]");
    let names: Vec<&'static str> = list
        .split(',')
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .map(|item| {
            let path = item.split("::<").next().unwrap_or(item);
            let name = path.rsplit("::").next().unwrap_or(path).trim();
            &*Box::leak(name.to_string().into_boxed_str())
        })
        .collect();
    // Tauri wants the list for the whole build: a build script lives that long.
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(names)),
    )
    .expect("the Tauri build step failed");
}
