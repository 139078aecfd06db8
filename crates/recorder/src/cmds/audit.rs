//! `custos-recorder audit verify|checkpoint`: checks the whole audit chain,
//! its signed checkpoints and the devices' countersignatures, and exits
//! non-zero naming the first bad row on any edit, deletion or truncation.

use std::path::PathBuf;

use clap::Subcommand;
use custos_core::audit::{COUNTERSIGN_ROLES, verify_chain};
use custos_core::history::SiteHistory;
use custos_core::signing::verify;

use super::open_data_dir;
use crate::checkpoints::{make_checkpoint, published};
use crate::clock::Clock;
use crate::error::{RecorderError, Result};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verifies the chain, its checkpoints and their countersignatures.
    Verify {
        #[arg(long)]
        data: PathBuf,
    },
    /// Signs and publishes a checkpoint now (serve makes one daily).
    Checkpoint {
        #[arg(long)]
        data: PathBuf,
    },
}

fn broken(what: impl std::fmt::Display) -> RecorderError {
    RecorderError::Usage(format!("audit chain broken: {what}"))
}

pub fn run(cmd: AuditCommand, clock: &dyn Clock) -> Result<()> {
    match cmd {
        AuditCommand::Checkpoint { data } => {
            let (store, key) = open_data_dir(&data)?;
            match make_checkpoint(&store, &key, clock.now())? {
                Some(c) => println!("checkpoint signed: {} rows, head {}", c.tree_size, c.head_hash),
                None => println!("the newest checkpoint already covers every row"),
            }
            Ok(())
        }
        AuditCommand::Verify { data } => {
            let (store, key) = open_data_dir(&data)?;
            let rows = store.audit_rows()?;
            verify_chain(&rows).map_err(broken)?;
            let checkpoints = store.checkpoints()?;
            for (checkpoint, signature) in &checkpoints {
                if !verify(&key.public_key_hex(), &checkpoint.signing_bytes(), signature) {
                    return Err(broken(format!(
                        "checkpoint at {} rows: the site key's signature does not verify",
                        checkpoint.tree_size
                    )));
                }
                checkpoint.check_against(&rows).map_err(broken)?;
            }
            // The countersignatures made on other devices: a rewrite by someone
            // holding the site key still breaks these.
            let (published, seals) = published(&store)?;
            let site = SiteHistory::load(&store.document("site")?.unwrap_or_default())?;
            for (seal_key, seal) in &seals {
                let checkpoint = published
                    .get(seal.subject.as_str())
                    .ok_or_else(|| broken(format!("countersignature {seal_key} names a checkpoint that is gone")))?;
                seal.verify(seal_key, &checkpoint.content_hash(), &COUNTERSIGN_ROLES, &site)
                    .map_err(|e| {
                        broken(format!(
                            "countersignature {seal_key} on the checkpoint at {} rows: {e}",
                            checkpoint.tree_size
                        ))
                    })?;
                checkpoint
                    .checkpoint()
                    .check_against(&rows)
                    .map_err(|e| broken(format!("{e} (a checkpoint countersigned by {})", seal.signer)))?;
            }
            println!(
                "audit chain intact: {} rows, {} signed checkpoint(s), {} countersignature(s), head {}",
                rows.len(),
                checkpoints.len(),
                seals.len(),
                rows.last().map_or("(empty)", |r| r.hash.as_str())
            );
            Ok(())
        }
    }
}
