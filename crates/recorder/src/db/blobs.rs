//! Photos and scanned attachments, content-addressed by SHA-256.

use custos_core::time::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::store::Store;
use crate::base::error::Result;

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
