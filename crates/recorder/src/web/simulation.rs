//! `POST /v1/simulation/clock`: moves a simulated clock and answers once
//! every job it woke (health, retention, checkpoints) is done. Only in a
//! test build (feature `simulated-clock`), and only mounted when the
//! recorder was started on a simulated clock: a shipped recorder cannot be
//! told the time.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::problem::{ApiError, Body};
use custos_clock::{Clock, SimulatedClock};

#[derive(Debug, Deserialize)]
struct Advance {
    /// Milliseconds forward; time never goes back.
    advance_ms: i64,
}

async fn advance(State(clock): State<SimulatedClock>, Body(req): Body<Advance>) -> Result<Json<Value>, ApiError> {
    if req.advance_ms < 0 {
        return Err(ApiError::bad_request("the clock only moves forward"));
    }
    clock.advance(req.advance_ms).await;
    Ok(Json(json!({ "now_ms": clock.now().0 })))
}

pub fn router(clock: SimulatedClock) -> Router {
    Router::new()
        .route("/v1/simulation/clock", post(advance))
        .with_state(clock)
}
