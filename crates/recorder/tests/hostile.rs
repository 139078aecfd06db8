//! Attacks by an enrolled device, against the real binary under a memory
//! limit of its own: a parent representative's phone sends what automerge
//! would choke on. Each is answered 4xx `problem+json`, and the recorder
//! goes on serving.

mod common;

use std::io::Write;

use automerge::AutoCommit;
use automerge::sync::{self, SyncDoc};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use serde_json::{Value, json};

/// The address space each recorder here may use: enough to serve, far
/// less than the 16 GiB one hostile message once made it ask for.
const MEMORY_LIMIT: u64 = 2 << 30;

const PEOPLE: &[(&str, &[&str])] = &[("林專責", &["manager"]), ("陳家長", &["committee_parent"])];

async fn parent_phone() -> (Recorder, String) {
    let mut r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    r.serve_under_memory_limit(MEMORY_LIMIT, &["--no-recording"]);
    let phone = r.enroll("陳家長", 7).await;
    let token = r.token(&phone).await;
    (r, token)
}

async fn sync(r: &Recorder, token: &str, items: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let documents: Vec<Value> = items
        .iter()
        .map(|(key, message)| json!({ "key": key, "message": B64.encode(message) }))
        .collect();
    r.client
        .post(r.url("/v1/sync"))
        .bearer_auth(token)
        .json(&json!({ "documents": documents }))
        .send()
        .await
        .unwrap()
}

/// A V1 sync message with no heads or needs and one summary whose Bloom
/// filter has `entries`, `bits_per_entry` and `probes` as given.
fn message_with_filter(entries: u64, bits_per_entry: u64, probes: u64) -> Vec<u8> {
    let mut bloom = Vec::new();
    for n in [entries, bits_per_entry, probes] {
        leb128::write::unsigned(&mut bloom, n).unwrap();
    }
    bloom.resize(bloom.len() + (entries * bits_per_entry).div_ceil(8) as usize, 0);
    let mut m = vec![0x42, 0, 0, 1, 0];
    leb128::write::unsigned(&mut m, bloom.len() as u64).unwrap();
    m.extend(bloom);
    m.push(0);
    m
}

/// The recorder answers and a real sync of the site goes through.
async fn still_serving(r: &mut Recorder, token: &str) {
    assert!(r.serving(), "the recorder is still running");
    assert_eq!(r.get("/v1/health", None).await.status(), 200);
    let mut doc = AutoCommit::new();
    let mut state = sync::State::new();
    let message = doc.sync().generate_sync_message(&mut state).unwrap().encode();
    let res = sync(r, token, &[("site", message)]).await;
    assert_eq!(res.status(), 200, "an honest sync is served");
    let reply: Value = res.json().await.unwrap();
    let answer = B64.decode(reply["documents"][0]["message"].as_str().unwrap()).unwrap();
    doc.sync()
        .receive_sync_message(&mut state, sync::Message::decode(&answer).unwrap())
        .unwrap();
}

async fn assert_problem(res: reqwest::Response, status: u16, why: &str) {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(why), "{detail}");
}

#[tokio::test]
async fn hostile_bloom_filters_are_refused_and_the_recorder_serves_on() {
    let (mut r, token) = parent_phone().await;
    // No bits per entry (automerge: remainder by zero); 2³²−1 probes (16 GiB
    // per change hash); 2²⁴ probes twenty times in one request (a minute of CPU).
    let no_bits = message_with_filter(1, 0, 7);
    let res = sync(&r, &token, &[("site", no_bits)]).await;
    assert_problem(res, 400, "bits per entry").await;
    let res = sync(&r, &token, &[("site", message_with_filter(1, 10, u32::MAX.into()))]).await;
    assert_problem(res, 400, "probes").await;
    let many: Vec<(&str, Vec<u8>)> = (0..20).map(|_| ("site", message_with_filter(1, 10, 1 << 24))).collect();
    let res = sync(&r, &token, &many).await;
    assert_problem(res, 400, "probes").await;
    still_serving(&mut r, &token).await;
}

