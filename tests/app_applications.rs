//! An application from filing to approval on a kindergarten, five people,
//! the real app under WebDriver against a real recorder. The manager's
//! tablet, the parent representative's phone and the principal's phone are
//! app instances (each its own data directory, driver ports and link to the
//! recorder, which the test can cut); the supervisor and the staff
//! representative sign through the app's Rust side on their own stores.
//! The manager files a guardian's application for a suspected improper
//! treatment, the guardian signs on the tablet; the manager and the
//! supervisor sign; the representatives vote while offline, then sync; the
//! principal's phone syncs, goes offline, approves, and syncs; every device
//! shows it approved; 附件1 prints its boxes with ROC dates and the votes
//! as an annex.

use custos_app::registers::{self, DecisionRequest};
use custos_core::ids::EntryId;
use custos_core::roles::Role;
use custos_journeys::Site;
use custos_journeys::headless::{Headless, now};
use custos_journeys::webdriver::{Driver, Link, display, tauri_driver};
use serde_json::json;

const PEOPLE: &[(&str, &str)] = &[
    ("林專責", "manager"),
    ("張主任", "supervisor"),
    ("陳老師", "committee_staff"),
    ("吳家長", "committee_parent"),
    ("陳園長", "head"),
];

/// What these journeys ask of a device with no window: its one
/// application, and a decision on it.
trait Deciding {
    fn application(&self) -> registers::ApplicationView;
    fn decide(&self, role: Role, decision: DecisionRequest) -> registers::ApplicationView;
}

impl Deciding for Headless {
    /// The one application this device holds.
    fn application(&self) -> registers::ApplicationView {
        let mut all = registers::applications(&self.store, &self.me()).unwrap();
        assert_eq!(all.len(), 1, "one application on this device");
        all.remove(0)
    }

    fn decide(&self, role: Role, decision: DecisionRequest) -> registers::ApplicationView {
        let id = self.application().case.id;
        registers::decide(&self.store, &id, decision, role, self.signer(0)).unwrap()
    }
}

/// An app instance: its tauri-driver, session and link to the recorder.
struct Phone {
    d: Driver,
    link: Link,
    _driver: custos_journeys::webdriver::Running,
    _home: tempfile::TempDir,
}

impl Phone {
    async fn start(site: &Site, display: &str, port: u16, person: &str) -> Phone {
        let home = tempfile::tempdir().unwrap();
        let driver = tauri_driver(display, home.path(), port);
        let link = Link::to(site.port()).await;
        let d = Driver::start(port, custos_journeys::app_bin().to_str().unwrap()).await;
        let textarea = d.find("textarea#enroll-text", "").await;
        d.type_into(
            &textarea,
            &link.enrollment_text(&site.enrollment_text(person), site.port()),
        )
        .await;
        d.click_on("button[type=submit]", "註冊").await;
        d.wait_text("header", "測試幼兒園").await;
        d.wait_text(".syncbar", "全部已送到錄影主機").await;
        Phone {
            d,
            link,
            _driver: driver,
            _home: home,
        }
    }

    /// The person taps 立即同步; returns once a whole round has run after
    /// the tap (the bar may still show the last round's words until then).
    async fn sync_now(&self, expect: &str) {
        self.d.click_on(".syncbar button", "立即同步").await;
        let round = self.d.invoke("sync_now").await;
        assert!(round.get("error").is_none(), "{round}");
        self.d.wait_text(".syncbar", expect).await;
    }

    /// Out of range: the next round finds the recorder unreachable.
    async fn go_offline(&self) {
        self.link.cut().await;
        self.sync_now("離線").await;
    }

    async fn come_back(&self) {
        self.link.restore();
        self.sync_now("全部已送到錄影主機").await;
    }

    async fn open_case(&self, applicant: &str) {
        self.d.click_on("nav button", "調閱").await;
        self.d.click_on("button.case", applicant).await;
        self.d.wait_text("main h2", applicant).await;
    }

