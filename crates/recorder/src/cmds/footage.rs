//! `custos-recorder footage list|seal`: the recorded segments in the
//! index, and sealing those recorded before sealing began.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use custos_clock::Clock;

use super::progress::Progress;
use crate::base::error::{RecorderError, Result};
use crate::db::Store;
use crate::db::audit::AuditEvent;
use crate::footage::paths::segment_file_name;
use crate::footage::seal::seal_segment;

/// Segments read from the index at a time while sealing.
const PAGE: u32 = 1000;

#[derive(Debug, Subcommand)]
pub enum FootageCommand {
    /// Lists indexed segments, oldest first.
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        camera: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Seals every indexed segment not yet in the footage log (recorded
    /// before sealing began): from now on a change to one shows. Its row
    /// says when it was sealed, so it proves nothing of the time before.
    Seal {
        #[arg(long)]
        data: PathBuf,
    },
}

pub fn run(cmd: FootageCommand, clock: Arc<dyn Clock>) -> Result<()> {
    match cmd {
        FootageCommand::Seal { data } => {
            let store = Store::open(&data)?;
            let total = store.unsealed_segment_count()?;
            if total == 0 {
                println!("Every indexed segment is sealed.");
                return Ok(());
            }
            let mut progress = Progress::new("sealing footage", total);
            let (mut sealed, mut unreadable) = (0u64, Vec::new());
            for camera in store.cameras_with_footage()? {
                let mut after = i64::MIN;
                loop {
                    let page = store.unsealed_page(&camera, after, PAGE)?;
                    let Some(last) = page.last() else { break };
                    after = last.start_ms;
                    for row in &page {
                        match seal_segment(&store, &data, row, clock.now()) {
                            Ok(true) => sealed += 1,
                            Ok(false) => {}
                            Err(_) => unreadable.push(format!("{camera} {}", segment_file_name(row.start_ms))),
                        }
                        progress.advance(1);
                    }
                }
            }
            progress.done();
            let detail = serde_json::json!({ "sealed": sealed, "unreadable": unreadable.len() });
            store.append_audit(
                clock.now(),
                AuditEvent {
                    kind: "footage_sealed_late",
                    actor: "console",
                    detail,
                },
            )?;
            println!(
                "{sealed} segment(s) recorded before sealing began are sealed now: a change to them shows from now on (their rows say when they were sealed)."
            );
            for name in &unreadable {
                eprintln!("cannot read {name}: not sealed; run `audit verify`");
            }
            if unreadable.is_empty() {
                Ok(())
            } else {
                Err(RecorderError::Usage(format!(
                    "{} segment(s) could not be read",
                    unreadable.len()
                )))
            }
        }
        FootageCommand::List { data, camera, json } => {
            let store = Store::open(&data)?;
            let rows = store.segments(camera.as_deref())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).map_err(|e| RecorderError::Usage(e.to_string()))?
                );
            } else if rows.is_empty() {
                println!("No footage recorded yet.");
            } else {
                for r in &rows {
                    println!(
                        "{}\t{}\t{:.1} s\t{} bytes",
                        r.camera_id,
                        segment_file_name(r.start_ms),
                        (r.real_end_ms - r.real_start_ms) as f64 / 1000.0,
                        r.bytes
                    );
                }
            }
            Ok(())
        }
    }
}
