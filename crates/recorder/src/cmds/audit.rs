//! `custos-recorder audit verify|checkpoint`: checks the whole audit chain,
//! its signed checkpoints and the devices' countersignatures, and exits
//! non-zero naming the first bad row on any edit, deletion or truncation.

use std::path::PathBuf;

use clap::Subcommand;
use std::sync::Arc;

use custos_core::audit::verify_chain;
use custos_core::permissions::{self, Access, Register};
use custos_core::signing::verify;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use custos_clock::Clock;

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

pub fn run(cmd: AuditCommand, clock: Arc<dyn Clock>) -> Result<()> {
    match cmd {
        AuditCommand::Checkpoint { data } => {
            let registers = open_data_dir(&data, &clock)?;
            match registers.write_blocking()?.make_checkpoint(clock.now())? {
                Some(c) => println!("checkpoint signed: {} rows, head {}", c.tree_size, c.head_hash),
                None => println!("the newest checkpoint already covers every row"),
            }
            Ok(())
        }
        AuditCommand::Verify { data } => {
            let registers = open_data_dir(&data, &clock)?;
            let (store, key) = (&registers.store, &registers.site_key);
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
            let (published, seals) = registers.published()?;
            let roles = permissions::roles(Register::Audit, Access::Sign, &registers.profile()?);
            for (seal_key, seal) in &seals {
                let checkpoint = published
                    .get(seal.subject.as_str())
                    .ok_or_else(|| broken(format!("countersignature {seal_key} names a checkpoint that is gone")))?;
                registers
                    .with_site_history(|site| seal.verify(seal_key, &checkpoint.content_hash(), &roles, site))?
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
