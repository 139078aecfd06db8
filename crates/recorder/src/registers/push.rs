//! The upload side of sync: a device pushes the changes it made to one
//! document. The recorder decodes each change, checks the batch against
//! the write rules of `custos_core::access` and applies it all or nothing
//! (DESIGN §3a); what an accepted push sets off (the holds of 001 §6(3) and
//! §6(4)) happens in the same turn of the register lock.

use automerge::Change;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_core::access::{Refusal, UploadContext, check_upload};
use custos_core::application::{ApplicationCase, read_case};
use custos_core::documents::{self as docs, DocKey};
use custos_core::history::heads_to_hex;
use serde_json::json;

use super::attempts::Attempter;
use super::bounds;
use super::service::{Registers, Writing, off_the_workers};
use super::sign_in::SignedIn;
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use crate::db::documents::COMPACT_AFTER_CHUNKS;
use crate::footage::gone::footage_gone;

/// Most changes one push may carry.
pub const MAX_PUSH_CHANGES: usize = 5_000;
/// Most operations one push may carry, counted before automerge decodes
/// them: a week of a busy site's offline edits is a few thousand.
pub const MAX_PUSH_OPS: u64 = 200_000;

/// What became of a push.
#[derive(Debug)]
pub enum PushOutcome {
    /// Every change applied.
    Accepted {
        /// The document's heads after the push.
        heads: Vec<String>,
        applied: usize,
    },
    /// A change breaks a write rule: nothing was applied, and the refusal
    /// (on record in the audit chain) goes back to the device.
    Refused(Refusal),
}

impl Registers {
    /// Checks and applies a device's changes (each base64) to `key`.
    pub async fn push(&self, who: &SignedIn, key: &str, changes: &[String]) -> Result<PushOutcome> {
        let key: DocKey = key
            .parse()
            .map_err(|e: custos_core::CoreError| RecorderError::BadRequest(e.to_string()))?;
        if changes.len() > MAX_PUSH_CHANGES {
            return Err(RecorderError::BadRequest(format!(
                "at most {MAX_PUSH_CHANGES} changes per push; send the rest after"
            )));
        }
        let mut decoded = Vec::with_capacity(changes.len());
        let mut total_ops = 0u64;
        for (i, text) in changes.iter().enumerate() {
            let bytes = B64
                .decode(text)
                .map_err(|_| RecorderError::BadRequest(format!("change {i} is not base64")))?;
            let (change, ops) =
                bounds::change(bytes).map_err(|e| RecorderError::BadRequest(format!("change {i}: {e}")))?;
            total_ops += ops;
            if total_ops > MAX_PUSH_OPS {
                return Err(RecorderError::BadRequest(format!(
                    "at most {MAX_PUSH_OPS} operations per push; send the rest after"
                )));
            }
            decoded.push(change);
        }
        let writing = self.write().await?;
        off_the_workers(|| writing.push(who, &key, &decoded))
    }
}

impl Writing<'_> {
    /// A case filed, or amended to another window or cameras, whose footage
    /// is gone on every camera (`footage::gone`): refused, saying what is kept.
    fn footage_left(
        &self,
        key: &DocKey,
        before: Option<&ApplicationCase>,
        after: &automerge::Automerge,
    ) -> Result<Option<Refusal>> {
        let DocKey::ApplicationCase(_) = key else {
            return Ok(None);
        };
        let Some((case, _)) = read_case(after)? else {
            return Ok(None);
        };
        if before.is_some_and(|b| b.window == case.window && b.cameras == case.cameras) {
            return Ok(None);
        }
        Ok(footage_gone(&self.store, &case)?.map(|message| Refusal {
            change: None,
            rule: "no_footage".into(),
            message,
            entry: Some(format!("{}/{}", docs::CASE, docs::CURRENT)),
        }))
    }

    /// The push pipeline under the register lock: check, store, then the
    /// holds the push calls for.
    pub fn push(&self, who: &SignedIn, key: &DocKey, changes: &[Change]) -> Result<PushOutcome> {
        let now = self.now();
        let device = [Attempter::Device(who.device_id.to_string())];
        self.refusal_limits.check(&device, now)?;
        let existing = self.cache.take(&self.store, key)?;
        let is_new = existing.is_none();
        let stored = existing.unwrap_or_default();
        let stored_heads = stored.get_heads();
        let profile = self.profile()?;
        let case = match key {
            DocKey::ApplicationPersonal(id) => self
                .document(&DocKey::ApplicationCase(id.clone()))?
                .and_then(|doc| custos_core::application::read_case(&doc).ok().flatten())
                .map(|(case, _)| case),
            _ => None,
        };
        // What the case asked before this push, to tell a new window.
        let case_before = match key {
            DocKey::ApplicationCase(_) => read_case(&stored).ok().flatten().map(|(case, _)| case),
            _ => None,
        };
        let checked = self.with_site_history(|site| {
            let ctx = UploadContext {
                site,
                profile: &profile,
                now,
                case: case.as_ref(),
            };
            check_upload(key, stored, changes, &who.device_id, &ctx)
        })?;
        let actor = who.person_id.to_string();
        let checked = checked.and_then(|after| match self.footage_left(key, case_before.as_ref(), &after) {
            Ok(None) => Ok(after),
            Ok(Some(refusal)) => Err(refusal),
            Err(e) => Err(Refusal {
                change: None,
                rule: "footage_unknown".into(),
                message: format!("which footage is kept could not be read: {e}"),
                entry: None,
            }),
        });
        let after = match checked {
            Ok(after) => after,
            Err(refusal) => {
                self.refusal_limits.count(&device, now);
                let detail =
                    json!({ "document": key.to_string(), "device": who.device_id.as_str(), "refusal": refusal });
                self.store.append_audit(
                    now,
                    AuditEvent {
                        kind: "upload_refused",
                        actor: &actor,
                        detail,
                    },
                )?;
                return Ok(PushOutcome::Refused(refusal));
            }
        };
        let hashes: Vec<String> = changes.iter().map(|c| c.hash().to_string()).collect();
        let detail = json!({ "document": key.to_string(), "device": who.device_id.as_str(), "changes": hashes });
        let audit = Some(AuditEvent {
            kind: "upload_accepted",
            actor: &actor,
            detail,
        });
        // Only what this push added is written, as the changes' own bytes
        // (automerge loads a save followed by change chunks as one
        // document; encoding a chunk anew cost more than checking the push);
        // the whole document now and then.
        if is_new {
            if !self.store.insert_document(key, &after.save(), now, audit)? {
                return Err(RecorderError::conflict(
                    "Document created meanwhile",
                    format!("{key} was created while this push was checked; nothing was applied, sync again"),
                ));
            }
        } else if after.get_heads() != stored_heads {
            let chunk: Vec<u8> = changes.iter().flat_map(|c| c.raw_bytes().iter().copied()).collect();
            let (version, chunks) = self.store.append_document_changes(key, &chunk, now, audit)?;
            if chunks >= COMPACT_AFTER_CHUNKS {
                self.store.compact_document(key, &after.save(), version)?;
            }
        }
        self.holds_after_push(key, &after, is_new, &profile, now)?;
        let version = self.store.document_version(key)?.unwrap_or_default();
        let heads = heads_to_hex(&after.get_heads());
        self.cache.remember(key, version, after);
        // A major case is told as it arrives; a check or a 核章 clears its notice.
        self.notices_after_push(key, now)?;
        Ok(PushOutcome::Accepted {
            heads,
            applied: changes.len(),
        })
    }
}
