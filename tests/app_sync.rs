//! The app's Rust side (store, enrollment, sync; no window) against a real
//! recorder: the real binary over real HTTPS on loopback, stopped and
//! started again on the same port, as a site's recorder would be.

use std::sync::Mutex;

use automerge::AutoCommit;
use custos_app::client::ClientError;
use custos_app::store::LocalStore;
use custos_app::sync::{SyncClient, SyncError, SyncEvent, enroll, enrollment};
use custos_core::documents as docs;
use custos_core::ids::{EntryId, PersonId};
use custos_core::inspection::{CameraCheck, InspectionEntry};
use custos_core::signing::DeviceKey;
use custos_journeys::Site;

struct Device {
    store: Mutex<LocalStore>,
    key: DeviceKey,
    seed: u8,
    _dir: tempfile::TempDir,
}

impl Device {
    fn new(seed: u8) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let key = DeviceKey::from_seed(&[seed; 32]);
        let store = LocalStore::open(&dir.path().join("app.sqlite"), key.device_id()).unwrap();
        Device {
            store: Mutex::new(store),
            key,
            seed,
            _dir: dir,
        }
    }

    fn person(&self) -> PersonId {
        custos_journeys::enrolled_person(&self.store)
    }

    /// What a command does: edit, and the edit is durable before it returns.
    fn record_check(&self, inspector: &PersonId, remarks: &str) -> EntryId {
        let now = custos_clock::Clock::now(&custos_clock::SystemClock);
        let key = custos_app::registers::month_of(now);
        let mut store = self.store.lock().unwrap();
        let mut doc: AutoCommit = store.document(&key).unwrap();
        let before = doc.get_heads();
        let id = EntryId::from_parts(now.0 as u64, rand_bits(remarks));
        let ok = CameraCheck::all_clear(false);
        let entry = InspectionEntry {
            checked_at: now,
            inspector: inspector.clone(),
            host_ok: true,
            cameras: [("cam-01".to_string(), ok.clone()), ("cam-02".to_string(), ok)].into(),
            maintenance: String::new(),
            handling: String::new(),
            remarks: remarks.into(),
            photos: vec![],
        };
        docs::put_entry(&mut doc, docs::INSPECTION_ENTRIES, id.as_str(), &entry).unwrap();
        docs::commit(&mut doc, "check", now.0);
        store.record_edit(&key, &mut doc, &before, now.0).unwrap();
        id
    }

    fn checks(&self) -> Vec<String> {
        let doc = self
            .store
            .lock()
            .unwrap()
            .document(&custos_app::registers::month_of(custos_clock::Clock::now(
                &custos_clock::SystemClock,
            )))
            .unwrap();
        let entries: std::collections::BTreeMap<String, InspectionEntry> =
            docs::entries(&doc, docs::INSPECTION_ENTRIES).unwrap();
        entries.into_values().map(|e| e.remarks).collect()
    }

    async fn sync(&self) -> (Result<custos_app::sync::SyncReport, SyncError>, Vec<SyncEvent>) {
        let enrolled = enrollment(&self.store).unwrap().unwrap();
        let mut client =
            SyncClient::for_enrollment(&enrolled, std::sync::Arc::new(DeviceKey::from_seed(&[self.seed; 32]))).unwrap();
        let mut events = Vec::new();
        let result = client
            .sync_once(
                &self.store,
                custos_clock::Clock::now(&custos_clock::SystemClock).0,
                &mut |e| events.push(e),
            )
            .await;
        (result, events)
    }
}

