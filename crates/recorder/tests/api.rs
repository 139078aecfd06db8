//! The recorder's API over real HTTPS on loopback, with a real data
//! directory: health, OpenAPI, enrollment, authentication, revocation, bad
//! input, and the audit chain on disk.

mod common;

use common::*;
use serde_json::{Value, json};

const PEOPLE: &[(&str, &[&str])] = &[
    ("王經理", &["manager"]),
    ("李校長", &["head"]),
    ("陳老師", &["inspector"]),
];

#[tokio::test]
async fn health_and_openapi_answer_without_credentials() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    let res = r.get("/v1/health", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["site"], "測試機關");

    let api: Value = r.get("/v1/openapi.json", None).await.json().await.unwrap();
    assert!(api["openapi"].as_str().unwrap().starts_with("3."));
    let paths: Vec<&str> = api["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for expected in [
        "/v1/health",
        "/v1/enroll",
        "/v1/auth/challenge",
        "/v1/auth/token",
        "/v1/me",
        "/v1/openapi.json",
        "/v1/documents",
        "/v1/sync",
        "/v1/push",
        "/v1/events",
    ] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
    // Client generators name their functions after operation ids: each must be unique
    // (the full check against the OpenAPI schema is in `cargo xtask fuzz`).
    let mut ids: Vec<&str> = api["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().expect("every operation has an id"))
        .collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operation ids among {ids:?}");
}

#[tokio::test]
async fn every_protected_endpoint_answers_401_without_credentials() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    let api: Value = r.get("/v1/openapi.json", None).await.json().await.unwrap();
    let mut checked = 0;
    for (path, ops) in api["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if op.get("security").is_none() {
                continue;
            }
            let req = r.client.request(method.to_uppercase().parse().unwrap(), r.url(path));
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{method} {path}");
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            let res = r
                .client
                .request(method.to_uppercase().parse().unwrap(), r.url(path))
                .bearer_auth("forged")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{method} {path} with a forged token");
            checked += 1;
        }
    }
    assert!(checked >= 1);
}

#[tokio::test]
async fn a_device_enrolls_once_and_signs_in_with_its_key() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    let device = r.enroll("王經理", 1).await;
    let token = r.token(&device).await;
    let me: Value = r.get("/v1/me", Some(&token)).await.json().await.unwrap();
    assert_eq!(me["name"], "王經理");
    assert_eq!(me["roles"], json!(["manager"]));
    assert_eq!(me["device_id"], device.id.as_str());
    assert!(me["documents"].as_array().unwrap().contains(&json!("site")));

    let listed = ok(console(&["person", "list", "--data", &r.data_str(), "--json"]));
    let people: Value = serde_json::from_str(&listed).unwrap();
    let manager = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "王經理")
        .unwrap();
    assert_eq!(manager["devices"], json!([device.id.as_str()]));
}

/// 2026-11-24 10:00 Taipei, a Tuesday: where the simulated-clock tests start.
const TUESDAY_10AM: custos_core::time::Timestamp = custos_core::time::Timestamp(1_795_485_600_000);

fn simulated(cameras: &[(&str, &str, bool)], serve_args: &[&str]) -> Recorder {
    Recorder::start_simulated("kaohsiung-kindergarten", PEOPLE, cameras, serve_args, TUESDAY_10AM)
}

