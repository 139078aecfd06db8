//! 稽核軌跡: the audit checkpoints this device holds, checked here rather
//! than taken from the recorder's word (the head's and the ethics office's
//! devices): when it last checked, and what it found; and the footage log's
//! checkpoints and the recorder's findings of footage not as sealed.

use std::collections::BTreeMap;
use std::sync::Mutex;

use custos_core::audit::{AuditFindings, Checkpoint, PublishedCheckpoint, verify_checkpoints};
use custos_core::documents::{self as docs, DocKey};
use custos_core::footage_log::{FootageFinding, FootageReview, PublishedFootageCheckpoint, review_footage};
use custos_core::seal::Seal;
use custos_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use super::common::{Result, site, site_history};
use crate::store::{LocalStore, lock};

/// The audit checkpoints this device countersigned: its own memory of the
/// trail, which the recorder cannot rewrite.
pub const COUNTERSIGNED_SETTING: &str = "countersigned_checkpoints";
/// The last review of the audit checkpoints, as JSON.
pub const AUDIT_REVIEW_SETTING: &str = "audit_review";

/// A review of the checkpoints, made on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct AuditReview {
    pub verified_at: Timestamp,
    pub findings: AuditFindings,
    /// The footage log's checkpoints as checked here, and what the
    /// recorder's re-hash found (a review kept by an older build has none).
    #[serde(default)]
    pub footage: FootageReview,
}

/// Checks the checkpoints this device holds now and keeps what it found;
/// `None` where it holds no audit trail (a role that does not read it, or
/// none received yet).
pub fn verify_audit(store: &Mutex<LocalStore>, now: Timestamp) -> Result<Option<AuditReview>> {
    let held = lock(store).document_keys()?;
    if !held.iter().any(|k| k == "audit") {
        return Ok(None);
    }
    let recorder_key = site(store)?.site.recorder_public_key;
    let (history, _) = site_history(store)?;
    let guard = lock(store);
    let audit = guard.document(&DocKey::Audit)?;
    let published: BTreeMap<String, PublishedCheckpoint> = docs::entries(&audit, docs::CHECKPOINTS)?;
    let countersignatures: BTreeMap<String, Seal> = docs::entries(&audit, docs::COUNTERSIGNATURES)?;
    let mine: Vec<Checkpoint> = guard
        .setting(COUNTERSIGNED_SETTING)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let footage_checkpoints: BTreeMap<String, PublishedFootageCheckpoint> =
        docs::entries(&audit, docs::FOOTAGE_CHECKPOINTS)?;
    let footage_findings: BTreeMap<String, FootageFinding> = docs::entries(&audit, docs::FOOTAGE_FINDINGS)?;
    let review = AuditReview {
        verified_at: now,
        findings: verify_checkpoints(&published, &countersignatures, &recorder_key, &history, &mine),
        footage: review_footage(footage_checkpoints.values(), footage_findings.values(), &recorder_key),
    };
    let text = serde_json::to_string(&review).expect("a review serialises");
    guard.set_setting(AUDIT_REVIEW_SETTING, &text)?;
    Ok(Some(review))
}

/// The last review this device made, if any.
pub fn last_audit_review(store: &Mutex<LocalStore>) -> Result<Option<AuditReview>> {
    Ok(lock(store)
        .setting(AUDIT_REVIEW_SETTING)?
        .and_then(|t| serde_json::from_str(&t).ok()))
}
