//! 複製 on the real app under WebDriver against a real recorder holding a
//! recorded minute: an agency's copy application filed and approved on
//! other devices (through the app's Rust side); the manager's tablet asks
//! for the export after a confirmation, follows it to done and shows where
//! it is on the recorder's disk and the site key's fingerprint; the archive
//! is there and verifies; once synced the case says it was copied, states
//! the fingerprint and offers no second export; the logbook lists 複製.

use std::process::Command;

use custos_app::registers::{self, DecisionRequest};
use custos_core::ids::EntryId;
use custos_core::roles::Role;
use custos_journeys::Site;
use custos_journeys::headless::{Headless, now};
use custos_journeys::webdriver::Tablet;
use serde_json::json;

const PEOPLE: &[(&str, &str)] = &[("林專責", "manager"), ("王承辦", "manager"), ("吳首長", "head")];

#[tokio::test(flavor = "multi_thread")]
async fn the_manager_exports_an_agencys_copy_from_the_tablet_to_the_recorders_disk() {
    let (site, day, _) = Site::office_with_yesterdays_minute(PEOPLE);
    let disk = tempfile::tempdir().unwrap();
    let set = site.console(&["export", "disk"], &["--set", disk.path().to_str().unwrap()]);
    assert!(set.contains("written to"), "{set}");

    // The agency's letter, filed and approved on other devices.
    let filer = Headless::enroll(&site, "王承辦", 61).await;
    let head = Headless::enroll(&site, "吳首長", 62).await;
    let draft: registers::ApplicationDraft = serde_json::from_value(json!({
        "applicant_kind": "public_agency", "applicant_name": "苗栗縣警察局", "unit": "大湖分局",
        "cameras": ["cam-01"], "from": format!("{day} 09:00"), "to": format!("{day} 09:01"),
        "reason": "偵辦竊盜案", "category": "crime_or_lawsuit", "kinds": ["copy"],
        "attachments": [{ "kind": "official_letter", "reference": "苗警湖刑字第1150001號", "blob": null }],
        "official_letter": {
            "number": "苗警湖刑字第1150001號", "date": day, "legal_basis": "刑事訴訟法第133條",
            "purpose": "偵辦竊盜案", "scope": "大門攝影機 09:00-09:01", "intended_use": "刑案證據"
        },
        "phone": "0912345678", "officer_id": "警員 A123456789"
    }))
    .unwrap();
    let id = EntryId::from_parts(now().0 as u64, 601);
    registers::file_application(&filer.store, &filer.me(), draft, now(), id.clone(), "11".repeat(32)).unwrap();
    filer.sync().await;
    head.sync().await;
    registers::decide(&head.store, &id, DecisionRequest::Approve, Role::Head, head.signer(1)).unwrap();
    head.sync().await;

    // The manager's tablet.
    let tablet = Tablet::enrolled(&site, "林專責", 4480).await;
    let d = &tablet.driver;
    d.click_on("nav button", "調閱").await;
    d.click_on("button.case", "苗栗縣警察局").await;
    d.wait_text("#case-export", "複製").await;
    assert_eq!(
        d.js(
            "return [...document.querySelectorAll('button')].some((b) => b.textContent.includes('開始陪同閱覽'));",
            json!([])
        )
        .await,
        json!(false),
        "a copy-only application offers no viewing"
    );
    d.click_on("button", "匯出複製檔").await;
    d.click_on("button", "確定匯出").await;
    let card = "section[aria-labelledby=case-export]";
    d.wait_text(card, "場域金鑰指紋").await;
    let shown = d.text_of(card).await;
    let key = site.console(&["export", "key"], &[]);
    let fingerprint = key
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint (SHA-256 of the key's DER): "))
        .unwrap()
        .to_string();
    assert!(shown.contains(&fingerprint), "{shown}");

    // The archive is on the recorder's disk for exports, and verifies.
    let archive = std::fs::read_dir(disk.path())
        .unwrap()
        .flatten()
        .next()
        .expect("an archive")
        .path();
    assert!(
        shown.contains(archive.file_name().unwrap().to_str().unwrap()),
        "{shown}"
    );
    let out = Command::new(custos_journeys::recorder_bin())
        .args([
            "export",
            "verify",
            archive.to_str().unwrap(),
            "--fingerprint",
            &fingerprint,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Synced: the case says it was copied, with the fingerprint, and offers
    // no second export; the logbook lists the copy.
    d.click_on(".syncbar button", "立即同步").await;
    d.wait_text(".syncbar", "全部已送到錄影主機").await;
    d.click_on("button", "返回列表").await;
    d.click_on("button.case", "苗栗縣警察局").await;
    d.wait_text("p.ok[role=note]", "已複製").await;
    assert!(d.text_of("p.ok[role=note]").await.contains(&fingerprint));
    d.click_on("nav button", "調閱").await;
    d.click_on("button", "調閱登記簿").await;
    d.wait_text("li.entry", "苗栗縣警察局").await;
    let entry = d.text_of("li.entry").await;
    assert!(entry.contains("複製：匯出檔已寫入並驗證"), "{entry}");
    d.quit().await;
}
