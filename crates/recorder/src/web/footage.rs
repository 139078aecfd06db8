//! `GET /v1/footage/spans`: which footage exists for cameras over a window,
//! for the staff filing an application (`footage::spans`).

use axum::Json;
use axum::extract::State;

use custos_api::Problem;
use custos_api::footage::{FootageSpans, SpansQuery};

use super::AppState;
use super::problem::{ApiError, Params};
use crate::footage::spans::footage_spans;
use crate::registers::SignedIn;

#[utoipa::path(get, path = "/v1/footage/spans", operation_id = "footage_spans", tag = "footage", security(("bearer" = [])),
    params(SpansQuery),
    responses((status = 200, description = "Per camera, the footage that exists over the window and what is missing", body = FootageSpans),
              (status = 400, description = "No camera, a camera not of this site, or a window that is empty or over seven days", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A role that does not receive applications", body = Problem, content_type = "application/problem+json")))]
pub async fn spans(
    State(state): State<AppState>,
    who: SignedIn,
    Params(query): Params<SpansQuery>,
) -> Result<Json<FootageSpans>, ApiError> {
    Ok(Json(footage_spans(&state.registers, &who, &query)?))
}
