//! `custos-recorder audit verify`: checks the whole audit chain and its
//! signed checkpoints, and exits non-zero naming the first bad row on any
//! edit, deletion or truncation.

use std::path::PathBuf;

use clap::Subcommand;
use custos_core::audit::verify_chain;
use custos_core::signing::verify;

use super::open_data_dir;
use crate::error::{RecorderError, Result};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verifies the chain and its checkpoints.
    Verify {
        #[arg(long)]
        data: PathBuf,
    },
}

pub fn run(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Verify { data } => {
            let (store, key) = open_data_dir(&data)?;
            let rows = store.audit_rows()?;
            verify_chain(&rows)
                .map_err(|e| RecorderError::Usage(format!("audit chain broken: {e}")))?;
            let checkpoints = store.checkpoints()?;
            for (checkpoint, signature) in &checkpoints {
                if !verify(
                    &key.public_key_hex(),
                    &checkpoint.signing_bytes(),
                    signature,
                ) {
                    return Err(RecorderError::Usage(format!(
                        "audit checkpoint at {} rows: the site key's signature does not verify",
                        checkpoint.tree_size
                    )));
                }
                checkpoint
                    .check_against(&rows)
                    .map_err(|e| RecorderError::Usage(format!("audit chain broken: {e}")))?;
            }
            println!(
                "audit chain intact: {} rows, {} signed checkpoint(s), head {}",
                rows.len(),
                checkpoints.len(),
                rows.last().map_or("(empty)", |r| r.hash.as_str())
            );
            Ok(())
        }
    }
}
