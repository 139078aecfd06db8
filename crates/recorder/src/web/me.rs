//! `GET /v1/me`: who this device signs in as, and which documents it may
//! receive (need-to-know, `registers::reading`).

use axum::Json;
use axum::extract::State;

use custos_api::Problem;
use custos_api::me::Me;

use super::AppState;
use super::problem::ApiError;
use crate::registers::SignedIn;

#[utoipa::path(get, path = "/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "This device and what it may read", body = Me),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json")))]
pub async fn me(State(state): State<AppState>, who: SignedIn) -> Result<Json<Me>, ApiError> {
    let documents = state
        .registers
        .documents_for(&who)?
        .into_iter()
        .map(|(key, _)| key.to_string())
        .collect();
    Ok(Json(Me {
        person_id: who.person_id.to_string(),
        name: who.person.name.clone(),
        roles: who.person.roles.iter().map(|r| r.as_str().to_string()).collect(),
        device_id: who.device_id.to_string(),
        documents,
    }))
}