fn rand_bits(text: &str) -> u128 {
    text.bytes()
        .fold(7u128, |h, b| h.wrapping_mul(131).wrapping_add(u128::from(b)))
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_edits_converge_and_a_refused_one_stays_with_its_reason() {
    let mut site = Site::new();
    let tablet = Device::new(11);
    let head_phone = Device::new(12);

    // A wrong certificate is refused before any code is spent.
    let forged = site.enrollment_text_with_wrong_fingerprint("黃巡檢");
    let err = enroll(&tablet.store, &tablet.key, &forged).await.unwrap_err();
    assert!(matches!(err, SyncError::Client(ClientError::WrongCertificate)), "{err}");
    assert!(
        err.to_string().contains("not the recorder this device enrolled with"),
        "{err}"
    );

    let text = site.enrollment_text("黃巡檢");
    let enrolled = enroll(&tablet.store, &tablet.key, &text).await.unwrap();
    assert_eq!(enrolled.enrolled.person_name, "黃巡檢");
    // The same code once more, from another device: refused, and said why.
    let err = enroll(&head_phone.store, &head_phone.key, &text).await.unwrap_err();
    assert!(err.to_string().contains("already"), "{err}");
    enroll(&head_phone.store, &head_phone.key, &site.enrollment_text("陳園長"))
        .await
        .unwrap();
    let (inspector, head) = (tablet.person(), head_phone.person());

    // Online: Monday's check goes out at once.
    tablet.record_check(&inspector, "週一");
    let (report, _) = tablet.sync().await;
    assert_eq!(report.unwrap().changes_accepted, 2, "the month's genesis and the check");

    // The recorder stops. The tablet keeps working; nothing is lost.
    site.stop();
    tablet.record_check(&inspector, "週二");
    let (result, events) = tablet.sync().await;
    assert!(
        matches!(result, Err(SyncError::Client(ClientError::Offline(_)))),
        "{result:?}"
    );
    assert!(
        matches!(events.last(), Some(SyncEvent::Offline { waiting: 1, .. })),
        "{events:?}"
    );
    // More work offline, one of them in the head's name, which the recorder will refuse.
    tablet.record_check(&head, "代簽");
    tablet.record_check(&inspector, "週三");

    site.start();
    let (report, events) = tablet.sync().await;
    let report = report.unwrap();
    assert_eq!(report.changes_refused, 1);
    let refused = events
        .iter()
        .find_map(|e| match e {
            SyncEvent::Refused { rule, message, .. } => Some((rule.clone(), message.clone())),
            _ => None,
        })
        .expect("a refusal event");
    assert_eq!(refused.0, "author", "{refused:?}");
    assert!(
        matches!(
            events.last(),
            Some(SyncEvent::Synced {
                waiting: 0,
                refused: 1,
                ..
            })
        ),
        "{events:?}"
    );
    // The refused change stays on the device with the recorder's reason; the rest went out.
    let kept = tablet.store.lock().unwrap().refused_changes().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].refused.as_ref().unwrap().0, "author");
    let mut mine = tablet.checks();
    mine.sort();
    assert_eq!(mine, vec!["週一", "週三", "週二"]);

    // The head's phone receives exactly what the recorder accepted.
    let (report, _) = head_phone.sync().await;
    assert!(report.unwrap().documents >= 2, "site and the month at least");
    let mut theirs = head_phone.checks();
    theirs.sort();
    assert_eq!(theirs, mine, "both devices converge");
    // And a later sync of the tablet has nothing more to do.
    let (report, _) = tablet.sync().await;
    let report = report.unwrap();
    assert_eq!((report.changes_accepted, report.changes_refused), (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_heads_device_countersigns_and_sees_a_truncated_audit_trail() {
    let mut site = Site::new();
    let head_phone = Device::new(21);
    enroll(&head_phone.store, &head_phone.key, &site.enrollment_text("陳園長"))
        .await
        .unwrap();
    // The recorder signs a checkpoint covering everything so far; the head's phone countersigns it.
    site.console(&["audit", "checkpoint"], &[]);
    let (report, events) = head_phone.sync().await;
    report.unwrap();
    assert!(
        !events.iter().any(|e| matches!(e, SyncEvent::AuditAlarm { .. })),
        "{events:?}"
    );
    // The phone checked the trail itself after the round, its own countersignature included.
    let review = custos_app::registers::last_audit_review(&head_phone.store)
        .unwrap()
        .expect("checked after the round");
    assert!(review.findings.sound, "{review:?}");
    assert_eq!(review.findings.checkpoints[0].countersignatures.len(), 1, "{review:?}");
    assert!(review.findings.checkpoints[0].countersignatures[0].problem.is_none());
    site.stop();
    let verified = site.console(&["audit", "verify"], &[]);
    assert!(verified.contains("1 countersignature(s)"), "{verified}");

    // Someone with the disk removes the newest rows and signs a new, smaller checkpoint.
    {
        let db = rusqlite::Connection::open(site.database()).unwrap();
        db.execute("DELETE FROM audit_log WHERE seq > 2", []).unwrap();
        db.execute("DELETE FROM audit_checkpoints", []).unwrap();
    }
    site.console(&["audit", "checkpoint"], &[]);
    site.start();
    let (_, events) = head_phone.sync().await;
    let alarm = events
        .iter()
        .find_map(|e| match e {
            SyncEvent::AuditAlarm { message } => Some(message.clone()),
            _ => None,
        })
        .expect("the head's phone raises the alarm");
    assert!(
        alarm.contains("smaller") && alarm.contains("rows were removed"),
        "{alarm}"
    );
    let review = custos_app::registers::last_audit_review(&head_phone.store)
        .unwrap()
        .unwrap();
    assert!(!review.findings.sound, "{review:?}");
    assert!(review.findings.alarm.as_deref().is_some_and(|a| a.contains("smaller")));
    assert_eq!(
        review.findings.alarm_code.as_deref(),
        Some("smaller"),
        "the screen's words come from it"
    );
    assert!(
        !review.findings.checkpoints[0].continues,
        "the newest checkpoint is of a shorter trail: {review:?}"
    );
    // The alarm stays, also after the next sync.
    head_phone.sync().await.0.unwrap();
    let kept = head_phone
        .store
        .lock()
        .unwrap()
        .setting(custos_app::sync::AUDIT_ALARM_SETTING)
        .unwrap();
    assert_eq!(kept.as_deref(), Some(alarm.as_str()));
    let code = head_phone
        .store
        .lock()
        .unwrap()
        .setting(custos_app::sync::AUDIT_ALARM_CODE_SETTING)
        .unwrap();
    assert_eq!(code.as_deref(), Some("smaller"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_app_learns_at_once_that_another_device_changed_a_register() {
    let site = Site::new();
    let (tablet, head_phone) = (Device::new(31), Device::new(32));
    enroll(&tablet.store, &tablet.key, &site.enrollment_text("黃巡檢"))
        .await
        .unwrap();
    enroll(&head_phone.store, &head_phone.key, &site.enrollment_text("陳園長"))
        .await
        .unwrap();
    head_phone.sync().await.0.unwrap();

    // Let the recorder announce the enrollments (it looks twice a second) before listening.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // The head's phone listens; the tablet records and syncs a check.
    let store = &head_phone.store;
    let key = std::sync::Arc::new(DeviceKey::from_seed(&[32; 32]));
    // Each event names a document; the enrollments just made may come first.
    let listening = async {
        let mut stream = custos_app::sync::ChangeStream::default();
        loop {
            let now = custos_clock::Clock::now(&custos_clock::SystemClock).0;
            let changed = stream.wait(store, &key, std::time::Duration::from_secs(30), now).await;
            match changed {
                Ok(key) if !key.starts_with("inspections/") => continue,
                other => break other,
            }
        }
    };
    // The tablet records a check now and then until the phone has heard
    // (so a listener still connecting under load cannot miss the only one).
    let heard = std::sync::atomic::AtomicBool::new(false);
    let recording = async {
        for day in ["週一", "週二", "週三", "週四", "週五"] {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            if heard.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            tablet.record_check(&tablet.person(), day);
            tablet.sync().await.0.unwrap();
        }
    };
    let listening = async {
        let changed = listening.await;
        heard.store(true, std::sync::atomic::Ordering::SeqCst);
        changed
    };
    let (changed, ()) = tokio::join!(listening, recording);
    let changed = changed.unwrap();
    assert!(
        changed.starts_with("inspections/"),
        "told which register changed: {changed}"
    );
    head_phone.sync().await.0.unwrap();
    assert_eq!(head_phone.checks(), tablet.checks());
}

/// The background sync waits on the device's clock: while the recorder
/// cannot be reached it tries again after 2 s, then 4 s, never sooner; once
/// the recorder is back, the next try syncs. No sleeping: each step moves
/// the clock to just before and just at the pause, and `advance` returns
/// once the loop has done what fell due and waits again.
#[tokio::test(flavor = "multi_thread")]
async fn the_background_sync_backs_off_on_the_devices_clock_and_syncs_when_the_recorder_returns() {
    let mut site = Site::new();
    let dir = tempfile::tempdir().unwrap();
    let clock = custos_clock::SimulatedClock::new(custos_clock::Clock::now(&custos_clock::SystemClock));
    let device = custos_app::device::ThisDevice::with_key(
        dir.path(),
        DeviceKey::from_seed(&[41; 32]),
        std::sync::Arc::new(clock.clone()),
    )
    .unwrap();
    enroll(&device.store, &device.key, &site.enrollment_text("黃巡檢"))
        .await
        .unwrap();
    site.stop();

    let mut events = device.events.subscribe();
    let mut rounds = move || {
        let mut ended = Vec::new();
        while let Ok(event) = events.try_recv() {
            match event {
                SyncEvent::Offline { .. } => ended.push("offline"),
                SyncEvent::Synced { .. } => ended.push("synced"),
                SyncEvent::Failed { .. } => ended.push("failed"),
                _ => {}
            }
        }
        ended
    };
    tokio::spawn(device.clone().sync_in_background());
    while clock.jobs().is_empty() {
        tokio::task::yield_now().await;
    }
    clock.advance(0).await;
    assert_eq!(rounds(), ["offline"], "the first round, at start");
    clock.advance(1_999).await;
    assert!(rounds().is_empty(), "not before the first pause of 2 s");
    clock.advance(1).await;
    assert_eq!(rounds(), ["offline"], "again after 2 s");
    clock.advance(3_999).await;
    assert!(rounds().is_empty(), "the pause doubled to 4 s");
    site.start();
    clock.advance(1).await;
    assert_eq!(rounds(), ["synced"], "the recorder is back: the next try syncs");
}
