//! Every command over Tauri's IPC on the mock runtime (the app's own
//! command list and context): before enrollment, with bad input, and
//! against a real recorder.

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

use custos_journeys as recorder;

struct App {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: tempfile::TempDir,
}

fn app(seed: u8) -> App {
    let dir = tempfile::tempdir().unwrap();
    let key = custos_core::signing::DeviceKey::from_seed(&[seed; 32]);
    let device =
        custos_app::device::ThisDevice::with_key(dir.path(), key, std::sync::Arc::new(custos_clock::SystemClock))
            .unwrap();
    let app = custos_app::with_commands(mock_builder())
        .build(custos_app::context())
        .expect("app builds");
    app.manage(device);
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    App {
        _app: app,
        window,
        _dir: dir,
    }
}

fn request(cmd: &str, body: InvokeBody, url: &str) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: url.parse().unwrap(),
        body,
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

/// The inspector records an all-clear check of both cameras and syncs; the
/// countersigner syncs it in. Returns the arguments of its 核章.
fn all_clear_check_to_countersign(inspector: &App, countersigner: &App) -> Value {
    let ok = json!({ "running": true, "picture_clear": true, "audio_ok": null, "storage_ok": true, "time_correct": true, "note": "" });
    let check = inspector
        .call(
            "record_check",
            json!({ "draft": { "host_ok": true, "cameras": { "cam-01": ok, "cam-02": ok } } }),
        )
        .unwrap();
    inspector.call("sync_now", json!({})).unwrap();
    countersigner.call("sync_now", json!({})).unwrap();
    let now = custos_clock::Clock::now(&custos_clock::SystemClock).taipei_date();
    json!({ "year": now.year, "month": now.month, "entry": check["entry"] })
}

impl App {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.call_body(cmd, InvokeBody::Json(args))
    }
    fn call_body(&self, cmd: &str, body: InvokeBody) -> Result<Value, Value> {
        get_ipc_response(&self.window, request(cmd, body, "tauri://localhost"))
            .map(|r| r.deserialize::<Value>().unwrap())
    }
    fn error_kind(&self, cmd: &str, args: Value) -> (String, String) {
        let err = self.call(cmd, args).expect_err(cmd);
        (
            err["kind"].as_str().unwrap_or_default().to_string(),
            err["message"].as_str().unwrap_or_default().to_string(),
        )
    }
}

#[test]
fn app_info_answers_over_ipc_with_the_builtin_profiles() {
    let app = app(1);
    // A page from elsewhere loaded into the window may not call the app.
    let refused = get_ipc_response(
        &app.window,
        request("app_info", InvokeBody::default(), "https://example.invalid/"),
    )
    .unwrap_err();
    assert!(refused.to_string().contains("not allowed"), "{refused}");
    let info = app.call("app_info", json!({})).expect("the command answers");
    assert_eq!(info["profiles"][0], "kaohsiung-kindergarten");
    assert_eq!(info["core_version"], custos_core::VERSION);
}

#[test]
fn before_enrollment_every_command_says_what_to_do() {
    let app = app(2);
    let info = app.call("device_info", json!({})).unwrap();
    assert!(info["enrollment"].is_null());
    assert_eq!(info["device_id"].as_str().unwrap().len(), 32);

    let (kind, message) = app.error_kind("enroll", json!({ "text": "hello" }));
    assert_eq!(kind, "invalid");
    assert!(message.contains("custos-enroll:"), "{message}");
    let (kind, _) = app.error_kind("enroll", json!({}));
    assert_eq!(kind, "", "a missing argument is refused by Tauri itself");

    let draft = json!({ "draft": { "host_ok": true, "cameras": {} } });
    let (kind, message) = app.error_kind("record_check", draft);
    assert_eq!(kind, "not_enrolled");
    assert!(message.contains("enrollment text"), "{message}");
    assert_eq!(app.error_kind("site", json!({})).0, "no_site");
    assert_eq!(app.error_kind("sync_now", json!({})).0, "not_enrolled");
    let (kind, _) = app.error_kind("inspection_month", json!({ "year": 2026, "month": 13 }));
    assert_eq!(kind, "invalid");
    let (kind, _) = app.error_kind("dismiss_refused", json!({ "hash": "00" }));
    assert_eq!(kind, "not_found");
    let status = app.call("sync_status", json!({})).unwrap();
    assert_eq!(status["waiting"], 0);
    assert_eq!(status["refused"], json!([]));
}

