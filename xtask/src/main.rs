//! `cargo xtask <demo|test|bench>`: the project's two README commands (and
//! the benchmarks), runnable on a fresh Debian 12 machine with Rust and Node.
//! Each installs what the system lacks first: Debian packages (as root;
//! otherwise it prints the exact `apt-get install` line and stops) and the
//! UI's npm packages.

mod demo;
mod fuzz;
mod imports;
mod lines;
mod source;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Debian packages the build and the tests need. Tauri's Linux build
/// dependencies, pkg-config for -sys crates, Xvfb for running the app without
/// a screen, FFmpeg's libraries for recording and playback, GStreamer for
/// the test camera.
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
    // `ss`: the recording tests count and cut the recorder's camera connections.
    "iproute2",
    // The ffmpeg tools make the tests' footage and the benchmarks' baselines;
    // the GStreamer RTSP test camera is below (tests/camera).
    "ffmpeg",
    // The recorder writes segments and decodes playback with FFmpeg's
    // libraries (ffmpeg-next; bindgen needs clang), and watermarks with
    // Noto Sans CJK (below).
    "libavcodec-dev",
    "libavformat-dev",
    "libavutil-dev",
    "libswscale-dev",
    "libavfilter-dev",
    "clang",
    "libclang-dev",
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

/// `cargo xtask` runs `target/debug/xtask`. Where several checkouts share
/// one `CARGO_TARGET_DIR` (as `.ci/run` and a working copy do here), cargo
/// can leave another checkout's xtask there, still fresh for this one, and
/// it would test, bench or write into that checkout (seen here: `cargo
/// xtask bindings` wrote a CI clone's bindings). Then this checkout's xtask
/// is made stale (its main.rs touched) and run instead, once.
fn run_this_checkouts_xtask(args: &[String]) -> Option<ExitCode> {
    const AGAIN: &str = "CUSTOS_XTASK_REBUILT";
    let built_for = env!("CARGO_MANIFEST_DIR");
    let running_for = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    if running_for == built_for {
        return None;
    }
    if std::env::var_os(AGAIN).is_some() {
        eprintln!("xtask: still built for {built_for}, not {running_for}; run `cargo build -p xtask` there");
        return Some(ExitCode::FAILURE);
    }
    eprintln!("xtask: this build is {built_for}'s; rebuilding {running_for}'s");
    let main = Path::new(&running_for).join("src/main.rs");
    let touched = std::fs::File::options()
        .append(true)
        .open(&main)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    if let Err(e) = touched {
        eprintln!("xtask: {}: {e}", main.display());
        return Some(ExitCode::FAILURE);
    }
    let status = Command::new("cargo")
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .args(args)
        .current_dir(&running_for)
        .env(AGAIN, "1")
        .status();
    Some(match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = run_this_checkouts_xtask(&args) {
        return code;
    }
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo") => demo::demo(),
        Some("bench") => bench(),
        Some("fuzz") => match args.get(1).map(|s| s.parse::<u64>()) {
            None => fuzz::fuzz(600),
            Some(Ok(seconds)) => fuzz::fuzz(seconds),
            Some(Err(_)) => Err("usage: cargo xtask fuzz [SECONDS per cargo-fuzz target, 600 by default]".into()),
        },
        Some("layout") => check_layout(&root()),
        Some("bindings") => bindings(),
        _ => {
            eprintln!("usage: cargo xtask <demo|test|bench>");
            eprintln!("  demo   build everything and start the app (the main job)");
            eprintln!("  test   every check and every test: fmt, clippy, UI type check, Rust and UI tests");
            eprintln!("  bench  benchmarks (not part of test)");
            eprintln!("  layout only the layout checks of test: no import loops, no overlong files");
            eprintln!("  bindings  regenerate ui/src/lib/bindings.ts from the app's commands");
            eprintln!(
                "  fuzz [SECONDS]  Schemathesis against a running recorder, without and with a device token, then each cargo-fuzz target for SECONDS (600) (not part of test)"
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
    run_with_env(dir, program, args, &[])
}

fn run_with_env(dir: &Path, program: &str, args: &[&str], envs: &[(&str, PathBuf)]) -> Result {
    eprintln!("\n==> {program} {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v)))
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
    check_layout(&root)?;
    run(
        &root,
        "cargo",
        &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
    )?;
    run(&ui, "npm", &["run", "check", "--silent"])?;
    let binaries = build_journey_binaries(&root)?;
    run_with_env(&root, "cargo", &["test", "--workspace"], &binaries)?;
    run(&ui, "npm", &["test", "--silent"])?;
    run(&ui, "npm", &["run", "screens", "--silent"])?;
    eprintln!(
        "\nall checks and tests passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The binaries the journeys (`tests/`) run, built as the demo and a
/// release build have them (no test features) and copied aside, since the
/// crates' own test builds overwrite `target/debug` with theirs; named to
/// the journeys in `CUSTOS_RECORDER_BIN` and `CUSTOS_APP_BIN`.
fn build_journey_binaries(root: &Path) -> Result<Vec<(&'static str, PathBuf)>> {
    run(
        root,
        "cargo",
        &["build", "-p", "custos-recorder", "-p", "custos-app", "--bins"],
    )?;
    let target = target_dir(root);
    let aside = target.join("journeys");
    std::fs::create_dir_all(&aside).map_err(|e| format!("{}: {e}", aside.display()))?;
    let mut named = Vec::new();
    for (variable, binary) in [
        ("CUSTOS_RECORDER_BIN", "custos-recorder"),
        ("CUSTOS_APP_BIN", "custos-app"),
    ] {
        let copy = aside.join(binary);
        std::fs::copy(target.join("debug").join(binary), &copy).map_err(|e| format!("{binary}: {e}"))?;
        named.push((variable, copy));
    }
    Ok(named)
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

/// Writes `ui/src/lib/bindings.ts` from the app's command signatures (the
/// test run fails while the committed file differs from them).
fn bindings() -> Result {
    ensure_dependencies()?;
    build_ui()?;
    let root = root();
    let status = Command::new("cargo")
        .args([
            "test",
            "-p",
            "custos-app",
            "--test",
            "bindings",
            "--",
            "the_committed_bindings",
        ])
        .env("CUSTOS_WRITE_BINDINGS", "1")
        .current_dir(&root)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err("writing the bindings failed".into());
    }
    eprintln!("wrote ui/src/lib/bindings.ts; commit it with the change that made it");
    Ok(())
}

/// The crates whose modules must not import each other in a loop.
const LAYERED_CRATES: &[&str] = &[
    "crates/core/src/lib.rs",
    "crates/recorder/src/lib.rs",
    "src-tauri/src/lib.rs",
];
/// Where no file may be longer than `lines::MAX_CODE_LINES` lines of code.
const SOURCE_DIRS: &[&str] = &[
    "crates/core/src",
    "crates/recorder/src",
    "crates/api/src",
    "crates/clock/src",
    "src-tauri/src",
    "xtask/src",
];

/// No import loops between a crate's modules; no overlong source file.
fn check_layout(root: &Path) -> Result {
    eprintln!("\n==> checking that no module imports one that imports it back");
    let mut problems = Vec::new();
    for lib in LAYERED_CRATES {
        for found in imports::import_loops(&root.join(lib))? {
            problems.push(format!("{lib}: import loop {found}"));
        }
    }
    eprintln!(
        "==> checking that no source file has more than {} lines of code",
        lines::MAX_CODE_LINES
    );
    for dir in SOURCE_DIRS.iter().map(|d| root.join(d)).filter(|d| d.exists()) {
        for (file, lines) in lines::long_files(&dir)? {
            let shown = file.strip_prefix(root).unwrap_or(&file).display().to_string();
            problems.push(format!(
                "{shown}: {lines} lines of code (at most {}); split it by concern",
                lines::MAX_CODE_LINES
            ));
        }
    }
    if problems.is_empty() {
        eprintln!("    no import loops, no overlong files");
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn bench() -> Result {
    // The benches build the app and record the GStreamer test camera with
    // ffmpeg: what the tests need, and ImageMagick for the photo baseline.
    ensure_apt(APT_PACKAGES)?;
    ensure_apt(BENCH_APT_PACKAGES)?;
    let root = root();
    run(&root, "cargo", &["bench", "-p", "custos-core", "--bench", "workflow"])?;
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
    run(
        &root,
        "cargo",
        &["bench", "-p", "custos-recorder", "--bench", "playback"],
    )?;
    run(&root, "cargo", &["bench", "-p", "custos-app", "--bench", "photos"])
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
