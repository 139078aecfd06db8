//! The audit chain as stored: rows appended in the same transaction as what
//! they record, and the signed checkpoints. The hashing is the core's
//! (`custos_core::audit`); this is where the rows live.

use custos_core::audit::{AuditRow, Checkpoint};
use custos_core::time::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::store::Store;
use crate::base::error::Result;

/// An event for the audit chain.
#[derive(Clone)]
pub struct AuditEvent<'a> {
    pub kind: &'a str,
    pub actor: &'a str,
    pub detail: serde_json::Value,
}

impl Store {
    pub fn append_audit(&self, now: Timestamp, event: AuditEvent<'_>) -> Result<AuditRow> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let row = append_audit_tx(&tx, now, event)?;
        tx.commit()?;
        Ok(row)
    }

    /// When the audit chain began (the site's start), if it has.
    pub fn first_audit_at(&self) -> Result<Option<Timestamp>> {
        let conn = self.conn();
        let at: Option<i64> = conn
            .query_row("SELECT at FROM audit_log ORDER BY seq LIMIT 1", [], |r| r.get(0))
            .optional()?;
        Ok(at.map(Timestamp))
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
}

/// Appends a row inside a transaction a caller opened.
pub(super) fn append_audit_tx(
    tx: &rusqlite::Transaction<'_>,
    now: Timestamp,
    event: AuditEvent<'_>,
) -> Result<AuditRow> {
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
