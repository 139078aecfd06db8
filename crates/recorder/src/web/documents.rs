//! `GET /v1/documents`, `POST /v1/sync` and `POST /v1/push`: the register
//! documents a device may receive (need-to-know), the download side of sync
//! and the upload side (`registers::sync`, `registers::push`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use custos_api::Problem;
use custos_api::documents::{
    DocumentInfo, DocumentList, PushAccepted, PushRequest, SyncReply, SyncRequest, SyncResponse,
};

use super::AppState;
use super::auth::Turn;
use super::problem::{ApiError, Body};
use crate::registers::SignedIn;
use crate::registers::push::PushOutcome;
use crate::registers::sync::DeviceMessage;

#[utoipa::path(get, path = "/v1/documents", tag = "sync", security(("bearer" = [])),
    responses((status = 200, description = "The documents this device may receive", body = DocumentList),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, who: SignedIn) -> Result<Json<DocumentList>, ApiError> {
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

#[utoipa::path(post, path = "/v1/sync", tag = "sync", security(("bearer" = [])), request_body = SyncRequest,
    responses((status = 200, description = "The recorder's sync messages", body = SyncResponse),
              (status = 400, description = "Malformed key or message", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A document this device may not receive", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "A document the recorder does not have", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "This device already has two sync requests running; Retry-After says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn sync(
    State(state): State<AppState>,
    turn: Turn,
    Body(req): Body<SyncRequest>,
) -> Result<Json<SyncResponse>, ApiError> {
    let who = &turn.who;
    let items: Vec<DeviceMessage> = req
        .documents
        .into_iter()
        .map(|d| DeviceMessage {
            key: d.key,
            message: d.message,
            start: d.start,
        })
        .collect();
    let documents = state
        .registers
        .sync(who, &items)?
        .into_iter()
        .map(|(key, message)| SyncReply { key, message })
        .collect();
    Ok(Json(SyncResponse { documents }))
}

#[utoipa::path(post, path = "/v1/push", tag = "sync", security(("bearer" = [])), request_body = PushRequest,
    responses((status = 200, description = "Every change applied", body = PushAccepted),
              (status = 400, description = "Malformed key or change", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The document was created meanwhile; nothing was applied, push again", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "A change breaks a write rule; nothing was applied", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "This device already has two sync requests running; Retry-After says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn push(
    State(state): State<AppState>,
    turn: Turn,
    Body(req): Body<PushRequest>,
) -> Result<Json<PushAccepted>, ApiError> {
    let who = &turn.who;
    match state.registers.push(who, &req.key, &req.changes).await? {
        PushOutcome::Accepted { heads, applied } => Ok(Json(PushAccepted {
            key: req.key,
            heads,
            applied,
        })),
        PushOutcome::Refused(refusal) => {
            let mut problem = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Change refused",
                format!(
                    "{}; nothing was applied, and the change stays on this device",
                    refusal.message
                ),
            );
            problem.0.refusal = Some(refusal);
            Err(problem)
        }
    }
}
