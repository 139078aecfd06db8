//! `GET /v1/events`: a server-sent event stream that tells an open app at
//! once that a document it may read has changed (`registers::watcher`), so
//! it syncs that document.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use custos_core::documents::DocKey;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;

use custos_api::Problem;

use super::AppState;
use super::problem::ApiError;
use crate::registers::SignedIn;

#[utoipa::path(get, path = "/v1/events", tag = "sync", security(("bearer" = [])),
    responses((status = 200, description = "A stream of `document` events, each naming a changed document key", content_type = "text/event-stream"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "This device already has two change streams open", body = Problem, content_type = "application/problem+json")))]
pub async fn events(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Held for as long as the stream is open.
    let turn = state.streams.take(who.device_id.as_str())?;
    let rx = state.changes.subscribe();
    let stream = stream::unfold((rx, state, who, turn), |(mut rx, state, who, turn)| async move {
        loop {
            let key = match rx.recv().await {
                Ok(key) => key,
                // Fell behind: tell the app to check everything.
                Err(broadcast::error::RecvError::Lagged(_)) => "*".to_string(),
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            // Re-check on every event: a revoked device's stream ends here.
            let site = state.registers.site().ok()?;
            site.active_actor(&who.device_id).ok()?;
            let visible = match key.parse::<DocKey>() {
                Ok(doc) => state.registers.readable(&site, &who, &doc).unwrap_or(false),
                Err(_) => key == "*",
            };
            if visible {
                let event = Event::default().event("document").data(key);
                return Some((Ok(event), (rx, state, who, turn)));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
