//! Changes the recorder makes to a register document itself: a hold, a
//! release on the console, the destruction record, an alarm, a checkpoint,
//! the site register. Each goes in as a chunk of its own with its audit
//! row, never as a whole save, so a device's push or the other process
//! (serve and the console share the database) landing in between is kept:
//! automerge merges the chunks.

use automerge::AutoCommit;
use custos_core::documents::{self as docs, DocKey};
use custos_core::time::Timestamp;

use super::service::Writing;
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use crate::db::documents::COMPACT_AFTER_CHUNKS;
use crate::db::viewings::DocumentWrite;

impl Writing<'_> {
    /// `change` made to `key` as stored, committed with `message`, as a
    /// write for [`crate::db::Store::write_documents`] (several documents
    /// in one transaction); `None` when nothing changed.
    pub fn prepare_change(
        &self,
        key: &DocKey,
        message: &str,
        now: Timestamp,
        change: impl FnOnce(&mut AutoCommit) -> Result<()>,
    ) -> Result<Option<DocumentWrite>> {
        let bytes = self.store.document(key)?;
        let mut doc = docs::open(key, bytes.as_deref(), &self.site_key.device_id())?;
        let before = doc.get_heads();
        change(&mut doc)?;
        if docs::commit(&mut doc, message, now.0).is_none() {
            return Ok(None);
        }
        Ok(Some(match bytes {
            Some(_) => DocumentWrite {
                key: key.clone(),
                bytes: doc.save_after(&before),
                new: false,
            },
            None => DocumentWrite {
                key: key.clone(),
                bytes: doc.save(),
                new: true,
            },
        }))
    }

    /// Saves `key` whole when enough chunks wait (after writes made with
    /// [`crate::db::Store::write_documents`]).
    pub fn compact_if_due(&self, key: &DocKey) -> Result<()> {
        if self.store.document_chunks(key)? < COMPACT_AFTER_CHUNKS {
            return Ok(());
        }
        let (Some(version), Some(bytes)) = (self.store.document_version(key)?, self.store.document(key)?) else {
            return Ok(());
        };
        let mut doc = AutoCommit::load(&bytes)?;
        self.store.compact_document(key, &doc.save(), version)?;
        Ok(())
    }

    /// Opens `key` as stored, lets `change` edit it, commits with `message`
    /// and appends the change with its audit row (if any) in one
    /// transaction. A document not stored yet is created (from its genesis,
    /// as devices make it). Nothing changed: nothing written but the audit
    /// row. Returns whether the document changed.
    pub fn append_change(
        &self,
        key: &DocKey,
        message: &str,
        now: Timestamp,
        audit: Option<AuditEvent<'_>>,
        change: impl FnOnce(&mut AutoCommit) -> Result<()>,
    ) -> Result<bool> {
        let bytes = self.store.document(key)?;
        let mut doc = docs::open(key, bytes.as_deref(), &self.site_key.device_id())?;
        let before = doc.get_heads();
        change(&mut doc)?;
        if docs::commit(&mut doc, message, now.0).is_none() {
            if let Some(audit) = audit {
                self.store.append_audit(now, audit)?;
            }
            return Ok(false);
        }
        match bytes {
            Some(_) => {
                let (version, chunks) =
                    self.store
                        .append_document_changes(key, &doc.save_after(&before), now, audit)?;
                // The recorder's own documents are compacted like pushed ones:
                // a holds document gathers a destruction record a day, the
                // audit document a checkpoint, each a chunk.
                if chunks >= COMPACT_AFTER_CHUNKS {
                    self.store.compact_document(key, &doc.save(), version)?;
                }
            }
            // Under the write lock nobody else can have created it since it was read.
            None if self.store.insert_document(key, &doc.save(), now, audit)? => {}
            None => {
                return Err(RecorderError::internal(format!(
                    "{key} was created while the recorder held the register lock"
                )));
            }
        }
        Ok(true)
    }
}
