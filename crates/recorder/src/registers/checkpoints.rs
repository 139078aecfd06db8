//! Signed checkpoints of the audit chain, published in the `audit` document
//! for the head's and the ethics office's devices to countersign. The site
//! key lives on the recorder, so its own signature proves little against
//! someone who controls the recorder; the countersignatures held on other
//! devices are what make a rewrite show.

use std::collections::BTreeMap;

use custos_core::audit::{Checkpoint, PublishedCheckpoint};
use custos_core::documents::{self as docs, DocKey};
use custos_core::seal::Seal;
use custos_core::signing::DeviceKey;
use custos_core::time::{DAY_MS, Timestamp};

use crate::error::Result;
use crate::own_changes::append_change;
use crate::store::Store;

pub const AUDIT_DOC: &str = "audit";

/// A checkpoint at least this often while the chain grows (DESIGN §6: daily).
pub const CHECKPOINT_EVERY_MS: i64 = DAY_MS;

/// Signs and publishes a checkpoint of the chain as it is now, unless the
/// newest one already covers every row.
pub fn make_checkpoint(store: &Store, site_key: &DeviceKey, now: Timestamp) -> Result<Option<PublishedCheckpoint>> {
    let rows = store.audit_rows()?;
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    if store
        .checkpoints()?
        .last()
        .is_some_and(|(c, _)| c.tree_size == last.seq)
    {
        return Ok(None);
    }
    let checkpoint = Checkpoint {
        tree_size: last.seq,
        head_hash: last.hash.clone(),
        at: now,
    };
    let signature = site_key.sign(&checkpoint.signing_bytes());
    store.insert_checkpoint(&checkpoint, &signature)?;
    let published = PublishedCheckpoint {
        tree_size: checkpoint.tree_size,
        head_hash: checkpoint.head_hash,
        at: now,
        signature,
    };
    // Not itself audited: the checkpoint is the audit trail's own record.
    // Appended: devices push their countersignatures to the same document.
    append_change(store, site_key, &DocKey::Audit, "audit checkpoint", now, None, |doc| {
        Ok(docs::put_entry(
            doc,
            docs::CHECKPOINTS,
            published.key().as_str(),
            &published,
        )?)
    })?;
    Ok(Some(published))
}

/// Whether a new checkpoint is due: none yet, or the newest is a day old.
pub fn checkpoint_due(store: &Store, now: Timestamp) -> Result<bool> {
    Ok(match store.checkpoints()?.last() {
        None => true,
        Some((c, _)) => now.0 - c.at.0 >= CHECKPOINT_EVERY_MS,
    })
}

/// The published checkpoints and the countersignatures on them.
pub fn published(store: &Store) -> Result<(BTreeMap<String, PublishedCheckpoint>, BTreeMap<String, Seal>)> {
    let Some(bytes) = store.document(AUDIT_DOC)? else {
        return Ok(Default::default());
    };
    let doc = automerge::Automerge::load(&bytes)?;
    Ok((
        docs::entries(&doc, docs::CHECKPOINTS)?,
        docs::entries(&doc, docs::COUNTERSIGNATURES)?,
    ))
}
