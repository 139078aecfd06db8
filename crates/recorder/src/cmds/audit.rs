//! `custos-recorder audit verify|checkpoint`: checks the whole audit chain,
//! its signed checkpoints and the devices' countersignatures, and exits
//! non-zero naming the first bad row on any edit, deletion or truncation;
//! then the footage log, naming each segment not as it was recorded.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use std::sync::Arc;

use custos_core::audit::{AuditRow, verify_chain};
use custos_core::permissions::{self, Access, Register};
use custos_core::signing::verify;

use super::open_data_dir;
use super::progress::Progress;
use crate::base::error::{RecorderError, Result};
use crate::footage::seal::{Destroyed, FootageCheck, check_footage};
use crate::registers::Registers;
use custos_clock::Clock;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verifies the chain, its checkpoints and their countersignatures, and
    /// the footage log: its chain and checkpoints, and every sealed segment
    /// against the disk (present with its size, or destroyed with a record).
    Verify {
        #[arg(long)]
        data: PathBuf,
        /// Also re-hash every sealed segment's bytes (long: a progress bar
        /// shows; stopped, the next `--footage` resumes where it stopped).
        #[arg(long)]
        footage: bool,
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
        AuditCommand::Verify { data, footage } => {
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
            verify_footage(&registers, &data, &rows, footage)
        }
    }
}

/// The setting that remembers how far an interrupted `--footage` got.
pub const REHASHED_UP_TO: &str = "footage_verify_seq";

/// The footage log: its chain, its checkpoints (signed, matching the rows,
/// on the audit chain), and each sealed segment against the disk.
fn verify_footage(registers: &Registers, data: &Path, audit_rows: &[AuditRow], rehash: bool) -> Result<()> {
    let store = &registers.store;
    let checkpoints = store.footage_checkpoints()?;
    let sizes: Vec<u64> = checkpoints.iter().map(|(c, _)| c.tree_size).collect();
    let destroyed = Destroyed::new(&registers.destruction_records()?);
    let total = store.footage_log_head()?.map_or(0, |(n, _)| n);
    let resume_at = match store.setting(REHASHED_UP_TO)?.and_then(|s| s.parse::<u64>().ok()) {
        Some(seq) if rehash => {
            eprintln!("resuming the re-hash at segment {seq} of {total}, where the last one stopped");
            seq
        }
        _ => 1,
    };
    let mut progress = Progress::new("re-hashing footage", total.saturating_sub(resume_at - 1));
    let check = FootageCheck {
        data,
        destroyed: &destroyed,
        rehash_from: rehash.then_some(resume_at),
        roots_at: &sizes,
    };
    let report = check_footage(store, &check, |row| {
        progress.advance(1);
        if row.seq.is_multiple_of(500) {
            // Where to resume if stopped now.
            let _ = store.set_setting(REHASHED_UP_TO, &row.seq.to_string());
        }
    })?;
    progress.done();
    let key = registers.site_key.public_key_hex();
    for (checkpoint, signature) in &checkpoints {
        let at = checkpoint.tree_size;
        if !verify(&key, &checkpoint.signing_bytes(), signature) {
            return Err(broken(format!(
                "footage checkpoint at {at} segments: the site key's signature does not verify"
            )));
        }
        match report.roots.get(&at) {
            None => {
                return Err(broken(format!(
                    "footage log has {} segments but a checkpoint covers {at} (truncated)",
                    report.sealed
                )));
            }
            Some((root, head)) if *root != checkpoint.root || *head != checkpoint.head_hash => {
                return Err(broken(format!(
                    "footage checkpoint at {at} segments: the log's rows no longer give its root (rewritten)"
                )));
            }
            Some(_) => {}
        }
        let on_chain = audit_rows.iter().any(|r| {
            r.kind == "footage_checkpoint"
                && serde_json::from_str::<serde_json::Value>(&r.detail)
                    .is_ok_and(|d| d["tree_size"] == at && d["root"] == checkpoint.root.as_str())
        });
        if !on_chain {
            return Err(broken(format!(
                "footage checkpoint at {at} segments is not on the audit chain"
            )));
        }
    }
    if rehash {
        store.set_setting(REHASHED_UP_TO, "")?;
    }
    let unsealed = store.unsealed_segment_count()?;
    for finding in &report.findings {
        eprintln!("{}", finding.describe());
    }
    if !report.findings.is_empty() {
        return Err(RecorderError::Usage(format!(
            "footage not as recorded: {} segment(s) above; the rest of the log is intact",
            report.findings.len()
        )));
    }
    println!(
        "footage log intact: {} sealed segment(s), {} destroyed by retention (each with its record), {}, {} signed checkpoint(s){}",
        report.sealed,
        report.destroyed,
        if rehash {
            format!("{} re-hashed and matching", report.rehashed)
        } else {
            "sizes checked (re-hash with --footage)".to_string()
        },
        checkpoints.len(),
        if unsealed > 0 {
            format!(
                "; {unsealed} indexed segment(s) not sealed (recorded before sealing began; `footage seal` seals them)"
            )
        } else {
            String::new()
        }
    );
    Ok(())
}
