//! Signed checkpoints of the audit chain (and, first, of the footage log),
//! published in the `audit` document
//! for the head's and the ethics office's devices to countersign. The site
//! key lives on the recorder, so its own signature proves little against
//! someone who controls the recorder; the countersignatures held on other
//! devices are what make a rewrite show.

use std::collections::BTreeMap;

use custos_core::audit::{Checkpoint, PublishedCheckpoint};
use custos_core::documents::{self as docs, DocKey};
use custos_core::footage_log::{FootageCheckpoint, PublishedFootageCheckpoint};
use custos_core::seal::Seal;
use custos_core::time::{DAY_MS, Timestamp};
use serde_json::json;

use super::service::{Registers, Writing};
use crate::base::error::Result;
use crate::db::audit::AuditEvent;

/// A checkpoint at least this often while the chain grows (DESIGN §6: daily).
pub const CHECKPOINT_EVERY_MS: i64 = DAY_MS;

impl Writing<'_> {
    /// Signs and publishes a checkpoint of the chain as it is now, unless the
    /// newest one already covers every row.
    pub fn make_checkpoint(&self, now: Timestamp) -> Result<Option<PublishedCheckpoint>> {
        // First, so the audit checkpoint covers the footage one's audit row.
        self.make_footage_checkpoint(now)?;
        let store = &self.store;
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
        let signature = self.site_key.sign(&checkpoint.signing_bytes());
        store.insert_checkpoint(&checkpoint, &signature)?;
        let published = PublishedCheckpoint {
            tree_size: checkpoint.tree_size,
            head_hash: checkpoint.head_hash,
            at: now,
            signature,
        };
        // Not itself audited: the checkpoint is the audit trail's own record.
        // Appended: devices push their countersignatures to the same document.
        self.append_change(&DocKey::Audit, "audit checkpoint", now, None, |doc| {
            Ok(docs::put_entry(
                doc,
                docs::CHECKPOINTS,
                published.key().as_str(),
                &published,
            )?)
        })?;
        Ok(Some(published))
    }
}

impl Writing<'_> {
    /// Signs the footage log's Merkle root as it is now, unless the newest
    /// footage checkpoint already covers every row, and writes it to the
    /// audit chain (`footage_checkpoint`), whose countersigned checkpoints
    /// then cover it. The tree continues from the newest checkpoint's.
    pub fn make_footage_checkpoint(&self, now: Timestamp) -> Result<Option<FootageCheckpoint>> {
        let store = &self.store;
        let Some((size, head_hash)) = store.footage_log_head()? else {
            return Ok(None);
        };
        let mut tree = store.latest_footage_tree()?.unwrap_or_default();
        if tree.size() >= size {
            return Ok(None);
        }
        // Rows the recording process appends meanwhile wait for the next one.
        store.for_each_sealed(tree.size() + 1, |row| {
            if row.seq <= size {
                tree.push(&row.hash);
            }
            Ok(())
        })?;
        let checkpoint = FootageCheckpoint {
            tree_size: size,
            root: tree.root(),
            head_hash,
            at: now,
        };
        let signature = self.site_key.sign(&checkpoint.signing_bytes());
        store.insert_footage_checkpoint(&checkpoint, &signature, &tree.frontier())?;
        let detail = json!({ "tree_size": size, "root": checkpoint.root, "head_hash": checkpoint.head_hash,
            "signature": signature });
        let audit = AuditEvent {
            kind: "footage_checkpoint",
            actor: "recorder",
            detail,
        };
        // Published for the head's and the ethics office's devices to check.
        let published = PublishedFootageCheckpoint {
            tree_size: size,
            root: checkpoint.root.clone(),
            head_hash: checkpoint.head_hash.clone(),
            at: now,
            signature,
        };
        self.append_change(&DocKey::Audit, "footage checkpoint", now, Some(audit), |doc| {
            docs::extend(doc, &DocKey::Audit)?;
            Ok(docs::put_entry(
                doc,
                docs::FOOTAGE_CHECKPOINTS,
                published.key().as_str(),
                &published,
            )?)
        })?;
        Ok(Some(checkpoint))
    }
}

impl Registers {
    /// Whether a new checkpoint is due: none yet, or the newest is a day old.
    pub fn checkpoint_due(&self, now: Timestamp) -> Result<bool> {
        Ok(match self.store.checkpoints()?.last() {
            None => true,
            Some((c, _)) => now.0 - c.at.0 >= CHECKPOINT_EVERY_MS,
        })
    }

    /// The published checkpoints and the countersignatures on them.
    pub fn published(&self) -> Result<(BTreeMap<String, PublishedCheckpoint>, BTreeMap<String, Seal>)> {
        let Some(doc) = self.document(&DocKey::Audit)? else {
            return Ok(Default::default());
        };
        Ok((
            docs::entries(&doc, docs::CHECKPOINTS)?,
            docs::entries(&doc, docs::COUNTERSIGNATURES)?,
        ))
    }
}
