//! `/v1/viewings`: accompanied viewing sessions (`footage::viewing`) and
//! their frames (`footage::playback`). Every refusal is on record.

use axum::Json;
use axum::extract::{Path, State};

use custos_api::Problem;
use custos_api::viewing::{OpenViewing, ViewingClosed, ViewingNonce, ViewingSession};

use super::AppState;
use super::problem::{ApiError, Body};
use crate::footage::viewing;
use crate::registers::SignedIn;

#[utoipa::path(post, path = "/v1/viewings/nonce", operation_id = "viewing_nonce", tag = "viewings", security(("bearer" = [])),
    responses((status = 200, description = "A nonce for one opening, valid ten minutes", body = ViewingNonce),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A role that may not accompany a viewing", body = Problem, content_type = "application/problem+json")))]
pub async fn nonce(State(state): State<AppState>, who: SignedIn) -> Result<Json<ViewingNonce>, ApiError> {
    Ok(Json(viewing::issue_nonce(&state.registers, &who)?))
}

#[utoipa::path(post, path = "/v1/viewings", operation_id = "open_viewing", tag = "viewings", security(("bearer" = [])),
    request_body = OpenViewing,
    responses((status = 200, description = "The session is open (or resumed on the tablet that opened it): the application is consumed and its logbook entry begun", body = ViewingSession),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Not an escort, another device's opening, or an opening that does not verify", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Not approved, already viewed, rejected, withdrawn, amended since the screen showed it, or a used nonce", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "None of the approved footage exists any more", body = Problem, content_type = "application/problem+json")))]
pub async fn open(
    State(state): State<AppState>,
    who: SignedIn,
    Body(req): Body<OpenViewing>,
) -> Result<Json<ViewingSession>, ApiError> {
    Ok(Json(viewing::open(&state.registers, &who, req.opening).await?))
}

#[utoipa::path(post, path = "/v1/viewings/{session}/close", operation_id = "close_viewing", tag = "viewings", security(("bearer" = [])),
    params(("session" = String, Path, description = "The session's id")),
    responses((status = 200, description = "Ended by the escort; the logbook entry is complete", body = ViewingClosed),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Another device than the one that opened it", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "Already ended", body = Problem, content_type = "application/problem+json")))]
pub async fn close(
    State(state): State<AppState>,
    who: SignedIn,
    Path(session): Path<String>,
) -> Result<Json<ViewingClosed>, ApiError> {
    Ok(Json(viewing::close_by_escort(&state.registers, &who, &session).await?))
}
