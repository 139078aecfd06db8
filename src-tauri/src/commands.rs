//! Tauri commands, one per thing the UI asks. Each is thin: parse, call
//! `custos-core` or the store (through `registers` and `sync`), return.
//! Errors reach the UI as `{ kind, message }`: `kind` for the program,
//! `message` in words a person can act on.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_core::documents::DocKey;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::client::ClientError;
use crate::registers::{self, CheckDraft, MonthView, RecordedCheck, RegisterError};
use crate::session::Session;
use crate::store::StoreError;
use crate::sync::{self, SyncError, SyncEvent};

/// The event the UI listens to for sync progress and state.
pub const SYNC_EVENT: &str = "sync";

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CommandError {
    /// `offline`, `wrong_certificate`, `refused`, `recorder`, `not_enrolled`,
    /// `already_enrolled`, `no_site`, `invalid`, `not_found`, `store`, `photo`.
    pub kind: &'static str,
    pub message: String,
}

impl CommandError {
    fn new(kind: &'static str, message: impl ToString) -> Self {
        CommandError {
            kind,
            message: message.to_string(),
        }
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        let kind = match &e {
            SyncError::Client(ClientError::Offline(_)) => "offline",
            SyncError::Client(ClientError::WrongCertificate) => "wrong_certificate",
            SyncError::Client(ClientError::Refused(_)) => "refused",
            SyncError::Client(_) => "recorder",
            SyncError::Store(_) => "store",
            SyncError::Core(_) => "invalid",
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::AlreadyEnrolled(_) => "already_enrolled",
        };
        CommandError::new(kind, e)
    }
}

impl From<RegisterError> for CommandError {
    fn from(e: RegisterError) -> Self {
        let kind = match &e {
            RegisterError::Store(_) => "store",
            RegisterError::Core(_) => "invalid",
            RegisterError::NoSite => "no_site",
            RegisterError::NotFound(_) => "not_found",
        };
        CommandError::new(kind, e)
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        CommandError::new("store", e)
    }
}

type Result<T> = std::result::Result<T, CommandError>;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub core_version: String,
    /// The built-in policy profiles this build knows.
    pub profiles: Vec<String>,
}

/// What this build is: shown on the home screen and in bug reports.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        core_version: custos_core::VERSION.to_owned(),
        profiles: custos_core::seeds::BUILTIN_PROFILES
            .iter()
            .map(|p| p.to_string())
            .collect(),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub device_id: String,
    /// `None` until the device is enrolled.
    pub enrollment: Option<sync::Enrollment>,
}

/// This device and, once enrolled, its recorder and person.
#[tauri::command]
pub fn device_info(session: State<'_, Session>) -> Result<DeviceInfo> {
    Ok(DeviceInfo {
        device_id: session.key.device_id().to_string(),
        enrollment: sync::enrollment(&session.store)?,
    })
}

/// Enrolls this device with the pasted enrollment text, then syncs.
#[tauri::command]
pub async fn enroll(session: State<'_, Session>, text: String) -> Result<sync::Enrollment> {
    let enrolled = sync::enroll(&session.store, &session.key, &text).await?;
    session.wake.notify_one();
    Ok(enrolled)
}

