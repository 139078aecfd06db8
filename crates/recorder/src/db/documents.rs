//! Register documents as stored: each is its last whole save followed by
//! the chunks appended since (a push's changes, the recorder's own), which
//! automerge loads as one; a version that changes on every write, so the
//! cache and the change watcher see another process's writes; and
//! compaction back into one save.

use custos_core::documents::DocKey;
use custos_core::time::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::audit::{AuditEvent, append_audit_tx};
use super::store::Store;
use crate::base::error::Result;

/// Chunks appended to a document before it is saved whole again.
pub const COMPACT_AFTER_CHUNKS: i64 = 64;

impl Store {
    /// A document's bytes: its last full save followed by the incremental
    /// chunks appended since, which automerge loads as one.
    pub fn document(&self, key: &DocKey) -> Result<Option<Vec<u8>>> {
        let key = key.to_string();
        let conn = self.conn();
        let Some(mut bytes): Option<Vec<u8>> = conn
            .query_row("SELECT bytes FROM documents WHERE key = ?1", [&key], |r| r.get(0))
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = conn.prepare("SELECT bytes FROM document_changes WHERE key = ?1 ORDER BY seq")?;
        for chunk in stmt.query_map([&key], |r| r.get::<_, Vec<u8>>(0))? {
            bytes.extend(chunk?);
        }
        Ok(Some(bytes))
    }

    /// A number that changes on every save of the document, or `None` if it does not exist.
    pub fn document_version(&self, key: &DocKey) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row("SELECT version FROM documents WHERE key = ?1", [key.to_string()], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Appends the changes a push added (an incremental chunk) to a stored
    /// document, with its audit row, in one transaction. Returns the new
    /// version and how many chunks now wait for compaction.
    pub fn append_document_changes(
        &self,
        key: &DocKey,
        chunk: &[u8],
        now: Timestamp,
        audit: Option<AuditEvent<'_>>,
    ) -> Result<(i64, i64)> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (version, seq) = append_chunk_tx(&tx, key, chunk, now)?;
        if let Some(event) = audit {
            append_audit_tx(&tx, now, event)?;
        }
        tx.commit()?;
        Ok((version, seq))
    }