#[tokio::test]
async fn a_document_named_two_hundred_times_is_answered_once() {
    let (mut r, token) = parent_phone().await;
    let mut doc = AutoCommit::new();
    let message = doc
        .sync()
        .generate_sync_message(&mut sync::State::new())
        .unwrap()
        .encode();
    let once = sync(&r, &token, &[("site", message.clone())]).await;
    assert_eq!(once.status(), 200);
    let once = once.bytes().await.unwrap().len();
    let copies: Vec<(&str, Vec<u8>)> = (0..200).map(|_| ("site", message.clone())).collect();
    let res = sync(&r, &token, &copies).await;
    assert_eq!(res.status(), 200);
    let reply: Value = res.json().await.unwrap();
    assert_eq!(
        reply["documents"].as_array().unwrap().len(),
        1,
        "one answer per document"
    );
    let size = reply.to_string().len();
    assert!(size <= once + once / 10, "200 copies cost {size} bytes, one {once}");
    still_serving(&mut r, &token).await;
}

#[tokio::test]
async fn a_compressed_change_is_refused_before_it_is_inflated() {
    let (mut r, token) = parent_phone().await;
    // A change chunk of type 2 (deflated) whose 1 MB inflates to 1 GiB of zeros.
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        deflate.write_all(&zeros).unwrap();
    }
    let deflated = deflate.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    leb128::write::unsigned(&mut chunk, deflated.len() as u64).unwrap();
    chunk.extend(&deflated);
    let before = r.peak_memory();
    let push = |changes: Vec<String>| {
        r.client
            .post(r.url("/v1/push"))
            .bearer_auth(&token)
            .json(&json!({ "key": "inspections/2026-11", "changes": changes }))
            .send()
    };
    let res = push(vec![B64.encode(&chunk)]).await.unwrap();
    assert_problem(res, 400, "compressed").await;
    // A whole document (type 0) in place of a change: its columns could be deflated too.
    let res = push(vec![B64.encode(AutoCommit::new().save())]).await.unwrap();
    assert_problem(res, 400, "type 0").await;
    let grown = r.peak_memory().saturating_sub(before);
    assert!(grown < 256 << 20, "peak memory grew by {} MiB", grown >> 20);
    still_serving(&mut r, &token).await;
}

