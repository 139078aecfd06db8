//! The real app, end to end: the Tauri binary driven through WebDriver
//! (tauri-driver and WebKitWebDriver, under Xvfb) against a real recorder
//! recording a real RTSP test camera on loopback. Enroll; the recorder
//! stopped; a whole walk-around check with one fault and a photo, made
//! offline; the recorder started; the check, the photo and the repair reach
//! the recorder; the supervisor's device countersigns; the printable log
//! shows the check and the seal.

use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use custos_app::registers;
use custos_app::store::LocalStore;
use custos_app::sync::{SyncClient, enroll, enrollment};
use custos_core::signing::DeviceKey;
use custos_journeys::{Site, TestCamera};
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A child process, and every process it started, killed when dropped
/// (tauri-driver leaves WebKitWebDriver and the app behind otherwise).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Running {
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

/// A W3C WebDriver session, spoken over plain HTTP.
struct Driver {
    http: reqwest::Client,
    session: String,
}

impl Driver {
    async fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("http://127.0.0.1:4444/session/{}{path}", self.session);
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let reply: Value = req.send().await.unwrap().json().await.unwrap();
        reply["value"].clone()
    }

    async fn start(http: reqwest::Client, app: &str) -> Driver {
        let caps = json!({ "capabilities": { "alwaysMatch": { "tauri:options": { "application": app } } } });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = http.post("http://127.0.0.1:4444/session").json(&caps).send().await {
                let v: Value = res.json().await.unwrap();
                if let Some(id) = v["value"]["sessionId"].as_str() {
                    return Driver {
                        http,
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
    async fn js(&self, script: &str, args: Value) -> Value {
        self.request(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// The first element matching `css` whose text contains `text`, waiting for it.
    async fn find(&self, css: &str, text: &str) -> Value {
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

    async fn click(&self, element: &Value) {
        self.js(
            "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
            json!([element]),
        )
        .await;
    }

    async fn type_into(&self, element: &Value, text: &str) {
        let id = element[ELEMENT].as_str().unwrap();
        self.request(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn text_of(&self, css: &str) -> String {
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
    async fn wait_text(&self, css: &str, text: &str) {
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

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("http://127.0.0.1:4444/session/{}", self.session))
            .send()
            .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_walk_around_check_in_the_real_app_reaches_the_recorder() {
    let camera = TestCamera::start(&[("gate", "moving"), ("hall", "moving")]);
    let mut site = Site::recording(&camera.urls);
    let home = tempfile::tempdir().unwrap();
    let display = format!(":{}", 90 + std::process::id() % 400);
    let _xvfb = spawn(
        "Xvfb",
        &[&display, "-screen", "0", "1024x1366x24", "-nolisten", "tcp"],
        &[],
    );
    let data_home = home.path().join("data");
    assert!(
        std::net::TcpListener::bind("127.0.0.1:4444").is_ok() && std::net::TcpListener::bind("127.0.0.1:4445").is_ok(),
        "ports 4444/4445 are taken: another tauri-driver or WebKitWebDriver is running"
    );
    let _driver = spawn(
        "tauri-driver",
        &[],
        &[
            ("DISPLAY", &display),
            ("XDG_DATA_HOME", data_home.to_str().unwrap()),
            ("HOME", home.path().to_str().unwrap()),
        ],
    );
    let app = custos_journeys::app_bin();
    let app = app.to_str().unwrap();
    // The app's reqwest has no TLS provider of its own; WebDriver is plain HTTP anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let d = Driver::start(http, app).await;

    // Enroll by pasting the recorder's text; the app syncs the site at once.
    let textarea = d.find("textarea#enroll-text", "").await;
    d.type_into(&textarea, &site.enrollment_text("黃巡檢")).await;
    d.click(&d.find("button[type=submit]", "註冊").await).await;
    d.wait_text("header", "測試幼兒園").await;
    d.wait_text(".syncbar", "全部已送到錄影主機").await;

    // Let the recorder record and measure a little, then open the check online once
    // (measurements pre-fill it), and go offline.
    tokio::time::sleep(Duration::from_secs(6)).await;
    site.stop();
    d.click(&d.find(".syncbar button", "立即同步").await).await;
    d.wait_text(".syncbar", "離線").await;

    // The whole check, offline: cam-02's picture is not clear; a photo of it.
    d.click(&d.find("nav button", "巡檢").await).await;
    d.find("fieldset[data-camera=cam-02]", "").await;
    let picture = d.find("fieldset[data-camera=cam-02] label", "畫面清晰").await;
    let checked = d
        .js("return arguments[0].querySelector('input').checked;", json!([picture]))
        .await;
    if checked == json!(true) {
        d.click(&picture).await;
    }
    let handling = d.find("textarea", "").await;
    d.type_into(&handling, "鏡頭起霧，已擦拭並通知廠商").await;
    let photo = home.path().join("fault.png");
    image::RgbImage::from_pixel(800, 600, image::Rgb([120, 130, 140]))
        .save(&photo)
        .unwrap();
    let file_input = d.find("input[type=file]", "").await;
    d.type_into(&file_input, photo.to_str().unwrap()).await;
    d.find(".thumbs img", "").await;
    d.click(&d.find("button[type=submit]", "送出檢查紀錄").await).await;
    d.wait_text("[role=status]", "已開立報修").await;
    d.wait_text(".syncbar", "筆尚未送到錄影主機").await;

    // The recorder comes back; everything goes out.
    site.start();
    d.click(&d.find(".syncbar button", "立即同步").await).await;
    d.wait_text(".syncbar", "全部已送到錄影主機").await;

    // On the recorder: the check with its fault and photo, the repair, the photo's bytes.
    let supervisor_dir = tempfile::tempdir().unwrap();
    let key = DeviceKey::from_seed(&[77; 32]);
    let store = Mutex::new(LocalStore::open(&supervisor_dir.path().join("s.sqlite"), key.device_id()).unwrap());
    enroll(&store, &key, &site.enrollment_text("陳園長")).await.unwrap();
    sync_device(&store, 77).await;
    let store = &store;
    let now = custos_clock::Clock::now(&custos_clock::SystemClock).taipei_date();
    let month = registers::month(store, now.year, now.month).unwrap();
    let (entry_id, entry) = month.checks.iter().next().expect("the check reached the recorder");
    assert!(!entry.cameras["cam-02"].picture_clear);
    assert_eq!(entry.handling, "鏡頭起霧，已擦拭並通知廠商");
    assert_eq!(entry.photos.len(), 1, "the photo is named in the check");
    assert_eq!(month.repairs.len(), 1, "the fault opened a repair");
    let blobs: i64 = rusqlite::Connection::open(site.database())
        .unwrap()
        .query_row("SELECT COUNT(*) FROM blobs WHERE hash = ?1", [&entry.photos[0]], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(blobs, 1, "the photo itself reached the recorder");

    // The supervisor countersigns (核章) from their device.
    let me: custos_core::ids::PersonId = enrollment(store).unwrap().unwrap().enrolled.person_id.parse().unwrap();
    let signer = registers::Signer {
        person: &me,
        key: &key,
        now: custos_clock::Clock::now(&custos_clock::SystemClock),
        id: custos_core::ids::EntryId::from_parts(custos_clock::Clock::now(&custos_clock::SystemClock).0 as u64, 7),
    };
    let key_month = registers::month_of(custos_clock::Clock::now(&custos_clock::SystemClock));
    registers::countersign_check(
        store,
        &key_month,
        entry_id,
        &[custos_core::roles::Role::Supervisor],
        signer,
    )
    .unwrap();
    sync_device(store, 77).await;

    // The app's printable log shows the check, the inspector and the seal.
    d.click(&d.find(".syncbar button", "立即同步").await).await;
    d.click(&d.find("nav button", "紀錄").await).await;
    d.wait_text("table", "黃巡檢").await;
    let form = d.find("select", "").await;
    d.js(
        "arguments[0].value = '004'; arguments[0].dispatchEvent(new Event('change'));",
        json!([form]),
    )
    .await;
    d.wait_text("table", "☑畫面異常").await;
    d.wait_text("table", "已核章").await;
    assert!(d.text_of("table").await.contains("陳園長"));
    d.quit().await;
}

/// One sync round of a device whose key comes from `seed`.
async fn sync_device(store: &Mutex<LocalStore>, seed: u8) {
    let e = enrollment(store).unwrap().unwrap();
    let key = std::sync::Arc::new(DeviceKey::from_seed(&[seed; 32]));
    let mut client = SyncClient::for_enrollment(&e, key).unwrap();
    client
        .sync_once(
            store,
            custos_clock::Clock::now(&custos_clock::SystemClock).0,
            &mut |_| {},
        )
        .await
        .unwrap();
}
