//! `GET /v1/events`: a server-sent event stream that tells an open app at
//! once that a document it may read has changed, so it syncs that document.
//! A watcher polls the documents table, so changes made by the console in
//! another process are announced too.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use custos_core::documents::DocKey;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;

use super::AppState;
use super::auth::Authenticated;
use super::documents::readable;
use super::problem::Problem;

use crate::store::Store;

/// How often the watcher looks for changed documents.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// Announces the key of every document whose stored copy changed.
pub fn spawn_watcher(store: std::sync::Arc<Store>, tx: broadcast::Sender<String>) {
    tokio::spawn(async move {
        let mut seen: HashMap<String, i64> = store.document_versions().unwrap_or_default().into_iter().collect();
        let mut tick = tokio::time::interval(WATCH_INTERVAL);
        loop {
            tick.tick().await;
            let Ok(now) = store.document_versions() else {
                continue;
            };
            for (key, version) in now {
                if seen.get(&key) != Some(&version) {
                    seen.insert(key.clone(), version);
                    // No subscribers is fine: nobody is listening right now.
                    let _ = tx.send(key);
                }
            }
        }
    });
}

#[utoipa::path(get, path = "/v1/events", tag = "sync", security(("bearer" = [])),
    responses((status = 200, description = "A stream of `document` events, each naming a changed document key", content_type = "text/event-stream"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json")))]
pub async fn events(
    State(state): State<AppState>,
    who: Authenticated,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.changes.subscribe();
    let stream = stream::unfold((rx, state, who), |(mut rx, state, who)| async move {
        loop {
            let key = match rx.recv().await {
                Ok(key) => key,
                // Fell behind: tell the app to check everything.
                Err(broadcast::error::RecvError::Lagged(_)) => "*".to_string(),
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            // Re-check on every event: a revoked device's stream ends here.
            let site = state.cache.site(&state.store).ok()?;
            site.active_actor(&who.device_id).ok()?;
            let visible = match key.parse::<DocKey>() {
                Ok(doc) => readable(&state.store, &site, &who, &doc).unwrap_or(false),
                Err(_) => key == "*",
            };
            if visible {
                let event = Event::default().event("document").data(key);
                return Some((Ok(event), (rx, state, who)));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
