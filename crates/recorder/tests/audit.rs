//! The audit chain against someone who can write the recorder's disk: an
//! edited, deleted or truncated row, or a chain rewritten and re-signed with
//! the site key, is caught by `audit verify`, the last two thanks to the
//! checkpoint countersigned by the head's device.

mod common;

use std::path::Path;

use automerge::{AutoCommit, Change};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use custos_core::audit::{AuditRow, PublishedCheckpoint};
use custos_core::documents::{self as docs, DocKey};
use custos_core::history::heads_to_hex;
use custos_core::ids::{EntryId, PersonId};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::site::SiteRegister;
use custos_core::time::Timestamp;
use serde_json::json;

const PEOPLE: &[(&str, &[&str])] = &[
    ("王經理", &["manager"]),
    ("鄉長", &["head"]),
    ("政風", &["auditor"]),
    ("巡檢", &["inspector"]),
];

async fn pull(r: &Recorder, token: &str, key: &str, doc: &mut AutoCommit) -> u16 {
    common::phone::pull_as(r, token, key, doc).await.as_u16()
}

async fn push(r: &Recorder, token: &str, key: &str, changes: &[Change]) -> reqwest::Response {
    let encoded: Vec<String> = changes.iter().map(|c| B64.encode(c.raw_bytes())).collect();
    r.client
        .post(r.url("/v1/push"))
        .bearer_auth(token)
        .json(&json!({ "key": key, "changes": encoded }))
        .send()
        .await
        .unwrap()
}

/// The head's phone countersigns the newest published checkpoint.
async fn countersign(r: &Recorder, who: &str, seed: u8, role: Role) -> reqwest::Response {
    let device = r.enroll(who, seed).await;
    let token = r.token(&device).await;
    let mut site = docs::open(&DocKey::Site, None, &device.id).unwrap();
    assert_eq!(pull(r, &token, "site", &mut site).await, 200);
    let register: SiteRegister = autosurgeon::hydrate(&site).unwrap();
    let me: PersonId = register
        .people
        .iter()
        .find(|(_, p)| p.name == who)
        .unwrap()
        .0
        .parse()
        .unwrap();
    let mut audit = docs::open(&DocKey::Audit, None, &device.id).unwrap();
    let pulled = pull(r, &token, "audit", &mut audit).await;
    if pulled != 200 {
        // A role that may not read the audit document signs what it guessed.
        let fake = PublishedCheckpoint {
            tree_size: 1,
            head_hash: "00".repeat(32),
            at: Timestamp(0),
            signature: String::new(),
        };
        let seal = Seal::sign(
            EntryId::from_parts(1, 1),
            SealPurpose::AuditCheckpoint,
            fake.key(),
            fake.content_hash(),
            role,
            me,
            heads_to_hex(&site.get_heads()),
            Timestamp(0),
            String::new(),
            &device.key,
        );
        docs::put_entry(&mut audit, docs::COUNTERSIGNATURES, seal.id.as_str(), &seal).unwrap();
        docs::commit(&mut audit, "countersign", 0);
        return push(r, &token, "audit", &audit.get_changes(&[])).await;
    }
    let published: std::collections::BTreeMap<String, PublishedCheckpoint> =
        docs::entries(&audit, docs::CHECKPOINTS).unwrap();
    let newest = published.values().max_by_key(|c| c.tree_size).unwrap().clone();
    let before = audit.get_heads();
    let seal = Seal::sign(
        EntryId::from_parts(newest.at.0 as u64, seed as u128 + 1000),
        SealPurpose::AuditCheckpoint,
        newest.key(),
        newest.content_hash(),
        role,
        me,
        heads_to_hex(&site.get_heads()),
        newest.at,
        "已核對".into(),
        &device.key,
    );
    docs::put_entry(&mut audit, docs::COUNTERSIGNATURES, seal.id.as_str(), &seal).unwrap();
    docs::commit(&mut audit, "countersign", newest.at.0);
    push(r, &token, "audit", &audit.get_changes(&before)).await
}