    /// Chooses `action` on the case page and signs it.
    async fn sign(&self, action: &str) {
        self.d.click_on("button", action).await;
        self.d.click_on("button", "確認簽署").await;
        self.d.wait_text("[role=status]", "已簽署").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guardians_application_is_filed_signed_voted_offline_and_approved_on_five_devices() {
    let profile = custos_core::policy::PolicyProfile::builtin(custos_core::seeds::KAOHSIUNG_KINDERGARTEN).unwrap();
    let site = Site::with_profile(&profile.to_json(), PEOPLE);
    let (display, _xvfb) = display();

    // The manager files on the tablet: 附件1 for a guardian.
    let tablet = Phone::start(&site, &display, 4460, "林專責").await;
    let d = &tablet.d;
    d.click_on("nav button", "調閱").await;
    d.click_on("button", "新增調閱申請").await;
    d.find("#f-applicant_name", "").await;
    for (field, text) in [
        ("#f-applicant_name", "王小明家長"),
        ("#f-national_id", "A123456789"),
        ("#f-phone", "0912345678"),
        ("#f-relation", "父親"),
        ("#f-unit", "大班"),
        ("#f-reason", "幼兒手臂瘀青，家長請求查看午睡時段"),
    ] {
        let input = d.find(field, "").await;
        d.type_into(&input, text).await;
    }
    d.js(
        "document.querySelector('#f-cameras input[type=checkbox]').click();",
        json!([]),
    )
    .await;
    let yesterday = custos_core::time::Timestamp(now().0 - 86_400_000).taipei_date();
    let day = format!("{:04}-{:02}-{:02}", yesterday.year, yesterday.month, yesterday.day);
    d.set_value("#f-window label:nth-of-type(1) input", &format!("{day}T12:30"))
        .await;
    d.set_value("#f-window label:nth-of-type(2) input", &format!("{day}T13:30"))
        .await;
    d.set_value("#f-category", "suspected_improper_treatment").await;
    // The recorder records nothing here: the screen says the window has no footage.
    d.wait_text("#f-window", "此時段沒有錄影").await;
    // The guardian signs under the undertaking with a finger.
    d.find("[role=group] canvas", "").await;
    d.js(
        "const c = document.querySelector('[role=group] canvas'); const b = c.getBoundingClientRect();
         const at = (type, i) => c.dispatchEvent(new PointerEvent(type, { bubbles: true, pointerId: 7,
             clientX: b.left + 20 + i * (b.width - 40) / 10, clientY: b.top + b.height / 2 + (i % 2 ? -12 : 12) }));
         at('pointerdown', 0); for (let i = 1; i <= 10; i++) at('pointermove', i); at('pointerup', 10);",
        json!([]),
    )
    .await;
    d.click_on("button", "確認簽名").await;
    d.find("img[alt*='已簽名']", "").await;
    d.click_on("button[type=submit]", "送出申請").await;
    d.wait_text("main h2", "王小明家長").await;
    // The officer's own step: 監錄系統管理承辦人.
    tablet.sign("核准").await;
    tablet.sync_now("全部已送到錄影主機").await;

    // The supervisor signs from their device.
    let supervisor = Headless::enroll(&site, "張主任", 31).await;
    assert_eq!(
        supervisor.application().turn.map(|t| t.role),
        Some(Role::Supervisor),
        "the case waits for the supervisor"
    );
    supervisor.decide(Role::Supervisor, DecisionRequest::Approve);
    supervisor.sync().await;

    // The representatives vote while offline, then sync.
    let parent = Phone::start(&site, &display, 4462, "吳家長").await;
    let staff = Headless::enroll(&site, "陳老師", 32).await;
    parent.go_offline().await;
    parent.d.click_on("nav button", "調閱").await;
    parent.d.wait_text("[aria-labelledby=apps-mine]", "王小明家長").await;
    parent.open_case("王小明家長").await;
    assert!(parent.d.text_of("main").await.contains("尚待投票"));
    parent.sign("投票贊成").await;
    parent.d.wait_text("main", "尚未送達錄影主機").await;
    staff.decide(
        Role::CommitteeStaff,
        DecisionRequest::Vote {
            in_favour: true,
            reason: String::new(),
        },
    );
    parent.come_back().await;
    staff.sync().await;

    // The principal's phone syncs, goes offline, approves, and syncs.
    let head = Phone::start(&site, &display, 4464, "陳園長").await;
    head.d.click_on("nav button", "調閱").await;
    head.d.wait_text("[aria-labelledby=apps-mine]", "王小明家長").await;
    head.go_offline().await;
    head.open_case("王小明家長").await;
    head.sign("核准").await;
    head.d.wait_text("main h2", "已核准").await;
    head.d.wait_text("main", "尚未送達錄影主機").await;
    head.come_back().await;

    // Every device shows it approved.
    for (who, phone) in [("tablet", &tablet), ("parent", &parent), ("head", &head)] {
        phone.sync_now("全部已送到錄影主機").await;
        let status = phone.d.invoke("sync_status").await;
        assert_eq!(status["refused"], json!([]), "{who}: {status}");
        phone.d.click_on("nav button", "調閱").await;
        phone.d.wait_text("[aria-labelledby=apps-others]", "已核准").await;
    }
    for device in [&supervisor, &staff] {
        device.sync().await;
        assert_eq!(device.application().status, custos_core::workflow::Status::Approved);
    }

    // 附件1 as it prints on the tablet: who signed each box, with ROC dates,
    // the guardian's signature as drawn, the committee's votes as an annex.
    tablet.open_case("王小明家長").await;
    d.click_on("button", "列印申請單").await;
    d.find("article.paper", "監視錄影系統監錄資料調閱申請單").await;
    for (label, who) in [
        ("監錄系統管理承辦人", "林專責"),
        ("監錄系統管理處室主管", "張主任"),
        ("校（園）長／負責人", "陳園長"),
    ] {
        let text = d.text_of(&format!("td[data-box='{label}']")).await;
        assert!(text.contains(who) && text.contains("民國"), "{label}: {text}");
    }
    let applicant = d.text_of("td[data-box='申請人']").await;
    assert!(applicant.contains("王小明家長"), "{applicant}");
    let drawn = d
        .js(
            "const i = document.querySelector(\"td[data-box='申請人'] img\"); return i ? i.naturalWidth : 0;",
            json!([]),
        )
        .await;
    assert!(drawn.as_u64().unwrap_or(0) > 0, "the drawn signature prints: {drawn}");
    let annex = d.text_of("section.annex").await;
    assert!(
        annex.contains("陳老師") && annex.contains("吳家長") && annex.contains("贊成"),
        "{annex}"
    );
    for phone in [&tablet, &parent, &head] {
        phone.d.quit().await;
    }
}

/// 大湖 (002 §10): a case the manager flags major reaches the ethics
/// office's home by itself: the recorder raises the notice in the case as it
/// accepts it, and its change stream wakes the phone; nobody touches it.
#[tokio::test(flavor = "multi_thread")]
async fn a_major_case_appears_on_the_ethics_offices_home_with_no_action_on_that_device() {
    // 大湖 names no floor: the site sets one.
    let profile = custos_core::policy::PolicyProfile::builtin(custos_core::seeds::DAHU_OFFICE)
        .unwrap()
        .with_floor(Some(30))
        .unwrap();
    let site = Site::with_profile(&profile.to_json(), &[("林專責", "manager"), ("鄭政風", "auditor")]);
    let (display, _xvfb) = display();
    let auditor = Phone::start(&site, &display, 4466, "鄭政風").await;
    auditor
        .d
        .wait_text("[aria-labelledby=home-notices]", "目前沒有通知")
        .await;

    let manager = Headless::enroll(&site, "林專責", 41).await;
    let form = registers::application_form(&manager.store, custos_core::terms::ApplicantKind::Citizen).unwrap();
    let yesterday = custos_core::time::Timestamp(now().0 - 86_400_000).taipei_date();
    let day = format!("{:04}-{:02}-{:02}", yesterday.year, yesterday.month, yesterday.day);
    let draft: registers::ApplicationDraft = serde_json::from_value(json!({
        "applicant_kind": "citizen", "applicant_name": "李先生",
        "national_id": "A123456789", "phone": "0912345678",
        "cameras": ["cam-01"], "from": format!("{day} 09:00"), "to": format!("{day} 10:00"),
        "reason": "櫃檯人員遭辱罵，疑有肢體衝突",
        "category": form.categories.first().copied().unwrap_or(custos_core::terms::Category::Other),
        "kinds": ["view"], "major_or_abnormal": true, "signature": "5c".repeat(32),
    }))
    .unwrap();
    let id = EntryId::from_parts(now().0 as u64, 41);
    registers::file_application(&manager.store, &manager.me(), draft, now(), id, "11".repeat(32)).unwrap();
    manager.sync().await;

    // The ethics office's home, untouched: the notice and the case it concerns.
    auditor
        .d
        .wait_text("[aria-labelledby=home-notices]", "重大或異常情事")
        .await;
    assert!(
        auditor
            .d
            .text_of("[aria-labelledby=home-notices]")
            .await
            .contains("李先生")
    );

    // The ethics office spot-checks the case from the notice (002 §13);
    // the recorder takes it, and the manager's device counts it.
    auditor
        .d
        .click_on("[aria-labelledby=home-notices] button", "查看申請")
        .await;
    auditor.d.wait_text("main h2", "李先生").await;
    let note = auditor.d.find("[aria-labelledby=case-spot] textarea", "").await;
    auditor.d.type_into(&note, "已通報，程序無誤").await;
    auditor.d.click_on("button", "簽署抽查紀錄").await;
    auditor.d.wait_text("[role=status]", "已簽署").await;
    auditor.sync_now("全部已送到錄影主機").await;
    let status = auditor.d.invoke("sync_status").await;
    assert_eq!(status["refused"], json!([]), "{status}");
    manager.sync().await;
    let view = manager.application();
    let spot = view
        .decisions
        .values()
        .find(|e| matches!(e.decision, custos_core::application::Decision::SpotCheck { .. }))
        .expect("the spot check reached the manager's device");
    assert!(!view.ignored.contains_key(spot.id.as_str()), "{:?}", view.ignored);
    auditor.d.quit().await;
}
