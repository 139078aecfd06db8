//! `custos-recorder footage list`: the recorded segments in the index.

use std::path::PathBuf;

use clap::Subcommand;

use crate::base::error::{RecorderError, Result};
use crate::db::Store;
use crate::footage::paths::segment_file_name;

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
}

pub fn run(cmd: FootageCommand) -> Result<()> {
    match cmd {
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