#[tokio::test]
async fn enrollment_codes_are_single_use_expire_and_must_be_known() {
    let r = simulated(&[], &[]);
    let code = r.code("陳老師");
    let key = |seed: u8| custos_core::signing::DeviceKey::from_seed(&[seed; 32]).public_key_hex();

    let first = r
        .post("/v1/enroll", &json!({ "code": code, "public_key": key(1) }))
        .await;
    assert_eq!(first.status(), 200);
    let reused = r
        .post("/v1/enroll", &json!({ "code": code, "public_key": key(2) }))
        .await;
    assert_eq!(reused.status(), 409);
    let problem: Value = reused.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("new code"), "{problem}");

    let unknown = r
        .post("/v1/enroll", &json!({ "code": "AAAA-BBBB-CCCC", "public_key": key(3) }))
        .await;
    assert_eq!(unknown.status(), 403);

    // A code valid for one minute, issued on the console: good until then,
    // refused as expired once the clock is past it.
    let text = ok(r.console(&[
        "enroll",
        "--data",
        &r.data_str(),
        "--person",
        "陳老師",
        "--valid-minutes",
        "1",
        "--quiet",
    ]));
    let payload: Value = serde_json::from_str(text.trim().strip_prefix("custos-enroll:").unwrap()).unwrap();
    let short = payload["code"].as_str().unwrap().to_string();
    r.advance(60_000).await;
    let late = r
        .post("/v1/enroll", &json!({ "code": short, "public_key": key(4) }))
        .await;
    assert_eq!(late.status(), 410);
    let problem: Value = late.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");

    // Each refusal is in the audit chain.
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    let rows = store.audit_rows().unwrap();
    let refusals: Vec<&str> = rows
        .iter()
        .filter(|row| row.kind == "enrollment_refused")
        .map(|row| row.detail.as_str())
        .collect();
    assert_eq!(refusals.len(), 3, "{refusals:?}");
}

/// A challenge can be answered for a minute, a token lasts fifteen: each is
/// refused once the recorder's clock is past it, and the device signs in again.
#[tokio::test]
async fn a_challenge_and_a_token_expire_on_the_recorders_clock() {
    let r = simulated(&[], &[]);
    let device = r.enroll("王經理", 1).await;

    let nonce = r.challenge(&device.id).await;
    r.advance(60_000).await;
    let late = r.answer(&device.id, &nonce, &device.key).await;
    assert_eq!(late.status(), 401, "a challenge a minute old");

    let token = r.token(&device).await;
    r.advance(15 * 60_000 - 1).await;
    assert_eq!(
        r.get("/v1/me", Some(&token)).await.status(),
        200,
        "still valid a millisecond before"
    );
    r.advance(1).await;
    let expired = r.get("/v1/me", Some(&token)).await;
    assert_eq!(expired.status(), 401);
    let problem: Value = expired.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");
    let again = r.token(&device).await;
    assert_eq!(r.get("/v1/me", Some(&again)).await.status(), 200, "signed in again");
}

#[tokio::test]
async fn malformed_and_oversized_requests_get_problems_and_the_recorder_keeps_serving() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        (
            "not json",
            r.client
                .post(r.url("/v1/enroll"))
                .header("content-type", "application/json")
                .body("{nope"),
            400,
        ),
        ("no content type", r.client.post(r.url("/v1/enroll")).body("{}"), 400),
        (
            "missing field",
            r.client.post(r.url("/v1/enroll")).json(&json!({ "code": "x" })),
            400,
        ),
        (
            "short key",
            r.client
                .post(r.url("/v1/enroll"))
                .json(&json!({ "code": "x", "public_key": "abcd" })),
            400,
        ),
        (
            "bad device id",
            r.client
                .post(r.url("/v1/auth/challenge"))
                .json(&json!({ "device_id": "../../etc" })),
            400,
        ),
        ("unknown path", r.client.get(r.url("/v1/nothing-here")), 404),
    ];
    for (what, req, status) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{what}");
        let problem: Value = res.json().await.unwrap();
        assert!(!problem["detail"].as_str().unwrap().is_empty(), "{what}");
    }
    // An oversized body is refused before it is read: either the 413 arrives,
    // or the recorder closes the connection while the client is still writing.
    let oversized = r
        .client
        .post(r.url("/v1/enroll"))
        .header("content-type", "application/json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await;
    match oversized {
        Ok(res) => {
            assert_eq!(res.status(), 413);
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
        Err(e) => assert!(e.is_request() && format!("{e:?}").contains("BodyWrite"), "{e:?}"),
    }
    assert_eq!(r.get("/v1/health", None).await.status(), 200);
}

#[tokio::test]
async fn a_wrong_signature_or_a_replayed_challenge_is_refused() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    let device = r.enroll("王經理", 1).await;
    let impostor = custos_core::signing::DeviceKey::from_seed(&[99; 32]);
    let nonce = r.challenge(&device.id).await;
    assert_eq!(r.answer(&device.id, &nonce, &impostor).await.status(), 401);

    // The challenge was spent by the failed attempt; a genuine answer to it is refused too.
    assert_eq!(r.answer(&device.id, &nonce, &device.key).await.status(), 401);
    // A fresh challenge works.
    r.token(&device).await;
}

