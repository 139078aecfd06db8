//! Nothing a command confirmed is lost when the app is killed. A child
//! process runs the very functions the Tauri commands call (the local
//! store and `registers::record_check`) and prints each check it recorded;
//! the parent kills it with SIGKILL at random moments, starts it again,
//! and in the end every check a child confirmed is in the store, once, and
//! waits in the outbox for the recorder.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use automerge::AutoCommit;
use custos_app::registers::{self, CheckDraft};
use custos_app::store::LocalStore;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{EntryId, PersonId};
use custos_core::inspection::CameraCheck;
use custos_core::policy::PolicyProfile;
use custos_core::roles::Role;
use custos_core::seeds::KAOHSIUNG_KINDERGARTEN;
use custos_core::signing::DeviceKey;
use custos_core::site::{Camera, CameraFeatures, Device, Person, SiteInfo, Zone};

const EDITS: usize = 100;
const CHILD_ENV: &str = "CUSTOS_DURABILITY_STORE";

fn key() -> DeviceKey {
    DeviceKey::from_seed(&[42; 32])
}

fn inspector() -> PersonId {
    EntryId::from_parts(1, 1).into()
}

/// The site register as a synced device holds it: one camera, this inspector and device.
fn site_document() -> AutoCommit {
    let recorder = DeviceKey::from_seed(&[7; 32]);
    let mut site = docs::open(&DocKey::Site, None, &recorder.device_id()).unwrap();
    let info = SiteInfo {
        name: "測試幼兒園".into(),
        profile_json: PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap().to_json(),
        recorder_public_key: recorder.public_key_hex(),
        opening_hours: Default::default(),
    };
    autosurgeon::reconcile_prop(&mut site, automerge::ROOT, "site", &info).unwrap();
    let camera = Camera {
        name: "大門".into(),
        location: "一樓".into(),
        zone: Zone::OutdoorPublic,
        features: CameraFeatures {
            colour: true,
            full_angle: true,
            time_overlay: true,
            audio: false,
        },
        property_number: None,
        removed_at: None,
    };
    docs::put_entry(&mut site, "cameras", "cam-01", &camera).unwrap();
    let person = Person {
        name: "黃巡檢".into(),
        roles: vec![Role::Inspector],
        unit: None,
        revoked_at: None,
    };
    docs::put_entry(&mut site, "people", inspector().as_str(), &person).unwrap();
    let device = Device {
        person: inspector(),
        public_key: key().public_key_hex(),
        enrolled_at: custos_clock::Clock::now(&custos_clock::SystemClock),
        revoked_at: None,
    };
    docs::put_entry(&mut site, "devices", key().device_id().as_str(), &device).unwrap();
    docs::commit(&mut site, "site", 0);
    site
}

/// The child: records checks until killed, printing each one a command
/// would have confirmed to the UI.
#[test]
#[ignore = "run by the durability test as its child process"]
fn child_records_checks_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let store = Mutex::new(LocalStore::open(path.as_ref(), key().device_id()).unwrap());
    let ok = CameraCheck::all_clear(false);
    let mut counter = 0u128;
    let pid = u128::from(std::process::id());
    loop {
        let draft = CheckDraft {
            host_ok: true,
            cameras: [("cam-01".to_string(), ok.clone())].into(),
            maintenance: String::new(),
            handling: String::new(),
            remarks: format!("pid {pid} check {counter}"),
            photos: vec![],
        };
        counter += 1;
        let at = custos_clock::Clock::now(&custos_clock::SystemClock);
        let id = move || EntryId::from_parts(at.0 as u64, (pid << 64) | counter);
        let recorded = registers::record_check(&store, &inspector(), draft, at, id).unwrap();
        println!("confirmed {}", recorded.entry);
    }
}

#[test]
fn no_confirmed_edit_is_lost_to_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sqlite");
    {
        let mut store = LocalStore::open(&path, key().device_id()).unwrap();
        let mut site = site_document();
        store.save_received("site", &mut site, &[], &[], 0).unwrap();
    }
    let seed = custos_clock::Clock::now(&custos_clock::SystemClock).0 as u64;
    println!("random seed {seed}");
    let mut random = seed;
    let mut next = move |below: u64| {
        random = random
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (random >> 33) % below
    };
    let mut confirmed: BTreeSet<String> = BTreeSet::new();
    let mut kills = 0;
    while confirmed.len() < EDITS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_records_checks_until_killed",
                "--ignored",
                "--nocapture",
                "--quiet",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Let it confirm a few, then kill it a random few hundred microseconds later: mid-edit.
        let before_kill = 1 + next(12) as usize;
        let mut seen = 0;
        while seen < before_kill && confirmed.len() < EDITS {
            let line = lines.next().expect("the child runs until killed").unwrap();
            if let Some(id) = line.strip_prefix("confirmed ") {
                confirmed.insert(id.to_string());
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(next(3000)));
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        // Anything printed before the kill landed was confirmed too.
        for line in lines.map_while(Result::ok) {
            if let Some(id) = line.strip_prefix("confirmed ") {
                confirmed.insert(id.to_string());
            }
        }
    }
    println!("{} confirmed checks, {kills} kills", confirmed.len());
    assert!(kills >= 5, "killed {kills} times");

    let store = Mutex::new(LocalStore::open(&path, key().device_id()).unwrap());
    let month = registers::month_of(custos_clock::Clock::now(&custos_clock::SystemClock));
    let DocKey::Inspections { year, month } = month else {
        unreachable!()
    };
    let mut stored: BTreeSet<String> = registers::month(&store, year, month)
        .unwrap()
        .checks
        .into_keys()
        .collect();
    // A check recorded around midnight at the month's end lands in the next month.
    if stored.len() < confirmed.len() {
        let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        stored.extend(registers::month(&store, y, m).unwrap().checks.into_keys());
    }
    let lost: Vec<&String> = confirmed.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "lost {} confirmed checks after {kills} kills (seed {seed}): {lost:?}",
        lost.len()
    );
    // Every one of them also waits in the outbox, to reach the recorder.
    let waiting = store.lock().unwrap().waiting_count().unwrap();
    assert!(
        waiting > confirmed.len(),
        "{waiting} waiting for {} confirmed",
        confirmed.len()
    );
}