#[tokio::test]
async fn empty_pushes_create_nothing_and_retention_keeps_working() {
    let (mut r, token) = parent_phone().await;
    let push = |key: String| {
        r.client
            .post(r.url("/v1/push"))
            .bearer_auth(&token)
            .json(&json!({ "key": key, "changes": [] }))
            .send()
    };
    let res = push("holds".into()).await.unwrap();
    assert_problem(res, 422, "genesis").await;
    for key in ["inspections/0000-01", "inspections/2026-+1", "logbook/+026"] {
        let res = push(key.into()).await.unwrap();
        assert_problem(res, 400, "names no register document").await;
    }
    // Refused, each on record with its reason, until the device has had
    // twenty refusals this minute; then not even checked (429).
    let mut statuses = Vec::new();
    for n in 0..300u64 {
        let id = custos_core::ids::EntryId::from_parts(1_795_485_600_000 + n, n.into());
        statuses.push(push(format!("applications/{id}/case")).await.unwrap().status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        20 - 1,
        "one refusal went on holds"
    );
    assert!(statuses[19..].iter().all(|s| *s == 429), "{statuses:?}");
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    let rows = store
        .audit_rows()
        .unwrap()
        .into_iter()
        .filter(|row| row.kind == "upload_refused")
        .count();
    assert_eq!(rows, 20, "the audit chain grew by the refusals checked, not by 300");
    let manager = r.enroll("林專責", 8).await;
    let manager = r.token(&manager).await;
    let listed: Value = r.get("/v1/documents", Some(&manager)).await.json().await.unwrap();
    let keys: Vec<&str> = listed["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap())
        .collect();
    assert!(
        !keys.iter().any(|k| k.starts_with("applications/") || *k == "holds"),
        "no document came of them: {keys:?}"
    );
    // Retention reads its holds and places new ones as before.
    ok(r.console(&["retention", "status", "--data", &r.data_str()]));
    ok(r.console(&["hold", "list", "--data", &r.data_str()]));
    still_serving(&mut r, &token).await;
}

/// A change of `n` operations `put "a" = null`, every column one run:
/// a few dozen bytes whatever `n` is.
fn run_length_bomb(n: i64) -> Vec<u8> {
    let run = |value: &[u8]| {
        let mut d = Vec::new();
        leb128::write::signed(&mut d, n).unwrap();
        d.extend(value);
        d
    };
    let mut insert = Vec::new();
    leb128::write::unsigned(&mut insert, n as u64).unwrap();
    // (id << 4 | type): key string, insert boolean, action, value meta, pred group.
    let columns = [
        (0x15, run(&[1, b'a'])),
        (0x34, insert),
        (0x42, run(&[1])),
        (0x56, run(&[0])),
        (0x70, run(&[0])),
    ];
    // No dependencies; a 16-byte actor; seq 1, start op 1, time 0, no message, no other actors.
    let mut data = vec![0, 16];
    data.extend([7; 16]);
    data.extend([1, 1, 0, 0, 0, columns.len() as u8]);
    for (spec, d) in &columns {
        data.push(*spec);
        leb128::write::unsigned(&mut data, d.len() as u64).unwrap();
    }
    for (_, d) in &columns {
        data.extend(d);
    }
    let mut header = vec![1u8];
    leb128::write::unsigned(&mut header, data.len() as u64).unwrap();
    let hash = ring::digest::digest(&ring::digest::SHA256, &[&header[..], &data[..]].concat());
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83];
    chunk.extend(&hash.as_ref()[..4]);
    chunk.extend(header);
    chunk.extend(data);
    chunk
}

#[tokio::test]
async fn a_change_claiming_more_operations_than_its_bytes_can_hold_is_refused_unread() {
    let (mut r, token) = parent_phone().await;
    // Unguarded, the recorder walks the operations at full CPU and never
    // answers: a regression fails here instead of hanging the run.
    let push = |change: Vec<u8>| {
        r.client
            .post(r.url("/v1/push"))
            .bearer_auth(&token)
            .timeout(std::time::Duration::from_secs(60))
            .json(&json!({ "key": "inspections/2026-11", "changes": [B64.encode(change)] }))
            .send()
    };
    // Three operations: a real change, decoded and then judged by the write
    // rules (another device's actor), so the bomb below is well formed.
    let res = push(run_length_bomb(3)).await.unwrap();
    assert_problem(res, 422, "another device").await;
    // 2^40 operations in 70 bytes: automerge would walk them for days.
    let bomb = run_length_bomb(1 << 40);
    assert!(bomb.len() < 80, "{} bytes", bomb.len());
    let res = push(bomb).await.unwrap();
    assert_problem(res, 400, "at most 100000 operations").await;
    still_serving(&mut r, &token).await;
}

/// Ten failed sign-ins a minute from one address are answered 401, the
/// eleventh 429 with `Retry-After`; the head's phone, on the same address,
/// still signs in with its key; the audit chain holds one row for the
/// address's minute, not eleven; the next minute starts afresh.
#[tokio::test]
async fn failed_sign_ins_are_limited_per_source_and_recorded_once_a_minute() {
    let now = custos_core::time::Timestamp(1_795_485_600_000);
    let people: &[(&str, &[&str])] = &[("吳園長", &["head"]), ("陳家長", &["committee_parent"])];
    let mut r = Recorder::start_simulated("kaohsiung-kindergarten", people, &[], &["--no-recording"], now);
    r.serve_under_memory_limit(MEMORY_LIMIT, &["--no-recording"]);
    let head = r.enroll("吳園長", 1).await;
    let parent = r.enroll("陳家長", 2).await;
    let stranger = custos_core::signing::DeviceKey::from_seed(&[9; 32]);
    let rows = |r: &Recorder| {
        let store = custos_recorder::db::Store::open(&r.data()).unwrap();
        store
            .audit_rows()
            .unwrap()
            .into_iter()
            .filter(|row| row.kind == "auth_failed")
            .count()
    };
    for attempt in 1..=10 {
        let nonce = r.challenge(&parent.id).await;
        let res = r.answer(&parent.id, &nonce, &stranger).await;
        assert_eq!(res.status(), 401, "attempt {attempt}");
    }
    let nonce = r.challenge(&parent.id).await;
    let res = r.answer(&parent.id, &nonce, &stranger).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    assert_problem(res, 429, "too many failed sign-ins").await;
    // The head proves its key from the same address and is let in.
    let token = r.token(&head).await;
    assert_eq!(r.get("/v1/me", Some(&token)).await.status(), 200);
    assert_eq!(rows(&r), 1, "one row for the address's minute");

    r.advance(60_000).await;
    let nonce = r.challenge(&parent.id).await;
    assert_eq!(r.answer(&parent.id, &nonce, &stranger).await.status(), 401);
    assert_eq!(rows(&r), 2, "a new minute, a new row");
}

/// A connection that sends half a request head is closed once the header
/// timeout passes (`serve --header-timeout-s 1`), not held open forever.
#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    use rustls::pki_types::pem::PemObject;
    use std::io::{Read, Write};
    let mut r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    r.serve_under_memory_limit(MEMORY_LIMIT, &["--no-recording", "--header-timeout-s", "1"]);
    let pem = std::fs::read(r.data().join("tls-cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let addr: std::net::SocketAddr = r.base.trim_start_matches("https://").parse().unwrap();
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    // A bound on this test, not on the recorder: far above what it asserts.
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let tls = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut stream = rustls::StreamOwned::new(tls, tcp);
    let sent = std::time::Instant::now();
    stream
        .write_all(b"GET /v1/health HTTP/1.1\r\nHost: recorder\r\n")
        .unwrap();
    let mut buf = [0u8; 256];
    // The read ends when the recorder closes the connection (0 or an error).
    if let Ok(n @ 1..) = stream.read(&mut buf) {
        panic!("the recorder answered a request it never got whole: {n} bytes");
    }
    let closed = sent.elapsed();
    assert!(closed < std::time::Duration::from_secs(3), "closed after {closed:?}");
    assert_eq!(r.get("/v1/health", None).await.status(), 200, "and serves others");
}

/// Sockets opened and left silent take at most their share: past the cap
/// per source (`serve --max-connections-per-source 4`) a new connection is
/// closed at once, without a TLS handshake; once they close, others are
/// served again.
#[tokio::test]
async fn a_source_holding_many_silent_connections_is_capped_and_the_recorder_serves_on() {
    use std::io::Read;
    let mut r = Recorder::start("kaohsiung-kindergarten", PEOPLE);
    r.serve_under_memory_limit(
        MEMORY_LIMIT,
        &[
            "--no-recording",
            "--header-timeout-s",
            "30",
            "--max-connections-per-source",
            "4",
        ],
    );
    let addr: std::net::SocketAddr = r.base.trim_start_matches("https://").parse().unwrap();
    let silent: Vec<std::net::TcpStream> = (0..4).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    // Accepted in turn: give the accept loop a moment to take each place.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut fifth = std::net::TcpStream::connect(addr).unwrap();
    fifth.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 16];
    // Closed by the recorder: end of stream (or a reset), well before the timeout.
    let read = fifth.read(&mut buf);
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "{read:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "closed at once");
    drop(silent);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        r.get("/v1/health", None).await.status(),
        200,
        "served again once they close"
    );
}

