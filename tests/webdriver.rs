//! The real app under WebDriver: a display (Xvfb), one tauri-driver per app
//! instance (its own ports and data directory, so several people's devices
//! run side by side), a W3C session spoken over plain HTTP, and a link to
//! the recorder that a test can cut and restore, to put one device offline
//! while the others stay online.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A child process, and every process it started, killed when dropped
/// (tauri-driver leaves WebKitWebDriver and the app behind otherwise).
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Running {
    use std::os::unix::process::CommandExt;
    let child = Command::new(program)
        .args(args)
        .process_group(0)
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} could not start ({e}); `cargo xtask test` installs it"));
    Running(child)
}

/// A virtual display for the apps' windows, one per call (the tests of one
/// binary run side by side).
pub fn display() -> (String, Running) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let display = format!(":{}", 90 + (std::process::id() % 400) * 8 + n % 8);
    let xvfb = spawn(
        "Xvfb",
        &[&display, "-screen", "0", "1024x1366x24", "-nolisten", "tcp"],
        &[],
    );
    (display, xvfb)
}

/// A tauri-driver on `port` (its WebKitWebDriver on `port + 1`), whose apps
/// keep their data under `home`: one per device.
pub fn tauri_driver(display: &str, home: &Path, port: u16) -> Running {
    for p in [port, port + 1] {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", p)).is_ok(),
            "port {p} is taken: another tauri-driver or WebKitWebDriver is running"
        );
    }
    let data = home.join("data");
    let (port, native) = (port.to_string(), (port + 1).to_string());
    spawn(
        "tauri-driver",
        &["--port", &port, "--native-port", &native],
        &[
            ("DISPLAY", display),
            ("XDG_DATA_HOME", data.to_str().unwrap()),
            ("HOME", home.to_str().unwrap()),
        ],
    )
}

