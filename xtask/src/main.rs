//! `cargo xtask <demo|test|bench>`: the project's two README commands (and
//! the benchmarks), runnable on a fresh Debian 12 machine with Rust and Node.
//! Each installs what the system lacks first: Debian packages (as root;
//! otherwise it prints the exact `apt-get install` line and stops) and the
//! UI's npm packages.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Debian packages the build and the tests need. Tauri's Linux build
/// dependencies, pkg-config for -sys crates, Xvfb for running the app without
/// a screen, ffmpeg and GStreamer for recording from the test camera.
const APT_PACKAGES: &[&str] = &[
    "pkg-config",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libssl-dev",
    "libxdo-dev",
    "xvfb",
    "xauth",
    // Recording: ffmpeg, and the GStreamer RTSP test camera (tests/camera).
    "ffmpeg",
    "python3-gi",
    "gir1.2-gst-rtsp-server-1.0",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
    // clockoverlay (the test camera's clock) is the pango plugin, packaged in -x.
    "gstreamer1.0-x",
    // The UI's screen tests (playwright-core drives the system Chromium), and
    // CJK fonts so the screenshots show the Chinese they test.
    "chromium",
    "fonts-noto-cjk",
    // The real app under WebDriver: WebKitWebDriver (tauri-driver starts it).
    "webkit2gtk-driver",
];