#[tokio::test]
async fn a_revoked_person_is_refused_at_once() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    let device = r.enroll("陳老師", 3).await;
    let token = r.token(&device).await;
    assert_eq!(r.get("/v1/me", Some(&token)).await.status(), 200);

    ok(console(&[
        "person",
        "revoke",
        "--data",
        &r.data_str(),
        "--name",
        "陳老師",
    ]));
    let res = r.get("/v1/me", Some(&token)).await;
    assert_eq!(res.status(), 401);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("revoked"), "{problem}");

    let nonce = r.challenge(&device.id).await;
    let res = r.answer(&device.id, &nonce, &device.key).await;
    assert_eq!(res.status(), 401, "a revoked device cannot sign in again");

    let out = console(&["enroll", "--data", &r.data_str(), "--person", "陳老師"]);
    assert!(!out.status.success(), "no code for a revoked person");
}

#[tokio::test]
async fn the_audit_chain_catches_edits_and_deletions_in_the_database() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    r.enroll("王經理", 1).await;
    let verified = ok(console(&["audit", "verify", "--data", &r.data_str()]));
    assert!(verified.contains("audit chain intact"), "{verified}");

    let db = rusqlite::Connection::open(r.data().join("recorder.sqlite")).unwrap();
    let rows: i64 = db
        .query_row("SELECT COUNT(*) FROM audit_log", [], |row| row.get(0))
        .unwrap();
    assert!(rows >= 5, "site, three people, code, enrollment: {rows}");

    db.execute(
        "UPDATE audit_log SET detail = replace(detail, '王經理', '某某') WHERE seq = 2",
        [],
    )
    .unwrap();
    let out = console(&["audit", "verify", "--data", &r.data_str()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("row 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    db.execute(
        "UPDATE audit_log SET detail = replace(detail, '某某', '王經理') WHERE seq = 2",
        [],
    )
    .unwrap();
    assert!(
        console(&["audit", "verify", "--data", &r.data_str()]).status.success(),
        "restored"
    );

    db.execute("DELETE FROM audit_log WHERE seq = 3", []).unwrap();
    let out = console(&["audit", "verify", "--data", &r.data_str()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("row 4"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_certificate_is_the_one_init_printed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let out = ok(console(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--site",
        "萬華戶政",
        "--profile",
        "wanhua-household",
    ]));
    let printed = out
        .lines()
        .find_map(|l| l.strip_prefix("TLS certificate SHA-256 fingerprint: "))
        .unwrap();
    assert_eq!(printed, pem_fingerprint(&data.join("tls-cert.pem")));
    assert!(out.contains("at least 31 days"), "{out}");

    let again = console(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--site",
        "x",
        "--profile",
        "wanhua-household",
    ]);
    assert!(!again.status.success(), "init never overwrites a data directory");
    let dahu = dir.path().join("dahu");
    let out = console(&[
        "init",
        "--data",
        dahu.to_str().unwrap(),
        "--site",
        "大湖",
        "--profile",
        "dahu-office",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--floor-days"));
    assert!(!dahu.exists(), "nothing half-made is left behind");
}

#[tokio::test]
async fn a_camera_down_is_an_alarm_only_while_the_site_is_open() {
    let r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    let device = r.enroll("王經理", 1).await;
    let token = r.token(&device).await;
    // No hours set: always open, and the unreachable cameras are alarms.
    let h = camera_health(&r, &token).await;
    assert_eq!(h["open"], true);
    assert_eq!(h["cameras"][0]["index"]["outage_alarm"], true, "{h}");

    // A bad spec is refused and changes nothing.
    let out = console(&["site", "hours", "--data", &r.data_str(), "weekdays 7-18"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a day"));

    // Open only on a day that is not today: now the site is closed, no alarm.
    let other_day = hours_excluding_today();
    ok(console(&["site", "hours", "--data", &r.data_str(), &other_day]));
    assert!(ok(console(&["site", "show", "--data", &r.data_str()])).contains(&other_day));
    let h = camera_health(&r, &token).await;
    assert_eq!(h["open"], false, "{h}");
    assert_eq!(h["cameras"][0]["index"]["recording"], false);
    assert_eq!(
        h["cameras"][0]["index"]["outage_alarm"], false,
        "down while closed is no alarm"
    );
}

async fn camera_health(r: &Recorder, token: &str) -> Value {
    let res = r.get("/v1/cameras/health", Some(token)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_outage_during_opening_hours_is_on_record_in_the_audit_chain_and_the_inspection_log() {
    let r = simulated(
        &[("cam-01", "rtsp://127.0.0.1:9/unreachable", false)],
        &["--segment-seconds", "2"],
    );
    let rows = |kind: &str| -> i64 {
        let db = rusqlite::Connection::open(r.data().join("recorder.sqlite")).unwrap();
        db.query_row("SELECT COUNT(*) FROM audit_log WHERE kind = ?1", [kind], |row| {
            row.get(0)
        })
        .unwrap()
    };
    // A fresh start gives a camera 14 s (two segments and the probe) to come up.
    r.advance(14_000).await;
    assert_eq!(rows("camera_outage_alarm"), 0, "not yet: the camera may still come up");
    // Always open (no hours set): the camera that never records is an alarm, once.
    r.advance(1_000).await;
    assert_eq!(rows("camera_outage_alarm"), 1);
    r.advance(60_000).await;
    assert_eq!(
        rows("camera_outage_alarm"),
        1,
        "recorded when it begins, not on every look"
    );

    // The site closes (hours that exclude today): the alarm ends, on record too.
    let other_day = hours_excluding(r.now());
    ok(r.console(&["site", "hours", "--data", &r.data_str(), &other_day]));
    r.advance(1_000).await;
    assert_eq!(rows("camera_outage_alarm_ended"), 1);
    assert!(ok(r.console(&["audit", "verify", "--data", &r.data_str()])).contains("intact"));

    // The inspection log holds it as one entry, from its start to its end,
    // naming the camera: what the inspector sees in the app.
    let registers =
        custos_recorder::registers::Registers::open(&r.data(), std::sync::Arc::new(custos_clock::SystemClock)).unwrap();
    let open = registers.open_alarms(r.now()).unwrap();
    assert!(open.is_empty(), "ended: {open:?}");
    let today = r.now().taipei_date();
    let log = custos_core::documents::DocKey::Inspections {
        year: today.year,
        month: today.month,
    };
    let doc = registers.document(&log).unwrap().expect("the month's log");
    let alarms: Vec<_> = custos_core::inspection::alarms(&doc).unwrap().into_values().collect();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(alarms[0].kind, custos_core::inspection::AlarmKind::CameraOutage);
    assert_eq!(alarms[0].camera.as_ref().map(|c| c.as_str()), Some("cam-01"));
    assert_eq!(alarms[0].raised_at.0, TUESDAY_10AM.0 + 15_000);
    assert_eq!(
        alarms[0].ended_at,
        Some(custos_core::time::Timestamp(TUESDAY_10AM.0 + 76_000))
    );
}

fn wall_clock() -> custos_core::time::Timestamp {
    custos_core::time::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

/// Opening hours on one whole day that is not today (Taipei): the site is closed now.
fn hours_excluding_today() -> String {
    hours_excluding(wall_clock())
}

/// Opening hours on one whole day that is not the day of `now` (Taipei).
fn hours_excluding(now: custos_core::time::Timestamp) -> String {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .into_iter()
        .map(|d| format!("{d} 00:00-24:00"))
        .find(|spec| !custos_core::hours::OpeningHours::parse(spec).unwrap().is_open(now))
        .unwrap()
}
