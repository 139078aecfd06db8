//! The footage log as stored (`custos_core::footage_log` hashes and checks
//! it): a row appended as each segment is indexed, and the signed Merkle
//! roots of the log.

use custos_core::footage_log::{FootageCheckpoint, MerkleTree, SealedSegment, SegmentSeal};
use custos_core::time::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::segments::{SegmentRow, segment_from_sql};
use super::store::Store;
use crate::base::error::Result;

/// Rows read at a time when walking the whole log.
const PAGE: u64 = 10_000;

impl Store {
    /// Appends `seal` to the log, unless the segment (camera and name) is
    /// sealed already. Returns whether it was appended.
    pub fn seal_segment(&self, seal: &SegmentSeal, now: Timestamp) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if sealed(&tx, &seal.camera, seal.start_ms)? {
            return Ok(false);
        }
        let last: Option<(i64, String)> = tx
            .query_row("SELECT seq, hash FROM footage_log ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let row = SealedSegment::next(last.as_ref().map(|(s, h)| (*s as u64, h.as_str())), seal.clone(), now);
        tx.execute(
            "INSERT INTO footage_log (seq, camera_id, start_ms, real_start_ms, real_end_ms, bytes, sha256,
                                      sealed_ms, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                row.seq as i64,
                row.seal.camera,
                row.seal.start_ms,
                row.seal.real_start_ms,
                row.seal.real_end_ms,
                row.seal.bytes as i64,
                row.seal.sha256,
                row.sealed_at.0,
                row.prev_hash,
                row.hash
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Whether `camera`'s segment named `start_ms` is sealed.
    pub fn is_sealed(&self, camera: &str, start_ms: i64) -> Result<bool> {
        Ok(sealed(&self.conn(), camera, start_ms)?)
    }

    /// `camera`'s indexed segments named from `since_ms` on that are not
    /// sealed (a recording process stopped between indexing and sealing).
    pub fn unsealed_segments_since(&self, camera: &str, since_ms: i64) -> Result<Vec<SegmentRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT s.camera_id, s.start_ms, s.real_start_ms, s.real_end_ms, s.bytes FROM segments s
             WHERE s.camera_id = ?1 AND s.start_ms >= ?2
               AND NOT EXISTS (SELECT 1 FROM footage_log f WHERE f.camera_id = s.camera_id AND f.start_ms = s.start_ms)
             ORDER BY s.start_ms",
        )?;
        let rows = stmt
            .query_map(params![camera, since_ms], segment_from_sql)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// At most `limit` of `camera`'s unsealed indexed segments named after
    /// `after_ms`, in order: a page of a walk over footage recorded before
    /// sealing began.
    pub fn unsealed_page(&self, camera: &str, after_ms: i64, limit: u32) -> Result<Vec<SegmentRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT s.camera_id, s.start_ms, s.real_start_ms, s.real_end_ms, s.bytes FROM segments s
             WHERE s.camera_id = ?1 AND s.start_ms > ?2
               AND NOT EXISTS (SELECT 1 FROM footage_log f WHERE f.camera_id = s.camera_id AND f.start_ms = s.start_ms)
             ORDER BY s.start_ms LIMIT ?3",
        )?;
        let rows = stmt
            .query_map(params![camera, after_ms, limit], segment_from_sql)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How many indexed segments are not sealed (recorded before sealing
    /// began, or left so by a stop): a full scan, for `audit verify`.
    pub fn unsealed_segment_count(&self) -> Result<u64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM segments s WHERE NOT EXISTS
                 (SELECT 1 FROM footage_log f WHERE f.camera_id = s.camera_id AND f.start_ms = s.start_ms)",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The log's size and last hash.
    pub fn footage_log_head(&self) -> Result<Option<(u64, String)>> {
        Ok(self
            .conn()
            .query_row("SELECT seq, hash FROM footage_log ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()?)
    }

    /// At most `limit` rows from `from_seq` on, in order.
    pub fn sealed_page(&self, from_seq: u64, limit: u64) -> Result<Vec<SealedSegment>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, camera_id, start_ms, real_start_ms, real_end_ms, bytes, sha256, sealed_ms, prev_hash, hash
             FROM footage_log WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![from_seq as i64, limit as i64], sealed_from_sql)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The sealed row of `camera`'s segment named `start_ms`.
    pub fn sealed_row(&self, camera: &str, start_ms: i64) -> Result<Option<SealedSegment>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT seq, camera_id, start_ms, real_start_ms, real_end_ms, bytes, sha256, sealed_ms, prev_hash, hash
                 FROM footage_log WHERE camera_id = ?1 AND start_ms = ?2",
                params![camera, start_ms],
                sealed_from_sql,
            )
            .optional()?)
    }

    /// The rows' hashes from the first up to `size`, in order, read a page
    /// at a time as they are consumed (for inclusion proofs).
    pub fn sealed_hashes(&self, size: u64) -> impl Iterator<Item = Result<String>> + '_ {
        let mut next = 1u64;
        let mut page: std::vec::IntoIter<SealedSegment> = Vec::new().into_iter();
        std::iter::from_fn(move || {
            loop {
                if let Some(row) = page.next() {
                    return Some(Ok(row.hash));
                }
                if next > size {
                    return None;
                }
                match self.sealed_page(next, PAGE.min(size - next + 1)) {
                    Ok(rows) if rows.is_empty() => return None,
                    Ok(rows) => {
                        next += rows.len() as u64;
                        page = rows.into_iter();
                    }
                    Err(e) => {
                        next = size + 1;
                        return Some(Err(e));
                    }
                }
            }
        })
    }

    /// Every row from `from_seq` on, in order, a page at a time (the log of
    /// a year is millions of rows: never all in memory).
    pub fn for_each_sealed(&self, from_seq: u64, mut f: impl FnMut(SealedSegment) -> Result<()>) -> Result<()> {
        let mut next = from_seq;
        loop {
            let page = self.sealed_page(next, PAGE)?;
            let full = page.len() as u64 == PAGE;
            for row in page {
                next = row.seq + 1;
                f(row)?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// The bytes of footage the index holds (what the re-hash paces itself by).
    pub fn footage_total_bytes(&self) -> Result<u64> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(SUM(bytes), 0) FROM footage_totals", [], |r| {
                r.get::<_, i64>(0)
            })?
            .max(0) as u64)
    }

    pub fn footage_checkpoints(&self) -> Result<Vec<(FootageCheckpoint, String)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT tree_size, root, head_hash, at, signature FROM footage_checkpoints ORDER BY tree_size")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    FootageCheckpoint {
                        tree_size: r.get::<_, i64>(0)? as u64,
                        root: r.get(1)?,
                        head_hash: r.get(2)?,
                        at: Timestamp(r.get(3)?),
                    },
                    r.get(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn insert_footage_checkpoint(
        &self,
        checkpoint: &FootageCheckpoint,
        signature: &str,
        frontier: &[(u64, String)],
    ) -> Result<()> {
        self.conn().execute(
            "INSERT OR IGNORE INTO footage_checkpoints (tree_size, root, head_hash, at, signature, frontier)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                checkpoint.tree_size as i64,
                checkpoint.root,
                checkpoint.head_hash,
                checkpoint.at.0,
                signature,
                serde_json::to_string(frontier).map_err(crate::base::error::RecorderError::internal)?
            ],
        )?;
        Ok(())
    }

    /// The newest checkpoint's tree as it left it (its frontier), if any.
    pub fn latest_footage_tree(&self) -> Result<Option<MerkleTree>> {
        let frontier: Option<String> = self
            .conn()
            .query_row(
                "SELECT frontier FROM footage_checkpoints ORDER BY tree_size DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(frontier
            .and_then(|f| serde_json::from_str::<Vec<(u64, String)>>(&f).ok())
            .and_then(|f| MerkleTree::from_frontier(&f)))
    }
}

fn sealed(conn: &rusqlite::Connection, camera: &str, start_ms: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM footage_log WHERE camera_id = ?1 AND start_ms = ?2)",
        params![camera, start_ms],
        |r| r.get(0),
    )
}

fn sealed_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<SealedSegment> {
    Ok(SealedSegment {
        seq: r.get::<_, i64>(0)? as u64,
        seal: SegmentSeal {
            camera: r.get(1)?,
            start_ms: r.get(2)?,
            real_start_ms: r.get(3)?,
            real_end_ms: r.get(4)?,
            bytes: r.get::<_, i64>(5)? as u64,
            sha256: r.get(6)?,
        },
        sealed_at: Timestamp(r.get(7)?),
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}
