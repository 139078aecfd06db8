//! The one accompanied viewing (閱覽) on the real app under WebDriver
//! against a real recorder holding a recorded minute: applications filed
//! and approved on other devices (through the app's Rust side); the
//! manager's tablet checks the viewer, opens the session, scrubs, plays and
//! ends it; the recorder's logbook entry reaches the tablet and is
//! countersigned by the manager and the supervisor; a second viewing is
//! refused on screen; no menu, no drag; the frame refused to another device
//! and after the end; and no served frame left on the tablet's disk.

use std::path::Path;

use base64::Engine;
use custos_app::registers::{self, DecisionRequest};
use custos_core::ids::EntryId;
use custos_core::roles::Role;
use custos_core::signing::DeviceKey;
use custos_journeys::Site;
use custos_journeys::headless::{Headless, now};
use custos_journeys::webdriver::{Driver, Tablet};
use serde_json::json;

const PEOPLE: &[(&str, &str)] = &[
    ("林專責", "manager"),
    ("王承辦", "manager"),
    ("吳首長", "head"),
    ("張主任", "supervisor"),
];

/// `needle` (a served frame) anywhere in a file under `dir`.
fn holds_bytes(dir: &Path, needle: &[u8]) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = holds_bytes(&path, needle) {
                return Some(found);
            }
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            return Some(path);
        }
    }
    None
}

