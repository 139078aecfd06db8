//! `GET /v1/documents`, `POST /v1/sync` and `POST /v1/push`: the register
//! documents a device may receive (need-to-know), the download side of sync
//! and the upload side (`registers::sync`, `registers::push`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::problem::{Body, Problem};
use crate::registers::SignedIn;
use crate::registers::push::PushOutcome;

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

#[utoipa::path(get, path = "/v1/documents", tag = "sync", security(("bearer" = [])),
    responses((status = 200, description = "The documents this device may receive", body = DocumentList),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, who: SignedIn) -> Result<Json<DocumentList>, Problem> {
    let documents = state
        .registers
        .documents_for(&who)?
        .into_iter()
        .map(|(key, heads)| DocumentInfo {
            key: key.to_string(),
            heads,
        })
        .collect();
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

#[utoipa::path(post, path = "/v1/sync", tag = "sync", security(("bearer" = [])), request_body = SyncRequest,
    responses((status = 200, description = "The recorder's sync messages", body = SyncResponse),
              (status = 400, description = "Malformed key or message", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A document this device may not receive", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "A document the recorder does not have", body = Problem, content_type = "application/problem+json")))]
pub async fn sync(
    State(state): State<AppState>,
    who: SignedIn,
    Body(req): Body<SyncRequest>,
) -> Result<Json<SyncResponse>, Problem> {
    let items: Vec<(String, String)> = req.documents.into_iter().map(|d| (d.key, d.message)).collect();
    let documents = state
        .registers
        .sync(&who, &items)?
        .into_iter()
        .map(|(key, message)| SyncReply { key, message })
        .collect();
    Ok(Json(SyncResponse { documents }))
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

#[utoipa::path(post, path = "/v1/push", tag = "sync", security(("bearer" = [])), request_body = PushRequest,
    responses((status = 200, description = "Every change applied", body = PushAccepted),
              (status = 400, description = "Malformed key or change", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The document was created meanwhile; nothing was applied, push again", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A change breaks a write rule; nothing was applied", body = Problem, content_type = "application/problem+json")))]
pub async fn push(
    State(state): State<AppState>,
    who: SignedIn,
    Body(req): Body<PushRequest>,
) -> Result<Json<PushAccepted>, Problem> {
    match state.registers.push(&who, &req.key, &req.changes).await? {
        PushOutcome::Accepted { heads, applied } => Ok(Json(PushAccepted {
            key: req.key,
            heads,
            applied,
        })),
        PushOutcome::Refused(refusal) => {
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
