//! The register documents a device may receive (need-to-know), the download
//! side of sync, and the upload side (push).
//!
//! Download is the automerge sync protocol with the recorder's side
//! read-only. Upload is a push of changes that the recorder checks against
//! the write rules of `custos_core::access` and applies all or nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, Change};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_core::access::{CURRENT, UploadContext, check_upload, may_read};
use custos_core::application::ApplicationCase;
use custos_core::documents::{self as docs, DocKey};
use custos_core::history::heads_to_hex;
use custos_core::site::SiteRegister;
use custos_core::workflow::{Status, derive_status};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Authenticated;
use super::problem::{Body, Problem};
use crate::store::{AuditEvent, Store};

/// Per device and document, the recorder's side of the sync protocol, kept
/// between requests so a device is not sent what it already has.
#[derive(Default)]
pub struct SyncStates(Mutex<HashMap<(String, String), sync::State>>);

impl SyncStates {
    fn take(&self, device: &str, key: &str) -> sync::State {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(device.to_string(), key.to_string()))
            .unwrap_or_else(sync::State::new_read_only)
    }
    fn put(&self, device: &str, key: &str, state: sync::State) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert((device.to_string(), key.to_string()), state);
    }
}

/// Pushes to the store are applied one at a time, so two pushes to one
/// document cannot both build on the same stored copy.
#[derive(Default)]
pub struct PushLock(tokio::sync::Mutex<()>);

