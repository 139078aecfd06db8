//! What signing in needs stored: one-time enrollment codes (their hashes),
//! challenges that can be answered once, and bearer tokens (their hashes).

use custos_core::time::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::store::Store;
use crate::base::error::Result;

/// Why an enrollment code cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    Unknown,
    Expired,
    Used,
}

impl Store {
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
