//! `POST /v1/enroll`: a device sends a one-time code and the public key it
//! made; the recorder binds the key to the person the code was made for.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use custos_core::roles::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{Body, Problem};
use crate::enrollment::code_hash;
use crate::registry::{Registry, site_register};
use crate::store::{AuditEvent, CodeProblem};

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
    let now = state.clock.now();
    let key_ok = hex::decode(&req.public_key).map(|k| k.len() == 32).unwrap_or(false);
    if !key_ok {
        return Err(Problem::bad_request(
            "public_key must be an Ed25519 public key: 32 bytes in hex",
        ));
    }
    let device_id = custos_core::ids::DeviceId::for_public_key(&hex::decode(&req.public_key).unwrap_or_default());
    let refuse = |problem: CodeProblem| -> Result<Problem, Problem> {
        let why = match problem {
            CodeProblem::Unknown => "unknown",
            CodeProblem::Expired => "expired",
            CodeProblem::Used => "used",
        };
        let detail = json!({ "reason": why, "device": device_id.as_str() });
        state.store.append_audit(
            now,
            AuditEvent {
                kind: "enrollment_refused",
                actor: device_id.as_str(),
                detail,
            },
        )?;
        Ok(match problem {
            CodeProblem::Unknown => Problem::new(
                StatusCode::FORBIDDEN,
                "Enrollment code not valid",
                "this code is not known to the recorder; check it, or ask for a new one (custos-recorder enroll)",
            ),
            CodeProblem::Expired => Problem::new(
                StatusCode::GONE,
                "Enrollment code expired",
                "this code has expired; ask the system manager for a new one",
            ),
            CodeProblem::Used => Problem::new(
                StatusCode::CONFLICT,
                "Enrollment code already used",
                "each code enrolls one device once; ask for a new code for this device",
            ),
        })
    };
    let person_id = match state
        .store
        .redeem_enrollment_code(&code_hash(&req.code), device_id.as_str(), now)?
    {
        Ok(person) => person,
        Err(problem) => return Err(refuse(problem)?),
    };
    let person_id: custos_core::ids::PersonId = person_id.parse().map_err(Problem::internal)?;
    let site = site_register(&state.store)?;
    if site.person(&person_id).is_none_or(|p| p.revoked_at.is_some()) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "Person revoked",
            "the person this code was made for has been revoked",
        ));
    }
    let registry = Registry {
        store: &state.store,
        site_key: &state.site_key,
    };
    let device_id = registry
        .enroll_device(&person_id, &req.public_key, now)
        .map_err(|e| match e {
            crate::RecorderError::Usage(msg) => Problem::new(StatusCode::CONFLICT, "Device already enrolled", msg),
            other => Problem::internal(other),
        })?;
    let site = site_register(&state.store)?;
    let person = site
        .person(&person_id)
        .ok_or_else(|| Problem::internal("enrolled person vanished"))?;
    Ok(Json(EnrollResponse {
        device_id: device_id.to_string(),
        person_id: person_id.to_string(),
        person_name: person.name.clone(),
        roles: person.roles.iter().map(|r: &Role| r.as_str().to_string()).collect(),
        site_name: site.site.name.clone(),
        profile_id: site.profile().map(|p| p.id).unwrap_or_default(),
        recorder_public_key: site.site.recorder_public_key.clone(),
    }))
}