/// A W3C WebDriver session, spoken over plain HTTP.
pub struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Driver {
    async fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let reply: Value = req.send().await.unwrap().json().await.unwrap();
        reply["value"].clone()
    }

    /// A session of the app `app` on the tauri-driver at `port`.
    pub async fn start(port: u16, app: &str) -> Driver {
        // The app's reqwest has no TLS provider of its own; WebDriver is plain HTTP anyway.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let caps = json!({ "capabilities": { "alwaysMatch": { "tauri:options": { "application": app } } } });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = http.post(format!("{base}/session")).json(&caps).send().await {
                let v: Value = res.json().await.unwrap();
                if let Some(id) = v["value"]["sessionId"].as_str() {
                    return Driver {
                        http,
                        base,
                        session: id.to_string(),
                    };
                }
                assert!(Instant::now() < deadline, "no WebDriver session: {v}");
            }
            assert!(Instant::now() < deadline, "tauri-driver did not answer");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Runs `script` in the page (with `arguments`), returning its value.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.request(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Runs `script` in the page as an async script: it answers by calling
    /// its last argument.
    pub async fn js_async(&self, script: &str, args: Value) -> Value {
        self.request(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Calls one of the app's commands from the page, as the UI does, and
    /// waits for its answer (a thrown error comes back as `{ "error": ... }`).
    pub async fn invoke(&self, command: &str) -> Value {
        self.request(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({
                "script": "const done = arguments[arguments.length - 1];
                           window.__TAURI_INTERNALS__.invoke(arguments[0]).then(done, (e) => done({ error: e }));",
                "args": [command],
            })),
        )
        .await
    }

    /// The first element matching `css` whose text contains `text`, waiting for it.
    pub async fn find(&self, css: &str, text: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self
                .js(
                    "return [...document.querySelectorAll(arguments[0])].find(e => e.innerText.includes(arguments[1])) || null;",
                    json!([css, text]),
                )
                .await;
            if found.get(ELEMENT).is_some() {
                return found;
            }
            if Instant::now() > deadline {
                let page = self
                    .js("return document.documentElement.outerHTML.slice(0, 3000);", json!([]))
                    .await;
                panic!("no {css} with {text:?} appeared; the page: {page}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn click(&self, element: &Value) {
        self.js(
            "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
            json!([element]),
        )
        .await;
    }

    /// Clicks the first `css` whose text contains `text`, once it appears.
    pub async fn click_on(&self, css: &str, text: &str) {
        let element = self.find(css, text).await;
        self.click(&element).await;
    }

    pub async fn type_into(&self, element: &Value, text: &str) {
        let id = element[ELEMENT].as_str().unwrap();
        self.request(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Sets an input's or a select's value as a person's typing would
    /// (the `input` and `change` events the screen listens to): WebKit's
    /// date and time pickers take no typed keys.
    pub async fn set_value(&self, css: &str, value: &str) {
        let element = self.find(css, "").await;
        self.js(
            "const e = arguments[0]; e.value = arguments[1];
             e.dispatchEvent(new Event('input', { bubbles: true }));
             e.dispatchEvent(new Event('change', { bubbles: true }));",
            json!([element, value]),
        )
        .await;
    }

    pub async fn text_of(&self, css: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Waits until the text of `css` contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.text_of(css).await.contains(text) {
            assert!(
                Instant::now() < deadline,
                "{css} never showed {text:?}; it shows {:?}",
                self.text_of(css).await
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    pub async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

/// A device's network path to the recorder: a TCP relay on its own port
/// that can be cut (connections dropped, new ones refused) and restored,
/// as a phone leaving and coming back into Wi-Fi range.
pub struct Link {
    pub port: u16,
    up: Arc<AtomicBool>,
    /// Told on each cut: every open relay ends at once.
    cuts: tokio::sync::watch::Sender<u64>,
    /// Relays still open.
    live: Arc<AtomicUsize>,
}

impl Link {
    /// A relay to the recorder on `recorder_port`; runs on the current tokio runtime.
    pub async fn to(recorder_port: u16) -> Link {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let live = Arc::new(AtomicUsize::new(0));
        let (cuts, _) = tokio::sync::watch::channel(0u64);
        let (up_, live_, cuts_) = (up.clone(), live.clone(), cuts.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up_.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let mut cut = cuts_.subscribe();
                live_.fetch_add(1, Ordering::SeqCst);
                let live = live_.clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", recorder_port)).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut.changed() => {}
                        }
                    }
                    drop(inbound);
                    live.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Link { port, up, cuts, live }
    }

    /// Out of range: new connections are refused, and this returns once
    /// every open one has dropped.
    pub async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
        while self.live.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// The recorder's enrollment text, addressed through this link.
    pub fn enrollment_text(&self, text: &str, recorder_port: u16) -> String {
        let direct = format!("https://127.0.0.1:{recorder_port}");
        assert!(text.contains(&direct), "the enrollment text names {direct}: {text}");
        text.replace(&direct, &format!("https://127.0.0.1:{}", self.port))
    }
}

/// A tablet: the real app under tauri-driver on a display and a home of its
/// own, reaching the recorder through a [`Link`], enrolled for a person of
/// the site and synced.
pub struct Tablet {
    pub driver: Driver,
    /// The app's home: its data and cache directories (WebKit's too).
    pub home: tempfile::TempDir,
    pub link: Link,
    _tauri_driver: Running,
    _xvfb: Running,
}

impl Tablet {
    /// Enrolls `person` of `site` on a new tablet whose tauri-driver listens
    /// on `port` (and `port + 1`), and waits for its first sync.
    pub async fn enrolled(site: &crate::Site, person: &str, port: u16) -> Tablet {
        let (display, xvfb) = display();
        let home = tempfile::tempdir().unwrap();
        let tauri = tauri_driver(&display, home.path(), port);
        let link = Link::to(site.port()).await;
        let driver = Driver::start(port, crate::app_bin().to_str().unwrap()).await;
        let textarea = driver.find("textarea#enroll-text", "").await;
        driver
            .type_into(
                &textarea,
                &link.enrollment_text(&site.enrollment_text(person), site.port()),
            )
            .await;
        driver.click_on("button[type=submit]", "註冊").await;
        driver.wait_text(".syncbar", "全部已送到錄影主機").await;
        Tablet {
            driver,
            home,
            link,
            _tauri_driver: tauri,
            _xvfb: xvfb,
        }
    }
}
