//! `GET /v1/cameras/health`: each camera's measured health, to pre-fill the
//! walk-around checklist (`footage::health`); `GET /v1/cameras/{id}/snapshot`:
//! the current picture, only for the roles the profile lets see live
//! pictures (`footage::frames`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use custos_api::Problem;
use custos_api::cameras::SiteHealth;

use super::AppState;
use super::problem::ApiError;
use crate::footage::disk::DiskSpace;
use crate::footage::frames::live_picture;
use crate::footage::health::site_health;
use crate::registers::SignedIn;

#[utoipa::path(get, path = "/v1/cameras/health", operation_id = "camera_health", tag = "cameras", security(("bearer" = [])),
    responses((status = 200, description = "Measured health of every camera in service", body = SiteHealth),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A role that does not look after the cameras", body = Problem, content_type = "application/problem+json")))]
pub async fn health(State(state): State<AppState>, who: SignedIn) -> Result<Json<SiteHealth>, ApiError> {
    let disk = DiskSpace::measure(&state.data)?;
    Ok(Json(site_health(
        &state.registers,
        &who,
        &state.pictures,
        disk,
        state.segment_seconds,
    )?))
}

#[utoipa::path(get, path = "/v1/cameras/{id}/snapshot", tag = "cameras", security(("bearer" = [])),
    params(("id" = String, Path, description = "The camera's id, e.g. cam-01")),
    responses((status = 200, description = "The current picture", content_type = "image/jpeg"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "This role may not see live pictures", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such camera, or nothing recorded yet", body = Problem, content_type = "application/problem+json")))]
pub async fn snapshot(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let jpeg = live_picture(&state.registers, &who, &state.data, &id).await?;
    let mut response = jpeg.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
