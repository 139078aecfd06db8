//! 檢查及保養紀錄: recording a walk-around check, closing a repair, 核章,
//! and a month of the log as this device has it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{EntryId, PersonId};
use custos_core::inspection::{CameraCheck, InspectionEntry, LogSummary, RecorderAlarm, Repair, RepairClosure};
use custos_core::permissions::Register;
use custos_core::roles::Role;
use custos_core::seal::Seal;
use custos_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::store::{LocalStore, lock};

use super::common::{RegisterError, Result, Signer, countersign, site};

/// What a person fills in on a walk-around check; who and when are added here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct CheckDraft {
    pub host_ok: bool,
    pub cameras: BTreeMap<String, CameraCheck>,
    #[serde(default)]
    pub maintenance: String,
    #[serde(default)]
    pub handling: String,
    #[serde(default)]
    pub remarks: String,
    #[serde(default)]
    pub photos: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct RecordedCheck {
    pub entry: String,
    /// A repair opened for each fault found.
    pub repairs: Vec<String>,
}

/// The inspection log's key for the month of `at` (Taipei).
pub fn month_of(at: Timestamp) -> DocKey {
    let d = at.taipei_date();
    DocKey::Inspections {
        year: d.year,
        month: d.month,
    }
}

/// Records a check by `inspector` at `now`, with a repair per fault, in one
/// change; refused here already if the recorder would refuse it for its
/// content (an unchecked camera, a fault without 處理情形).
pub fn record_check(
    store: &Mutex<LocalStore>,
    inspector: &PersonId,
    draft: CheckDraft,
    now: Timestamp,
    mut new_id: impl FnMut() -> EntryId,
) -> Result<RecordedCheck> {
    let site = site(store)?;
    let entry = InspectionEntry {
        checked_at: now,
        inspector: inspector.clone(),
        host_ok: draft.host_ok,
        cameras: draft.cameras,
        maintenance: draft.maintenance.trim().to_string(),
        handling: draft.handling.trim().to_string(),
        remarks: draft.remarks.trim().to_string(),
        photos: draft.photos,
    };
    entry.validate(&site)?;
    let entry_id = new_id();
    let repairs = entry.repairs_to_open(&entry_id, std::iter::repeat_with(&mut new_id));
    lock(store).edit(&month_of(now), "check", now.0, |doc| -> Result<()> {
        docs::put_entry(doc, docs::INSPECTION_ENTRIES, entry_id.as_str(), &entry)?;
        for (id, repair) in &repairs {
            docs::put_entry(doc, docs::REPAIRS, id.as_str(), repair)?;
        }
        Ok(())
    })?;
    Ok(RecordedCheck {
        entry: entry_id.to_string(),
        repairs: repairs.iter().map(|(id, _)| id.to_string()).collect(),
    })
}

/// A month of the inspection log, as this device has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct MonthView {
    pub year: i32,
    pub month: u32,
    /// Checks by entry id (ULIDs sort by time).
    pub checks: BTreeMap<String, InspectionEntry>,
    pub repairs: BTreeMap<String, Repair>,
    /// 核章: the countersignatures, by seal id (each names its check).
    pub seals: BTreeMap<String, Seal>,
    /// 系統警示: what the recorder measured and wrote into the log (a camera
    /// down while open, a disk short of the retention floor).
    pub alarms: BTreeMap<String, RecorderAlarm>,
    /// 004 附件1's four boxes for each check, by its id, as the core sums
    /// its faults (a host or time fault ticks a box too).
    pub summaries: BTreeMap<String, LogSummary>,
}

pub fn month(store: &Mutex<LocalStore>, year: i32, month: u32) -> Result<MonthView> {
    let key = DocKey::Inspections { year, month };
    let doc = lock(store).document(&key)?;
    let checks: BTreeMap<String, InspectionEntry> = docs::entries(&doc, docs::INSPECTION_ENTRIES)?;
    Ok(MonthView {
        year,
        month,
        summaries: checks.iter().map(|(id, c)| (id.clone(), c.summary())).collect(),
        checks,
        repairs: docs::entries(&doc, docs::REPAIRS)?,
        seals: docs::entries(&doc, docs::SEALS)?,
        alarms: custos_core::inspection::alarms(&doc)?,
    })
}

/// Closes an open repair with a note (and photos), in the name of `who`.
pub fn close_repair(
    store: &Mutex<LocalStore>,
    key: &DocKey,
    repair_id: &str,
    who: &PersonId,
    note: &str,
    photos: Vec<String>,
    now: Timestamp,
) -> Result<()> {
    lock(store).edit(key, "repair closed", now.0, |doc| {
        let open: Repair = docs::get_entry(doc, docs::REPAIRS, repair_id)?
            .ok_or_else(|| RegisterError::NotFound(format!("no repair {repair_id} in {key}")))?;
        let mut closed = open.clone();
        closed.closed = Some(RepairClosure {
            closed_by: who.clone(),
            closed_at: now,
            note: note.trim().to_string(),
            photos,
        });
        Repair::check_update(&open, &closed)?;
        Ok(docs::put_entry(doc, docs::REPAIRS, repair_id, &closed)?)
    })
}

/// 核章: countersigns a recorded check, in the first of `my_roles` the
/// profile lets countersign (the supervisor always may).
pub fn countersign_check(
    store: &Mutex<LocalStore>,
    key: &DocKey,
    entry_id: &str,
    my_roles: &[Role],
    signer: Signer<'_>,
) -> Result<()> {
    countersign(
        store,
        (key, docs::INSPECTION_ENTRIES, entry_id),
        (Register::Inspections, "checks"),
        my_roles,
        signer,
        |entry: &InspectionEntry| Ok(entry.content_hash()),
    )
}