/// A camera added with its password in the address: no document a device
/// receives holds the address, history included; the recorder still has it
/// to record from. A site made by an older build, whose register history
/// holds an address, is refused with what to do.
#[tokio::test]
async fn stream_addresses_and_passwords_stay_on_the_recorder() {
    let cameras = [("cam-01", "rtsp://admin:S3cret@127.0.0.1:9/live", false)];
    let mut r = Recorder::start_with("kaohsiung-kindergarten", PEOPLE, &cameras, &["--no-recording"]);
    r.serve_under_memory_limit(MEMORY_LIMIT, &["--no-recording"]);
    let phone = r.enroll("陳家長", 7).await;
    let token = r.token(&phone).await;
    let mut doc = AutoCommit::new();
    let mut state = sync::State::new();
    for _ in 0..5 {
        let Some(message) = doc.sync().generate_sync_message(&mut state) else {
            break;
        };
        let res = sync(&r, &token, &[("site", message.encode())]).await;
        let reply: Value = res.json().await.unwrap();
        let Some(answer) = reply["documents"][0]["message"].as_str() else {
            break;
        };
        let answer = sync::Message::decode(&B64.decode(answer).unwrap()).unwrap();
        doc.sync().receive_sync_message(&mut state, answer).unwrap();
    }
    let site: custos_core::site::SiteRegister = autosurgeon::hydrate(&doc).unwrap();
    assert!(site.cameras.contains_key("cam-01"), "the phone has the camera");
    let contains = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let mut received: Vec<Vec<u8>> = doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
    received.push(doc.save());
    for bytes in &received {
        assert!(
            !contains(bytes, b"S3cret") && !contains(bytes, b"rtsp://"),
            "an address reached the phone"
        );
    }
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    assert_eq!(
        store.camera_streams().unwrap()["cam-01"],
        "rtsp://admin:S3cret@127.0.0.1:9/live",
        "the recorder records from it"
    );

    // An older build put the address in the register: serve refuses the site.
    r.kill_serving();
    let registers =
        custos_recorder::registers::Registers::open(&r.data(), std::sync::Arc::new(custos_clock::SystemClock)).unwrap();
    let stored = registers
        .document(&custos_core::documents::DocKey::Site)
        .unwrap()
        .unwrap();
    let mut old = AutoCommit::load(&stored.save()).unwrap();
    let heads = old.get_heads();
    let (_, cameras) = automerge::ReadDoc::get(&old, automerge::ROOT, "cameras")
        .unwrap()
        .unwrap();
    let (_, camera) = automerge::ReadDoc::get(&old, &cameras, "cam-01").unwrap().unwrap();
    automerge::transaction::Transactable::put(&mut old, &camera, "stream_url", "rtsp://admin:S3cret@127.0.0.1:9/live")
        .unwrap();
    let chunk: Vec<u8> = old
        .get_changes(&heads)
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    store
        .append_document_changes(&custos_core::documents::DocKey::Site, &chunk, r.now(), None)
        .unwrap();
    let out = std::process::Command::new(recorder_bin())
        .args([
            "serve",
            "--data",
            &r.data_str(),
            "--listen",
            "127.0.0.1:0",
            "--no-recording",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("change every camera's password"), "{said}");
}

/// Each challenge is stored before anyone has proven anything: twenty a
/// minute for one device, then 429 until the minute ends.
#[tokio::test]
async fn challenges_are_limited_per_device() {
    let now = custos_core::time::Timestamp(1_795_485_600_000);
    let mut r = Recorder::start_simulated("kaohsiung-kindergarten", PEOPLE, &[], &["--no-recording"], now);
    r.serve_under_memory_limit(MEMORY_LIMIT, &["--no-recording"]);
    let phone = r.enroll("陳家長", 2).await;
    let body = json!({ "device_id": phone.id.as_str() });
    for _ in 0..20 {
        assert_eq!(r.post("/v1/auth/challenge", &body).await.status(), 200);
    }
    assert_problem(
        r.post("/v1/auth/challenge", &body).await,
        429,
        "too many sign-in challenges",
    )
    .await;
    r.advance(60_000).await;
    assert_eq!(r.post("/v1/auth/challenge", &body).await.status(), 200, "a new minute");
    let token = r.token(&phone).await;
    still_serving(&mut r, &token).await;
}

/// Two change streams per device; a third is 429, not another task and
/// subscription held for as long as the phone likes.
#[tokio::test]
async fn a_device_holds_at_most_two_change_streams() {
    let (mut r, token) = parent_phone().await;
    let open = |r: &Recorder| r.client.get(r.url("/v1/events")).bearer_auth(&token).send();
    let first = open(&r).await.unwrap();
    let second = open(&r).await.unwrap();
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
    assert_problem(open(&r).await.unwrap(), 429, "change streams open").await;
    still_serving(&mut r, &token).await;
    drop((first, second));
}
