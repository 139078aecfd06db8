//! The real app, end to end: the Tauri binary driven through WebDriver
//! (tauri-driver and WebKitWebDriver, under Xvfb) against a real recorder
//! recording a real RTSP test camera on loopback. Enroll; the recorder
//! stopped; a whole walk-around check with one fault and a photo, made
//! offline; the recorder started; the check, the photo and the repair reach
//! the recorder; the supervisor's device countersigns; the printable log
//! shows the check and the seal.

use std::sync::Mutex;
use std::time::Duration;

use custos_app::registers;
use custos_app::store::LocalStore;
use custos_app::sync::{SyncClient, enroll, enrollment};
use custos_core::signing::DeviceKey;
use custos_journeys::webdriver::{Driver, display, tauri_driver};
use custos_journeys::{Site, TestCamera};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn the_walk_around_check_in_the_real_app_reaches_the_recorder() {
    let camera = TestCamera::start(&[("gate", "moving"), ("hall", "moving")]);
    let mut site = Site::recording(&camera.urls);
    let home = tempfile::tempdir().unwrap();
    let (display, _xvfb) = display();
    let _driver = tauri_driver(&display, home.path(), 4444);
    let app = custos_journeys::app_bin();
    let d = Driver::start(4444, app.to_str().unwrap()).await;

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
    let me = custos_journeys::enrolled_person(store);
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