/// Fetches the frame at `t` in the page, as the screen does: status and bytes.
async fn fetch_in_page(d: &Driver, session: &str, t: i64) -> (u64, Vec<u8>) {
    let answer = d
        .js_async(
            "const done = arguments[arguments.length - 1];
             fetch(`custosframe://localhost/${arguments[0]}/cam-01/${arguments[1]}`, { cache: 'no-store' })
               .then(async (r) => { const b = new Uint8Array(await r.arrayBuffer()); let s = '';
                 for (const x of b) s += String.fromCharCode(x); done({ status: r.status, body: btoa(s) }); })
               .catch((e) => done({ status: 0, body: '', error: String(e) }));",
            json!([session, t]),
        )
        .await;
    let body = base64::engine::general_purpose::STANDARD
        .decode(answer["body"].as_str().unwrap_or_default())
        .unwrap();
    (answer["status"].as_u64().unwrap_or(0), body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_escort_opens_scrubs_plays_and_ends_the_one_viewing_and_the_logbook_is_countersigned() {
    let (site, day, minute) = Site::office_with_yesterdays_minute(PEOPLE);

    // Two applications, filed and approved on other devices.
    let filer = Headless::enroll(&site, "王承辦", 51).await;
    let head = Headless::enroll(&site, "吳首長", 52).await;
    let supervisor = Headless::enroll(&site, "張主任", 53).await;
    let mut ids = Vec::new();
    for (n, name) in [(1u128, "李先生"), (2, "趙小姐")] {
        let draft: registers::ApplicationDraft = serde_json::from_value(json!({
            "applicant_kind": "citizen", "applicant_name": name,
            "national_id": "A123456789", "phone": "0912345678",
            "cameras": ["cam-01"], "from": format!("{day} 09:00"), "to": format!("{day} 09:02"),
            "reason": "遺失皮夾，請求查看櫃檯前畫面",
            "category": custos_core::policy::PolicyProfile::builtin(custos_core::seeds::DAHU_OFFICE).unwrap()
                .application_form(custos_core::terms::ApplicantKind::Citizen).unwrap()
                .categories.first().copied().unwrap_or(custos_core::terms::Category::Other),
            "kinds": ["view"], "major_or_abnormal": false, "signature": "5c".repeat(32),
        }))
        .unwrap();
        let id = EntryId::from_parts(now().0 as u64, 500 + n);
        registers::file_application(&filer.store, &filer.me(), draft, now(), id.clone(), "11".repeat(32)).unwrap();
        ids.push(id);
    }
    filer.sync().await;
    head.sync().await;
    for (n, id) in ids.iter().enumerate() {
        registers::decide(
            &head.store,
            id,
            DecisionRequest::Approve,
            Role::Head,
            head.signer(n as u128),
        )
        .unwrap();
    }
    head.sync().await;

    // The manager's tablet.
    let tablet = Tablet::enrolled(&site, "林專責", 4470).await;
    let d = &tablet.driver;
    d.click_on("nav button", "調閱").await;
    d.click_on("button.case", "李先生").await;
    d.wait_text("main h2", "李先生").await;
    d.click_on("button", "開始陪同閱覽").await;
    d.wait_text("main", "核對閱覽人身分").await;
    assert!(d.text_of("main").await.contains("6789"), "the ID's last four are shown");
    d.click_on("label.check", "身分證件").await;
    d.click_on("button", "開啟閱覽").await;
    d.find(".frame img", "").await;
    let loaded = d
        .js(
            "const i = document.querySelector('.frame img'); return i.complete ? i.naturalWidth : 0;",
            json!([]),
        )
        .await;
    assert!(loaded.as_u64().unwrap_or(0) >= 640 || loaded == 0, "{loaded}");
    let session = d
        .js(
            "return document.querySelector('[data-session]').dataset.session;",
            json!([]),
        )
        .await
        .as_str()
        .unwrap()
        .to_string();

    // No menu on a right-click or a long press, no drag.
    let blocked = d
        .js(
            "const f = document.querySelector('.frame');
             const menu = !f.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true }));
             const drag = !f.dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true }));
             return [menu, drag, document.querySelector('.frame img').getAttribute('draggable')];",
            json!([]),
        )
        .await;
    assert_eq!(blocked, json!([true, true, "false"]));

    // Scrub to 30 s, then play a second and pause.
    d.set_value("input[type=range]", &(minute.0 + 30_000).to_string()).await;
    d.wait_text(".when", "09:00:30").await;
    d.click_on("button", "播放").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    d.click_on("button", "暫停").await;
    let played = d.text_of(".when").await;
    assert!(!played.contains("09:00:30"), "play moved on: {played}");

    // A served frame as the page gets it; refused to another device.
    let (status, frame) = fetch_in_page(d, &session, minute.0 + 12_000).await;
    assert_eq!(status, 200);
    assert!(frame.len() > 4_096 && frame[..2] == [0xFF, 0xD8], "a JPEG");
    let other = filer
        .client
        .lock()
        .await
        .viewing_frame(
            &session,
            &custos_api::viewing::FrameQuery {
                camera: "cam-01".into(),
                t: minute.0 + 12_000,
                mode: None,
            },
            now().0,
        )
        .await;
    assert!(other.is_err(), "another device's token is refused");

    // The end, after a confirmation; the frame is refused after it.
    d.click_on("button", "結束閱覽").await;
    d.click_on("button", "確定結束").await;
    d.wait_text("[role=status]", "閱覽已結束").await;
    let (status, _) = fetch_in_page(d, &session, minute.0 + 12_000).await;
    assert_eq!(status, 410, "no frame after the end");

    // The entry reaches the tablet; the manager countersigns it here, the
    // supervisor on their device.
    d.click_on(".syncbar button", "立即同步").await;
    d.wait_text(".syncbar", "全部已送到錄影主機").await;
    d.click_on("nav button", "調閱").await;
    d.click_on("button", "調閱登記簿").await;
    d.wait_text("main", "李先生").await;
    let entry = d.text_of("li.entry").await;
    assert!(entry.contains("由陪同人員結束") && entry.contains("09:00:"), "{entry}");
    d.click_on("li.entry button", "核章").await;
    d.click_on("li.entry button", "確認核章").await;
    d.wait_text("li.entry", "林專責").await;
    d.click_on(".syncbar button", "立即同步").await;
    d.wait_text(".syncbar", "全部已送到錄影主機").await;
    supervisor.sync().await;
    let year = now().taipei_date().year;
    let view = registers::logbook_view(&supervisor.store, year, &[Role::Supervisor]).unwrap();
    let (entry_id, _) = view.entries.iter().next().expect("the entry reached the supervisor");
    registers::countersign_logbook(
        &supervisor.store,
        year,
        entry_id,
        &[Role::Supervisor],
        supervisor.signer(9),
    )
    .unwrap();
    supervisor.sync().await;
    let view = registers::logbook_view(&supervisor.store, year, &[Role::Supervisor]).unwrap();
    assert_eq!(
        view.countersigned[entry_id].len(),
        2,
        "the manager and the supervisor countersigned"
    );

    // A second viewing: this escort has 趙小姐 at the tablet and checked the
    // ID card when the other manager's tablet opens her viewing first; the
    // recorder's refusal is said on screen. (Once the tablet has learned of
    // that viewing it no longer offers to open one, so the escort is on the
    // opening screen before it happens.)
    d.click_on("nav button", "調閱").await;
    d.click_on("button.case", "趙小姐").await;
    d.click_on("button", "開始陪同閱覽").await;
    d.click_on("label.check", "身分證件").await;
    let filer_key = std::sync::Arc::new(DeviceKey::from_seed(&[51; 32]));
    let case = registers::application_view(&filer.store, &filer.me(), &ids[1])
        .unwrap()
        .case;
    let me = filer.me();
    filer
        .client
        .lock()
        .await
        .open_viewing(
            |nonce| {
                custos_core::viewing::ViewingOpening::sign(
                    custos_core::viewing::OpeningDraft {
                        application: case.id.clone(),
                        case_hash: case.content_hash(),
                        escort: me,
                        role: Role::Manager,
                        nonce,
                        applicant_checked: true,
                        applicant_signature: None,
                        signed_at: now(),
                    },
                    &filer_key,
                )
            },
            now().0,
        )
        .await
        .unwrap();
    d.click_on("button", "開啟閱覽").await;
    d.wait_text("[role=alert]", "本申請已調閱過一次").await;
    assert!(
        d.text_of("[role=alert]").await.contains("one viewing"),
        "the recorder's own words follow"
    );

    // Nothing served is left on the tablet's disk (data, cache, WebKit's).
    d.quit().await;
    let needle = &frame[frame.len() / 2..frame.len() / 2 + 512];
    assert_eq!(
        holds_bytes(tablet.home.path(), needle),
        None,
        "a served frame was written to disk"
    );
}
