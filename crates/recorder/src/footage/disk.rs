//! The disk and the retention floor: one home for "can the disk hold the
//! floor?". The sweep, `GET /v1/cameras/health` and `retention status` all
//! ask [`floor_outlook`], which counts held footage as taking room that
//! retention cannot free (the rule itself is the core's `floor_check`).

use std::collections::BTreeSet;
use std::path::Path;

use custos_core::holds::Hold;
use custos_core::policy::EffectiveRetention;
use custos_core::retention::{FloorCheck, floor_check};
use custos_core::time::{DAY_MS, Timestamp};

use super::paths::LONGEST_SEGMENT_MS;
use crate::base::error::{RecorderError, Result};
use crate::db::Store;
use crate::registers::Registers;

/// What the disk offers footage, measured by the caller (so tests can set it).
#[derive(Debug, Clone, Copy)]
pub struct DiskSpace {
    /// Bytes free on the footage disk.
    pub free: u64,
    /// Free bytes to keep in reserve for recording.
    pub reserve: u64,
}

impl DiskSpace {
    /// The real disk the data directory is on; the reserve is 2 % of it,
    /// at least 1 GiB. A test build (feature `simulated-clock`) takes
    /// `CUSTOS_SIMULATED_DISK` (`free,reserve` in bytes) instead when set,
    /// so the floor can be tested against a real recorder without filling a disk.
    pub fn measure(data: &Path) -> Result<DiskSpace> {
        #[cfg(feature = "simulated-clock")]
        if let Some((free, reserve)) = std::env::var("CUSTOS_SIMULATED_DISK").ok().and_then(|v| {
            v.split_once(',')
                .and_then(|(f, r)| Some((f.parse().ok()?, r.parse().ok()?)))
        }) {
            return Ok(DiskSpace { free, reserve });
        }
        let free = fs4::available_space(data).map_err(|e| RecorderError::file(data, e))?;
        let total = fs4::total_space(data).map_err(|e| RecorderError::file(data, e))?;
        Ok(DiskSpace {
            free,
            reserve: (total / 50).max(1 << 30),
        })
    }
}

/// How the disk stands against the floor, with the figures behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiskOutlook {
    pub free_bytes: u64,
    /// Footage recorded in the last day.
    pub bytes_per_day: u64,
    /// Footage some hold in force keeps.
    pub held_bytes: u64,
    pub floor_days: u32,
    pub floor: FloorCheck,
}

/// Whether the disk can hold the floor at the last day's recording rate:
/// the footage kept and the free space past the reserve make room, except
/// what holds keep (a hold's footage is not freed when the disk fills).
/// Each held segment counts once, however many holds keep it.
pub fn floor_outlook(
    store: &Store,
    holds: &[Hold],
    rule: EffectiveRetention,
    disk: DiskSpace,
    now: Timestamp,
) -> Result<DiskOutlook> {
    let kept = store.footage_bytes()?.max(0) as u64;
    let bytes_per_day = store.bytes_since(now.0 - DAY_MS)?.max(0) as u64;
    let mut held: BTreeSet<(String, i64)> = BTreeSet::new();
    let mut held_bytes = 0u64;
    for hold in holds {
        for camera in &hold.cameras {
            let rows = store.segments_in_window(
                camera.as_str(),
                hold.window.start.0,
                hold.window.end.0,
                LONGEST_SEGMENT_MS,
            )?;
            for row in rows {
                if held.insert((row.camera_id, row.start_ms)) {
                    held_bytes += row.bytes.max(0) as u64;
                }
            }
        }
    }
    let capacity = kept + disk.free.saturating_sub(disk.reserve);
    Ok(DiskOutlook {
        free_bytes: disk.free,
        bytes_per_day,
        held_bytes,
        floor_days: rule.floor_days,
        floor: floor_check(rule, capacity, held_bytes, bytes_per_day),
    })
}

/// [`floor_outlook`] with the site's rule and the holds in force now.
pub fn outlook(registers: &Registers, disk: DiskSpace, now: Timestamp) -> Result<DiskOutlook> {
    let rule = registers.profile()?.effective_retention()?;
    let holds = registers.active_holds(now)?;
    floor_outlook(&registers.store, &holds, rule, disk, now)
}
