//! What the journeys share: a real recorder (its binary makes a site with
//! two cameras, an inspector and a head, and serves it over HTTPS on a
//! fixed loopback port, so it can be stopped and started like a real one),
//! the GStreamer test camera, and the binaries under test.
//!
//! The binaries are built by `cargo xtask test` before any test runs, and
//! named in `CUSTOS_RECORDER_BIN` and `CUSTOS_APP_BIN`: a test never runs
//! cargo, so it cannot test a binary older than the sources by accident.

pub mod headless;
pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A binary `cargo xtask test` built, by the variable that names it.
fn built(variable: &str) -> PathBuf {
    let path = std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{variable} is not set: run the journeys through `cargo xtask test`, which builds the binaries first")
    });
    assert!(path.is_file(), "{variable}={} is not a file", path.display());
    path
}

/// The person a device's store is enrolled for.
pub fn enrolled_person(store: &std::sync::Mutex<custos_app::store::LocalStore>) -> custos_core::ids::PersonId {
    let enrolled = custos_app::sync::enrollment(store)
        .unwrap()
        .expect("the device is enrolled");
    enrolled.enrolled.person_id.parse().unwrap()
}

/// The recorder's binary.
pub fn recorder_bin() -> PathBuf {
    built("CUSTOS_RECORDER_BIN")
}

/// The app's binary (the built UI inside).
pub fn app_bin() -> PathBuf {
    built("CUSTOS_APP_BIN")
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
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("camera/custos_test_camera.py");
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
    #[expect(clippy::new_without_default, reason = "it starts a recorder: not a default value")]
    pub fn new() -> Site {
        Site::with_cameras(&["rtsp://127.0.0.1:9/none", "rtsp://127.0.0.1:9/none"], false)
    }

    /// A site recording these camera streams (cam-01, cam-02, ...) in 2-second segments.
    pub fn recording(urls: &[String]) -> Site {
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        Site::with_cameras(&urls, true)
    }

    /// A 大湖 office (its profile with a 30-day floor) with these people,
    /// holding cam-01's minute from 09:00 yesterday, Taipei time: the site,
    /// yesterday as the forms write it (`YYYY-MM-DD`), and that minute.
    pub fn office_with_yesterdays_minute(people: &[(&str, &str)]) -> (Site, String, custos_core::time::Timestamp) {
        use custos_core::time::Timestamp;
        let profile = custos_core::policy::PolicyProfile::builtin(custos_core::seeds::DAHU_OFFICE)
            .unwrap()
            .with_floor(Some(30))
            .unwrap();
        let mut site = Site::with_profile(&profile.to_json(), people);
        let yesterday = Timestamp(headless::now().0 - 86_400_000).taipei_date();
        let day = format!("{:04}-{:02}-{:02}", yesterday.year, yesterday.month, yesterday.day);
        let minute = Timestamp::parse_taipei_minute(&format!("{day} 09:00")).unwrap();
        site.put_footage_minute("cam-01", minute.0);
        (site, day, minute)
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

    /// Lays out a real minute of footage (ffmpeg's test picture) for
    /// `camera` from `start_ms`, named as the recorder names it, and
    /// restarts serve, whose start-up reconcile indexes it.
    pub fn put_footage_minute(&mut self, camera: &str, start_ms: i64) {
        let dir = custos_recorder::footage::paths::camera_dir(&self.data, camera);
        std::fs::create_dir_all(&dir).unwrap();
        let name = custos_recorder::footage::paths::segment_file_name(start_ms);
        custos_recorder::footage::testing::encode_footage(
            &dir.join(name),
            "testsrc=size=320x240:rate=5:duration=60",
            10,
        );
        self.stop();
        self.start();
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.serving.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Stops the recording process a killed `serve` leaves recording, and
    /// waits for it (and so its ffmpeg children) to end.
    fn stop_recording(&self) {
        let Ok(pid) = std::fs::read_to_string(self.data.join("ingest.pid")) else {
            return;
        };
        let pid = pid.trim().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// An enrollment text for `person` whose certificate fingerprint is
    /// not this recorder's: what a device would get from an impostor.
    pub fn enrollment_text_with_wrong_fingerprint(&self, person: &str) -> String {
        let text = self.enrollment_text(person);
        let start = text.find("\"fingerprint\":\"").expect("a fingerprint") + 15;
        format!("{}{}{}", &text[..start], "0".repeat(64), &text[start + 64..])
    }

    /// The loopback port the recorder serves on.
    pub fn port(&self) -> u16 {
        self.port
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
        self.stop_recording();
    }
}
