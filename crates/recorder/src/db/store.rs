//! The recorder's SQLite database: register documents, enrollment codes,
//! device sessions and the audit chain. Schema in `migrations/recorder/`,
//! applied by rusqlite_migration on every open.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use custos_core::audit::{AuditRow, Checkpoint};
use custos_core::time::Timestamp;
use include_dir::{Dir, include_dir};
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::Migrations;

use crate::error::{RecorderError, Result};

static MIGRATIONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../migrations/recorder");

pub const DATABASE_FILE: &str = "recorder.sqlite";

/// The recorder and its console are separate processes writing one
/// database. Every write transaction is IMMEDIATE: a deferred one that read
/// first and then writes gets SQLITE_BUSY at once when another process wrote
/// in between, without waiting on the busy timeout.
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens the database of an initialised data directory.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.exists() {
            return Err(RecorderError::Usage(format!(
                "{} is not a recorder data directory (no {DATABASE_FILE}); run `custos-recorder init` first",
                data_dir.display()
            )));
        }
        Self::open_path(&path)
    }

    /// Creates the database in a new data directory.
    pub fn create(data_dir: &Path) -> Result<Store> {
        Self::open_path(&data_dir.join(DATABASE_FILE))
    }

    fn open_path(path: &Path) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let migrations = Migrations::from_directory(&MIGRATIONS)?;
        migrations.to_latest(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// A document's bytes: its last full save followed by the incremental
    /// chunks appended since, which automerge loads as one.
    pub fn document(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let conn = self.conn();
        let Some(mut bytes): Option<Vec<u8>> = conn
            .query_row("SELECT bytes FROM documents WHERE key = ?1", [key], |r| r.get(0))
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = conn.prepare("SELECT bytes FROM document_changes WHERE key = ?1 ORDER BY seq")?;
        for chunk in stmt.query_map([key], |r| r.get::<_, Vec<u8>>(0))? {
            bytes.extend(chunk?);
        }
        Ok(Some(bytes))
    }

    /// A number that changes on every save of the document, or `None` if it does not exist.
    pub fn document_version(&self, key: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row("SELECT version FROM documents WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Appends the changes a push added (an incremental chunk) to a stored
    /// document, with its audit row, in one transaction. Returns the new
    /// version and how many chunks now wait for compaction.
    pub fn append_document_changes(
        &self,
        key: &str,
        chunk: &[u8],
        now: Timestamp,
        audit: Option<AuditEvent<'_>>,
    ) -> Result<(i64, i64)> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
        if let Some(event) = audit {
            append_audit_tx(&tx, now, event)?;
        }
        tx.commit()?;
        Ok((version, seq))
    }

    pub fn document_keys(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key FROM documents ORDER BY key")?;
        let keys = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(keys)
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
    pub fn save_document(&self, key: &str, bytes: &[u8], now: Timestamp, audit: Option<AuditEvent<'_>>) -> Result<()> {
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
        key: &str,
        bytes: &[u8],
        now: Timestamp,
        audit: Option<AuditEvent<'_>>,
    ) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO documents (key, bytes, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT(key) DO NOTHING",
            params![key, bytes, now.0],
        )? == 1;
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
    pub fn compact_document(&self, key: &str, bytes: &[u8], version: i64) -> Result<bool> {
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

    pub fn append_audit(&self, now: Timestamp, event: AuditEvent<'_>) -> Result<AuditRow> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let row = append_audit_tx(&tx, now, event)?;
        tx.commit()?;
        Ok(row)
    }

    pub fn audit_rows(&self) -> Result<Vec<AuditRow>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT seq, at, kind, actor, detail, prev_hash, hash FROM audit_log ORDER BY seq")?;
        let rows = stmt.query_map([], row_from_sql)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn checkpoints(&self) -> Result<Vec<(Checkpoint, String)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT tree_size, head_hash, at, signature FROM audit_checkpoints ORDER BY tree_size")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    Checkpoint {
                        tree_size: r.get::<_, i64>(0)? as u64,
                        head_hash: r.get(1)?,
                        at: Timestamp(r.get(2)?),
                    },
                    r.get(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn insert_checkpoint(&self, checkpoint: &Checkpoint, signature: &str) -> Result<()> {
        self.conn().execute(
            "INSERT OR IGNORE INTO audit_checkpoints (tree_size, head_hash, at, signature) VALUES (?1, ?2, ?3, ?4)",
            params![
                checkpoint.tree_size as i64,
                checkpoint.head_hash,
                checkpoint.at.0,
                signature
            ],
        )?;
        Ok(())
    }

    pub fn insert_enrollment_code(
        &self,
        code_hash: &str,
        person_id: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO enrollment_codes (code_hash, person_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![code_hash, person_id, now.0, expires.0],
        )?;
        Ok(())
    }

    /// Uses a code once: returns the person it was made for, or why it cannot be used.
    pub fn redeem_enrollment_code(
        &self,
        code_hash: &str,
        device_id: &str,
        now: Timestamp,
    ) -> Result<Result<String, CodeProblem>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: Option<(String, i64, Option<i64>)> = tx
            .query_row(
                "SELECT person_id, expires_at, used_at FROM enrollment_codes WHERE code_hash = ?1",
                [code_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let outcome = match found {
            None => Err(CodeProblem::Unknown),
            Some((_, _, Some(_))) => Err(CodeProblem::Used),
            Some((_, expires, None)) if expires <= now.0 => Err(CodeProblem::Expired),
            Some((person, _, None)) => {
                tx.execute(
                    "UPDATE enrollment_codes SET used_at = ?1, device_id = ?2 WHERE code_hash = ?3",
                    params![now.0, device_id, code_hash],
                )?;
                Ok(person)
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    pub fn insert_challenge(&self, nonce: &str, device_id: &str, expires: Timestamp) -> Result<()> {
        self.conn().execute(
            "INSERT INTO auth_challenges (nonce, device_id, expires_at) VALUES (?1, ?2, ?3)",
            params![nonce, device_id, expires.0],
        )?;
        Ok(())
    }

    /// Takes a challenge (each can be answered once); `None` if unknown,
    /// expired or issued to another device.
    pub fn take_challenge(&self, nonce: &str, device_id: &str, now: Timestamp) -> Result<bool> {
        let conn = self.conn();
        let removed = conn.execute(
            "DELETE FROM auth_challenges WHERE nonce = ?1 AND device_id = ?2 AND expires_at > ?3",
            params![nonce, device_id, now.0],
        )?;
        conn.execute("DELETE FROM auth_challenges WHERE expires_at <= ?1", [now.0])?;
        Ok(removed == 1)
    }

    pub fn insert_token(&self, token_hash: &str, device_id: &str, expires: Timestamp) -> Result<()> {
        self.conn().execute(
            "INSERT INTO auth_tokens (token_hash, device_id, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, device_id, expires.0],
        )?;
        Ok(())
    }

    pub fn device_for_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT device_id FROM auth_tokens WHERE token_hash = ?1 AND expires_at > ?2",
                params![token_hash, now.0],
                |r| r.get(0),
            )
            .optional()?)
    }
}

impl Store {
    /// Stores a blob once; a second upload of the same bytes changes nothing.
    pub fn put_blob(&self, hash: &str, media_type: &str, bytes: &[u8], device: &str, now: Timestamp) -> Result<bool> {
        let inserted = self.conn().execute(
            "INSERT OR IGNORE INTO blobs (hash, media_type, bytes, uploaded_by, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, media_type, bytes, device, now.0],
        )?;
        Ok(inserted == 1)
    }

    /// The blob's media type, bytes and uploading device.
    pub fn blob(&self, hash: &str) -> Result<Option<(String, Vec<u8>, String)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT media_type, bytes, uploaded_by FROM blobs WHERE hash = ?1",
                [hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }
}

/// One indexed segment of footage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentRow {
    pub camera_id: String,
    /// The time in the file name, from which its path is derived.
    pub start_ms: i64,
    /// What the media covers, in recorder time.
    pub real_start_ms: i64,
    pub real_end_ms: i64,
    pub bytes: i64,
}

/// Consecutive segments of one camera to destroy: no other indexed
/// segment of that camera starts between the first and the last.
#[derive(Debug, Clone, Copy)]
pub struct SegmentRun<'a> {
    pub camera: &'a str,
    /// Nominal starts, ascending.
    pub starts: &'a [i64],
}

impl Store {
    /// Indexes a segment, or corrects the times of one already indexed.
    pub fn insert_segment(&self, row: &SegmentRow) -> Result<()> {
        self.conn().execute(
            "INSERT INTO segments (camera_id, start_ms, real_start_ms, real_end_ms, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (camera_id, start_ms) DO UPDATE SET
                 real_start_ms = excluded.real_start_ms, real_end_ms = excluded.real_end_ms, bytes = excluded.bytes",
            params![
                row.camera_id,
                row.start_ms,
                row.real_start_ms,
                row.real_end_ms,
                row.bytes
            ],
        )?;
        Ok(())
    }

    /// Indexes many segments in one transaction (imports, benchmarks).
    pub fn insert_segments(&self, rows: &[SegmentRow]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO segments (camera_id, start_ms, real_start_ms, real_end_ms, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?;
            for r in rows {
                stmt.execute(params![
                    r.camera_id,
                    r.start_ms,
                    r.real_start_ms,
                    r.real_end_ms,
                    r.bytes
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes destroyed footage out of the index in one transaction: each run
    /// is deleted as one key range (a row at a time cost ~70 ms for a day of
    /// 32 cameras; ranges cost ~8 ms), its bytes come off `footage_totals`,
    /// and its files are queued in `files_to_unlink` for
    /// [`Store::files_unlinked`]. A run whose range holds rows the caller did
    /// not name (indexed since it read them) is deleted row by row instead.
    pub fn destroy_runs(&self, runs: &[SegmentRun<'_>]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut measure = tx.prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM segments
                 WHERE camera_id = ?1 AND start_ms BETWEEN ?2 AND ?3",
            )?;
            let mut delete_range =
                tx.prepare_cached("DELETE FROM segments WHERE camera_id = ?1 AND start_ms BETWEEN ?2 AND ?3")?;
            let mut delete_one =
                tx.prepare_cached("DELETE FROM segments WHERE camera_id = ?1 AND start_ms = ?2 RETURNING bytes")?;
            let mut subtract = tx.prepare_cached(
                "UPDATE footage_totals SET bytes = bytes - ?2, segments = segments - ?3 WHERE camera_id = ?1",
            )?;
            let mut queue = tx.prepare_cached(
                "INSERT INTO files_to_unlink (camera_id, first_ms, last_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET last_ms = MAX(last_ms, excluded.last_ms)",
            )?;
            for run in runs {
                let (Some(&first), Some(&last)) = (run.starts.first(), run.starts.last()) else {
                    continue;
                };
                let (count, bytes): (i64, i64) =
                    measure.query_row(params![run.camera, first, last], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let (count, bytes) = if count == run.starts.len() as i64 {
                    delete_range.execute(params![run.camera, first, last])?;
                    (count, bytes)
                } else {
                    let (mut count, mut bytes) = (0, 0);
                    for start in run.starts {
                        if let Some(b) = delete_one
                            .query_row(params![run.camera, start], |r| r.get::<_, i64>(0))
                            .optional()?
                        {
                            count += 1;
                            bytes += b;
                        }
                    }
                    (count, bytes)
                };
                subtract.execute(params![run.camera, bytes, count])?;
                queue.execute(params![run.camera, first, last])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The spans of destroyed footage whose files may still be on disk:
    /// camera, first and last nominal start.
    pub fn files_to_unlink(&self) -> Result<Vec<(String, i64, i64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT camera_id, first_ms, last_ms FROM files_to_unlink")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Clears the spans (camera, first start) whose files are gone.
    pub fn files_unlinked<'a>(&self, spans: impl IntoIterator<Item = (&'a str, i64)>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare("DELETE FROM files_to_unlink WHERE camera_id = ?1 AND first_ms = ?2")?;
            for (camera, first) in spans {
                stmt.execute(params![camera, first])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The cameras with footage in the index, also ones since removed from
    /// the site register (their footage stays under retention).
    pub fn cameras_with_footage(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT camera_id FROM footage_totals WHERE segments > 0 ORDER BY camera_id")?;
        let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// Every segment that started before `before_ms`, camera by camera,
    /// each camera's in start order: one primary-key range per camera.
    pub fn segments_starting_before(&self, before_ms: i64) -> Result<Vec<SegmentRow>> {
        let cameras = self.cameras_with_footage()?;
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
             WHERE camera_id = ?1 AND start_ms < ?2 ORDER BY start_ms",
        )?;
        let mut out = Vec::new();
        for camera in &cameras {
            for row in stmt.query_map(params![camera, before_ms], segment_from_sql)? {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// The oldest `limit` segments that started before `before_ms`, oldest
    /// first over all cameras: a merge of one primary-key range per camera,
    /// read only as far as the limit needs.
    pub fn oldest_segments_before(&self, before_ms: i64, limit: i64) -> Result<Vec<SegmentRow>> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let cameras = self.cameras_with_footage()?;
        let conn = self.conn();
        let mut statements = cameras
            .iter()
            .map(|_| {
                conn.prepare(
                    "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
                     WHERE camera_id = ?1 AND start_ms < ?2 ORDER BY start_ms",
                )
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut cursors = Vec::with_capacity(cameras.len());
        for (stmt, camera) in statements.iter_mut().zip(&cameras) {
            cursors.push(stmt.query(params![camera, before_ms])?);
        }
        let mut heads: Vec<Option<SegmentRow>> = Vec::with_capacity(cursors.len());
        let mut order = BinaryHeap::new();
        for (i, cursor) in cursors.iter_mut().enumerate() {
            let head = cursor.next()?.map(segment_from_sql).transpose()?;
            if let Some(row) = &head {
                order.push(Reverse((row.start_ms, i)));
            }
            heads.push(head);
        }
        let mut out = Vec::new();
        while let Some(Reverse((_, i))) = order.pop() {
            if out.len() as i64 >= limit {
                break;
            }
            let next = cursors[i].next()?.map(segment_from_sql).transpose()?;
            if let Some(row) = &next {
                order.push(Reverse((row.start_ms, i)));
            }
            if let Some(row) = std::mem::replace(&mut heads[i], next) {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Bytes of the segments that started at or after `since_ms`, summed
    /// over one primary-key range per camera.
    pub fn bytes_since(&self, since_ms: i64) -> Result<i64> {
        let cameras = self.cameras_with_footage()?;
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT COALESCE(SUM(bytes), 0) FROM segments WHERE camera_id = ?1 AND start_ms >= ?2")?;
        let mut total = 0i64;
        for camera in &cameras {
            total += stmt.query_row(params![camera, since_ms], |r| r.get::<_, i64>(0))?;
        }
        Ok(total)
    }

    /// A camera's segments that started at or after `since_ms`, preceded by
    /// the one before them (whose end a gap is measured from) and by as
    /// many more as make `at_least`; in start order. Two index ranges,
    /// however long the camera has recorded.
    pub fn recent_segments(&self, camera: &str, since_ms: i64, at_least: usize) -> Result<Vec<SegmentRow>> {
        let conn = self.conn();
        let mut after = conn.prepare_cached(
            "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
             WHERE camera_id = ?1 AND start_ms >= ?2 ORDER BY start_ms",
        )?;
        let recent = after
            .query_map(params![camera, since_ms], segment_from_sql)?
            .collect::<Result<Vec<_>, _>>()?;
        let wanted = at_least.saturating_sub(recent.len()).max(1) as i64;
        let mut before = conn.prepare_cached(
            "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
             WHERE camera_id = ?1 AND start_ms < ?2 ORDER BY start_ms DESC LIMIT ?3",
        )?;
        let mut rows = before
            .query_map(params![camera, since_ms, wanted], segment_from_sql)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.reverse();
        rows.extend(recent);
        Ok(rows)
    }

    /// Calls `f` with each nominal start of a camera's segments that began
    /// before `before_ms`, in order, without holding them all in memory.
    /// The database is locked meanwhile: `f` must not call the store.
    pub fn for_each_segment_start(&self, camera: &str, before_ms: i64, mut f: impl FnMut(i64)) -> Result<()> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT start_ms FROM segments WHERE camera_id = ?1 AND start_ms < ?2 ORDER BY start_ms")?;
        let mut rows = stmt.query(params![camera, before_ms])?;
        while let Some(row) = rows.next()? {
            f(row.get(0)?);
        }
        Ok(())
    }

    /// A camera's oldest segment: one step into the (camera, start) index.
    pub fn oldest_segment(&self, camera: &str) -> Result<Option<SegmentRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
                 WHERE camera_id = ?1 ORDER BY start_ms LIMIT 1",
                [camera],
                segment_from_sql,
            )
            .optional()?)
    }

    /// One camera's segments overlapping `[from_ms, to_ms)`, in order.
    pub fn segments_in_window(
        &self,
        camera: &str,
        from_ms: i64,
        to_ms: i64,
        longest_ms: i64,
    ) -> Result<Vec<SegmentRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
             WHERE camera_id = ?1 AND start_ms >= ?2 AND start_ms < ?3 AND real_end_ms > ?4 ORDER BY start_ms",
        )?;
        let rows = stmt
            .query_map(params![camera, from_ms - longest_ms, to_ms, from_ms], segment_from_sql)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Bytes of footage stored, over all cameras.
    pub fn footage_bytes(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(SUM(bytes), 0) FROM footage_totals", [], |r| r.get(0))?)
    }

    /// A camera's newest segment: one step down the (camera, start) index,
    /// where reading the whole index would cost a year of rows.
    pub fn newest_segment(&self, camera: &str) -> Result<Option<SegmentRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
                 WHERE camera_id = ?1 ORDER BY start_ms DESC LIMIT 1",
                [camera],
                segment_from_sql,
            )
            .optional()?)
    }

    /// Segments in start order, of one camera or all.
    pub fn segments(&self, camera: Option<&str>) -> Result<Vec<SegmentRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT camera_id, start_ms, real_start_ms, real_end_ms, bytes FROM segments
             WHERE ?1 IS NULL OR camera_id = ?1 ORDER BY camera_id, start_ms",
        )?;
        let rows = stmt
            .query_map([camera], segment_from_sql)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// Why an enrollment code cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    Unknown,
    Expired,
    Used,
}

/// An event for the audit chain.
#[derive(Clone)]
pub struct AuditEvent<'a> {
    pub kind: &'a str,
    pub actor: &'a str,
    pub detail: serde_json::Value,
}

fn append_audit_tx(tx: &rusqlite::Transaction<'_>, now: Timestamp, event: AuditEvent<'_>) -> Result<AuditRow> {
    let last = tx
        .query_row(
            "SELECT seq, at, kind, actor, detail, prev_hash, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            row_from_sql,
        )
        .optional()?;
    let row = AuditRow::next(last.as_ref(), now, event.kind, event.actor, &event.detail.to_string());
    tx.execute(
        "INSERT INTO audit_log (seq, at, kind, actor, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            row.seq as i64,
            row.at.0,
            row.kind,
            row.actor,
            row.detail,
            row.prev_hash,
            row.hash
        ],
    )?;
    Ok(row)
}

fn segment_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<SegmentRow> {
    Ok(SegmentRow {
        camera_id: r.get(0)?,
        start_ms: r.get(1)?,
        real_start_ms: r.get(2)?,
        real_end_ms: r.get(3)?,
        bytes: r.get(4)?,
    })
}

fn row_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get::<_, i64>(0)? as u64,
        at: Timestamp(r.get(1)?),
        kind: r.get(2)?,
        actor: r.get(3)?,
        detail: r.get(4)?,
        prev_hash: r.get(5)?,
        hash: r.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_its_full_save_plus_the_chunks_appended_since() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "a", 1).unwrap();
        store.save_document("k", &doc.save(), Timestamp(1), None).unwrap();
        let v1 = store.document_version("k").unwrap().unwrap();
        let heads = doc.get_heads();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "b", 2).unwrap();
        doc.commit();
        let (v2, chunks) = store
            .append_document_changes("k", &doc.save_after(&heads), Timestamp(2), None)
            .unwrap();
        assert!(v2 > v1);
        assert_eq!(chunks, 1);
        let loaded = automerge::Automerge::load(&store.document("k").unwrap().unwrap()).unwrap();
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
        store.append_document_changes("k", &pushed, Timestamp(3), None).unwrap();
        let loaded = automerge::Automerge::load(&store.document("k").unwrap().unwrap()).unwrap();
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
        store.save_document("k", &doc.save(), Timestamp(3), None).unwrap();
        let again = automerge::Automerge::load(&store.document("k").unwrap().unwrap()).unwrap();
        assert_eq!(again.get_heads(), doc.get_heads());
    }

    #[test]
    fn the_oldest_segments_are_merged_over_cameras_and_a_destroyed_range_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let row = |camera: &str, minute: i64| SegmentRow {
            camera_id: camera.into(),
            start_ms: minute * 60_000,
            real_start_ms: minute * 60_000,
            real_end_ms: (minute + 1) * 60_000,
            bytes: 10,
        };
        store
            .insert_segments(&[row("b", 1), row("a", 2), row("b", 3), row("a", 4), row("a", 9)])
            .unwrap();
        let oldest: Vec<(String, i64)> = store
            .oldest_segments_before(8 * 60_000, 3)
            .unwrap()
            .into_iter()
            .map(|r| (r.camera_id, r.start_ms / 60_000))
            .collect();
        assert_eq!(oldest, [("b".into(), 1), ("a".into(), 2), ("b".into(), 3)]);
        assert_eq!(store.segments_starting_before(8 * 60_000).unwrap().len(), 4);

        // A run that names only some of the rows in its range deletes just those.
        store
            .destroy_runs(&[SegmentRun {
                camera: "a",
                starts: &[2 * 60_000, 9 * 60_000],
            }])
            .unwrap();
        let left: Vec<i64> = store
            .segments(Some("a"))
            .unwrap()
            .iter()
            .map(|r| r.start_ms / 60_000)
            .collect();
        assert_eq!(left, [4]);
        assert_eq!(store.footage_bytes().unwrap(), 30, "totals follow: a:4, b:1, b:3");
        assert_eq!(
            store.files_to_unlink().unwrap(),
            [("a".to_string(), 2 * 60_000, 9 * 60_000)]
        );
        store.files_unlinked([("a", 2 * 60_000)]).unwrap();
        assert!(store.files_to_unlink().unwrap().is_empty());
    }

    #[test]
    fn the_newest_segment_is_the_latest_start_of_that_camera() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        let row = |camera: &str, start_ms: i64| SegmentRow {
            camera_id: camera.into(),
            start_ms,
            real_start_ms: start_ms,
            real_end_ms: start_ms + 60_000,
            bytes: 1,
        };
        store
            .insert_segments(&[row("cam-01", 120_000), row("cam-01", 60_000), row("cam-02", 180_000)])
            .unwrap();
        assert_eq!(store.newest_segment("cam-01").unwrap(), Some(row("cam-01", 120_000)));
        assert_eq!(store.newest_segment("cam-03").unwrap(), None);
    }
}
