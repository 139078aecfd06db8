//! The app's local store (SQLite, WAL, schema in `migrations/app/`): each
//! document this device may read, the outbox of local changes the recorder
//! has not accepted, photos and settings. An edit is durable before the
//! command that made it returns, so nothing done offline is lost.

use std::path::Path;

use automerge::{AutoCommit, Change, ChangeHash};
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::DeviceId;
use include_dir::{Dir, include_dir};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rusqlite_migration::Migrations;

static MIGRATIONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../migrations/app");

/// Chunks appended to a document before it is saved whole again.
const COMPACT_AFTER_CHUNKS: i64 = 64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the app's data folder: {0}")]
    Io(String),
    #[error("the local store: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the local store's schema: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("a stored document is damaged: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error(transparent)]
    Core(#[from] custos_core::CoreError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A change waiting in the outbox, or refused with the recorder's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub hash: String,
    pub key: String,
    pub bytes: Vec<u8>,
    pub refused: Option<(String, String)>,
}

/// The store behind its mutex. A command that panicked while holding it
/// left no half-written state (every write is one transaction), so the
/// store stays usable.
pub fn lock(store: &std::sync::Mutex<LocalStore>) -> std::sync::MutexGuard<'_, LocalStore> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct LocalStore {
    conn: Connection,
    device: DeviceId,
}

