//! `GET /v1/health`: answers without authentication, for monitoring and
//! for a device checking that it reached the right recorder.

use axum::Json;
use axum::extract::State;

use custos_api::Problem;
use custos_api::health::Health;

use super::AppState;
use super::problem::ApiError;

#[utoipa::path(get, path = "/v1/health", tag = "health",
    responses((status = 200, description = "The recorder is up", body = Health),
              (status = 500, description = "The database does not answer", body = Problem, content_type = "application/problem+json")))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let site = state.registers.site()?;
    Ok(Json(Health {
        status: "ok".into(),
        site: site.site.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