#[test]
fn a_photo_is_taken_as_raw_bytes_and_garbage_is_refused() {
    let app = app(3);
    let mut png = Vec::new();
    image::RgbImage::from_pixel(40, 30, image::Rgb([200, 30, 30]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let photo = app.call_body("add_photo", InvokeBody::Raw(png)).unwrap();
    assert_eq!(photo["sha256"].as_str().unwrap().len(), 64);
    assert!(
        photo["thumbnail"]
            .as_str()
            .unwrap()
            .starts_with("data:image/jpeg;base64,")
    );
    let err = app
        .call_body("add_photo", InvokeBody::Raw(b"not an image".to_vec()))
        .unwrap_err();
    assert_eq!(err["kind"], "photo");
    let err = app.call("add_photo", json!({ "bytes": [1, 2, 3] })).unwrap_err();
    assert_eq!(err["kind"], "photo");
}

#[test]
fn the_walk_around_check_goes_through_the_commands_to_a_real_recorder() {
    let site = recorder::Site::new();
    let app = app(4);
    let text = site.enrollment_text("黃巡檢");
    let enrolled = app.call("enroll", json!({ "text": text })).unwrap();
    assert_eq!(enrolled["person_name"], "黃巡檢");
    assert_eq!(app.error_kind("enroll", json!({ "text": text })).0, "already_enrolled");
    let state = app.call("sync_now", json!({})).unwrap();
    assert_eq!(state["state"], "synced", "{state}");

    let view = app.call("site", json!({})).unwrap();
    assert_eq!(view["name"], "測試幼兒園");
    assert_eq!(view["check_every_days"], 7, "Kaohsiung's 定期 check, weekly by default");
    let cameras: Vec<&str> = view["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(cameras, ["cam-01", "cam-02"]);

    // Measured health pre-fills the checklist; an inspector may not see live pictures (004 §8(3)).
    let health = app.call("camera_health", json!({})).unwrap();
    assert_eq!(health["cameras"].as_array().unwrap().len(), 2, "{health}");
    assert!(health["disk"]["free_bytes"].as_u64().unwrap() > 0);
    let (kind, message) = app.error_kind("camera_snapshot", json!({ "camera": "cam-01" }));
    assert_eq!(kind, "recorder");
    assert!(message.contains("live"), "{message}");

    let ok = json!({ "running": true, "picture_clear": true, "audio_ok": null, "storage_ok": true, "time_correct": true, "note": "" });
    let foggy = json!({ "running": true, "picture_clear": false, "audio_ok": null, "storage_ok": true, "time_correct": true, "note": "鏡頭起霧" });
    // A camera left out, and a fault without 處理情形: refused here, before anything is stored.
    let (kind, message) = app.error_kind(
        "record_check",
        json!({ "draft": { "host_ok": true, "cameras": { "cam-01": ok } } }),
    );
    assert_eq!(kind, "invalid");
    assert!(message.contains("cam-02"), "{message}");
    let (kind, message) = app.error_kind(
        "record_check",
        json!({ "draft": { "host_ok": true, "cameras": { "cam-01": ok, "cam-02": foggy } } }),
    );
    assert_eq!(kind, "invalid");
    assert!(message.contains("處理情形"), "{message}");
    assert_eq!(
        app.call("sync_status", json!({})).unwrap()["waiting"],
        0,
        "nothing stored"
    );

    let recorded = app
        .call(
            "record_check",
            json!({ "draft": { "host_ok": true, "cameras": { "cam-01": ok, "cam-02": foggy }, "handling": "已通知廠商" } }),
        )
        .unwrap();
    assert_eq!(
        recorded["repairs"].as_array().unwrap().len(),
        1,
        "the fault opened a repair"
    );
    assert!(app.call("sync_status", json!({})).unwrap()["waiting"].as_u64().unwrap() >= 1);
    let now = custos_clock::Clock::now(&custos_clock::SystemClock).taipei_date();
    let month = app
        .call("inspection_month", json!({ "year": now.year, "month": now.month }))
        .unwrap();
    assert_eq!(month["checks"].as_object().unwrap().len(), 1);
    let repair = recorded["repairs"][0].as_str().unwrap();
    assert!(month["repairs"][repair]["closed"].is_null());

    // Closing needs a note; with one, it closes.
    let close =
        |note: &str| json!({ "year": now.year, "month": now.month, "repair": repair, "note": note, "photos": [] });
    assert_eq!(app.error_kind("close_repair", close("  ")).0, "invalid");
    app.call("close_repair", close("更換鏡頭護罩")).unwrap();
    let state = app.call("sync_now", json!({})).unwrap();
    let status = app.call("sync_status", json!({})).unwrap();
    assert_eq!(status["refused"], json!([]), "{status}");
    assert_eq!(
        state,
        json!({ "state": "synced", "at_ms": state["at_ms"], "waiting": 0, "refused": 0 })
    );

    // A forged certificate in a fresh app is refused as such.
    let other = self::app(5);
    let text = site.enrollment_text_with_wrong_fingerprint("陳園長");
    assert_eq!(
        other.error_kind("enroll", json!({ "text": text })).0,
        "wrong_certificate"
    );
}

#[test]
fn an_application_is_filed_decided_and_a_check_countersigned_through_the_commands() {
    let mut site = recorder::Site::new();
    let (manager, head, inspector) = (app(6), app(7), app(8));
    for (device, person) in [(&manager, "王經理"), (&head, "陳園長"), (&inspector, "黃巡檢")] {
        device
            .call("enroll", json!({ "text": site.enrollment_text(person) }))
            .unwrap();
        assert_eq!(device.call("sync_now", json!({})).unwrap()["state"], "synced");
    }
    let form = |changes: Value| {
        let mut draft = json!({
            "applicant_kind": "public_agency", "applicant_name": "高雄市政府警察局", "unit": "刑事警察大隊",
            "cameras": ["cam-01"], "from": "2026-11-20 09:00", "to": "2026-11-20 10:00",
            "reason": "調查竊盜案", "category": "crime_or_lawsuit", "kinds": ["view"],
            "attachments": [{ "kind": "official_letter", "reference": "高市警刑字第1號", "blob": null }],
            "official_letter": {
                "number": "高市警刑字第1號", "date": "2026-11-20", "legal_basis": "刑事訴訟法第133條",
                "purpose": "偵辦竊盜案", "scope": "大門攝影機，一小時", "intended_use": "證據"
            },
            "phone": "0912345678", "officer_id": "警員 A123456789"
        });
        for (k, v) in changes.as_object().unwrap() {
            draft[k] = v.clone();
        }
        json!({ "draft": draft })
    };
    // The form the screen is built from: the kindergarten's 附件1 for a
    // guardian, an agency's letter with its particulars, and none for a
    // kind of applicant the profile does not take.
    let annex1 = manager
        .call("application_form", json!({ "applicant": "guardian_or_student" }))
        .unwrap();
    assert_eq!(annex1["title_zh"], "監視錄影系統監錄資料調閱申請單");
    let relation = annex1["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "relation");
    assert_eq!(relation.unwrap()["required"], true, "{annex1}");
    let letter = manager
        .call("application_form", json!({ "applicant": "public_agency" }))
        .unwrap();
    assert_eq!(letter["paper"], "official_letter");
    assert!(
        letter["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "legal_basis" && f["required"] == true)
    );
    let (kind, message) = manager.error_kind("application_form", json!({ "applicant": "citizen" }));
    assert!(kind == "invalid" || kind == "refused", "{kind}: {message}");
    assert!(message.contains("does not accept applications"), "{message}");

    // Before filing, the screen asks which footage exists: none was
    // recorded on this site, so the whole window is missing; the
    // inspector may not ask.
    let window = json!({ "cameras": ["cam-01"], "from": "2026-11-20 09:00", "to": "2026-11-20 10:00" });
    let spans = manager.call("footage_spans", window.clone()).unwrap();
    assert_eq!(spans["cameras"][0]["camera"], "cam-01", "{spans}");
    assert_eq!(spans["cameras"][0]["recorded"], json!([]), "{spans}");
    assert_eq!(spans["cameras"][0]["missing"][0], spans["window"], "{spans}");
    let (kind, message) = inspector.error_kind("footage_spans", window);
    assert_ne!(kind, "offline", "{message}");
    assert!(message.contains("receive applications"), "{message}");

    // Bad input is refused with what to fix, and nothing is stored.
    // Each error names the field the screen shows it beside.
    for (changes, expected, field) in [
        (json!({ "reason": " " }), "reason", json!("reason")),
        (json!({ "phone": "call me" }), "phone", json!("phone")),
        (json!({ "official_letter": null }), "文號", json!("letter_number")),
        (
            json!({ "national_id": "A123456789" }),
            "national_id",
            json!("national_id"),
        ),
        (json!({ "cameras": ["cam-99"] }), "cam-99", json!("cameras")),
        (json!({ "to": "2099-01-01 10:00" }), "passed", json!("window")),
        (
            json!({ "from": "2026-11-20 9 點" }),
            "YYYY-MM-DD HH:MM",
            json!("window"),
        ),
        (json!({ "attachments": [] }), "official", Value::Null),
    ] {
        let err = manager.call("file_application", form(changes.clone())).unwrap_err();
        let message = err["message"].as_str().unwrap_or_default();
        assert_eq!(err["kind"], "invalid", "{changes}: {message}");
        assert!(
            message.to_lowercase().contains(&expected.to_lowercase()),
            "{changes}: {message}"
        );
        assert_eq!(err["field"], field, "{changes}: {err}");
    }
    assert_eq!(manager.call("sync_status", json!({})).unwrap()["waiting"], 0);

    let id = manager.call("file_application", form(json!({}))).unwrap();
    let id = id.as_str().unwrap().to_string();
    manager.call("sync_now", json!({})).unwrap();
    head.call("sync_now", json!({})).unwrap();
    let listed = head.call("applications", json!({})).unwrap();
    assert_eq!(listed[0]["status"]["state"], "in_review", "{listed}");
    assert_eq!(
        listed[0]["turn"]["role"], "head",
        "the head's list shows the case awaiting their step: {listed}"
    );
    assert_eq!(listed[0]["steps"][0]["progress"]["done"], false);
    assert_eq!(listed[0]["provisional"], false, "received from the recorder");
    let theirs = manager.call("applications", json!({})).unwrap();
    assert_eq!(theirs[0]["turn"], Value::Null, "not the manager's step: {theirs}");

    // Amended while in review: the new reason stands; a bad amendment changes nothing.
    let mut amended = form(json!({ "reason": "調查竊盜案（補充：機車）" }));
    amended["application"] = json!(id);
    let view = manager.call("amend_application", amended.clone()).unwrap();
    assert_eq!(view["case"]["reason"], "調查竊盜案（補充：機車）");
    let mut bad = form(json!({ "cameras": [] }));
    bad["application"] = json!(id);
    assert_eq!(manager.error_kind("amend_application", bad).0, "invalid");
    manager.call("sync_now", json!({})).unwrap();
    head.call("sync_now", json!({})).unwrap();

    let decide_on = |device: &App, application: &Value, role: &str, decision: Value| {
        device.call(
            "decide",
            json!({ "application": application, "role": role, "decision": decision }),
        )
    };
    let decide = |device: &App, role: &str, decision: Value| decide_on(device, &json!(id), role, decision);
    let err = decide(&head, "head", json!({ "kind": "reject", "reason": "" })).unwrap_err();
    assert_eq!(err["kind"], "invalid", "a rejection states why: {err}");
    let err = decide(&head, "manager", json!({ "kind": "approve" })).unwrap_err();
    assert_eq!(err["kind"], "invalid", "not a role the head holds: {err}");
    let view = decide(&head, "head", json!({ "kind": "approve" })).unwrap();
    assert_eq!(view["status"]["state"], "approved", "{view}");
    assert_eq!(
        view["provisional"], true,
        "approved on this phone, not yet on the recorder"
    );
    assert_eq!(view["turn"], Value::Null);
    head.call("sync_now", json!({})).unwrap();
    manager.call("sync_now", json!({})).unwrap();
    let seen = manager.call("applications", json!({})).unwrap();
    assert_eq!(
        seen[0]["status"]["state"], "approved",
        "the manager sees the head's approval"
    );
    assert_eq!(seen[0]["case"]["reason"], "調查竊盜案（補充：機車）");
    let (kind, message) = manager.error_kind("amend_application", amended);
    assert_eq!(kind, "invalid");
    assert!(message.contains("decided"), "{message}");

    // The manager records the reply letter (函覆) to the agency; it
    // leaves the approval standing and the recorder takes it.
    let reply =
        |number: &str| json!({ "kind": "reply", "letter": { "number": number, "date": "2026-11-21", "blob": null } });
    let (kind, message) = manager.error_kind(
        "decide",
        json!({ "application": id, "role": "manager", "decision": reply(" ") }),
    );
    assert_eq!(kind, "invalid", "{message}");
    assert!(message.contains("reply_number"), "{message}");
    let view = decide(&manager, "manager", reply("高市教字第1130002號")).unwrap();
    assert_eq!(view["status"]["state"], "approved", "{view}");
    let state = manager.call("sync_now", json!({})).unwrap();
    assert_eq!(state["refused"], 0, "the recorder takes the reply: {state}");
    head.call("sync_now", json!({})).unwrap();
    let seen = head.call("applications", json!({})).unwrap();
    let replies: Vec<&Value> = seen[0]["decisions"]
        .as_object()
        .unwrap()
        .values()
        .filter(|e| e["decision"]["kind"] == "reply")
        .collect();
    assert_eq!(replies[0]["decision"]["letter"]["number"], "高市教字第1130002號");
    assert!(
        manager
            .call("logbook", json!({ "year": 2026 }))
            .unwrap()
            .as_object()
            .unwrap()
            .is_empty()
    );

    // Filing held the requested window; only the head releases it, with a reason.
    let held = head.call("holds", json!({})).unwrap();
    let hold = held["holds"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .expect("a hold from the filing")
        .clone();
    let release = |reason: &str| json!({ "hold": hold, "reason": reason });
    assert_eq!(head.error_kind("release_hold", release(" ")).0, "invalid");
    assert_eq!(manager.error_kind("release_hold", release("案件結束")).0, "invalid");
    head.call("release_hold", release("案件已結束，依一般保存期限處理"))
        .unwrap();
    let state = head.call("sync_now", json!({})).unwrap();
    assert_eq!(
        (state["waiting"].as_u64(), state["refused"].as_u64()),
        (Some(0), Some(0)),
        "the recorder accepts the release: {state}"
    );
    assert!(head.call("holds", json!({})).unwrap()["released"][&hold].is_object());

    // A second application's window is held while in review, and the
    // head's rejection ends that hold without a release: no viewing
    // will come. The approved one's hold had stayed until released.
    let in_force = |id: &str| -> bool {
        let listed: Value = serde_json::from_str(&site.console(&["hold", "list"], &["--json"])).unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("hold {id} in {listed}"))["active"]
            .as_bool()
            .unwrap()
    };
    let second = manager
        .call("file_application", form(json!({ "reason": "調查另一竊盜案" })))
        .unwrap();
    manager.call("sync_now", json!({})).unwrap();
    head.call("sync_now", json!({})).unwrap();
    let second_hold = head.call("holds", json!({})).unwrap()["holds"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, h)| h["application"] == second)
        .map(|(id, _)| id.clone())
        .expect("the filing held the window");
    assert!(in_force(&second_hold) && !in_force(&hold));
    let rejected = head
        .call(
            "decide",
            json!({ "application": second, "role": "head", "decision": { "kind": "reject", "reason": "非屬得調閱之事由" } }),
        )
        .unwrap();
    assert_eq!(rejected["status"]["state"], "rejected");
    head.call("sync_now", json!({})).unwrap();
    assert!(!in_force(&second_hold), "the rejection ended the filing hold");
    let view = head.call("holds", json!({})).unwrap();
    assert_eq!(view["ended_by_application"], json!([second_hold]), "{view}");

    // The third application's first minute is recorded: there is something to view.
    let minute = custos_core::time::Timestamp::parse_taipei_minute("2026-11-20 09:00").unwrap();
    site.put_footage_minute("cam-01", minute.0);
    // A third application is approved: its window stays held until the
    // escort records the one viewing; then the filing hold ends and, the
    // kindergarten keeping viewed footage on record (001 §6(4)), the
    // recorder holds the window by a hold of its own.
    let holds_of = |application: &Value| -> Vec<(String, bool)> {
        let listed: Value = serde_json::from_str(&site.console(&["hold", "list"], &["--json"])).unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| &h["hold"]["application"] == application)
            .map(|h| {
                (
                    h["hold"]["basis"].as_str().unwrap().to_string(),
                    h["active"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let third = manager
        .call("file_application", form(json!({ "reason": "調查第三件竊盜案" })))
        .unwrap();
    manager.call("sync_now", json!({})).unwrap();
    head.call("sync_now", json!({})).unwrap();
    decide_on(&head, &third, "head", json!({ "kind": "approve" })).unwrap();
    head.call("sync_now", json!({})).unwrap();
    manager.call("sync_now", json!({})).unwrap();
    assert_eq!(
        holds_of(&third),
        [("application_filed".to_string(), true)],
        "approved, not yet viewed"
    );
    // The escort opens the viewing: the recorder records it. Without the
    // applicant checked in person, and as a head (not an escort), refused.
    let open = |role: &str, checked: bool| json!({ "application": third, "role": role, "applicantChecked": checked, "applicantSignature": null });
    assert_eq!(manager.error_kind("open_viewing", open("manager", false)).0, "invalid");
    let (kind, message) = head.error_kind("open_viewing", open("head", true));
    assert!(message.contains("accompany"), "{kind}: {message}");
    let session = manager.call("open_viewing", open("manager", true)).unwrap();
    assert_eq!(session["audio_withheld"], true, "{session}");
    manager.call("sync_now", json!({})).unwrap();
    let viewed = manager.call("applications", json!({})).unwrap();
    let viewed = viewed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["case"]["id"] == third)
        .unwrap();
    assert_eq!(viewed["status"]["state"], "viewed", "{viewed}");
    let closed = manager
        .call("close_viewing", json!({ "session": session["session"] }))
        .unwrap();
    assert_eq!(closed["ended_by"], "escort");
    manager.call("sync_now", json!({})).unwrap();
    assert_eq!(
        holds_of(&third),
        [
            ("application_filed".to_string(), false),
            ("viewed_on_record".to_string(), true)
        ]
    );

    // 核章: the inspector records, the supervisor (the head here) countersigns.
    let seal = all_clear_check_to_countersign(&inspector, &head);
    assert_eq!(
        inspector.error_kind("countersign_check", seal.clone()).0,
        "invalid",
        "an inspector does not countersign"
    );
    head.call("countersign_check", seal).unwrap();
    let state = head.call("sync_now", json!({})).unwrap();
    assert_eq!(
        (state["waiting"].as_u64(), state["refused"].as_u64()),
        (Some(0), Some(0)),
        "{state}"
    );
}

/// Who countersigns (核章) follows the profile's `countersign_by`, not a
/// role written into the screens: on a site whose profile has the head
/// countersign, the head (who is not a supervisor) is told so and may, the
/// inspector and the manager are told not, and the recorder accepts the
/// head's seal. The screens read `may_countersign` and `paper_form`.
#[test]
fn the_site_says_who_countersigns_as_the_profile_has_it() {
    let mut profile = custos_core::policy::PolicyProfile::builtin(custos_core::seeds::KAOHSIUNG_KINDERGARTEN).unwrap();
    profile.inspection.countersign_by = Some(custos_core::roles::Role::Head);
    profile.validate().unwrap();
    let site = recorder::Site::with_profile(
        &profile.to_json(),
        &[("黃巡檢", "inspector"), ("陳園長", "head"), ("王經理", "manager")],
    );
    let (inspector, head, manager) = (app(11), app(12), app(13));
    for (device, person) in [(&inspector, "黃巡檢"), (&head, "陳園長"), (&manager, "王經理")] {
        device
            .call("enroll", json!({ "text": site.enrollment_text(person) }))
            .unwrap();
        assert_eq!(device.call("sync_now", json!({})).unwrap()["state"], "synced");
    }
    let view = |device: &App| device.call("site", json!({})).unwrap();
    assert_eq!(view(&head)["may_countersign"], true);
    assert_eq!(view(&inspector)["may_countersign"], false);
    assert_eq!(view(&manager)["may_countersign"], false);
    assert_eq!(
        view(&head)["paper_form"],
        "wanhua004",
        "a countersigned log prints on the form with the 核章 column"
    );

    let seal = all_clear_check_to_countersign(&inspector, &head);
    assert_eq!(manager.error_kind("countersign_check", seal.clone()).0, "invalid");
    head.call("countersign_check", seal).unwrap();
    let state = head.call("sync_now", json!({})).unwrap();
    assert_eq!(
        (state["state"].as_str(), state["refused"].as_u64()),
        (Some("synced"), Some(0)),
        "{state}"
    );
}

/// 001 附件1: the guardian signs the undertaking on the manager's tablet;
/// the drawing goes through the photo pipeline and the personal data
/// names it. Unsigned, the form is refused naming the signature; signed,
/// the recorder takes the case and its personal data, and the head's
/// phone finds the case awaiting their step only once the steps before it
/// are signed.
#[test]
fn a_guardian_signs_the_undertaking_on_the_tablet_and_the_recorder_takes_it() {
    let site = recorder::Site::new();
    let (manager, head) = (app(14), app(15));
    for (device, person) in [(&manager, "王經理"), (&head, "陳園長")] {
        device
            .call("enroll", json!({ "text": site.enrollment_text(person) }))
            .unwrap();
        assert_eq!(device.call("sync_now", json!({})).unwrap()["state"], "synced");
    }
    let form = manager
        .call("application_form", json!({ "applicant": "guardian_or_student" }))
        .unwrap();
    assert!(
        form["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["signer"]["kind"] == "applicant"),
        "{form}"
    );
    let draft = |signature: Value| {
        json!({ "draft": {
            "applicant_kind": "guardian_or_student", "applicant_name": "王小明家長",
            "national_id": "A123456789", "phone": "0912345678", "relation": "父親", "unit": "大班",
            "cameras": ["cam-01"], "from": "2026-11-20 09:00", "to": "2026-11-20 10:00",
            "reason": "幼兒手臂瘀青", "category": "suspected_improper_treatment", "kinds": ["view"],
            "signature": signature,
        }})
    };
    let err = manager.call("file_application", draft(Value::Null)).unwrap_err();
    assert_eq!(
        (err["kind"].as_str(), err["field"].as_str()),
        (Some("invalid"), Some("signature")),
        "{err}"
    );
    assert!(err["message"].as_str().unwrap().contains("申請人簽名"), "{err}");

    // The pad's drawing: black strokes on white, as the canvas sends it.
    let mut png = Vec::new();
    let mut drawing = image::RgbImage::from_pixel(600, 200, image::Rgb([255, 255, 255]));
    for x in 40..560 {
        drawing.put_pixel(x, 100 + (x % 40) / 4, image::Rgb([10, 10, 10]));
    }
    drawing
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let photo = manager.call_body("add_photo", InvokeBody::Raw(png)).unwrap();
    let id = manager
        .call("file_application", draft(photo["sha256"].clone()))
        .unwrap();
    let state = manager.call("sync_now", json!({})).unwrap();
    assert_eq!(
        (state["waiting"].as_u64(), state["refused"].as_u64()),
        (Some(0), Some(0)),
        "the recorder takes the signature, the case and its personal data: {state}"
    );

    head.call("sync_now", json!({})).unwrap();
    let listed = head.call("applications", json!({})).unwrap();
    let case = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["case"]["id"] == id)
        .unwrap_or_else(|| panic!("{id} on the head's phone: {listed}"));
    assert_eq!(case["status"]["state"], "in_review");
    assert_eq!(
        case["turn"],
        Value::Null,
        "the officer, the office head and the committee sign first"
    );
    let mine = manager.call("applications", json!({})).unwrap();
    assert_eq!(
        mine[0]["turn"]["role"], "manager",
        "the officer's step comes first: {mine}"
    );
    assert_eq!(mine[0]["steps"][2]["committee"], true, "{mine}");
    assert_eq!(mine[0]["steps"][0]["label_zh"], "監錄系統管理承辦人");

    // The head's phone prints 附件1 with the personal data and the
    // signature as drawn, fetched from the recorder (the phone did not take it).
    let personal = head.call("application_personal", json!({ "application": id })).unwrap();
    assert_eq!(personal["national_id"], "A123456789", "{personal}");
    assert_eq!(personal["signature"], photo["sha256"]);
    let drawn = head.call("photo", json!({ "sha256": photo["sha256"] })).unwrap();
    assert!(
        drawn.as_str().unwrap().starts_with("data:image/jpeg;base64,"),
        "{drawn}"
    );
    let err = head.call("photo", json!({ "sha256": "ab".repeat(32) })).unwrap_err();
    assert_eq!(err["kind"], "recorder", "a photo no record names: {err}");
    let err = head.call("photo", json!({ "sha256": "../etc" })).unwrap_err();
    assert_eq!(err["kind"], "invalid", "{err}");
}

/// 設置區位公告 (004 §5) through the commands: the site says the public
/// list was never published; the manager's tablet shows the list, records
/// its publication (refused while the screen's list is not the register's),
/// the recorder takes it and clears its notice; an inspector may not.
#[test]
fn the_manager_publishes_the_camera_locations_and_the_recorders_notice_clears() {
    let profile = custos_core::policy::PolicyProfile::builtin(custos_core::seeds::WANHUA_HOUSEHOLD).unwrap();
    let site = recorder::Site::with_profile(&profile.to_json(), &[("黃巡檢", "inspector"), ("王管理", "manager")]);
    let (inspector, manager) = (app(21), app(22));
    for (device, person) in [(&inspector, "黃巡檢"), (&manager, "王管理")] {
        device
            .call("enroll", json!({ "text": site.enrollment_text(person) }))
            .unwrap();
        assert_eq!(device.call("sync_now", json!({})).unwrap()["state"], "synced");
    }
    let open_notices = |device: &App| -> Vec<String> {
        let view = device.call("site", json!({})).unwrap();
        view["notices"]
            .as_object()
            .unwrap()
            .values()
            .filter(|n| n["ended_at"].is_null())
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(open_notices(&inspector), ["location_notice_outdated"]);
    assert_eq!(
        manager.call("site", json!({})).unwrap()["may_review_location_notice"],
        true
    );

    let notice = manager.call("location_notice", json!({})).unwrap();
    assert_eq!(notice["may_review"], true);
    assert_eq!(notice["check_every_days"], 90);
    assert_eq!(notice["list"].as_array().unwrap().len(), 2);
    assert!(notice["csv"].as_str().unwrap().contains("設置地點"));
    let digest = notice["digest"].as_str().unwrap().to_string();
    let review = |seen: &str| json!({ "seen": seen, "kind": "published", "matches": true, "note": "" });

    let (kind, _) = inspector.error_kind("review_location_notice", review(&digest));
    assert_eq!(kind, "invalid", "only the manager records the notice");
    let stale = manager
        .call("review_location_notice", review(&"00".repeat(32)))
        .expect_err("a list not the register's");
    assert_eq!(stale["field"], "list_digest", "{stale}");

    manager.call("review_location_notice", review(&digest)).unwrap();
    let state = manager.call("sync_now", json!({})).unwrap();
    assert_eq!(
        (state["state"].as_str(), state["refused"].as_u64()),
        (Some("synced"), Some(0)),
        "{state}"
    );
    assert!(open_notices(&manager).is_empty(), "cleared as the recorder took it");
    let after = manager.call("location_notice", json!({})).unwrap();
    assert_eq!(after["reviews"][0]["review"]["kind"], "published");
    assert_eq!(inspector.call("sync_now", json!({})).unwrap()["state"], "synced");
    assert!(open_notices(&inspector).is_empty());
}

/// Every hold ends (#12 item 6): the head's phone sees until when a letter's
/// hold keeps its footage and renews it with its legal basis, which the
/// recorder takes; a renewal without a basis is refused on the phone.
#[test]
fn the_head_renews_a_hold_with_its_legal_basis_through_the_commands() {
    let profile = custos_core::policy::PolicyProfile::builtin(custos_core::seeds::KAOHSIUNG_KINDERGARTEN).unwrap();
    let site = recorder::Site::with_profile(&profile.to_json(), &[("林專責", "manager"), ("陳園長", "head")]);
    site.console(
        &["hold", "add"],
        &[
            "--camera",
            "cam-01",
            "--from",
            "2026-11-20 09:00",
            "--to",
            "2026-11-20 10:30",
            "--basis",
            "official-letter",
            "--legal-basis",
            "刑事訴訟法第133條",
            "--reference",
            "高市警刑字第1130001號",
            "--review-days",
            "30",
            "--by",
            "林專責",
        ],
    );
    let head = app(23);
    head.call("enroll", json!({ "text": site.enrollment_text("陳園長") }))
        .unwrap();
    assert_eq!(head.call("sync_now", json!({})).unwrap()["state"], "synced");
    let view = head.call("holds", json!({})).unwrap();
    let (id, lapses) = view["lapses_at"].as_object().unwrap().iter().next().unwrap();
    let lapses = lapses.as_i64().unwrap();
    assert_eq!(view["renewal_days"], 90);

    let err = head
        .call("renew_hold", json!({ "hold": id, "legalBasis": "" }))
        .expect_err("a renewal states its basis");
    assert_eq!(err["field"], "legal_basis", "{err}");
    head.call(
        "renew_hold",
        json!({ "hold": id, "legalBasis": "偵查中，依刑事訴訟法第133條" }),
    )
    .unwrap();
    let state = head.call("sync_now", json!({})).unwrap();
    assert_eq!(
        (state["state"].as_str(), state["refused"].as_u64()),
        (Some("synced"), Some(0)),
        "{state}"
    );
    let view = head.call("holds", json!({})).unwrap();
    assert_eq!(view["renewals"].as_object().unwrap().len(), 1);
    let renewed = view["lapses_at"][id].as_i64().unwrap();
    assert!(renewed > lapses, "kept 90 days from the renewal: {lapses} → {renewed}");
}