/// What `bench` needs besides: ImageMagick, the photo pipeline's baseline.
const BENCH_APT_PACKAGES: &[&str] = &["imagemagick"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo") => demo(),
        Some("bench") => bench(),
        Some("fuzz") => fuzz(),
        _ => {
            eprintln!("usage: cargo xtask <demo|test|bench>");
            eprintln!("  demo   build everything and start the app (the main job)");
            eprintln!("  test   every check and every test: fmt, clippy, UI type check, Rust and UI tests");
            eprintln!("  bench  benchmarks (not part of test)");
            eprintln!(
                "  fuzz   Schemathesis against a running recorder, without and with a device token (not part of test)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Runs a command in `dir`, echoing it, failing with its name if it fails.
fn run(dir: &Path, program: &str, args: &[&str]) -> Result {
    eprintln!("\n==> {program} {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    eprintln!("    ({program} took {:.1} s)", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn missing_apt_packages(wanted: &[&'static str]) -> Vec<&'static str> {
    wanted
        .iter()
        .copied()
        .filter(|pkg| {
            let out = Command::new("dpkg-query").args(["-W", "-f=${Status}", pkg]).output();
            !matches!(out, Ok(o) if String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs the Debian packages of `wanted` that are missing (as root), or
/// says which to install.
fn ensure_apt(wanted: &[&'static str]) -> Result {
    let missing = missing_apt_packages(wanted);
    if !missing.is_empty() {
        let line = format!("apt-get install -y {}", missing.join(" "));
        if !is_root() {
            return Err(format!(
                "these Debian packages are missing; install them as root, then run again:\n  sudo apt-get update && sudo {line}"
            ));
        }
        eprintln!("==> installing Debian packages: {}", missing.join(" "));
        run_apt(&["update", "-qq"])?;
        let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
        args.extend(missing.iter().copied());
        run_apt(&args)?;
    }
    Ok(())
}

/// Installs what the machine lacks: Debian packages, then the UI's npm packages.
fn ensure_dependencies() -> Result {
    ensure_apt(APT_PACKAGES)?;
    // tauri-driver is not packaged; cargo installs it into ~/.cargo/bin once.
    if Command::new("tauri-driver").arg("--help").output().is_err() {
        run(&root(), "cargo", &["install", "tauri-driver", "--locked"])?;
    }
    for tool in ["node", "npm"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!("{tool} is not installed: install Node.js 20 or later with npm"));
        }
    }
    let ui = root().join("ui");
    let stamp = ui.join("node_modules/.package-lock.json");
    let stale = match (
        std::fs::metadata(&stamp),
        std::fs::metadata(ui.join("package-lock.json")),
    ) {
        (Ok(installed), Ok(lock)) => installed.modified().ok() < lock.modified().ok(),
        _ => true,
    };
    if stale {
        run(&ui, "npm", &["ci", "--no-audit", "--no-fund"])?;
    }
    Ok(())
}

fn run_apt(args: &[&str]) -> Result {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("could not start apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("apt-get {} failed ({status})", args.join(" ")))
    }
}

/// The app embeds the built UI (frontendDist), so the UI is built before any
/// cargo command compiles the app.
fn build_ui() -> Result {
    run(&root().join("ui"), "npm", &["run", "build", "--silent"])
}

fn test() -> Result {
    let started = Instant::now();
    ensure_dependencies()?;
    build_ui()?;
    let root = root();
    let ui = root.join("ui");
    run(&root, "cargo", &["fmt", "--all", "--check"])?;
    check_core_has_no_io(&root)?;
    run(
        &root,
        "cargo",
        &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
    )?;
    run(&ui, "npm", &["run", "check", "--silent"])?;
    run(&root, "cargo", &["test", "--workspace"])?;
    run(&ui, "npm", &["test", "--silent"])?;
    run(&ui, "npm", &["run", "screens", "--silent"])?;
    eprintln!(
        "\nall checks and tests passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Crates that do I/O, which the domain core must never depend on.
const IO_CRATES: &[&str] = &["tokio", "rusqlite", "reqwest", "tauri", "hyper", "mio", "axum"];
/// Parts of std that touch the outside world.
const IO_PATHS: &[&str] = &[
    "std::fs",
    "std::net",
    "std::process",
    "std::thread",
    "std::env",
    "SystemTime",
    "Instant",
];

/// The core stays pure: no I/O crate in its dependency tree, no I/O in its source.
fn check_core_has_no_io(root: &Path) -> Result {
    eprintln!("\n==> checking that crates/core does no I/O");
    let out = Command::new("cargo")
        .args(["tree", "-p", "custos-core", "-e", "normal", "--prefix", "none"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo tree failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    if let Some(bad) = names
        .iter()
        .find(|n| IO_CRATES.iter().any(|io| *n == io || n.starts_with(&format!("{io}-"))))
    {
        return Err(format!(
            "custos-core depends on {bad}, which does I/O; the core must stay pure"
        ));
    }
    let mut stack = vec![root.join("crates/core/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                if let Some(io) = IO_PATHS.iter().find(|io| line.contains(*io)) {
                    return Err(format!(
                        "{}:{}: uses {io}; the core must stay free of I/O",
                        path.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    eprintln!(
        "    no I/O crates among {} dependencies, no I/O in the source",
        names.len()
    );
    Ok(())
}

fn bench() -> Result {
    // The benches build the app and record the GStreamer test camera with
    // ffmpeg: what the tests need, and ImageMagick for the photo baseline.
    ensure_apt(APT_PACKAGES)?;
    ensure_apt(BENCH_APT_PACKAGES)?;
    let root = root();
    run(
        &root,
        "cargo",
        &["bench", "-p", "custos-recorder", "--bench", "registers"],
    )?;
    run(
        &root,
        "cargo",
        &["bench", "-p", "custos-recorder", "--bench", "footage"],
    )?;
    run(
        &root,
        "cargo",
        &["bench", "-p", "custos-recorder", "--bench", "recording"],
    )?;
    run(&root, "cargo", &["bench", "-p", "custos-app", "--bench", "photos"])
}

/// Python packages `fuzz` needs, installed with pip when missing.
const PYTHON_PACKAGES: &[(&str, &str)] = &[
    ("schemathesis", "schemathesis"),
    ("cryptography", "cryptography"),
    ("requests", "requests"),
    ("openapi_spec_validator", "openapi-spec-validator"),
];

/// Schemathesis against a real recorder on loopback: once without
/// credentials, once signed in as an enrolled device (the hook in
/// xtask/fuzz). Fails on any 5xx or any response that breaks the API's schema.
fn fuzz() -> Result {
    let root = root();
    let missing: Vec<&str> = PYTHON_PACKAGES
        .iter()
        .filter(|(module, _)| {
            !Command::new("python3")
                .args(["-c", &format!("import {module}")])
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(|(_, package)| *package)
        .collect();
    if !missing.is_empty() {
        let mut args = vec!["-m", "pip", "install", "--quiet"];
        args.extend(missing.iter().copied());
        run(&root, "python3", &args)?;
    }
    run(&root, "cargo", &["build", "-p", "custos-recorder"])?;
    let target = target_dir(&root);
    let recorder = target.join("debug/custos-recorder");
    let recorder = recorder.to_str().unwrap();
    let data = fresh_site(&root, recorder, &target.join("fuzz/recorder"), "模糊測試幼兒園")?;
    let data_s = data.to_str().unwrap();
    run(
        &root,
        recorder,
        &[
            "person",
            "add",
            "--data",
            data_s,
            "--name",
            "測試經理",
            "--role",
            "manager",
            "--role",
            "head",
        ],
    )?;
    let mut serve = Command::new(recorder)
        .args(["serve", "--data", data_s, "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start the recorder: {e}"))?;
    let result = (|| -> Result {
        use std::io::BufRead;
        let stdout = serve.stdout.take().ok_or("no stdout from the recorder")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        break addr.to_string();
                    }
                }
                _ => return Err("the recorder stopped before listening".into()),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let ca = data.join("tls-cert.pem");
        let ca = ca.to_str().unwrap();
        let schema = format!("{base}/v1/openapi.json");
        let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
        let st = |code: Option<&str>| -> Result {
            let label = if code.is_some() {
                "with a device token"
            } else {
                "without credentials"
            };
            eprintln!("\n==> schemathesis {label}");
            let mut cmd = Command::new("st");
            cmd.args([
                "run",
                &schema,
                "--tls-verify",
                ca,
                "--checks",
                checks,
                "--max-examples",
                "25",
            ])
            .current_dir(root.join("xtask/fuzz"))
            .env("PYTHONPATH", ".")
            .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
            .env("CUSTOS_BASE_URL", &base)
            .env("CUSTOS_CA", ca);
            if let Some(code) = code {
                cmd.env("CUSTOS_ENROLL_CODE", code);
            }
            let status = cmd
                .status()
                .map_err(|e| format!("could not start schemathesis (st): {e}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("schemathesis {label} found failures"))
            }
        };
        eprintln!("\n==> the OpenAPI document against the OpenAPI schema");
        run(&root.join("xtask/fuzz"), "python3", &["validate_openapi.py", &base, ca])?;
        st(None)?;
        let out = Command::new(recorder)
            .args(["enroll", "--data", data_s, "--person", "測試經理", "--quiet"])
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        let code = text
            .split("\"code\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| format!("no enrollment code in {text:?}"))?
            .to_string();
        st(Some(&code))
    })();
    let _ = serve.kill();
    let _ = serve.wait();
    result
}

/// Where cargo puts what it builds.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// A new kindergarten site in `data`, replacing whatever was there.
fn fresh_site(root: &Path, recorder: &str, data: &Path, name: &str) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(data);
    let data_s = data.to_str().ok_or("the target directory's path is not UTF-8")?;
    run(
        root,
        recorder,
        &[
            "init",
            "--data",
            data_s,
            "--site",
            name,
            "--profile",
            "kaohsiung-kindergarten",
        ],
    )?;
    Ok(data.to_path_buf())
}

fn demo() -> Result {
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
    let _ = serve.kill();
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
