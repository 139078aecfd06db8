//! The sync client: enrollment, then rounds of push (the outbox, photos
//! first), pull (the automerge sync protocol over every document this
//! device may read), and the handling of a refusal (DESIGN §3a). Progress
//! and state go out as [`SyncEvent`]s for the UI. Nothing here holds the
//! store across a network wait: an edit made meanwhile is never blocked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, Change, ChangeHash};
use custos_core::documents::DocKey;
use custos_core::enrollment::EnrollmentPayload;
use custos_core::rebuild::rebuild;
use custos_core::signing::DeviceKey;
use serde::{Deserialize, Serialize};

use custos_api::enroll::EnrollResponse;

use crate::client::{ClientError, RecorderClient, Token};
use crate::store::{LocalStore, StoreError, lock};

/// The setting under which the enrollment is kept.
pub const ENROLLMENT_SETTING: &str = "enrollment";
use crate::registers::COUNTERSIGNED_SETTING;
/// The audit alarm, once raised: it stays until someone deals with it.
pub const AUDIT_ALARM_SETTING: &str = "audit_alarm";
/// Its [`custos_core::audit::AuditAlarm::code`], for the screen's own words.
pub const AUDIT_ALARM_CODE_SETTING: &str = "audit_alarm_code";
/// Most documents in one sync request (the recorder's limit).
const SYNC_BATCH: usize = 200;
/// Rounds of the sync protocol before a pull gives up for now.
const MAX_ROUNDS: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Core(#[from] custos_core::CoreError),
    #[error("this device is not enrolled yet: paste the enrollment text from the recorder")]
    NotEnrolled,
    #[error(
        "this device is already enrolled with {0}; a device belongs to one recorder (reset the app to enroll it elsewhere)"
    )]
    AlreadyEnrolled(String),
}

/// What this device knows of its recorder and of itself there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Enrollment {
    pub recorder: String,
    pub fingerprint: String,
    #[serde(flatten)]
    pub enrolled: EnrollResponse,
}

/// What the UI is told while syncing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncEvent {
    /// Working through a stage.
    Syncing {
        stage: SyncStage,
        done: usize,
        total: usize,
    },
    /// The recorder refused a change; it stays on the device with the reason.
    Refused {
        document: String,
        rule: String,
        message: String,
        entry: Option<String>,
    },
    Synced {
        at_ms: i64,
        waiting: usize,
        refused: usize,
    },
    /// The recorder's audit trail is not the one this device countersigned.
    AuditAlarm {
        message: String,
    },
    Offline {
        message: String,
        waiting: usize,
    },
    /// Anything else that stopped the round, in words a person can act on.
    Failed {
        message: String,
    },
}

/// The stages of a sync round, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SyncStage {
    Photos,
    Push,
    Pull,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub photos_uploaded: usize,
    pub changes_accepted: usize,
    pub changes_refused: usize,
    pub documents: usize,
}

