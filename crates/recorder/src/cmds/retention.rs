//! `custos-recorder retention status`: the floor and ceiling, the oldest
//! footage per camera, how many days the disk can hold at the measured
//! rate, and whether the floor is at risk.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Subcommand;
use custos_core::retention::floor_check;
use custos_core::time::DAY_MS;
use serde_json::json;

use super::open_data_dir;
use crate::clock::Clock;
use crate::error::{RecorderError, Result};
use crate::ingest::segment_file_name;
use crate::registry::Registry;
use crate::retention::{DiskSpace, active_holds};

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

pub fn run(cmd: RetentionCommand, clock: &dyn Clock) -> Result<()> {
    let RetentionCommand::Status { data, json } = cmd;
    let (store, key) = open_data_dir(&data)?;
    let site = Registry {
        store: &store,
        site_key: &key,
    }
    .site()?;
    let rule = site.profile()?.effective_retention()?;
    let now = clock.now();
    // From the per-camera totals and one step into each camera's index: a
    // year of footage is 16.8 million rows, not to be read for a status line.
    let mut oldest: BTreeMap<String, i64> = BTreeMap::new();
    for camera in store.cameras_with_footage()? {
        if let Some(first) = store.oldest_segment(&camera)? {
            oldest.insert(camera, first.real_start_ms);
        }
    }
    let used = store.footage_bytes()?.max(0) as u64;
    let per_day = store.bytes_since(now.0 - DAY_MS)?.max(0) as u64;
    let disk = DiskSpace::measure(&data)?;
    let holds = active_holds(&store)?;
    let check = floor_check(rule, used + disk.free.saturating_sub(disk.reserve), 0, per_day);
    let report = json!({
        "floor_days": rule.floor_days,
        "ceiling_days": rule.ceiling_days,
        "oldest_footage": oldest.iter().map(|(c, t)| (c.clone(), json!({ "start_ms": t, "age_days": (now.0 - t) / DAY_MS }))).collect::<BTreeMap<_, _>>(),
        "footage_bytes": used,
        "bytes_per_day": per_day,
        "disk_free_bytes": disk.free,
        "days_disk_can_hold": if check.days_disk_can_hold.is_finite() { json!(check.days_disk_can_hold) } else { json!(null) },
        "floor_at_risk": check.floor_at_risk,
        "holds_in_force": holds.len(),
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
    if check.days_disk_can_hold.is_finite() {
        println!(
            "The disk can hold {:.1} days at the last day's rate.",
            check.days_disk_can_hold
        );
    } else {
        println!("Nothing recorded in the last day: no rate to measure the disk by.");
    }
    println!("Holds in force: {}", holds.len());
    if check.floor_at_risk {
        println!(
            "ALARM: the disk cannot hold the {}-day floor. Add storage; footage inside the floor is never deleted.",
            rule.floor_days
        );
    }
    Ok(())
}