/// Syncs now and answers with how it ended; progress goes out as `sync` events.
#[tauri::command]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>, session: State<'_, Session>) -> Result<SyncEvent> {
    let mut emit = |e: SyncEvent| {
        let _ = app.emit(SYNC_EVENT, &e);
    };
    if let Err(SyncError::NotEnrolled) = session.sync_round(&mut emit).await {
        return Err(SyncError::NotEnrolled.into());
    }
    Ok(session.last_event().unwrap_or(SyncEvent::Failed {
        message: "no sync has run".into(),
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusedChange {
    pub hash: String,
    pub document: String,
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Changes made here that have not reached the recorder.
    pub waiting: usize,
    pub refused: Vec<RefusedChange>,
    pub last: Option<SyncEvent>,
    /// Set once the recorder showed an audit trail other than the one this
    /// device countersigned; it stays until dealt with.
    pub audit_alarm: Option<String>,
}

/// Always visible in the UI: what waits, what was refused, how the last sync ended.
#[tauri::command]
pub fn sync_status(session: State<'_, Session>) -> Result<SyncStatus> {
    let store = crate::store::lock(&session.store);
    let refused = store
        .refused_changes()?
        .into_iter()
        .map(|o| {
            let (rule, message) = o.refused.unwrap_or_default();
            RefusedChange {
                hash: o.hash,
                document: o.key,
                rule,
                message,
            }
        })
        .collect();
    Ok(SyncStatus {
        waiting: store.waiting_count()?,
        audit_alarm: store.setting(sync::AUDIT_ALARM_SETTING)?,
        refused,
        last: session.last_event(),
    })
}

/// The person has read a refusal: it leaves the list.
#[tauri::command]
pub fn dismiss_refused(session: State<'_, Session>, hash: String) -> Result<()> {
    let removed = crate::store::lock(&session.store).dismiss_refused(&hash)?;
    if removed {
        Ok(())
    } else {
        Err(CommandError::new("not_found", format!("no refused change {hash}")))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraView {
    pub id: String,
    pub name: String,
    pub location: String,
    pub audio: bool,
    pub property_number: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteView {
    pub name: String,
    pub profile_id: String,
    /// The cameras in service, in id order: the walk-around checklist.
    pub cameras: Vec<CameraView>,
    /// Names by person id, to print who checked and who countersigned.
    pub people: std::collections::BTreeMap<String, String>,
    /// How often the profile asks for the walk-around check, in days
    /// (1: daily, 004 §6; 7: the Kaohsiung 定期 default); `None`: no schedule.
    pub check_every_days: Option<u32>,
}

/// The site and its cameras, as this device last received them.
#[tauri::command]
pub fn site(session: State<'_, Session>) -> Result<SiteView> {
    let site = registers::site(&session.store)?;
    let profile = site.profile().map_err(|e| CommandError::new("invalid", e))?;
    Ok(SiteView {
        name: site.site.name.clone(),
        profile_id: profile.id.clone(),
        cameras: site
            .active_cameras()
            .map(|(id, c)| CameraView {
                id: id.to_string(),
                name: c.name.clone(),
                location: c.location.clone(),
                audio: c.features.audio,
                property_number: c.property_number.clone(),
            })
            .collect(),
        check_every_days: match profile.inspection.frequency {
            custos_core::policy::InspectionFrequency::Daily => Some(1),
            custos_core::policy::InspectionFrequency::EveryDays(n) => Some(n),
            custos_core::policy::InspectionFrequency::Anytime => None,
        },
        people: site.people.iter().map(|(id, p)| (id.clone(), p.name.clone())).collect(),
    })
}

/// One month of the inspection log (checks and repairs).
#[tauri::command]
pub fn inspection_month(session: State<'_, Session>, year: i32, month: u32) -> Result<MonthView> {
    if !(1..=12).contains(&month) || !(2000..=2200).contains(&year) {
        return Err(CommandError::new("invalid", format!("{year}-{month}: not a month")));
    }
    Ok(registers::month(&session.store, year, month)?)
}

/// Records a walk-around check made by this device's person, now.
#[tauri::command]
pub fn record_check(session: State<'_, Session>, draft: CheckDraft) -> Result<RecordedCheck> {
    let me = session.me()?;
    let recorded = registers::record_check(
        &session.store,
        &me,
        draft,
        crate::clock::now(),
        crate::clock::new_entry_id,
    )?;
    session.wake.notify_one();
    Ok(recorded)
}

/// Closes an open repair with what was done.
#[tauri::command]
pub fn close_repair(
    session: State<'_, Session>,
    year: i32,
    month: u32,
    repair: String,
    note: String,
    photos: Vec<String>,
) -> Result<()> {
    let me = session.me()?;
    let key = DocKey::Inspections { year, month };
    registers::close_repair(&session.store, &key, &repair, &me, &note, photos, crate::clock::now())?;
    session.wake.notify_one();
    Ok(())
}

/// 核章: the supervisor countersigns a recorded check.
#[tauri::command]
pub fn countersign_check(session: State<'_, Session>, year: i32, month: u32, entry: String) -> Result<()> {
    let me = session.me()?;
    let roles = session.my_roles()?;
    let key = DocKey::Inspections { year, month };
    let signer = registers::Signer {
        person: &me,
        key: &session.key,
        now: crate::clock::now(),
        id: crate::clock::new_entry_id(),
    };
    registers::countersign_check(&session.store, &key, &entry, &roles, signer)?;
    session.wake.notify_one();
    Ok(())
}

/// A fresh salt for the personal data's digest.
fn new_salt() -> Result<String> {
    let mut salt = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
        .map_err(|_| CommandError::new("store", "the system provided no randomness"))?;
    Ok(hex::encode(salt))
}

fn application_id(text: &str) -> Result<custos_core::ids::EntryId> {
    text.parse()
        .map_err(|e: custos_core::CoreError| CommandError::new("invalid", e))
}

/// Files an application (調閱申請) from the form's fields.
#[tauri::command]
pub fn file_application(session: State<'_, Session>, draft: registers::ApplicationDraft) -> Result<String> {
    let me = session.me()?;
    let id = registers::file_application(
        &session.store,
        &me,
        draft,
        crate::clock::now(),
        crate::clock::new_entry_id(),
        new_salt()?,
    )?;
    session.wake.notify_one();
    Ok(id)
}

/// Amends an application still in review with the form's fields anew.
#[tauri::command]
pub fn amend_application(
    session: State<'_, Session>,
    application: String,
    draft: registers::ApplicationDraft,
) -> Result<registers::ApplicationView> {
    session.me()?;
    let id = application_id(&application)?;
    let view = registers::amend_application(&session.store, &id, draft, crate::clock::now(), new_salt()?)?;
    session.wake.notify_one();
    Ok(view)
}

/// Approves, rejects (with a reason), votes on, withdraws or records the viewing of an application,
/// signed by this device's key, acting in `role` (one of this person's roles).
#[tauri::command]
pub fn decide(
    session: State<'_, Session>,
    application: String,
    role: custos_core::roles::Role,
    decision: registers::DecisionRequest,
) -> Result<registers::ApplicationView> {
    let me = session.me()?;
    if !session.my_roles()?.contains(&role) {
        return Err(CommandError::new(
            "invalid",
            format!("this person does not hold the role {}", role.as_str()),
        ));
    }
    let id = application_id(&application)?;
    let signer = registers::Signer {
        person: &me,
        key: &session.key,
        now: crate::clock::now(),
        id: crate::clock::new_entry_id(),
    };
    let view = registers::decide(&session.store, &id, decision, role, signer)?;
    session.wake.notify_one();
    Ok(view)
}

/// The applications this device holds, newest first, each with its derived status.
#[tauri::command]
pub fn applications(session: State<'_, Session>) -> Result<Vec<registers::ApplicationView>> {
    Ok(registers::applications(&session.store)?)
}

/// The holds on footage, and which are released.
#[tauri::command]
pub fn holds(session: State<'_, Session>) -> Result<registers::HoldsView> {
    Ok(registers::holds(&session.store)?)
}

/// The head (or delegate) releases a hold, with the reason; signed.
#[tauri::command]
pub fn release_hold(session: State<'_, Session>, hold: String, reason: String) -> Result<()> {
    let me = session.me()?;
    let roles = session.my_roles()?;
    let signer = registers::Signer {
        person: &me,
        key: &session.key,
        now: crate::clock::now(),
        id: crate::clock::new_entry_id(),
    };
    registers::release_hold(&session.store, &hold, &reason, &roles, signer)?;
    session.wake.notify_one();
    Ok(())
}

/// 調閱登記簿 for a year.
#[tauri::command]
pub fn logbook(
    session: State<'_, Session>,
    year: i32,
) -> Result<std::collections::BTreeMap<String, custos_core::logbook::LogbookEntry>> {
    Ok(registers::logbook(&session.store, year)?)
}

/// Each camera's measured health and the disk's, from the recorder now
/// (online only): pre-fills the walk-around checklist.
#[tauri::command]
pub async fn camera_health(session: State<'_, Session>) -> Result<serde_json::Value> {
    Ok(session.client().await?.camera_health(crate::clock::now().0).await?)
}

/// A camera's current picture as a data: URL (online only, and only for the
/// roles the profile lets see live pictures).
#[tauri::command]
pub async fn camera_snapshot(session: State<'_, Session>, camera: String) -> Result<String> {
    let jpeg = session.client().await?.snapshot(&camera, crate::clock::now().0).await?;
    Ok(format!("data:image/jpeg;base64,{}", B64.encode(jpeg)))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoView {
    pub sha256: String,
    /// The 320 px thumbnail as a data: URL, to show at once.
    pub thumbnail: String,
    pub width: u32,
    pub height: u32,
}

/// Takes a photo's bytes (the raw request body), strips its metadata,
/// shrinks it, and keeps it for upload; answers with its name and thumbnail.
#[tauri::command]
pub fn add_photo(session: State<'_, Session>, request: tauri::ipc::Request<'_>) -> Result<PhotoView> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new("photo", "send the photo's bytes as the request body"));
    };
    let photo = crate::photos::process(bytes).map_err(|e| CommandError::new("photo", e))?;
    crate::store::lock(&session.store).put_photo(&photo)?;
    Ok(PhotoView {
        thumbnail: format!("data:image/jpeg;base64,{}", B64.encode(&photo.thumbnail)),
        sha256: photo.sha256,
        width: photo.width,
        height: photo.height,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
    use tauri::webview::InvokeRequest;
    use tauri::{Manager, WebviewWindow};

    use crate::test_recorder as recorder;

    struct App {
        _app: tauri::App<MockRuntime>,
        window: WebviewWindow<MockRuntime>,
        _dir: tempfile::TempDir,
    }

    fn app(seed: u8) -> App {
        let dir = tempfile::tempdir().unwrap();
        let key = custos_core::signing::DeviceKey::from_seed(&[seed; 32]);
        let session = crate::session::Session::with_key(dir.path(), key).unwrap();
        let app = crate::with_commands(mock_builder())
            .build(tauri::generate_context!())
            .expect("app builds");
        app.manage(session);
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
        assert_eq!(info["coreVersion"], custos_core::VERSION);
    }

    #[test]
    fn before_enrollment_every_command_says_what_to_do() {
        let app = app(2);
        let info = app.call("device_info", json!({})).unwrap();
        assert!(info["enrollment"].is_null());
        assert_eq!(info["deviceId"].as_str().unwrap().len(), 32);

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
        assert_eq!(view["checkEveryDays"], 7, "Kaohsiung's 定期 check, weekly by default");
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
        let now = crate::clock::now().taipei_date();
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
        let site = recorder::Site::new();
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
                "national_id": "A123456789", "phone": "0912345678"
            });
            for (k, v) in changes.as_object().unwrap() {
                draft[k] = v.clone();
            }
            json!({ "draft": draft })
        };
        // Bad input is refused with what to fix, and nothing is stored.
        for (changes, expected) in [
            (json!({ "reason": " " }), "reason"),
            (json!({ "national_id": "A123456788" }), "national"),
            (json!({ "cameras": ["cam-99"] }), "cam-99"),
            (json!({ "to": "2099-01-01 10:00" }), "passed"),
            (json!({ "from": "2026-11-20 9 點" }), "YYYY-MM-DD HH:MM"),
            (json!({ "attachments": [] }), "official"),
        ] {
            let (kind, message) = manager.error_kind("file_application", form(changes.clone()));
            assert_eq!(kind, "invalid", "{changes}: {message}");
            assert!(
                message.to_lowercase().contains(&expected.to_lowercase()),
                "{changes}: {message}"
            );
        }
        assert_eq!(manager.call("sync_status", json!({})).unwrap()["waiting"], 0);

        let id = manager.call("file_application", form(json!({}))).unwrap();
        let id = id.as_str().unwrap().to_string();
        manager.call("sync_now", json!({})).unwrap();
        head.call("sync_now", json!({})).unwrap();
        let listed = head.call("applications", json!({})).unwrap();
        assert_eq!(listed[0]["status"]["state"], "in_review", "{listed}");

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
        let viewed = decide_on(
            &manager,
            &third,
            "manager",
            json!({ "kind": "viewing", "session": "escorted-1" }),
        )
        .unwrap();
        assert_eq!(viewed["status"]["state"], "viewed", "{viewed}");
        manager.call("sync_now", json!({})).unwrap();
        assert_eq!(
            holds_of(&third),
            [
                ("application_filed".to_string(), false),
                ("viewed_on_record".to_string(), true)
            ]
        );

        // 核章: the inspector records, the supervisor (the head here) countersigns.
        let ok = json!({ "running": true, "picture_clear": true, "audio_ok": null, "storage_ok": true, "time_correct": true, "note": "" });
        let check = inspector
            .call(
                "record_check",
                json!({ "draft": { "host_ok": true, "cameras": { "cam-01": ok, "cam-02": ok } } }),
            )
            .unwrap();
        inspector.call("sync_now", json!({})).unwrap();
        head.call("sync_now", json!({})).unwrap();
        let now = crate::clock::now().taipei_date();
        let seal = json!({ "year": now.year, "month": now.month, "entry": check["entry"] });
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
}
