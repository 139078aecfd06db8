//! The change watcher: announces the key of every register document whose
//! stored copy changed, so open apps hear of it at once (`GET /v1/events`).
//! It polls the documents table, so changes made by the console in another
//! process are announced too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::db::Store;

/// How often the watcher looks for changed documents.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// Announces on `tx` the key of every document whose stored copy changed.
pub fn spawn_watcher(store: Arc<Store>, tx: broadcast::Sender<String>) {
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
