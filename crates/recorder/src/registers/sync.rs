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

/// One document's message from a device.
pub struct DeviceMessage {
    pub key: String,
    /// An automerge sync message, base64.
    pub message: String,
    /// The first message of the device's exchange for this document.
    pub start: bool,
}

/// The recorder's (read-only) side of one step of the sync protocol.
pub fn answer(
    doc: &mut automerge::Automerge,
    state: &mut automerge::sync::State,
    message: automerge::sync::Message,
) -> std::result::Result<Option<automerge::sync::Message>, automerge::AutomergeError> {
    doc.receive_sync_message(state, message)?;
    Ok(doc.generate_sync_message(state))
}

impl Registers {
    /// One round of sync for several documents: each device message in,
    /// the recorder's answer out (`None` when the device has everything),
    /// once per key (the first message for it counts).
    pub fn sync(&self, who: &SignedIn, items: &[DeviceMessage]) -> Result<Vec<(String, Option<String>)>> {
        off_the_workers(|| self.sync_round(who, items))
    }

    fn sync_round(&self, who: &SignedIn, items: &[DeviceMessage]) -> Result<Vec<(String, Option<String>)>> {
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
        for DeviceMessage {
            key: name,
            message,
            start,
        } in items
        {
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
            let mut state = self.sync_states.take(who.device_id.as_str(), name, *start);
            let reply = answer(&mut doc, &mut state, message)
                .map_err(|e| RecorderError::BadRequest(format!("{key}: the sync message cannot be applied: {e}")))?;
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

#[cfg(test)]
mod tests {
    use automerge::sync::{self, SyncDoc};
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, Automerge};
    use custos_core::documents::{self as docs, DocKey};

    use super::answer;
    use crate::registers::sync_states::SyncStates;

    /// A device pulls `recorder` from scratch, as the app does after a
    /// reinstall (or the tests do every time), over kept recorder states.
    fn pull_from_scratch(recorder: &mut Automerge, states: &SyncStates, key: &DocKey) -> AutoCommit {
        let mut device = docs::genesis(key);
        let mut state = sync::State::new();
        for round in 0..10 {
            let Some(message) = device.sync().generate_sync_message(&mut state) else {
                return device;
            };
            let mut kept = states.take("device", "logbook", round == 0);
            let reply = answer(recorder, &mut kept, message).unwrap();
            states.put("device", "logbook", kept);
            match reply {
                Some(reply) => device.sync().receive_sync_message(&mut state, reply).unwrap(),
                None => return device,
            }
        }
        panic!("sync did not finish in 10 rounds");
    }

    /// A logbook holding one entry beside its genesis: a change only the
    /// genesis precedes, which the Bloom filter of a device holding just the
    /// genesis matches now and then (these 400 entries include such).
    #[test]
    fn a_device_pulling_again_from_scratch_gets_every_entry() {
        let key = DocKey::Logbook { year: 2026 };
        let states = SyncStates::default();
        for n in 0..400 {
            let mut written = docs::genesis(&key).with_actor(automerge::ActorId::from(b"recorder".as_slice()));
            let entries = docs::collection(&written, docs::LOGBOOK_ENTRIES).unwrap();
            written.put(&entries, format!("entry-{n}"), n).unwrap();
            docs::commit(&mut written, "entry opened", 1_795_485_600_000 + n);
            let mut recorder = written.document().clone();
            for pull in ["first", "second"] {
                let mut device = pull_from_scratch(&mut recorder, &states, &key);
                assert_eq!(
                    device.get_heads(),
                    recorder.get_heads(),
                    "the {pull} pull of entry {n} left the device without it"
                );
            }
        }
    }
}