impl LocalStore {
    pub fn open(path: &Path, device: DeviceId) -> Result<LocalStore> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Migrations::from_directory(&MIGRATIONS)?.to_latest(&mut conn)?;
        Ok(LocalStore { conn, device })
    }

    /// A document as this device has it, ready to edit (with this device's actor),
    /// or its genesis if the device has none yet.
    pub fn document(&self, key: &DocKey) -> Result<AutoCommit> {
        let name = key.to_string();
        let full: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT bytes FROM documents WHERE key = ?1", [&name], |r| r.get(0))
            .optional()?;
        let Some(mut bytes) = full else {
            return Ok(docs::open(key, None, &self.device)?);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT bytes FROM document_changes WHERE key = ?1 ORDER BY seq")?;
        for chunk in stmt.query_map([&name], |r| r.get::<_, Vec<u8>>(0))? {
            bytes.extend(chunk?);
        }
        Ok(docs::open(key, Some(&bytes), &self.device)?)
    }

    /// One edit of one document, made durable: `change` edits the document
    /// as this device has it, the edit is committed with `message`, saved,
    /// and this device's new changes wait in the outbox, in one transaction.
    /// Nothing is saved if `change` fails.
    pub fn edit<T, E: From<StoreError>>(
        &mut self,
        key: &DocKey,
        message: &str,
        now_ms: i64,
        change: impl FnOnce(&mut AutoCommit) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut doc = self.document(key)?;
        let before = doc.get_heads();
        let out = change(&mut doc)?;
        docs::commit(&mut doc, message, now_ms);
        self.record_edit(key, &mut doc, &before, now_ms)?;
        Ok(out)
    }

    /// Saves what changed in `doc` since `before` and puts this device's new
    /// changes in the outbox, in one transaction.
    pub fn record_edit(
        &mut self,
        key: &DocKey,
        doc: &mut AutoCommit,
        before: &[ChangeHash],
        now_ms: i64,
    ) -> Result<Vec<String>> {
        let name = key.to_string();
        let stored: bool = self
            .conn
            .query_row("SELECT COUNT(*) FROM documents WHERE key = ?1", [&name], |r| {
                r.get::<_, i64>(0)
            })?
            > 0;
        // A document new on this device goes out whole, genesis included.
        let since: &[ChangeHash] = if stored { before } else { &[] };
        let new_changes: Vec<Change> = doc.get_changes(since).into_iter().collect();
        let actor = self.device.actor_id();
        // The genesis and the extension go out with this device's own changes.
        let structural = docs::structural_hashes(key);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        write_document(&tx, &name, doc, before, now_ms)?;
        let mut hashes = Vec::new();
        for change in new_changes
            .iter()
            .filter(|c| c.actor_id() == &actor || structural.contains(&c.hash()))
        {
            let hash = change.hash().to_string();
            tx.execute(
                "INSERT OR IGNORE INTO outbox (hash, key, bytes, made_at) VALUES (?1, ?2, ?3, ?4)",
                params![hash, name, change.raw_bytes(), now_ms],
            )?;
            hashes.push(hash);
        }
        tx.commit()?;
        Ok(hashes)
    }

    /// Saves what a sync brought in `doc` since `before`, with the sync
    /// state to resume from, in one transaction. Nothing enters the outbox:
    /// these changes came from the recorder.
    pub fn save_received(
        &mut self,
        key: &str,
        doc: &mut AutoCommit,
        before: &[ChangeHash],
        sync_state: &[u8],
        now_ms: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if doc.get_heads() != before {
            write_document(&tx, key, doc, before, now_ms)?;
        }
        tx.execute(
            "INSERT INTO sync_states (key, state) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET state = excluded.state",
            params![key, sync_state],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The persisted sync state of a document, if it was synced before.
    pub fn sync_state(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT state FROM sync_states WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The keys of the documents this device holds.
    pub fn document_keys(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT key FROM documents ORDER BY key")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// Documents with changes waiting to go to the recorder (not refused).
    pub fn keys_with_waiting(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT key FROM outbox WHERE refused_rule IS NULL GROUP BY key ORDER BY MIN(made_at), MIN(rowid)",
        )?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// Changes waiting (not refused) across all documents.
    pub fn waiting_count(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE refused_rule IS NULL", [], |r| {
                r.get(0)
            })?;
        Ok(n as usize)
    }

    /// Every refused change, with the recorder's rule and reason.
    pub fn refused_changes(&self) -> Result<Vec<Outgoing>> {
        self.outbox_where("refused_rule IS NOT NULL", [])
    }

    /// After a refusal: keeps the rebuilt document instead of the old one,
    /// marks the changes set aside as refused (they stay, with the reason),
    /// and replaces the other waiting changes by the ones made again; the
    /// sync state starts afresh. One transaction: all of it or none.
    pub fn replace_after_refusal(
        &mut self,
        key: &DocKey,
        rebuilt: &mut custos_core::rebuild::Rebuilt,
        refusal: &custos_core::access::Refusal,
        now_ms: i64,
    ) -> Result<()> {
        let name = key.to_string();
        let full = rebuilt.doc.save();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM document_changes WHERE key = ?1", [&name])?;
        tx.execute(
            "INSERT INTO documents (key, bytes, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(key) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at",
            params![name, full, now_ms],
        )?;
        for hash in &rebuilt.set_aside {
            tx.execute(
                "UPDATE outbox SET refused_rule = ?2, refused_message = ?3 WHERE hash = ?1",
                params![hash.to_string(), refusal.rule, refusal.message],
            )?;
        }
        for hash in &rebuilt.replaced {
            tx.execute(
                "DELETE FROM outbox WHERE hash = ?1 AND refused_rule IS NULL",
                [hash.to_string()],
            )?;
        }
        for change in &rebuilt.made_again {
            tx.execute(
                "INSERT OR IGNORE INTO outbox (hash, key, bytes, made_at) VALUES (?1, ?2, ?3, ?4)",
                params![change.hash().to_string(), name, change.raw_bytes(), now_ms],
            )?;
        }
        tx.execute("DELETE FROM sync_states WHERE key = ?1", [&name])?;
        tx.commit()?;
        Ok(())
    }

    /// The person has seen a refused change: it leaves the list.
    pub fn dismiss_refused(&mut self, hash: &str) -> Result<bool> {
        let n = self.conn.execute(
            "DELETE FROM outbox WHERE hash = ?1 AND refused_rule IS NOT NULL",
            [hash],
        )?;
        Ok(n > 0)
    }

    /// Changes of one document waiting to go out (not refused), oldest first.
    pub fn waiting(&self, key: &str) -> Result<Vec<Outgoing>> {
        self.outbox_where("key = ?1 AND refused_rule IS NULL", [key])
    }

    fn outbox_where<P: rusqlite::Params>(&self, condition: &str, params: P) -> Result<Vec<Outgoing>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT hash, key, bytes, refused_rule, refused_message FROM outbox WHERE {condition} ORDER BY made_at, rowid"
        ))?;
        let rows = stmt
            .query_map(params, |r| {
                let rule: Option<String> = r.get(3)?;
                let message: Option<String> = r.get(4)?;
                Ok(Outgoing {
                    hash: r.get(0)?,
                    key: r.get(1)?,
                    bytes: r.get(2)?,
                    refused: rule.zip(message),
                })
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Everything in the outbox for a document, oldest first, refused ones included.
    pub fn outbox(&self, key: &DocKey) -> Result<Vec<Outgoing>> {
        self.outbox_where("key = ?1", [key.to_string()])
    }

    /// The recorder accepted these changes: they leave the outbox.
    pub fn accepted(&mut self, hashes: &[String]) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for hash in hashes {
            tx.execute("DELETE FROM outbox WHERE hash = ?1", [hash])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The recorder refused a change: it stays, visible, with the reason.
    pub fn refused(&mut self, hash: &str, rule: &str, message: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET refused_rule = ?2, refused_message = ?3 WHERE hash = ?1",
            params![hash, rule, message],
        )?;
        Ok(())
    }

    pub fn put_photo(&self, photo: &crate::photos::Photo) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO blobs (hash, jpeg, thumbnail) VALUES (?1, ?2, ?3)",
            params![photo.sha256, photo.jpeg, photo.thumbnail],
        )?;
        Ok(())
    }

    /// Photos not uploaded yet.
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT hash FROM blobs WHERE uploaded = 0 ORDER BY rowid")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// A photo's JPEG, to upload it.
    pub fn photo_jpeg(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT jpeg FROM blobs WHERE hash = ?1", [hash], |r| r.get(0))
            .optional()?)
    }

    pub fn photo_uploaded(&self, hash: &str) -> Result<()> {
        self.conn
            .execute("UPDATE blobs SET uploaded = 1 WHERE hash = ?1", [hash])?;
        Ok(())
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

/// Writes what changed in `doc` since `before`: an incremental chunk, or the
/// whole document when it is new here or has gathered enough chunks.
fn write_document(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    now_ms: i64,
) -> Result<()> {
    let stored: bool = tx.query_row("SELECT COUNT(*) FROM documents WHERE key = ?1", [name], |r| {
        r.get::<_, i64>(0)
    })? > 0;
    let seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM document_changes WHERE key = ?1",
        [name],
        |r| r.get(0),
    )?;
    if !stored || seq > COMPACT_AFTER_CHUNKS {
        tx.execute("DELETE FROM document_changes WHERE key = ?1", [name])?;
        tx.execute(
            "INSERT INTO documents (key, bytes, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(key) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at",
            params![name, doc.save(), now_ms],
        )?;
    } else {
        tx.execute(
            "INSERT INTO document_changes (key, seq, bytes) VALUES (?1, ?2, ?3)",
            params![name, seq, doc.save_after(before)],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::signing::DeviceKey;

    const MONTH: DocKey = DocKey::Inspections { year: 2026, month: 11 };

    fn edit(store: &mut LocalStore, key: &DocKey, entry: &str, value: &str) -> Vec<String> {
        let mut doc = store.document(key).unwrap();
        let before = doc.get_heads();
        docs::put_entry(&mut doc, docs::INSPECTION_ENTRIES, entry, &value.to_string()).unwrap();
        docs::commit(&mut doc, "edit", 0);
        store.record_edit(key, &mut doc, &before, 1).unwrap()
    }

    #[test]
    fn an_offline_edit_survives_a_restart_and_waits_in_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sqlite");
        let device = DeviceKey::from_seed(&[5; 32]).device_id();
        {
            let mut store = LocalStore::open(&path, device.clone()).unwrap();
            // The first edit of a new month carries its genesis too.
            assert_eq!(edit(&mut store, &MONTH, "A", "first").len(), 2);
            assert_eq!(edit(&mut store, &MONTH, "B", "second").len(), 1);
        }
        let mut store = LocalStore::open(&path, device).unwrap();
        let doc = store.document(&MONTH).unwrap();
        let entries: std::collections::BTreeMap<String, String> =
            docs::entries(&doc, docs::INSPECTION_ENTRIES).unwrap();
        assert_eq!(entries.len(), 2, "both edits were durable");
        let outbox = store.outbox(&MONTH).unwrap();
        assert_eq!(outbox.len(), 3);

        // The recorder accepts the genesis and the first, refuses the second: it stays, with the reason.
        let (first, second) = (
            outbox[..2].iter().map(|o| o.hash.clone()).collect::<Vec<_>>(),
            outbox[2].hash.clone(),
        );
        store.accepted(&first).unwrap();
        store.refused(&second, "role", "黃巡檢 may not do this").unwrap();
        let left = store.outbox(&MONTH).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].refused, Some(("role".into(), "黃巡檢 may not do this".into())));
    }

    #[test]
    fn many_edits_are_compacted_without_losing_any() {
        let dir = tempfile::tempdir().unwrap();
        let device = DeviceKey::from_seed(&[6; 32]).device_id();
        let mut store = LocalStore::open(&dir.path().join("app.sqlite"), device).unwrap();
        for i in 0..(COMPACT_AFTER_CHUNKS + 10) {
            edit(&mut store, &MONTH, &format!("E{i:03}"), "x");
        }
        let doc = store.document(&MONTH).unwrap();
        let entries: std::collections::BTreeMap<String, String> =
            docs::entries(&doc, docs::INSPECTION_ENTRIES).unwrap();
        assert_eq!(entries.len() as i64, COMPACT_AFTER_CHUNKS + 10);
        store.set_setting("language", "zh-TW").unwrap();
        assert_eq!(store.setting("language").unwrap().as_deref(), Some("zh-TW"));
    }
}
