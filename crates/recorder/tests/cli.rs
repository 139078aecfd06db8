//! The recorder's console, run as a person would run it.

use std::process::{Command, Output};

fn recorder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custos-recorder"))
        .args(args)
        .output()
        .expect("the recorder runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn lists_the_three_seed_profiles() {
    let out = recorder(&["profile", "list"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("kaohsiung-kindergarten") && stdout.contains("floor: 14 days"),
        "{stdout}"
    );
    assert!(
        stdout.contains("wanhua-household") && stdout.contains("floor: 31 days"),
        "{stdout}"
    );
    assert!(
        stdout.contains("dahu-office") && stdout.contains("--floor-days"),
        "{stdout}"
    );
}

#[test]
fn a_custom_profile_is_checked_with_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("custos-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shown = recorder(&["profile", "show", "dahu-office"]);
    assert!(shown.status.success());
    let path = dir.join("custom.json");
    std::fs::write(&path, &shown.stdout).unwrap();

    let no_floor = recorder(&["profile", "check", path.to_str().unwrap()]);
    assert!(!no_floor.status.success());
    assert!(
        text(&no_floor.stderr).contains("--floor-days"),
        "{}",
        text(&no_floor.stderr)
    );

    let ok = recorder(&["profile", "check", path.to_str().unwrap(), "--floor-days", "30"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("kept 30 to 365 days"));

    let zero = recorder(&["profile", "check", path.to_str().unwrap(), "--floor-days", "0"]);
    assert!(
        text(&zero.stderr).contains("deleting everything"),
        "{}",
        text(&zero.stderr)
    );

    // A misspelt rule in a hand-written profile is named, not passed over
    // (a site's stored profile, read by devices, passes over what it does not know).
    let mut misspelt: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    misspelt["retention"]["floor_dyas"] = serde_json::json!(30);
    std::fs::write(&path, misspelt.to_string()).unwrap();
    let refused = recorder(&["profile", "check", path.to_str().unwrap(), "--floor-days", "30"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("retention.floor_dyas is not a field"),
        "{}",
        text(&refused.stderr)
    );

    std::fs::write(&path, "{ not json").unwrap();
    let bad = recorder(&["profile", "check", path.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("invalid policy profile"),
        "{}",
        text(&bad.stderr)
    );

    let unknown = recorder(&["profile", "show", "taipei-zoo"]);
    assert!(text(&unknown.stderr).contains("the built-ins are"));
    std::fs::remove_dir_all(&dir).unwrap();
}
