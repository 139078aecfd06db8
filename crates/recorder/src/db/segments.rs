//! The footage index: one row per segment by `(camera_id, start_ms)`, the
//! per-camera totals, and the queue of destroyed footage whose files are
//! still to be unlinked. Every read is a range of the primary key: a year
//! of 32 cameras is 16.8 million rows, never read whole.

use rusqlite::{OptionalExtension, params};

use super::store::Store;
use crate::base::error::Result;

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

pub(super) fn segment_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<SegmentRow> {
    Ok(SegmentRow {
        camera_id: r.get(0)?,
        start_ms: r.get(1)?,
        real_start_ms: r.get(2)?,
        real_end_ms: r.get(3)?,
        bytes: r.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
