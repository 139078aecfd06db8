//! A real recorder for tests: a fresh data directory made by the real
//! binary, `serve` over real HTTPS on a free loopback port, and devices that
//! enroll and sign in with real Ed25519 keys.
#![allow(dead_code)]

pub mod phone;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use custos_core::ids::DeviceId;
use custos_core::signing::{DeviceKey, auth_challenge_bytes, sha256_hex};
use serde_json::{Value, json};

pub fn recorder_bin() -> &'static str {
    env!("CARGO_BIN_EXE_custos-recorder")
}

/// Runs a console command against `data`.
pub fn console(args: &[&str]) -> Output {
    Command::new(recorder_bin())
        .args(args)
        .env("CUSTOS_LOG", "error")
        .output()
        .expect("the recorder runs")
}

/// A fresh data directory made by the console's `init` for `site` under
/// `profile` (no recorder serving it); the directory lives as long as the guard.
pub fn init_data_dir(site: &str, profile: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(console(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--site",
        site,
        "--profile",
        profile,
    ]));
    (dir, data)
}

pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `custos-recorder serve` on `data` and a free port, on the simulated
/// clock at `now` if given; returns it and its address.
fn serve(
    data: &str,
    serve_args: &[&str],
    simulated_now: Option<i64>,
    env: &[(String, String)],
    memory_limit: Option<u64>,
) -> (Child, String) {
    // Under `prlimit --as`, which execs the recorder: the child's pid is the recorder's.
    let mut command = match memory_limit {
        Some(bytes) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--as={bytes}")).arg("--").arg(recorder_bin());
            c
        }
        None => Command::new(recorder_bin()),
    };
    if let Some(now) = simulated_now {
        command.env("CUSTOS_SIMULATED_NOW", now.to_string());
    }
    // `CUSTOS_TEST_LOG=info cargo test ... -- --nocapture` to see why; a
    // test's own `CUSTOS_LOG` comes after it and wins.
    command.env(
        "CUSTOS_LOG",
        std::env::var("CUSTOS_TEST_LOG").unwrap_or_else(|_| "error".into()),
    );
    command.envs(env.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    ends_with_the_test(&mut command);
    let mut child = command
        .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
        .args(serve_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("listening on ") {
            break rest.to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// A recorder started by a test ends with the test's thread, even when the
/// test process is killed and no `Drop` runs: a hostile test left behind
/// once spun at full CPU for minutes.
fn ends_with_the_test(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

pub struct Recorder {
    pub dir: tempfile::TempDir,
    pub base: String,
    pub client: reqwest::Client,
    child: Child,
    /// The recorder's simulated time (ms), when it runs on one: its console
    /// commands run at that time too.
    simulated_now: Option<std::sync::Arc<std::sync::atomic::AtomicI64>>,
    /// More environment for `serve` and the console (a stated disk).
    env: Vec<(String, String)>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The recording process outlives a killed `serve` by design.
        custos_recorder::cmds::ingest::stop_and_wait(&self.data(), std::time::Duration::from_secs(10));
    }
}

impl Recorder {
    /// Initialises a site with `people` (name, roles) and starts serving.
    pub fn start(profile: &str, people: &[(&str, &[&str])]) -> Recorder {
        let cameras = [
            ("cam-01", "rtsp://127.0.0.1:9/unreachable", true),
            ("cam-02", "rtsp://127.0.0.1:9/unreachable", false),
        ];
        Recorder::start_with(profile, people, &cameras, &[])
    }

    /// A site with the given cameras (id, RTSP address, audio), served with `serve_args` added.
    pub fn start_with(
        profile: &str,
        people: &[(&str, &[&str])],
        cameras: &[(&str, &str, bool)],
        serve_args: &[&str],
    ) -> Recorder {
        Recorder::make(profile, people, cameras, serve_args, None, &[])
    }

    /// As [`Recorder::start_with`], with more environment for `serve` (and
    /// so for its recording process): `CUSTOS_LOG=warn` to read why a
    /// camera was cut off in `ingest.log`.
    pub fn start_with_env(
        profile: &str,
        people: &[(&str, &[&str])],
        cameras: &[(&str, &str, bool)],
        serve_args: &[&str],
        env: &[(&str, &str)],
    ) -> Recorder {
        Recorder::make(profile, people, cameras, serve_args, None, env)
    }

    /// As [`Recorder::start_with`], on a simulated clock starting at `now`:
    /// only [`Recorder::advance`] moves it, and the site's console commands
    /// run at its time.
    pub fn start_simulated(
        profile: &str,
        people: &[(&str, &[&str])],
        cameras: &[(&str, &str, bool)],
        serve_args: &[&str],
        now: custos_core::time::Timestamp,
    ) -> Recorder {
        Recorder::make(profile, people, cameras, serve_args, Some(now.0), &[])
    }

    /// More environment for the next `serve` and every console command
    /// (`CUSTOS_SIMULATED_DISK`: the disk as a test states it).
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_string(), value.to_string()));
    }

    fn make(
        profile: &str,
        people: &[(&str, &[&str])],
        cameras: &[(&str, &str, bool)],
        serve_args: &[&str],
        simulated_now: Option<i64>,
        env: &[(&str, &str)],
    ) -> Recorder {
        let env: Vec<(String, String)> = env.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        let console = |args: &[&str]| {
            let mut command = Command::new(recorder_bin());
            if let Some(now) = simulated_now {
                command.env("CUSTOS_SIMULATED_NOW", now.to_string());
            }
            command
                .args(args)
                .env("CUSTOS_LOG", "error")
                .output()
                .expect("the recorder runs")
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let data_s = data.to_str().unwrap().to_string();
        let mut init = vec!["init", "--data", &data_s, "--site", "測試機關", "--profile", profile];
        if profile == "dahu-office" {
            init.extend(["--floor-days", "30"]);
        }
        ok(console(&init));
        for (name, roles) in people {
            let mut args = vec!["person", "add", "--data", &data_s, "--name", name];
            for role in *roles {
                args.extend(["--role", role]);
            }
            ok(console(&args));
        }
        for (id, url, audio) in cameras {
            let mut args = vec![
                "camera",
                "add",
                "--data",
                &data_s,
                "--id",
                id,
                "--name",
                "大門",
                "--location",
                "一樓大門口",
                "--zone",
                "outdoor-public",
                "--rtsp",
                url,
                "--property-number",
                "3140101-03-0001",
            ];
            if *audio {
                args.push("--audio");
            }
            ok(console(&args));
        }
        let (child, addr) = serve(&data_s, serve_args, simulated_now, &env, None);
        let pem = std::fs::read(data.join("tls-cert.pem")).unwrap();
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .tls_built_in_root_certs(false)
            // A fresh connection per request: one refused mid-body must not poison the next.
            .pool_max_idle_per_host(0)
            .use_rustls_tls()
            .build()
            .unwrap();
        Recorder {
            dir,
            base: addr,
            client,
            child,
            simulated_now: simulated_now.map(|now| std::sync::Arc::new(std::sync::atomic::AtomicI64::new(now))),
            env,
        }
    }

    /// The recorder's time: its simulated clock's, or the system's.
    pub fn now(&self) -> custos_core::time::Timestamp {
        match &self.simulated_now {
            Some(now) => custos_core::time::Timestamp(now.load(std::sync::atomic::Ordering::SeqCst)),
            None => custos_clock::Clock::now(&custos_clock::SystemClock),
        }
    }

    /// Moves the recorder's simulated clock by `ms`; returns once every job
    /// it woke (health, retention, checkpoints) is done.
    pub async fn advance(&self, ms: i64) {
        let now = self.simulated_now.as_ref().expect("a recorder on a simulated clock");
        let res = self.post("/v1/simulation/clock", &json!({ "advance_ms": ms })).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        now.store(body["now_ms"].as_i64().unwrap(), std::sync::atomic::Ordering::SeqCst);
    }

    /// Runs a console command against this site, at the recorder's time.
    pub fn console(&self, args: &[&str]) -> Output {
        let mut command = Command::new(recorder_bin());
        if self.simulated_now.is_some() {
            command.env("CUSTOS_SIMULATED_NOW", self.now().0.to_string());
        }
        command
            .args(args)
            .envs(self.env.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .env("CUSTOS_LOG", "error")
            .output()
            .expect("the recorder runs")
    }

    /// Kills `serve` with SIGKILL, as a power cut or a crash would.
    pub fn kill_serving(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts `serve` again on the same data (on a new port).
    pub fn serve_again(&mut self, serve_args: &[&str]) {
        let now = self
            .simulated_now
            .as_ref()
            .map(|n| n.load(std::sync::atomic::Ordering::SeqCst));
        let (child, addr) = serve(&self.data_str(), serve_args, now, &self.env, None);
        self.child = child;
        self.base = addr;
    }

    /// Starts `serve` again with its address space limited to `bytes`
    /// (`prlimit --as`): a test of hostile input that a regression lets
    /// through then fails on its own recorder, not on the machine.
    pub fn serve_under_memory_limit(&mut self, bytes: u64, serve_args: &[&str]) {
        self.kill_serving();
        let now = self
            .simulated_now
            .as_ref()
            .map(|n| n.load(std::sync::atomic::Ordering::SeqCst));
        let (child, addr) = serve(&self.data_str(), serve_args, now, &self.env, Some(bytes));
        self.child = child;
        self.base = addr;
    }

    /// Whether `serve` is still running.
    pub fn serving(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The most memory `serve` has held so far (VmHWM), in bytes.
    pub fn peak_memory(&self) -> u64 {
        peak_memory_of(&self.child.id().to_string())
    }

    /// What `serve` holds in memory now.
    pub fn memory(&self) -> u64 {
        memory_of(&self.child.id().to_string())
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn data_str(&self) -> String {
        self.data().to_str().unwrap().to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    /// A one-time code for `person`, from the console.
    pub fn code(&self, person: &str) -> String {
        let text = ok(self.console(&["enroll", "--data", &self.data_str(), "--person", person, "--quiet"]));
        let payload: Value = serde_json::from_str(text.trim().strip_prefix("custos-enroll:").unwrap()).unwrap();
        payload["code"].as_str().unwrap().to_string()
    }

    /// Enrolls a new device for `person` with a key from `seed`.
    pub async fn enroll(&self, person: &str, seed: u8) -> TestDevice {
        let key = DeviceKey::from_seed(&[seed; 32]);
        let code = self.code(person);
        let res = self
            .post(
                "/v1/enroll",
                &json!({ "code": code, "public_key": key.public_key_hex() }),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        TestDevice {
            id: key.device_id(),
            key,
        }
    }

    /// A fresh challenge nonce for `device`.
    pub async fn challenge(&self, device: &DeviceId) -> String {
        let challenge: Value = self
            .post("/v1/auth/challenge", &json!({ "device_id": device.as_str() }))
            .await
            .json()
            .await
            .unwrap();
        challenge["nonce"].as_str().unwrap().to_string()
    }

    /// Answers `nonce` for `device` with a signature made by `key` (the device's own, or not).
    pub async fn answer(&self, device: &DeviceId, nonce: &str, key: &DeviceKey) -> reqwest::Response {
        let signature = key.sign(&auth_challenge_bytes(nonce, device));
        self.post(
            "/v1/auth/token",
            &json!({ "device_id": device.as_str(), "nonce": nonce, "signature": signature }),
        )
        .await
    }

    /// Signs in: challenge, signature, token.
    pub async fn token(&self, device: &TestDevice) -> String {
        let nonce = self.challenge(&device.id).await;
        let res = self.answer(&device.id, &nonce, &device.key).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }
}

pub struct TestDevice {
    pub key: DeviceKey,
    pub id: DeviceId,
}

/// The test camera (tests/camera), serving `streams` (name, kind) until dropped.
pub struct TestCamera {
    child: Child,
    pub urls: Vec<String>,
}

impl TestCamera {
    pub fn start(streams: &[(&str, &str)], audio: bool) -> TestCamera {
        TestCamera::start_on("0", streams, audio)
    }

    /// On a given port (to come back where it was).
    pub fn start_on(port: &str, streams: &[(&str, &str)], audio: bool) -> TestCamera {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/camera/custos_test_camera.py");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(script).args(["--port", port]);
        for (name, kind) in streams {
            cmd.args(["--stream", &format!("{name}={kind}")]);
        }
        if audio {
            cmd.arg("--audio");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test camera starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let urls = (0..streams.len())
            .map(|_| {
                lines
                    .next()
                    .expect("the camera announces its streams")
                    .unwrap()
                    .strip_prefix("ready ")
                    .unwrap()
                    .to_string()
            })
            .collect();
        TestCamera { child, urls }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestCamera {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The most memory process `pid` has held so far (VmHWM), in bytes.
pub fn peak_memory_of(pid: &str) -> u64 {
    status_bytes(pid, "VmHWM:")
}

/// The memory a process holds now (its resident set), in bytes.
pub fn memory_of(pid: &str) -> u64 {
    status_bytes(pid, "VmRSS:")
}

fn status_bytes(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"));
    kib * 1024
}

/// The SHA-256 of the certificate in a PEM file, as `init` printed it.
pub fn pem_fingerprint(path: &Path) -> String {
    let pem = std::fs::read_to_string(path).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine;
    sha256_hex(&base64::engine::general_purpose::STANDARD.decode(b64).unwrap())
}

/// A real segment made by ffmpeg (the test picture, H.264, fragmented MP4
/// as the recorder writes it), at `path`.
fn encode_test_picture(path: &Path, size: &str, rate: u32, seconds: u32) {
    encode_footage(path, &format!("testsrc=size={size}:rate={rate}:duration={seconds}"), 10);
}

/// Encodes ffmpeg's lavfi `source` with H.264, a keyframe every `gop`
/// frames, as the recorder writes segments (fragmented MP4).
pub fn encode_footage(path: &Path, source: &str, gop: u32) {
    custos_recorder::footage::testing::encode_footage(path, source, gop);
}

/// Real footage of `seconds` (small and at one frame a second, so a test
/// can lay out many files), encoded once per length per test process.
fn footage_of(seconds: u32) -> &'static [u8] {
    static ENCODED: std::sync::Mutex<Vec<(u32, &'static [u8])>> = std::sync::Mutex::new(Vec::new());
    let mut encoded = ENCODED.lock().unwrap();
    if let Some((_, bytes)) = encoded.iter().find(|(s, _)| *s == seconds) {
        return bytes;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("footage.mp4");
    encode_test_picture(&path, "160x120", 1, seconds);
    let bytes: &'static [u8] = Vec::leak(std::fs::read(path).unwrap());
    encoded.push((seconds, bytes));
    bytes
}

/// The bytes of each minute `put_footage` lays out.
pub fn minute_bytes() -> u64 {
    footage_of(60).len() as u64
}

/// Lays out real minutes of footage as the recorder names them, one file
/// per (camera, start in ms); the start-up reconcile indexes them by what
/// ffprobe reads, so footage ages on the test's clock and never through rows
/// written into the index.
pub fn put_footage(data: &Path, minutes: &[(&str, i64)]) {
    put_segments(data, minutes, 60);
}

/// As [`put_footage`], with segments of `seconds` each (a site recording
/// longer segments).
pub fn put_segments(data: &Path, starts: &[(&str, i64)], seconds: u32) {
    for (camera, start) in starts {
        let dir = custos_recorder::footage::paths::camera_dir(data, camera);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(custos_recorder::footage::paths::segment_file_name(*start));
        std::fs::write(file, footage_of(seconds)).unwrap();
    }
}

/// A Taipei wall-clock minute as the console takes it (`YYYY-MM-DD HH:MM`).
pub fn taipei_minute(t: custos_core::time::Timestamp) -> String {
    t.taipei_minute()
}

/// The codes of the audit rows of `kind` (`viewing_refused`,
/// `export_refused`), in order.
pub fn audited_codes(r: &Recorder, kind: &str) -> Vec<String> {
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    store
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|row| row.kind == kind)
        .map(|row| {
            serde_json::from_str::<serde_json::Value>(&row.detail).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}