/// The enrollment kept in the store, if this device is enrolled.
pub fn enrollment(store: &Mutex<LocalStore>) -> Result<Option<Enrollment>, SyncError> {
    let text = lock(store).setting(ENROLLMENT_SETTING)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Enrolls this device with the recorder named in the pasted `text`.
pub async fn enroll(store: &Mutex<LocalStore>, key: &DeviceKey, text: &str) -> Result<Enrollment, SyncError> {
    if let Some(existing) = enrollment(store)? {
        return Err(SyncError::AlreadyEnrolled(existing.recorder));
    }
    let payload = EnrollmentPayload::parse(text)?;
    let client = RecorderClient::new(&payload.recorder, &payload.fingerprint)?;
    let enrolled = client.enroll(&payload.code, &key.public_key_hex()).await?;
    if enrolled.device_id != key.device_id().as_str() {
        return Err(ClientError::Protocol("the recorder bound a different device id".into()).into());
    }
    let enrollment = Enrollment {
        recorder: payload.recorder,
        fingerprint: payload.fingerprint,
        enrolled,
    };
    let json = serde_json::to_string(&enrollment).expect("enrollment serialises");
    lock(store).set_setting(ENROLLMENT_SETTING, &json)?;
    Ok(enrollment)
}

/// The recorder's change stream for this device, its client and token
/// kept from one wait to the next: signing in for every wait would spend
/// the recorder's sign-in allowance for no reason (twenty challenges a
/// minute from one address), and a busy site wakes the stream often. It
/// has a connection of its own, so a round or a request is never held up
/// by it.
#[derive(Default)]
pub struct ChangeStream {
    client: Option<SyncClient>,
}

impl ChangeStream {
    /// Waits until a document this device may read changes, or `patience` passes.
    pub async fn wait(
        &mut self,
        store: &Mutex<LocalStore>,
        key: &Arc<DeviceKey>,
        patience: std::time::Duration,
        now_ms: i64,
    ) -> Result<String, SyncError> {
        if self.client.is_none() {
            let enrolled = enrollment(store)?.ok_or(SyncError::NotEnrolled)?;
            self.client = Some(SyncClient::for_enrollment(&enrolled, key.clone())?);
        }
        let client = self.client.as_mut().expect("set above");
        let token = client.token(now_ms).await?;
        let changed = client.client.wait_for_change(&token, patience).await;
        if changed.is_err() {
            // A token the recorder no longer takes (revoked, restarted) is
            // asked for anew next time; an unreachable recorder costs nothing.
            client.token = None;
        }
        Ok(changed?)
    }
}

pub struct SyncClient {
    client: RecorderClient,
    key: Arc<DeviceKey>,
    token: Option<Token>,
}

impl SyncClient {
    /// A client for the recorder this device enrolled with.
    pub fn for_enrollment(enrollment: &Enrollment, key: Arc<DeviceKey>) -> Result<SyncClient, SyncError> {
        Ok(SyncClient {
            client: RecorderClient::new(&enrollment.recorder, &enrollment.fingerprint)?,
            key,
            token: None,
        })
    }

    /// The recorder's measured camera and disk health (online only).
    pub async fn camera_health(&mut self, now_ms: i64) -> Result<custos_api::cameras::SiteHealth, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.camera_health(&token).await?)
    }

    /// Which footage exists for cameras over a window (online only).
    pub async fn footage_spans(
        &mut self,
        query: &custos_api::footage::SpansQuery,
        now_ms: i64,
    ) -> Result<custos_api::footage::FootageSpans, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.footage_spans(&token, query).await?)
    }

    /// A photo or scan from the recorder (online only, for whom may see it).
    pub async fn blob(&mut self, sha256: &str, now_ms: i64) -> Result<Vec<u8>, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.blob(&token, sha256).await?)
    }

    /// Opens the viewing of `application`: a nonce from the recorder, the
    /// opening `sign` makes of it, the session (online only).
    pub async fn open_viewing(
        &mut self,
        sign: impl FnOnce(String) -> custos_core::viewing::ViewingOpening,
        now_ms: i64,
    ) -> Result<custos_api::viewing::ViewingSession, SyncError> {
        let token = self.token(now_ms).await?;
        let nonce = self.client.viewing_nonce(&token).await?;
        Ok(self.client.open_viewing(&token, sign(nonce.nonce)).await?)
    }

    /// A frame of an open viewing (online only; never stored).
    pub async fn viewing_frame(
        &mut self,
        session: &str,
        query: &custos_api::viewing::FrameQuery,
        now_ms: i64,
    ) -> Result<crate::client::ServedFrame, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.viewing_frame(&token, session, query).await?)
    }

    /// The scrubber's strip of `camera` (online only; never stored).
    pub async fn viewing_strip(
        &mut self,
        session: &str,
        camera: &str,
        now_ms: i64,
    ) -> Result<crate::client::ServedFrame, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.viewing_strip(&token, session, camera).await?)
    }

    pub async fn close_viewing(
        &mut self,
        session: &str,
        now_ms: i64,
    ) -> Result<custos_api::viewing::ViewingClosed, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.close_viewing(&token, session).await?)
    }

    /// Starts the export of `application` on the recorder (online only).
    pub async fn start_export(
        &mut self,
        application: &str,
        now_ms: i64,
    ) -> Result<custos_api::exports::ExportJob, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.start_export(&token, application).await?)
    }

    /// How far the export `job` is (online only).
    pub async fn export_job(&mut self, job: &str, now_ms: i64) -> Result<custos_api::exports::ExportJob, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.export_job(&token, job).await?)
    }

    /// A camera's current picture (online only, and only for allowed roles).
    pub async fn snapshot(&mut self, camera: &str, now_ms: i64) -> Result<Vec<u8>, SyncError> {
        let token = self.token(now_ms).await?;
        Ok(self.client.snapshot(&token, camera).await?)
    }

    async fn token(&mut self, now_ms: i64) -> Result<Token, ClientError> {
        match &self.token {
            Some(t) if t.expires_at > now_ms + 30_000 => Ok(t.clone()),
            _ => {
                let t = self.client.sign_in(&self.key).await?;
                self.token = Some(t.clone());
                Ok(t)
            }
        }
    }

    /// One whole round: photos, push, pull. Emits progress on `on`, and a
    /// final `Synced`, `Offline` or `Failed`.
    pub async fn sync_once(
        &mut self,
        store: &Mutex<LocalStore>,
        now_ms: i64,
        on: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<SyncReport, SyncError> {
        let result = self.round(store, now_ms, on).await;
        let waiting = lock(store).waiting_count().unwrap_or(0);
        match &result {
            Ok(_) => {
                let refused = lock(store).refused_changes().map(|r| r.len()).unwrap_or(0);
                on(SyncEvent::Synced {
                    at_ms: now_ms,
                    waiting,
                    refused,
                });
            }
            Err(SyncError::Client(ClientError::Offline(_))) => on(SyncEvent::Offline {
                message: result.as_ref().err().map(|e| e.to_string()).unwrap_or_default(),
                waiting,
            }),
            Err(e) => {
                // A token the recorder no longer honours is fetched anew next time.
                self.token = None;
                on(SyncEvent::Failed { message: e.to_string() })
            }
        }
        result
    }

    async fn round(
        &mut self,
        store: &Mutex<LocalStore>,
        now_ms: i64,
        on: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<SyncReport, SyncError> {
        let token = self.token(now_ms).await?;
        let mut report = SyncReport::default();

        // Photos first: the entries that name them may follow at once.
        let photos = lock(store).photos_to_upload()?;
        for (i, hash) in photos.iter().enumerate() {
            on(SyncEvent::Syncing {
                stage: SyncStage::Photos,
                done: i,
                total: photos.len(),
            });
            let Some(jpeg) = lock(store).photo_jpeg(hash)? else {
                continue;
            };
            self.client.put_blob(&token, hash, jpeg).await?;
            lock(store).photo_uploaded(hash)?;
            report.photos_uploaded += 1;
        }

        let keys = lock(store).keys_with_waiting()?;
        for (i, key) in keys.iter().enumerate() {
            on(SyncEvent::Syncing {
                stage: SyncStage::Push,
                done: i,
                total: keys.len(),
            });
            self.push_document(store, &token, key, now_ms, on, &mut report).await?;
        }

        self.pull(store, &token, now_ms, on, &mut report).await?;
        if self.countersign(store, now_ms, on)? {
            self.push_document(store, &token, "audit", now_ms, on, &mut report)
                .await?;
        }
        // The trail as this device now holds it, checked here, after every round.
        crate::registers::verify_audit(store, custos_core::time::Timestamp(now_ms)).map_err(|e| match e {
            crate::registers::RegisterError::Store(e) => SyncError::Store(e),
            crate::registers::RegisterError::Core(e) => SyncError::Core(e),
            other => SyncError::Core(custos_core::CoreError::Malformed(other.to_string())),
        })?;
        Ok(report)
    }

    /// Pushes a document's waiting changes; on a refusal, rebuilds it and
    /// pushes what was made again, until the recorder accepts or nothing waits.
    async fn push_document(
        &mut self,
        store: &Mutex<LocalStore>,
        token: &Token,
        key: &str,
        now_ms: i64,
        on: &mut (dyn FnMut(SyncEvent) + Send),
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let doc_key: DocKey = key.parse()?;
        // Each refusal sets aside at least one change, so this ends.
        loop {
            let waiting = lock(store).waiting(key)?;
            if waiting.is_empty() {
                return Ok(());
            }
            let bytes: Vec<Vec<u8>> = waiting.iter().map(|w| w.bytes.clone()).collect();
            match self.client.push(token, key, &bytes).await {
                Ok(()) => {
                    let hashes: Vec<String> = waiting.iter().map(|w| w.hash.clone()).collect();
                    lock(store).accepted(&hashes)?;
                    report.changes_accepted += hashes.len();
                    return Ok(());
                }
                Err(ClientError::Refused(refusal)) => {
                    let hashes: Vec<ChangeHash> = waiting.iter().filter_map(|w| w.hash.parse().ok()).collect();
                    let mut guard = lock(store);
                    let mut doc = guard.document(&doc_key)?;
                    // A refusal that names no entry (a malformed batch) sets
                    // aside everything that waits for this document.
                    let refused_entries: BTreeSet<String> = match &refusal.entry {
                        Some(entry) => BTreeSet::from([entry.clone()]),
                        None => entries_of(&mut doc, &waiting)?,
                    };
                    let mut rebuilt = rebuild(&mut doc, &hashes, &refused_entries, &self.key.device_id(), now_ms)?;
                    if rebuilt.set_aside.is_empty() {
                        // The refusal names nothing this device still holds: stop
                        // rather than push the same batch again.
                        return Err(ClientError::Refused(refusal).into());
                    }
                    guard.replace_after_refusal(&doc_key, &mut rebuilt, &refusal, now_ms)?;
                    drop(guard);
                    report.changes_refused += rebuilt.set_aside.len();
                    on(SyncEvent::Refused {
                        document: key.to_string(),
                        rule: refusal.rule.clone(),
                        message: refusal.message.clone(),
                        entry: refusal.entry.clone(),
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Runs the sync protocol over every document the recorder lists for
    /// this device, many documents per request, until none has more to say.
    async fn pull(
        &mut self,
        store: &Mutex<LocalStore>,
        token: &Token,
        now_ms: i64,
        on: &mut (dyn FnMut(SyncEvent) + Send),
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let listed = self.client.documents(token).await?;
        let total = listed.len();
        let mut open: BTreeMap<String, (AutoCommit, sync::State, Vec<ChangeHash>)> = BTreeMap::new();
        {
            let guard = lock(store);
            for info in &listed {
                let Ok(key) = info.key.parse::<DocKey>() else { continue };
                let mut doc = guard.document(&key)?;
                let state = guard
                    .sync_state(&info.key)?
                    .and_then(|b| sync::State::decode(&b).ok())
                    .unwrap_or_default();
                let heads = doc.get_heads();
                open.insert(info.key.clone(), (doc, state, heads));
            }
        }
        let mut finished: BTreeSet<String> = BTreeSet::new();
        for round in 0..MAX_ROUNDS {
            let mut messages = Vec::new();
            for (key, (doc, state, _)) in open.iter_mut() {
                match doc.sync().generate_sync_message(state) {
                    Some(m) => messages.push((key.clone(), m.encode(), round == 0)),
                    None => {
                        finished.insert(key.clone());
                    }
                }
            }
            on(SyncEvent::Syncing {
                stage: SyncStage::Pull,
                done: finished.len().min(total),
                total,
            });
            if messages.is_empty() {
                break;
            }
            for batch in messages.chunks(SYNC_BATCH) {
                for (key, reply) in self.client.sync(token, batch).await? {
                    let (Some(reply), Some((doc, state, _))) = (reply, open.get_mut(&key)) else {
                        continue;
                    };
                    let message =
                        sync::Message::decode(&reply).map_err(|e| ClientError::Protocol(format!("{key}: {e}")))?;
                    doc.sync()
                        .receive_sync_message(state, message)
                        .map_err(|e| ClientError::Protocol(format!("{key}: {e}")))?;
                }
            }
        }
        let mut guard = lock(store);
        for (key, (mut doc, state, before)) in open {
            guard.save_received(&key, &mut doc, &before, &state.encode(), now_ms)?;
        }
        report.documents = total;
        Ok(())
    }
}

impl SyncClient {
    /// On the devices of the roles that countersign (head, delegate,
    /// auditor): checks the recorder's published audit checkpoints against
    /// what this device countersigned before, raises the alarm if the trail
    /// shrank or changed, and otherwise countersigns the newest one.
    /// Returns whether a countersignature now waits to go out.
    fn countersign(
        &mut self,
        store: &Mutex<LocalStore>,
        now_ms: i64,
        on: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<bool, SyncError> {
        use custos_core::audit::{Checkpoint, PublishedCheckpoint, review_checkpoints};
        use custos_core::documents as docs;
        use custos_core::permissions::{Access, Register, fixed_roles};
        use custos_core::seal::{Seal, SealPurpose};

        let Some(enrolled) = enrollment(store)? else {
            return Ok(false);
        };
        let Some(role) = fixed_roles(Register::Audit, Access::Sign)
            .iter()
            .copied()
            .find(|r| enrolled.enrolled.roles.iter().any(|mine| mine == r.as_str()))
        else {
            return Ok(false);
        };
        let mut guard = lock(store);
        let keys = guard.document_keys()?;
        if !keys.iter().any(|k| k == "audit") || !keys.iter().any(|k| k == "site") {
            return Ok(false);
        }
        let audit = guard.document(&DocKey::Audit)?;
        let published: BTreeMap<String, PublishedCheckpoint> = docs::entries(&audit, docs::CHECKPOINTS)?;
        let mut site_doc = guard.document(&DocKey::Site)?;
        let site: custos_core::site::SiteRegister =
            autosurgeon::hydrate(&site_doc).map_err(custos_core::CoreError::from)?;
        let mut mine: Vec<Checkpoint> = guard
            .setting(COUNTERSIGNED_SETTING)?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let newest = match review_checkpoints(published.values(), &site.site.recorder_public_key, &mine) {
            Ok(Some(newest)) => newest.clone(),
            Ok(None) => return Ok(false),
            Err(alarm) => {
                let message = alarm.to_string();
                guard.set_setting(AUDIT_ALARM_SETTING, &message)?;
                guard.set_setting(AUDIT_ALARM_CODE_SETTING, alarm.code())?;
                drop(guard);
                on(SyncEvent::AuditAlarm { message });
                return Ok(false);
            }
        };
        let me: custos_core::ids::PersonId = enrolled.enrolled.person_id.parse()?;
        let seal = Seal::sign(
            custos_clock::entry_id_at(custos_core::time::Timestamp(now_ms)),
            SealPurpose::AuditCheckpoint,
            newest.key(),
            newest.content_hash(),
            role,
            me,
            custos_core::history::heads_to_hex(&site_doc.get_heads()),
            custos_core::time::Timestamp(now_ms),
            String::new(),
            &self.key,
        );
        guard.edit(&DocKey::Audit, "countersigned", now_ms, |doc| {
            docs::put_entry(doc, docs::COUNTERSIGNATURES, seal.id.as_str(), &seal).map_err(SyncError::from)
        })?;
        mine.push(newest.checkpoint());
        let remembered = serde_json::to_string(&mine).expect("checkpoints serialise");
        guard.set_setting(COUNTERSIGNED_SETTING, &remembered)?;
        Ok(true)
    }
}

/// Every entry the waiting changes write.
fn entries_of(doc: &mut AutoCommit, waiting: &[crate::store::Outgoing]) -> Result<BTreeSet<String>, SyncError> {
    let mut entries = BTreeSet::new();
    for w in waiting {
        let change = Change::from_bytes(w.bytes.clone())
            .map_err(|e| custos_core::CoreError::Malformed(format!("a waiting change: {e}")))?;
        let written = custos_core::access::entries_written_by(doc.document(), &change)
            .map_err(|r| custos_core::CoreError::Malformed(r.message))?;
        entries.extend(written);
    }
    Ok(entries)
}
