//! Viewing sessions as stored: the nonces issued to escorts' tablets, the
//! open and closed sessions, and each second of footage a session served.
//! Opening and closing write register documents in the same transaction
//! ([`Store::write_documents`]): a session is never open without the
//! application consumed and its logbook entry begun.

use custos_core::documents::DocKey;
use custos_core::time::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use super::audit::{AuditEvent, append_audit_tx};
use super::documents::{append_chunk_tx, insert_document_tx};
use super::store::Store;
use crate::base::error::{RecorderError, Result};

/// A change to one register document, written with others in one transaction.
pub struct DocumentWrite {
    pub key: DocKey,
    /// The changes after the stored copy (`save_after`), or a whole new
    /// document's save when `new`.
    pub bytes: Vec<u8>,
    pub new: bool,
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub application: String,
    pub device_id: String,
    pub escort: String,
    pub year: i32,
    pub opened_ms: i64,
    pub ends_ms: i64,
    pub active_ms: i64,
    pub logged_ms: i64,
    pub closed_ms: Option<i64>,
    pub ended_by: Option<String>,
}

const SESSION_COLUMNS: &str =
    "id, application, device_id, escort, year, opened_ms, ends_ms, active_ms, logged_ms, closed_ms, ended_by";

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        application: r.get(1)?,
        device_id: r.get(2)?,
        escort: r.get(3)?,
        year: r.get(4)?,
        opened_ms: r.get(5)?,
        ends_ms: r.get(6)?,
        active_ms: r.get(7)?,
        logged_ms: r.get(8)?,
        closed_ms: r.get(9)?,
        ended_by: r.get(10)?,
    })
}

/// Nonces older than this are refused (and swept).
pub const NONCE_LIFETIME_MS: i64 = 10 * 60_000;

impl Store {
    pub fn issue_viewing_nonce(&self, nonce: &str, device: &str, now: Timestamp) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM viewing_nonces WHERE issued_ms < ?1",
            [now.0 - NONCE_LIFETIME_MS],
        )?;
        // A tablet holds at most a few unused nonces: asking again and
        // again does not fill the table.
        tx.execute(
            "DELETE FROM viewing_nonces WHERE device_id = ?1 AND nonce NOT IN
               (SELECT nonce FROM viewing_nonces WHERE device_id = ?1 ORDER BY issued_ms DESC LIMIT 3)",
            [device],
        )?;
        tx.execute(
            "INSERT INTO viewing_nonces (nonce, device_id, issued_ms) VALUES (?1, ?2, ?3)",
            params![nonce, device, now.0],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Whether `nonce` was issued to `device` and is still unused and fresh.
    pub fn viewing_nonce_valid(&self, nonce: &str, device: &str, now: Timestamp) -> Result<bool> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM viewing_nonces WHERE nonce = ?1 AND device_id = ?2 AND issued_ms >= ?3",
                params![nonce, device, now.0 - NONCE_LIFETIME_MS],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Writes register documents, an audit row and what `extra` writes in
    /// one transaction. A document marked new that exists by now, or one
    /// to append to that does not, fails it whole.
    pub fn write_documents(
        &self,
        writes: &[DocumentWrite],
        now: Timestamp,
        audit: Option<AuditEvent<'_>>,
        extra: impl FnOnce(&Transaction<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for write in writes {
            let done = if write.new {
                insert_document_tx(&tx, &write.key, &write.bytes, now)?
            } else {
                // A missing document has no row to update.
                match append_chunk_tx(&tx, &write.key, &write.bytes, now) {
                    Ok(_) => true,
                    Err(RecorderError::Database(rusqlite::Error::QueryReturnedNoRows)) => false,
                    Err(e) => return Err(e),
                }
            };
            if !done {
                return Err(RecorderError::internal(format!(
                    "{} changed while the recorder held the register lock",
                    write.key
                )));
            }
        }
        extra(&tx)?;
        if let Some(event) = audit {
            append_audit_tx(&tx, now, event)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn viewing_session(&self, id: &str) -> Result<Option<SessionRow>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {SESSION_COLUMNS} FROM viewing_sessions WHERE id = ?1"),
                [id],
                session_row,
            )
            .optional()?)
    }

    pub fn viewing_session_of(&self, application: &str) -> Result<Option<SessionRow>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {SESSION_COLUMNS} FROM viewing_sessions WHERE application = ?1"),
                [application],
                session_row,
            )
            .optional()?)
    }

    pub fn open_viewing_sessions(&self) -> Result<Vec<SessionRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SESSION_COLUMNS} FROM viewing_sessions WHERE closed_ms IS NULL ORDER BY opened_ms"
        ))?;
        let rows = stmt.query_map([], session_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records that `session` serves a frame of `camera` from `second_ms`,
    /// written before the frame is sent, and that the session is active.
    pub fn viewing_served(&self, session: &str, camera: &str, second_ms: i64, now: Timestamp) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO viewing_served (session, camera_id, second_ms, frames) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT DO UPDATE SET frames = frames + 1",
            params![session, camera, second_ms],
        )?;
        tx.execute(
            "UPDATE viewing_sessions SET active_ms = MAX(active_ms, ?2) WHERE id = ?1",
            params![session, now.0],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every second `session` served: `(camera, second, frames)`.
    pub fn viewing_served_seconds(&self, session: &str) -> Result<Vec<(String, i64, u32)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT camera_id, second_ms, frames FROM viewing_served WHERE session = ?1 ORDER BY camera_id, second_ms",
        )?;
        let rows = stmt
            .query_map([session], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// Inserts a new session (inside [`Store::write_documents`]), consuming its
/// nonce; `false` if the nonce was used or the application has a session.
pub fn insert_session(tx: &Transaction<'_>, row: &SessionRow, nonce: &str) -> Result<bool> {
    if tx.execute(
        "DELETE FROM viewing_nonces WHERE nonce = ?1 AND device_id = ?2",
        [nonce, &row.device_id],
    )? != 1
    {
        return Ok(false);
    }
    let inserted = tx.execute(
        &format!(
            "INSERT INTO viewing_sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, NULL)
             ON CONFLICT DO NOTHING"
        ),
        params![
            row.id,
            row.application,
            row.device_id,
            row.escort,
            row.year,
            row.opened_ms,
            row.ends_ms,
            row.active_ms,
            row.logged_ms
        ],
    )?;
    Ok(inserted == 1)
}

/// Marks a session's entry brought up to date (inside a write).
pub fn session_logged(tx: &Transaction<'_>, id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE viewing_sessions SET logged_ms = ?2 WHERE id = ?1",
        params![id, now.0],
    )?;
    Ok(())
}

/// Closes a session (inside a write); `false` if it was closed already.
pub fn close_session(tx: &Transaction<'_>, id: &str, ended_by: &str, now: Timestamp) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE viewing_sessions SET closed_ms = ?2, ended_by = ?3, logged_ms = ?2
         WHERE id = ?1 AND closed_ms IS NULL",
        params![id, now.0, ended_by],
    )? == 1)
}
