//! A real recorder for the app's tests: the recorder's binary makes a site
//! (two cameras, an inspector and a head) and serves it over HTTPS on a
//! fixed loopback port, so it can be stopped and started like a real one.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The recorder's binary. `cargo test --workspace` has just built it; a
/// test run alone (`cargo test -p custos-app`) may find none, or one older
/// than the recorder's or the core's sources, which would test yesterday's
/// rules: then it is built here, once per test process.
pub fn recorder_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let deps = std::env::current_exe().unwrap();
            let profile_dir = deps.parent().unwrap().parent().unwrap();
            let bin = profile_dir.join("custos-recorder");
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
            let sources = ["crates/core/src", "crates/recorder/src", "migrations/recorder"].map(|d| root.join(d));
            let built_at = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
            if built_at.is_none_or(|at| sources.iter().any(|d| newest(d) > at)) {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let status = Command::new(cargo)
                    .args(["build", "--quiet", "-p", "custos-recorder", "--bin", "custos-recorder"])
                    .arg("--target-dir")
                    .arg(profile_dir.parent().unwrap())
                    .status()
                    .unwrap();
                assert!(status.success(), "building the recorder failed");
            }
            bin
        })
        .clone()
}

/// The newest modification time of any file under `dir`.
fn newest(dir: &Path) -> std::time::SystemTime {
    let mut latest = std::time::SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let at = if path.is_dir() {
            newest(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).unwrap_or(latest)
        };
        latest = latest.max(at);
    }
    latest
}

/// Runs `custos-recorder <command...> --data DATA <args...>`.
fn console(data: &Path, command: &[&str], args: &[&str]) -> String {
    let out = Command::new(recorder_bin())
        .args(command)
        .args(["--data", data.to_str().unwrap()])
        .args(args)
        .env("CUSTOS_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub struct Site {
    _dir: tempfile::TempDir,
    data: PathBuf,
    port: u16,
    serving: Option<Child>,
    /// Serve with `--no-recording` (cameras that do not exist) or record real ones.
    recording: bool,
}

/// The GStreamer RTSP test camera (tests/camera), one stream per camera.
pub struct TestCamera {
    child: Child,
    pub urls: Vec<String>,
}

impl TestCamera {
    pub fn start(streams: &[(&str, &str)]) -> TestCamera {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/camera/custos_test_camera.py");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(script).args(["--port", "0"]);
        for (name, kind) in streams {
            cmd.args(["--stream", &format!("{name}={kind}")]);
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("the test camera starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let urls = streams
            .iter()
            .map(|_| {
                let line = lines.next().expect("the camera announces its streams").unwrap();
                line.strip_prefix("ready ").expect("ready <url>").to_string()
            })
            .collect();
        TestCamera { child, urls }
    }
}

impl Drop for TestCamera {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Site {
    pub fn new() -> Site {
        Site::with_cameras(&["rtsp://127.0.0.1:9/none", "rtsp://127.0.0.1:9/none"], false)
    }

    /// A site recording these camera streams (cam-01, cam-02, ...) in 2-second segments.
    pub fn recording(urls: &[String]) -> Site {
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        Site::with_cameras(&urls, true)
    }

    /// A site on a custom profile (its JSON) with these people (name,
    /// role) and two cameras that are not recorded.
    pub fn with_profile(profile_json: &str, people: &[(&str, &str)]) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("profile.json");
        std::fs::write(&profile, profile_json).unwrap();
        Site::make(
            dir,
            &["rtsp://127.0.0.1:9/none", "rtsp://127.0.0.1:9/none"],
            false,
            profile.to_str().unwrap(),
            people,
        )
    }

    fn with_cameras(urls: &[&str], recording: bool) -> Site {
        let people = [
            ("黃巡檢", "inspector"),
            ("陳園長", "head,supervisor"),
            ("王經理", "manager"),
        ];
        Site::make(
            tempfile::tempdir().unwrap(),
            urls,
            recording,
            "kaohsiung-kindergarten",
            &people,
        )
    }

    fn make(dir: tempfile::TempDir, urls: &[&str], recording: bool, profile: &str, people: &[(&str, &str)]) -> Site {
        let data = dir.path().join("recorder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("https://127.0.0.1:{port}");
        let out = Command::new(recorder_bin())
            .args(["init", "--data", data.to_str().unwrap(), "--site", "測試幼兒園"])
            .args(["--profile", profile, "--address", &address])
            .env("CUSTOS_LOG", "error")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        for (name, roles) in people {
            console(&data, &["person", "add"], &["--name", name, "--role", roles]);
        }
        for (i, url) in urls.iter().enumerate() {
            let id = format!("cam-{:02}", i + 1);
            let place = ["--name", "大門", "--location", "一樓", "--zone", "outdoor-public"];
            console(
                &data,
                &["camera", "add"],
                &[&["--id", id.as_str(), "--rtsp", url][..], &place].concat(),
            );
        }
        let mut site = Site {
            _dir: dir,
            data,
            port,
            serving: None,
            recording,
        };
        site.start();
        site
    }

    pub fn start(&mut self) {
        let mut child = Command::new(recorder_bin())
            .args(["serve", "--data", self.data.to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(if self.recording {
                vec!["--segment-seconds", "2"]
            } else {
                vec!["--no-recording"]
            })
            .env("CUSTOS_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("serve printed its address").unwrap();
            if line.starts_with("listening on ") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        self.serving = Some(child);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.serving.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// An enrollment text for `person` whose certificate fingerprint is
    /// not this recorder's: what a device would get from an impostor.
    pub fn enrollment_text_with_wrong_fingerprint(&self, person: &str) -> String {
        let text = self.enrollment_text(person);
        let start = text.find("\"fingerprint\":\"").expect("a fingerprint") + 15;
        format!("{}{}{}", &text[..start], "0".repeat(64), &text[start + 64..])
    }

    /// Runs a console command against this site's data.
    pub fn console(&self, command: &[&str], args: &[&str]) -> String {
        console(&self.data, command, args)
    }

    /// The recorder's database, opened as someone with the disk would.
    pub fn database(&self) -> PathBuf {
        self.data.join("recorder.sqlite")
    }

    pub fn enrollment_text(&self, person: &str) -> String {
        console(&self.data, &["enroll"], &["--person", person, "--quiet"])
            .trim()
            .to_string()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop();
    }
}