    /// How many chunks wait after a document's last whole save.
    pub fn document_chunks(&self, key: &DocKey) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM document_changes WHERE key = ?1",
            [key.to_string()],
            |r| r.get(0),
        )?)
    }

    /// The keys of the stored documents (a row whose key names no register
    /// document, which no path writes, is passed over).
    pub fn document_keys(&self) -> Result<Vec<DocKey>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key FROM documents ORDER BY key")?;
        let keys = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(keys.into_iter().filter_map(|k| k.parse().ok()).collect())
    }

    /// Each document's key and a version that changes on every save.
    pub fn document_versions(&self) -> Result<Vec<(String, i64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key, version FROM documents")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Saves a document whole and appends an audit row in one transaction:
    /// what is stored and what the chain says about it never disagree. For
    /// seeding a store (benchmarks, imports) only: a whole save drops
    /// anything appended since its copy was read, so the recorder's own
    /// changes go through `own_changes` and pushes append.
    pub fn save_document(
        &self,
        key: &DocKey,
        bytes: &[u8],
        now: Timestamp,
        audit: Option<AuditEvent<'_>>,
    ) -> Result<()> {
        let key = &key.to_string();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM document_changes WHERE key = ?1", [key])?;
        tx.execute(
            "INSERT INTO documents (key, bytes, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at,
                                            version = version + 1",
            params![key, bytes, now.0],
        )?;
        if let Some(event) = audit {
            append_audit_tx(&tx, now, event)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores a new document and its audit row; `false` (and nothing
    /// written) if a document of that key exists by now.
    pub fn insert_document(
        &self,
        key: &DocKey,
        bytes: &[u8],
        now: Timestamp,
        audit: Option<AuditEvent<'_>>,
    ) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let inserted = insert_document_tx(&tx, key, bytes, now)?;
        if inserted {
            if let Some(event) = audit {
                append_audit_tx(&tx, now, event)?;
            }
            tx.commit()?;
        }
        Ok(inserted)
    }

    /// Replaces a document's save and chunks by one whole save, if it is
    /// still at `version`: another writer's chunk appended since (the
    /// recorder's own alarms, outside the push lock) is never dropped.
    pub fn compact_document(&self, key: &DocKey, bytes: &[u8], version: i64) -> Result<bool> {
        let key = &key.to_string();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: Option<i64> = tx
            .query_row("SELECT version FROM documents WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        if current != Some(version) {
            return Ok(false);
        }
        tx.execute("DELETE FROM document_changes WHERE key = ?1", [key])?;
        tx.execute(
            "UPDATE documents SET bytes = ?2, version = version + 1 WHERE key = ?1",
            params![key, bytes],
        )?;
        tx.commit()?;
        Ok(true)
    }
}

/// Appends a chunk to a stored document inside `tx`: its new version and
/// how many chunks now wait for compaction.
pub fn append_chunk_tx(
    tx: &rusqlite::Transaction<'_>,
    key: &DocKey,
    chunk: &[u8],
    now: Timestamp,
) -> Result<(i64, i64)> {
    let key = &key.to_string();
    let seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM document_changes WHERE key = ?1",
        [key],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO document_changes (key, seq, bytes) VALUES (?1, ?2, ?3)",
        params![key, seq, chunk],
    )?;
    let version: i64 = tx.query_row(
        "UPDATE documents SET version = version + 1, updated_at = ?2 WHERE key = ?1 RETURNING version",
        params![key, now.0],
        |r| r.get(0),
    )?;
    Ok((version, seq))
}

/// Stores a new document inside `tx`; `false` if one of that key exists.
pub fn insert_document_tx(tx: &rusqlite::Transaction<'_>, key: &DocKey, bytes: &[u8], now: Timestamp) -> Result<bool> {
    Ok(tx.execute(
        "INSERT INTO documents (key, bytes, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO NOTHING",
        params![key.to_string(), bytes, now.0],
    )? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_its_full_save_plus_the_chunks_appended_since() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let key = DocKey::Holds;
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "a", 1).unwrap();
        store.save_document(&key, &doc.save(), Timestamp(1), None).unwrap();
        let v1 = store.document_version(&key).unwrap().unwrap();
        let heads = doc.get_heads();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "b", 2).unwrap();
        doc.commit();
        let (v2, chunks) = store
            .append_document_changes(&key, &doc.save_after(&heads), Timestamp(2), None)
            .unwrap();
        assert!(v2 > v1);
        assert_eq!(chunks, 1);
        let loaded = automerge::Automerge::load(&store.document(&key).unwrap().unwrap()).unwrap();
        assert_eq!(loaded.get_heads(), doc.get_heads());
        // A push stores its changes' own bytes; two changes appended as one
        // chunk, the later first, still load (automerge orders them).
        let heads = doc.get_heads();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "c", 3).unwrap();
        doc.commit();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "d", 4).unwrap();
        doc.commit();
        let pushed: Vec<u8> = doc
            .get_changes(&heads)
            .iter()
            .rev()
            .flat_map(|c| c.raw_bytes().to_vec())
            .collect();
        store
            .append_document_changes(&key, &pushed, Timestamp(3), None)
            .unwrap();
        let loaded = automerge::Automerge::load(&store.document(&key).unwrap().unwrap()).unwrap();
        assert_eq!(loaded.get_heads(), doc.get_heads());
        assert_eq!(
            automerge::ReadDoc::get(&loaded, automerge::ROOT, "c")
                .unwrap()
                .unwrap()
                .0
                .as_i64(),
            Some(3)
        );
        // A full save replaces the chunks.
        store.save_document(&key, &doc.save(), Timestamp(3), None).unwrap();
        let again = automerge::Automerge::load(&store.document(&key).unwrap().unwrap()).unwrap();
        assert_eq!(again.get_heads(), doc.get_heads());
    }
}
