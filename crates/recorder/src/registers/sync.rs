//! The download side of sync: the automerge sync protocol with the
//! recorder's side read-only (`sync::State::new_read_only`), for the
//! documents a device may read. The upload side is [`super::push`].

use automerge::sync::SyncDoc;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_core::documents::DocKey;

use super::bounds;
use super::service::{Registers, off_the_workers};
use super::sign_in::SignedIn;
use crate::base::error::{RecorderError, Result};

/// Most documents one sync request may carry.
pub const MAX_SYNC_DOCUMENTS: usize = 200;

impl Registers {
    /// One round of sync for several documents: each `(key, message)` in
    /// (the message an automerge sync message in base64), the recorder's
    /// answer out (`None` when the device has everything), once per key
    /// (the first message for it counts).
    pub fn sync(&self, who: &SignedIn, items: &[(String, String)]) -> Result<Vec<(String, Option<String>)>> {
        off_the_workers(|| self.sync_round(who, items))
    }

    fn sync_round(&self, who: &SignedIn, items: &[(String, String)]) -> Result<Vec<(String, Option<String>)>> {
        if items.len() > MAX_SYNC_DOCUMENTS {
            return Err(RecorderError::BadRequest(format!(
                "at most {MAX_SYNC_DOCUMENTS} documents per request"
            )));
        }
        let site = self.site()?;
        let mut replies = Vec::with_capacity(items.len());
        // Each document is answered once, however often it is named: a
        // request naming one document 200 times must cost what naming it
        // once does.
        let mut answered = std::collections::HashSet::new();
        for (name, message) in items {
            if !answered.insert(name.as_str()) {
                continue;
            }
            let key: DocKey = name
                .parse()
                .map_err(|e: custos_core::CoreError| RecorderError::BadRequest(e.to_string()))?;
            if !self.readable(&site, who, &key)? {
                return Err(RecorderError::forbidden(format!(
                    "{key} is not a document this person's roles may receive"
                )));
            }
            let mut doc = self
                .document(&key)?
                .ok_or_else(|| RecorderError::not_found("No such document", format!("the recorder has no {key}")))?;
            let raw = B64
                .decode(message)
                .map_err(|_| RecorderError::BadRequest(format!("{key}: the message is not base64")))?;
            let message = bounds::sync_message(&raw).map_err(|e| RecorderError::BadRequest(format!("{key}: {e}")))?;
            let mut state = self.sync_states.take(who.device_id.as_str(), name);
            doc.receive_sync_message(&mut state, message)
                .map_err(|e| RecorderError::BadRequest(format!("{key}: the sync message cannot be applied: {e}")))?;
            let reply = doc.generate_sync_message(&mut state);
            if let (DocKey::ApplicationPersonal(_), Some(m)) = (&key, &reply)
                && !m.changes.is_empty()
            {
                self.personal_data_sent(who, &key, &doc)?;
            }
            let reply = reply.map(|m| B64.encode(m.encode()));
            self.sync_states.put(who.device_id.as_str(), name, state);
            replies.push((name.clone(), reply));
        }
        Ok(replies)
    }

    /// A device received a version of an applicant's personal data it did
    /// not have: on record, once per version sent (身分證號 and phone are
    /// the most sensitive thing the registers hold).
    fn personal_data_sent(&self, who: &SignedIn, key: &DocKey, doc: &automerge::Automerge) -> Result<()> {
        let detail = serde_json::json!({
            "document": key.to_string(),
            "device": who.device_id.as_str(),
            "heads": custos_core::history::heads_to_hex(&doc.get_heads()),
        });
        let actor = who.person_id.to_string();
        self.store.append_audit(
            self.now(),
            crate::db::audit::AuditEvent {
                kind: "personal_data_sent",
                actor: &actor,
                detail,
            },
        )?;
        Ok(())
    }
}