fn verify(data: &Path) -> (bool, String) {
    let out = console(&["audit", "verify", "--data", data.to_str().unwrap()]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A consistent copy of a data directory, to attack without touching the original.
fn copy_data(r: &Recorder, name: &str) -> std::path::PathBuf {
    let to = r.dir.path().join(name);
    std::fs::create_dir_all(&to).unwrap();
    for file in ["site.key", "tls-cert.pem", "tls-key.pem"] {
        std::fs::copy(r.data().join(file), to.join(file)).unwrap();
    }
    let db = rusqlite::Connection::open(r.data().join("recorder.sqlite")).unwrap();
    db.execute("VACUUM INTO ?1", [to.join("recorder.sqlite").to_str().unwrap()])
        .unwrap();
    to
}

#[tokio::test]
async fn countersigned_checkpoints_catch_truncation_and_a_rewrite_with_the_site_key() {
    let r = Recorder::start("dahu-office", PEOPLE);
    r.enroll("王經理", 1).await;
    let out = ok(console(&["audit", "checkpoint", "--data", &r.data_str()]));
    assert!(out.contains("checkpoint signed"), "{out}");
    let again = ok(console(&["audit", "checkpoint", "--data", &r.data_str()]));
    assert!(again.contains("already covers"), "{again}");

    // The inspector may neither read nor countersign the audit document.
    let res = countersign(&r, "巡檢", 4, Role::Inspector).await;
    assert_eq!(res.status(), 422);
    // The head's phone countersigns.
    let res = countersign(&r, "鄉長", 2, Role::Head).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (intact, text) = verify(&r.data());
    assert!(intact && text.contains("1 countersignature"), "{text}");

    // Truncation below the countersigned checkpoint.
    let truncated = copy_data(&r, "truncated");
    let db = rusqlite::Connection::open(truncated.join("recorder.sqlite")).unwrap();
    let covered: i64 = db
        .query_row("SELECT MAX(tree_size) FROM audit_checkpoints", [], |r| r.get(0))
        .unwrap();
    db.execute("DELETE FROM audit_log WHERE seq >= ?1", [covered - 1])
        .unwrap();
    db.execute("DELETE FROM audit_checkpoints", []).unwrap();
    let (intact, text) = verify(&truncated);
    assert!(!intact && text.contains("truncated"), "{text}");

    // A rewrite: row 2 changed, every later row re-hashed, the recorder's own
    // checkpoints re-signed with the site key. Only the countersignature shows it.
    let rewritten = copy_data(&r, "rewritten");
    let db = rusqlite::Connection::open(rewritten.join("recorder.sqlite")).unwrap();
    let original = custos_recorder::db::Store::open(&rewritten)
        .unwrap()
        .audit_rows()
        .unwrap();
    let mut forged: Vec<AuditRow> = Vec::new();
    for row in &original {
        let detail = if row.seq == 2 {
            row.detail.replace("王經理", "李四")
        } else {
            row.detail.clone()
        };
        forged.push(AuditRow::next(forged.last(), row.at, &row.kind, &row.actor, &detail));
    }
    db.execute("DELETE FROM audit_log", []).unwrap();
    for row in &forged {
        db.execute(
            "INSERT INTO audit_log (seq, at, kind, actor, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                row.seq as i64,
                row.at.0,
                row.kind,
                row.actor,
                row.detail,
                row.prev_hash,
                row.hash
            ],
        )
        .unwrap();
    }
    db.execute("DELETE FROM audit_checkpoints", []).unwrap();
    drop(db);
    ok(console(&["audit", "checkpoint", "--data", rewritten.to_str().unwrap()]));
    let (intact, text) = verify(&rewritten);
    assert!(
        !intact && text.contains("rewritten") && text.contains("countersigned"),
        "{text}"
    );

    // The original is still intact.
    assert!(verify(&r.data()).0);
}

/// `serve` signs a checkpoint at start and again once the newest is a day
/// old while the chain grows: tested by moving the recorder's clock past
/// the day, not by waiting for one.
#[tokio::test]
async fn the_recorder_signs_a_checkpoint_at_start_and_again_a_day_later() {
    let start = Timestamp(1_795_485_600_000);
    let r = Recorder::start_simulated("dahu-office", PEOPLE, &[], &["--no-recording"], start);
    r.advance(0).await;
    let checkpoints = || {
        custos_recorder::db::Store::open(&r.data())
            .unwrap()
            .checkpoints()
            .unwrap()
    };
    let first = checkpoints();
    assert_eq!(first.len(), 1, "signed at start");
    assert_eq!(first[0].0.at, start);

    // The chain grows; the newest checkpoint is not yet a day old.
    ok(r.console(&[
        "person",
        "add",
        "--data",
        &r.data_str(),
        "--name",
        "新同仁",
        "--role",
        "inspector",
    ]));
    r.advance(24 * 3_600_000 - 60_000).await;
    assert_eq!(checkpoints().len(), 1, "not due within the day");

    // A day has passed: the next look signs one covering the new row.
    r.advance(11 * 60_000).await;
    let now = checkpoints();
    assert_eq!(now.len(), 2, "due after a day");
    assert!(now[1].0.tree_size > first[0].0.tree_size);
    assert_eq!(now[1].0.at, r.now());
    let (intact, text) = verify(&r.data());
    assert!(intact && text.contains("2 signed checkpoint"), "{text}");
}
