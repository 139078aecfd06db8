//! `cargo xtask demo`: the recorder, the test cameras and the app, started
//! for a person to try.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::{Result, build_ui, ensure_dependencies, fresh_site, root, run, target_dir};

pub fn demo() -> Result {
    ensure_dependencies()?;
    build_ui()?;
    let root = root();
    run(&root, "cargo", &["build", "-p", "custos-recorder", "-p", "custos-app"])?;
    let target = target_dir(&root);
    let recorder = target.join("debug/custos-recorder");
    let recorder = recorder.to_str().unwrap();
    let app = target.join("debug/custos-app");

    // A fresh demo site each run: a kindergarten with its staff, committee and cameras.
    let data = fresh_site(&root, recorder, &target.join("demo/recorder"), "Custos 示範幼兒園")?;
    let data_s = data.to_str().unwrap();
    for (name, role) in [
        ("林園長", "head"),
        ("陳老師", "manager"),
        ("王老師", "inspector"),
        ("張主任", "supervisor"),
        ("教保員代表 李老師", "committee_staff"),
        ("家長代表 黃先生", "committee_parent"),
    ] {
        run(
            &root,
            recorder,
            &["person", "add", "--data", data_s, "--name", name, "--role", role],
        )?;
    }
    for (id, name, location, zone) in [
        ("cam-01", "大門", "一樓大門口", "outdoor-public"),
        ("cam-02", "遊戲室", "一樓室內遊戲空間", "indoor-public"),
        ("cam-03", "大班教室", "二樓大班活動室", "activity-room"),
    ] {
        let rtsp = format!("rtsp://127.0.0.1:8554/{id}");
        run(
            &root,
            recorder,
            &[
                "camera",
                "add",
                "--data",
                data_s,
                "--id",
                id,
                "--name",
                name,
                "--location",
                location,
                "--zone",
                zone,
                "--rtsp",
                &rtsp,
                "--audio",
            ],
        )?;
    }
    // The test camera plays the three cameras: moving, moving, frozen.
    let mut camera = Command::new("/usr/bin/python3")
        .arg(root.join("tests/camera/custos_test_camera.py"))
        .args([
            "--port",
            "8554",
            "--stream",
            "cam-01=moving",
            "--stream",
            "cam-02=moving",
            "--stream",
            "cam-03=frozen",
        ])
        .arg("--audio")
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start the test camera: {e}"))?;
    let mut serve = Command::new(recorder)
        .args([
            "serve",
            "--data",
            data_s,
            "--listen",
            "127.0.0.1:7443",
            "--segment-seconds",
            "10",
        ])
        .spawn()
        .map_err(|e| format!("could not start the recorder: {e}"))?;
    std::thread::sleep(Duration::from_secs(1));
    if let Some(status) = serve.try_wait().map_err(|e| e.to_string())? {
        return Err(format!("the recorder stopped at once ({status}); is port 7443 in use?"));
    }
    // The app starts enrolled as the manager: the demo hands it the
    // enrollment text a person would paste (a fresh app data folder each run).
    let enrolled = Command::new(recorder)
        .args([
            "enroll",
            "--data",
            data_s,
            "--person",
            "陳老師",
            "--valid-minutes",
            "60",
            "--quiet",
        ])
        .output()
        .map_err(|e| format!("could not make an enrollment code: {e}"))?;
    let text = String::from_utf8_lossy(&enrolled.stdout).trim().to_string();
    eprintln!("\n==> enrollment text for 陳老師 (the app uses it at start):\n{text}");
    let app_home = target.join("demo/app");
    let _ = std::fs::remove_dir_all(&app_home);
    let shown = show_app(&root, &app, &text, &app_home);
    let _ = run(&root, recorder, &["footage", "list", "--data", data_s]);
    // SIGTERM: a clean stop, which stops the recording process too.
    let _ = Command::new("kill").arg(serve.id().to_string()).status();
    let _ = serve.wait();
    let _ = camera.kill();
    let _ = camera.wait();
    shown
}

/// Opens the app window, or, without a screen, runs it under Xvfb long
/// enough to show that it comes up.
fn show_app(root: &Path, app: &Path, enrollment: &str, app_home: &Path) -> Result {
    let app_s = app.to_str().unwrap();
    let env = [
        ("CUSTOS_ENROLL_TEXT", enrollment),
        ("XDG_DATA_HOME", app_home.to_str().unwrap()),
    ];
    if std::env::var_os("DISPLAY").is_some() {
        eprintln!(
            "\n==> the recorder is at https://127.0.0.1:7443; starting the app enrolled as the manager (close its window to end the demo)"
        );
        let status = Command::new(app_s)
            .envs(env)
            .current_dir(root)
            .status()
            .map_err(|e| format!("could not start the app: {e}"))?;
        return if status.success() {
            Ok(())
        } else {
            Err(format!("the app exited with {status}"))
        };
    }
    eprintln!("\n==> no DISPLAY: starting the app under Xvfb for 15 s to show that it starts");
    let mut child = Command::new("xvfb-run")
        .args(["-a", app_s])
        .envs(env)
        .current_dir(root)
        .spawn()
        .map_err(|e| format!("could not start xvfb-run: {e}"))?;
    std::thread::sleep(Duration::from_secs(15));
    match child.try_wait().map_err(|e| e.to_string())? {
        Some(status) => Err(format!("the app exited early ({status})")),
        None => {
            let _ = Command::new("pkill").args(["-f", app_s]).status();
            let _ = child.wait();
            eprintln!("the app ran for 15 s under Xvfb; run `cargo xtask demo` with a display to use it");
            Ok(())
        }
    }
}