impl PushLock {
    /// Held by whoever changes a register document in this process: a push,
    /// and the recorder writing its alarms into the inspection log.
    pub async fn hold(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.0.lock().await
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentInfo {
    /// e.g. `site`, `inspections/2026-11`, `applications/<id>/case`.
    pub key: String,
    /// The document's heads on the recorder (hex), to see at a glance what changed.
    pub heads: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    pub documents: Vec<DocumentInfo>,
}

/// Whether this person may receive the stored document `key`.
pub fn readable(store: &Store, site: &SiteRegister, who: &Authenticated, key: &DocKey) -> Result<bool, Problem> {
    let profile = site.profile().map_err(Problem::internal)?;
    let major = match key {
        DocKey::ApplicationCase(_) => match store.document(&key.to_string())? {
            Some(bytes) => {
                let doc = Automerge::load(&bytes).map_err(Problem::internal)?;
                let case: Option<ApplicationCase> = docs::get_entry(&doc, docs::CASE, CURRENT).unwrap_or(None);
                case.is_some_and(|c| c.major_or_abnormal)
            }
            None => false,
        },
        _ => false,
    };
    Ok(may_read(key, &who.person.roles, &profile, major))
}

#[utoipa::path(get, path = "/v1/documents", tag = "sync", security(("bearer" = [])),
    responses((status = 200, description = "The documents this device may receive", body = DocumentList),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, who: Authenticated) -> Result<Json<DocumentList>, Problem> {
    let site = state.cache.site(&state.store)?;
    let mut documents = Vec::new();
    for key in state.store.document_keys()? {
        let Ok(doc_key) = key.parse::<DocKey>() else {
            continue;
        };
        if !readable(&state.store, &site, &who, &doc_key)? {
            continue;
        }
        let Some((_, doc)) = state.cache.document(&state.store, &key)? else {
            continue;
        };
        documents.push(DocumentInfo {
            heads: heads_to_hex(&doc.get_heads()),
            key,
        });
    }
    Ok(Json(DocumentList { documents }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncRequest {
    pub documents: Vec<SyncItem>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncItem {
    pub key: String,
    /// An automerge sync message, base64.
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResponse {
    pub documents: Vec<SyncReply>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncReply {
    pub key: String,
    /// The recorder's answer (base64), or null when the device has everything.
    pub message: Option<String>,
}

/// Most documents one sync request may carry.
pub const MAX_SYNC_DOCUMENTS: usize = 200;

#[utoipa::path(post, path = "/v1/sync", tag = "sync", security(("bearer" = [])), request_body = SyncRequest,
    responses((status = 200, description = "The recorder's sync messages", body = SyncResponse),
              (status = 400, description = "Malformed key or message", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A document this device may not receive", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "A document the recorder does not have", body = Problem, content_type = "application/problem+json")))]
pub async fn sync(
    State(state): State<AppState>,
    who: Authenticated,
    Body(req): Body<SyncRequest>,
) -> Result<Json<SyncResponse>, Problem> {
    if req.documents.len() > MAX_SYNC_DOCUMENTS {
        return Err(Problem::bad_request(format!(
            "at most {MAX_SYNC_DOCUMENTS} documents per request"
        )));
    }
    let site = state.cache.site(&state.store)?;
    let mut replies = Vec::with_capacity(req.documents.len());
    for item in req.documents {
        let key: DocKey = item
            .key
            .parse()
            .map_err(|e: custos_core::CoreError| Problem::bad_request(e.to_string()))?;
        if !readable(&state.store, &site, &who, &key)? {
            return Err(Problem::forbidden(format!(
                "{key} is not a document this person's roles may receive"
            )));
        }
        let (_, mut doc) = state.cache.document(&state.store, &item.key)?.ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "No such document",
                format!("the recorder has no {key}"),
            )
        })?;
        let raw = B64
            .decode(&item.message)
            .map_err(|_| Problem::bad_request(format!("{key}: the message is not base64")))?;
        let message = sync::Message::decode(&raw)
            .map_err(|e| Problem::bad_request(format!("{key}: not an automerge sync message: {e}")))?;
        let mut sync_state = state.sync_states.take(who.device_id.as_str(), &item.key);
        doc.receive_sync_message(&mut sync_state, message)
            .map_err(|e| Problem::bad_request(format!("{key}: the sync message cannot be applied: {e}")))?;
        let reply = doc
            .generate_sync_message(&mut sync_state)
            .map(|m| B64.encode(m.encode()));
        state.sync_states.put(who.device_id.as_str(), &item.key, sync_state);
        replies.push(SyncReply {
            key: item.key,
            message: reply,
        });
    }
    Ok(Json(SyncResponse { documents: replies }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PushRequest {
    pub key: String,
    /// Automerge changes made on this device, each base64.
    pub changes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushAccepted {
    pub key: String,
    /// The document's heads after the push.
    pub heads: Vec<String>,
    pub applied: usize,
}

/// Most changes one push may carry.
pub const MAX_PUSH_CHANGES: usize = 5_000;

#[utoipa::path(post, path = "/v1/push", tag = "sync", security(("bearer" = [])), request_body = PushRequest,
    responses((status = 200, description = "Every change applied", body = PushAccepted),
              (status = 400, description = "Malformed key or change", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The document was created meanwhile; nothing was applied, push again", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A change breaks a write rule; nothing was applied", body = Problem, content_type = "application/problem+json")))]
pub async fn push(
    State(state): State<AppState>,
    who: Authenticated,
    Body(req): Body<PushRequest>,
) -> Result<Json<PushAccepted>, Problem> {
    let key: DocKey = req
        .key
        .parse()
        .map_err(|e: custos_core::CoreError| Problem::bad_request(e.to_string()))?;
    if req.changes.len() > MAX_PUSH_CHANGES {
        return Err(Problem::bad_request(format!(
            "at most {MAX_PUSH_CHANGES} changes per push; send the rest after"
        )));
    }
    let mut changes = Vec::with_capacity(req.changes.len());
    for (i, text) in req.changes.iter().enumerate() {
        let bytes = B64
            .decode(text)
            .map_err(|_| Problem::bad_request(format!("change {i} is not base64")))?;
        let change = Change::from_bytes(bytes)
            .map_err(|e| Problem::bad_request(format!("change {i} is not an automerge change: {e}")))?;
        changes.push(change);
    }
    let _one_at_a_time = state.push_lock.hold().await;
    let now = state.clock.now();
    let existing = state.cache.take(&state.store, &req.key)?;
    let is_new = existing.is_none();
    let stored = existing.unwrap_or_default();
    let stored_heads = stored.get_heads();
    let profile = state.cache.site(&state.store)?.profile().map_err(Problem::internal)?;
    let checked = state.cache.with_site_history(&state.store, |site| {
        let ctx = UploadContext {
            site,
            profile: &profile,
            now,
        };
        check_upload(&key, stored, &changes, &who.device_id, &ctx)
    })?;
    match checked {
        Ok(after) => {
            let hashes: Vec<String> = changes.iter().map(|c| c.hash().to_string()).collect();
            let detail = json!({ "document": req.key, "device": who.device_id.as_str(), "changes": hashes });
            let actor = who.person_id.to_string();
            let audit = Some(AuditEvent {
                kind: "upload_accepted",
                actor: &actor,
                detail,
            });
            // Only what this push added is written, as the changes' own bytes
            // (automerge loads a save followed by change chunks as one
            // document; encoding a chunk anew cost more than checking the
            // push); the whole document now and then.
            if is_new {
                // The recorder's own change (the console's, another
                // process) may have created it since it was read: the push
                // was checked against nothing, so it is sent again.
                if !state.store.insert_document(&req.key, &after.save(), now, audit)? {
                    return Err(Problem::new(
                        StatusCode::CONFLICT,
                        "Document created meanwhile",
                        format!(
                            "{} was created while this push was checked; nothing was applied, sync again",
                            req.key
                        ),
                    ));
                }
            } else if after.get_heads() != stored_heads {
                let chunk: Vec<u8> = changes.iter().flat_map(|c| c.raw_bytes().iter().copied()).collect();
                let (version, chunks) = state.store.append_document_changes(&req.key, &chunk, now, audit)?;
                if chunks >= super::cache::COMPACT_AFTER_CHUNKS {
                    state.store.compact_document(&req.key, &after.save(), version)?;
                }
            }
            // Filing holds the requested window at once, so the footage cannot
            // expire while the application waits (001 §6(3)).
            if is_new && let DocKey::ApplicationCase(_) = key {
                let case: Option<ApplicationCase> = docs::get_entry(&after, docs::CASE, CURRENT).unwrap_or(None);
                if let Some(case) = case {
                    let hold = custos_core::holds::Hold::for_filed_application(&case, &profile, now);
                    crate::retention::place_hold(&state.store, &state.site_key, &hold, now)?;
                }
            }
            // A viewing keeps the viewed footage on record where the profile
            // says so, before the filing hold it ends stops counting. Only a
            // case this push left viewed reads the holds document.
            if !is_new
                && let DocKey::ApplicationCase(application) = &key
                && let Some((case, events)) = docs::application_case(&after).map_err(Problem::internal)?
                && state.cache.with_site_history(&state.store, |site| {
                    derive_status(&case, &events, site, &profile).status == Status::Viewed
                })?
            {
                crate::retention::keep_viewed_on_record(&state.store, &state.site_key, Some(application), now)?;
            }
            let version = state.store.document_version(&req.key)?.unwrap_or_default();
            let heads = heads_to_hex(&after.get_heads());
            state.cache.remember(&req.key, version, after);
            Ok(Json(PushAccepted {
                key: req.key,
                heads,
                applied: changes.len(),
            }))
        }
        Err(refusal) => {
            let detail = json!({ "document": req.key, "device": who.device_id.as_str(), "refusal": refusal });
            let actor = who.person_id.to_string();
            state.store.append_audit(
                now,
                AuditEvent {
                    kind: "upload_refused",
                    actor: &actor,
                    detail,
                },
            )?;
            let mut problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Change refused",
                format!(
                    "{}; nothing was applied, and the change stays on this device",
                    refusal.message
                ),
            );
            problem.refusal = Some(serde_json::to_value(&refusal).map_err(Problem::internal)?);
            Err(problem)
        }
    }
}
