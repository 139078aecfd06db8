//! The recorder's settings: its address and certificate fingerprint, as
//! `init` recorded them, for the enrollment text.

use rusqlite::{OptionalExtension, params};

use super::store::Store;
use crate::base::error::Result;

impl Store {
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

    /// The stream address the recorder records `camera` from: recorder-local
    /// configuration, never in a register document a device receives.
    pub fn set_camera_stream(&self, camera: &str, url: &str) -> Result<()> {
        self.set_setting(&format!("{CAMERA_STREAM}{camera}"), url)
    }

    /// Every camera's stream address, by camera id.
    pub fn camera_streams(&self) -> Result<std::collections::HashMap<String, String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key, value FROM settings WHERE key LIKE 'camera_stream:%'")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix(CAMERA_STREAM).map(|id| (id.to_string(), v)))
            .collect())
    }
}

/// The settings key of a camera's stream address.
const CAMERA_STREAM: &str = "camera_stream:";
