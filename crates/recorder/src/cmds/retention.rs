//! `custos-recorder retention status`: the floor and ceiling, the oldest
//! footage per camera, how many days the disk can hold at the measured
//! rate (counting held footage, as the sweep does), and whether the floor
//! is at risk.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use custos_core::time::DAY_MS;
use serde_json::json;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use crate::footage::disk::{DiskSpace, outlook};
use crate::footage::paths::segment_file_name;
use custos_clock::Clock;

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Shows retention as it stands.
    Status {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: RetentionCommand, clock: Arc<dyn Clock>) -> Result<()> {
    let RetentionCommand::Status { data, json } = cmd;
    let registers = open_data_dir(&data, &clock)?;
    let store = &registers.store;
    let rule = registers.profile()?.effective_retention()?;
    let now = clock.now();
    // From the per-camera totals and one step into each camera's index: a
    // year of footage is 16.8 million rows, not to be read for a status line.
    let mut oldest: BTreeMap<String, i64> = BTreeMap::new();
    for camera in store.cameras_with_footage()? {
        if let Some(first) = store.oldest_segment(&camera)? {
            oldest.insert(camera, first.real_start_ms);
        }
    }
    let holds_in_force = registers.active_holds(now)?.len();
    let disk = outlook(&registers, DiskSpace::measure(&data)?, now)?;
    let days = disk.floor.days_disk_can_hold;
    let report = json!({
        "floor_days": rule.floor_days,
        "ceiling_days": rule.ceiling_days,
        "oldest_footage": oldest.iter().map(|(c, t)| (c.clone(), json!({ "start_ms": t, "age_days": (now.0 - t) / DAY_MS }))).collect::<BTreeMap<_, _>>(),
        "footage_bytes": store.footage_bytes()?.max(0),
        "bytes_per_day": disk.bytes_per_day,
        "held_bytes": disk.held_bytes,
        "disk_free_bytes": disk.free_bytes,
        "days_disk_can_hold": if days.is_finite() { json!(days) } else { json!(null) },
        "floor_at_risk": disk.floor.floor_at_risk,
        "holds_in_force": holds_in_force,
    });
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| RecorderError::Usage(e.to_string()))?
        );
        return Ok(());
    }
    println!(
        "Footage kept at least {} days, destroyed after {} days unless held.",
        rule.floor_days, rule.ceiling_days
    );
    for (camera, t) in &oldest {
        println!(
            "  {camera}: oldest footage {} ({} days old)",
            segment_file_name(*t).trim_end_matches(".mp4"),
            (now.0 - t) / DAY_MS
        );
    }
    if days.is_finite() {
        println!("The disk can hold {days:.1} days at the last day's rate.");
    } else {
        println!("Nothing recorded in the last day: no rate to measure the disk by.");
    }
    println!("Holds in force: {holds_in_force}");
    if disk.floor.floor_at_risk {
        println!(
            "ALARM: the disk cannot hold the {}-day floor. Add storage; footage inside the floor is never deleted.",
            rule.floor_days
        );
    }
    Ok(())
}
