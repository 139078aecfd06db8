//! Changes the recorder makes to a register document itself: a hold, a
//! release on the console, the destruction record, an alarm. Each goes in
//! as a chunk of its own with its audit row, never as a whole save, so a
//! device's push or the other process (serve and the console share the
//! database) landing in between is kept: automerge merges the chunks.

use automerge::AutoCommit;
use custos_core::documents::{self as docs, DocKey};
use custos_core::signing::DeviceKey;
use custos_core::time::Timestamp;

use crate::error::{RecorderError, Result};
use crate::store::{AuditEvent, Store};

/// Held while the recorder reads a register document, changes it and
/// appends the change. serve and the console sign their changes as one
/// automerge actor (the site key): two changes made from the same stored
/// copy would carry the same sequence number, and no document holding both
/// can be loaded (`DuplicateSeqNumber`). An exclusive lock on a file beside
/// the database serializes them across the processes and their threads.
pub struct RegisterLock {
    /// Locked while open; closing it (on drop) lets the next writer in.
    _file: std::fs::File,
}

impl RegisterLock {
    pub fn acquire(store: &Store) -> Result<RegisterLock> {
        let path = store.path().with_file_name("registers.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| RecorderError::file(&path, e))?;
        file.lock().map_err(|e| RecorderError::file(&path, e))?;
        Ok(RegisterLock { _file: file })
    }
}

/// Opens `key` as stored, lets `change` edit it, commits with `message`
/// and appends the change with its audit row (if any) in one transaction. A
/// document not stored yet is created (from its genesis, as devices make
/// it); if someone created it meanwhile, the change is made again on theirs.
pub fn append_change(
    store: &Store,
    site_key: &DeviceKey,
    key: &DocKey,
    message: &str,
    now: Timestamp,
    audit: Option<AuditEvent<'_>>,
    mut change: impl FnMut(&mut AutoCommit) -> Result<()>,
) -> Result<()> {
    let name = key.to_string();
    let _one_writer = RegisterLock::acquire(store)?;
    for _ in 0..2 {
        let bytes = store.document(&name)?;
        let mut doc = docs::open(key, bytes.as_deref(), &site_key.device_id())?;
        let before = doc.get_heads();
        change(&mut doc)?;
        docs::commit(&mut doc, message, now.0);
        match bytes {
            Some(_) => {
                store.append_document_changes(&name, &doc.save_after(&before), now, audit)?;
                return Ok(());
            }
            None if store.insert_document(&name, &doc.save(), now, audit.clone())? => return Ok(()),
            None => continue,
        }
    }
    Err(RecorderError::Usage(format!(
        "{name} was created twice while the recorder wrote to it"
    )))
}
