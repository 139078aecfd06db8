//! `/v1/exports`: 複製 for an agency, asked for from the manager's tablet
//! (`footage::export::jobs`). Every refusal is on record.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use custos_api::Problem;
use custos_api::exports::{ExportJob, StartExport};

use super::AppState;
use super::problem::{ApiError, Body};
use crate::registers::SignedIn;

#[utoipa::path(post, path = "/v1/exports", operation_id = "start_export", tag = "exports", security(("bearer" = [])),
    request_body = StartExport,
    responses((status = 202, description = "Checked and being written to the recorder's disk for exports", body = ExportJob),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Not a manager", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Not a copy, not an agency's, not allowed, not approved, already exported, no footage left, or no disk set up", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Another export is being written; Retry-After says when to ask again", body = Problem, content_type = "application/problem+json")))]
pub async fn start(
    State(state): State<AppState>,
    who: SignedIn,
    Body(req): Body<StartExport>,
) -> Result<(StatusCode, Json<ExportJob>), ApiError> {
    let job = state
        .exports
        .start(&state.registers, state.data.clone(), &who, &req.application)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

#[utoipa::path(get, path = "/v1/exports/{job}", operation_id = "export_job", tag = "exports", security(("bearer" = [])),
    params(("job" = String, Path, description = "The export's job id")),
    responses((status = 200, description = "How far it is: writing, done (where, the fingerprint), or failed (why)", body = ExportJob),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such export started from this device", body = Problem, content_type = "application/problem+json")))]
pub async fn state(
    State(state): State<AppState>,
    who: SignedIn,
    Path(job): Path<String>,
) -> Result<Json<ExportJob>, ApiError> {
    Ok(Json(state.exports.state(&who, &job)?))
}
