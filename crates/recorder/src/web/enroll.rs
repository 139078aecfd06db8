//! `POST /v1/enroll`: a device sends a one-time code and the public key it
//! made; the recorder binds the key to the person the code was made for
//! (`registers::enrollment`).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::problem::{Body, Problem};

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// The code shown on the recorder's console (`custos-recorder enroll`).
    pub code: String,
    /// The device's Ed25519 public key, 32 bytes in hex.
    pub public_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollResponse {
    pub device_id: String,
    pub person_id: String,
    pub person_name: String,
    pub roles: Vec<String>,
    pub site_name: String,
    pub profile_id: String,
    /// The recorder's own Ed25519 public key (hex): it signs audit checkpoints.
    pub recorder_public_key: String,
}

#[utoipa::path(post, path = "/v1/enroll", tag = "enrollment", request_body = EnrollRequest,
    responses(
        (status = 200, description = "Enrolled", body = EnrollResponse),
        (status = 400, description = "Malformed request or key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Unknown code", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Code already used", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Code expired", body = Problem, content_type = "application/problem+json")))]
pub async fn enroll(
    State(state): State<AppState>,
    Body(req): Body<EnrollRequest>,
) -> Result<Json<EnrollResponse>, Problem> {
    let enrolled = state.registers.enroll(&req.code, &req.public_key).await?;
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
