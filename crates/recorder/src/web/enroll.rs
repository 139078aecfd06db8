//! `POST /v1/enroll`: a device sends a one-time code and the public key it
//! made; the recorder binds the key to the person the code was made for
//! (`registers::enrollment`).

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};

use custos_api::Problem;
use custos_api::enroll::{EnrollRequest, EnrollResponse};

use super::AppState;
use super::problem::{ApiError, Body};

#[utoipa::path(post, path = "/v1/enroll", tag = "enrollment", request_body = EnrollRequest,
    responses(
        (status = 200, description = "Enrolled", body = EnrollResponse),
        (status = 400, description = "Malformed request or key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Unknown code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Code already used", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Code expired", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Ten refused codes from this address in the last minute; Retry-After says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn enroll(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let source = peer.ip().to_string();
    let enrolled = state.registers.enroll(&req.code, &req.public_key, &source).await?;
    Ok(Json(EnrollResponse {
        device_id: enrolled.device_id.to_string(),
        person_id: enrolled.person_id.to_string(),
        person_name: enrolled.person.name,
        roles: enrolled.person.roles.iter().map(|r| r.as_str().to_string()).collect(),
        site_name: enrolled.site_name,
        profile_id: enrolled.profile_id,
        recorder_public_key: enrolled.recorder_public_key,
    }))
}
