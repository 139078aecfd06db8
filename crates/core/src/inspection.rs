//! 檢查及保養紀錄 (001 附件3) / 檢查日誌 (004 附件1): the inspection and
//! maintenance log, one document per month. Each check records the host, each
//! camera, and what was done; a fault opens a repair that stays open until a
//! later entry closes it. A supervisor countersigns (核章) where the profile asks.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::documents as docs;
use crate::error::CoreError;
use crate::ids::{CameraId, EntryId, PersonId};
use crate::seal::content_hash;
use crate::site::SiteRegister;
use crate::time::Timestamp;

/// One walk-around check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InspectionEntry {
    /// 檢查日期 / 日期及時間.
    pub checked_at: Timestamp,
    /// 檢(複)查人 / 檢查人員.
    pub inspector: PersonId,
    /// 監錄系統主機是否正常運作.
    pub host_ok: bool,
    /// Per camera, keyed by camera id.
    #[autosurgeon(hydrate = "hydrate_camera_checks")]
    pub cameras: BTreeMap<String, CameraCheck>,
    /// 保養: maintenance done during the check.
    pub maintenance: String,
    /// 處理情形: what was done about faults.
    pub handling: String,
    /// 備考.
    pub remarks: String,
    /// SHA-256 of the fault photos, uploaded as blobs.
    pub photos: Vec<String>,
}

/// The result for one camera.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CameraCheck {
    /// 監錄器材是否正常運轉: the camera is recording.
    pub running: bool,
    /// 視訊畫面是否清晰 (畫面異常 when not).
    pub picture_clear: bool,
    /// 錄音異常 when false; `None` for a camera without audio.
    pub audio_ok: Option<bool>,
    /// 存取異常 when false: footage could not be read back.
    pub storage_ok: bool,
    /// 時間之年、月、日、時、分能準點呈現 (001 §3(3)).
    pub time_correct: bool,
    pub note: String,
}

// By hand rather than derived: the recorder reads every camera of every
// check it accepts, and one pass over the map costs a sixth of the derived
// impl's lookup per field (a week's upload of checks: 250 ms → 40 ms).
// Same rules as derived: unknown keys are ignored, a missing or mistyped
// field is an error, except `audio_ok`, which may be absent or null.
impl Hydrate for CameraCheck {
    fn hydrate_map<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        use automerge::{ScalarValueRef as S, ValueRef as V};
        let wrong = |field: &str, found: &V<'_>| {
            autosurgeon::HydrateError::unexpected(format!("{field} of a camera check"), format!("{found:?}"))
        };
        let flag = |field: &str, value: &V<'_>| match value {
            V::Scalar(S::Boolean(b)) => Ok(Some(*b)),
            _ => Err(wrong(field, value)),
        };
        let (mut running, mut picture_clear, mut storage_ok, mut time_correct) = (None, None, None, None);
        let (mut audio_ok, mut note) = (None, None);
        for item in doc.map_range(obj, ..) {
            let value = &item.value;
            match item.key.as_ref() {
                "running" => running = flag("running", value)?,
                "picture_clear" => picture_clear = flag("picture_clear", value)?,
                "storage_ok" => storage_ok = flag("storage_ok", value)?,
                "time_correct" => time_correct = flag("time_correct", value)?,
                "audio_ok" if matches!(value, V::Scalar(S::Null)) => audio_ok = None,
                "audio_ok" => audio_ok = flag("audio_ok", value)?,
                "note" => match value {
                    V::Scalar(S::Str(text)) => note = Some(text.to_string()),
                    _ => return Err(wrong("note", value)),
                },
                _ => {}
            }
        }
        let missing =
            |field: &str| autosurgeon::HydrateError::unexpected(format!("{field} of a camera check"), "nothing".into());
        Ok(CameraCheck {
            running: running.ok_or_else(|| missing("running"))?,
            picture_clear: picture_clear.ok_or_else(|| missing("picture_clear"))?,
            audio_ok,
            storage_ok: storage_ok.ok_or_else(|| missing("storage_ok"))?,
            time_correct: time_correct.ok_or_else(|| missing("time_correct"))?,
            note: note.ok_or_else(|| missing("note"))?,
        })
    }
}

/// The cameras of a check, each read from the map's own listing rather than
/// looked up again by key (the derived map impl does both).
fn hydrate_camera_checks<D: autosurgeon::ReadDoc>(
    doc: &D,
    obj: &automerge::ObjId,
    prop: autosurgeon::Prop<'_>,
) -> Result<BTreeMap<String, CameraCheck>, autosurgeon::HydrateError> {
    let not_a_map = |found: String| autosurgeon::HydrateError::unexpected("a map of camera checks", found);
    let cameras = match doc.get(obj, &prop)? {
        Some((automerge::Value::Object(automerge::ObjType::Map), id)) => id,
        other => return Err(not_a_map(format!("{other:?}"))),
    };
    let mut checks = BTreeMap::new();
    for item in doc.map_range(&cameras, ..) {
        if !matches!(item.value, automerge::ValueRef::Object(automerge::ObjType::Map)) {
            return Err(autosurgeon::HydrateError::unexpected(
                "a camera check",
                format!("{:?} at {}", item.value, item.key),
            ));
        }
        checks.insert(item.key.to_string(), CameraCheck::hydrate_map(doc, &item.id())?);
    }
    Ok(checks)
}

impl CameraCheck {
    /// A camera found in order on every point (sound checked where it records sound).
    pub fn all_clear(records_sound: bool) -> CameraCheck {
        CameraCheck {
            running: true,
            picture_clear: true,
            audio_ok: records_sound.then_some(true),
            storage_ok: true,
            time_correct: true,
            note: String::new(),
        }
    }
}

/// 系統警示: an alarm the recorder raised from what it measured, written into
/// the month's inspection log so the inspector finds it beside the checks.
/// One entry from its start to its end; a device cannot write one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RecorderAlarm {
    pub kind: AlarmKind,
    /// The camera concerned; `None` for the recorder as a whole.
    pub camera: Option<CameraId>,
    /// What else it concerns, where it concerns one thing: the check
    /// awaiting its 核章 (entry id), the first day missed (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Default::default")]
    pub subject: Option<String>,
    pub raised_at: Timestamp,
    /// `None` while it lasts.
    pub ended_at: Option<Timestamp>,
    /// What was measured, in words (e.g. the camera's name and place, or
    /// the days the disk can hold against the floor).
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// A camera not recording while the site is open (opening hours).
    #[autosurgeon(rename = "camera_outage")]
    CameraOutage,
    /// The disk cannot hold footage for the retention floor.
    #[autosurgeon(rename = "retention_floor_at_risk")]
    RetentionFloorAtRisk,
    /// 重大或異常情事 (002 §10): in the case's own document, for the
    /// profile's notified role, while the case is flagged and undecided.
    #[autosurgeon(rename = "major_case")]
    MajorCase,
    /// The decision deadline passed with the case still in review.
    #[autosurgeon(rename = "decision_overdue")]
    DecisionOverdue,
    /// 004 §6: the walk-around check not done on an open day it was due
    /// (the profile's period); ends with the next check.
    #[autosurgeon(rename = "check_overdue")]
    CheckOverdue,
    /// A check still without its 核章 a day after it was made.
    #[autosurgeon(rename = "awaiting_countersign")]
    AwaitingCountersign,
    /// 004 §5(3): the public list of camera locations is not the register's
    /// (in the site register, for the manager who publishes it).
    #[autosurgeon(rename = "location_notice_outdated")]
    LocationNoticeOutdated,
    /// 004 §5(3) 定期檢視: the public notice not checked within the profile's period.
    #[autosurgeon(rename = "location_notice_unchecked")]
    LocationNoticeUnchecked,
    /// A hold in force lapses within the profile's warning days (in the
    /// holds document, for the head who may renew it).
    #[autosurgeon(rename = "hold_lapsing")]
    HoldLapsing,
    /// 影像與封存紀錄不符: a sealed segment of the camera whose bytes no longer
    /// match its seal, or gone without a destruction record (the background
    /// re-hash found it; `audit verify` names each one).
    #[autosurgeon(rename = "footage_not_as_sealed")]
    FootageNotAsSealed,
}

/// The kinds of fault a check can find; each opens a repair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    #[autosurgeon(rename = "host")]
    Host,
    #[autosurgeon(rename = "not_running")]
    NotRunning,
    #[autosurgeon(rename = "picture")]
    Picture,
    #[autosurgeon(rename = "audio")]
    Audio,
    #[autosurgeon(rename = "storage")]
    Storage,
    #[autosurgeon(rename = "time")]
    Time,
}

/// 報修: a fault and, once fixed, its closing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Repair {
    /// The check that found the fault.
    pub found_in: EntryId,
    /// `None` for the recording host itself.
    pub camera: Option<CameraId>,
    pub fault: FaultKind,
    pub description: String,
    pub opened_by: PersonId,
    pub opened_at: Timestamp,
    pub closed: Option<RepairClosure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RepairClosure {
    pub closed_by: PersonId,
    pub closed_at: Timestamp,
    /// What was repaired and how (處理情形).
    pub note: String,
    pub photos: Vec<String>,
}

/// The four boxes of the 萬華 檢查日誌.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LogSummary {
    /// 均無異常
    pub all_normal: bool,
    /// 畫面異常
    pub picture: bool,
    /// 錄音異常
    pub audio: bool,
    /// 存取異常
    pub storage: bool,
}

impl InspectionEntry {
    pub fn content_hash(&self) -> String {
        content_hash("custos/inspection/v1", self)
    }

    /// Every fault the check found, host first, then by camera.
    pub fn faults(&self) -> Vec<(Option<CameraId>, FaultKind)> {
        let mut out = Vec::new();
        if !self.host_ok {
            out.push((None, FaultKind::Host));
        }
        for (cam, c) in &self.cameras {
            let cam: Option<CameraId> = cam.parse().ok();
            let checks = [
                (!c.running, FaultKind::NotRunning),
                (!c.picture_clear, FaultKind::Picture),
                (c.audio_ok == Some(false), FaultKind::Audio),
                (!c.storage_ok, FaultKind::Storage),
                (!c.time_correct, FaultKind::Time),
            ];
            out.extend(
                checks
                    .into_iter()
                    .filter(|(bad, _)| *bad)
                    .map(|(_, kind)| (cam.clone(), kind)),
            );
        }
        out
    }

    pub fn summary(&self) -> LogSummary {
        let faults = self.faults();
        let has = |kinds: &[FaultKind]| faults.iter().any(|(_, k)| kinds.contains(k));
        LogSummary {
            all_normal: faults.is_empty(),
            picture: has(&[FaultKind::Picture, FaultKind::NotRunning, FaultKind::Time]),
            audio: has(&[FaultKind::Audio]),
            storage: has(&[FaultKind::Storage, FaultKind::Host]),
        }
    }

    /// A check covers every camera in service, names only known cameras,
    /// asks about audio only where a camera has it, and describes its faults.
    pub fn validate(&self, site: &SiteRegister) -> Result<(), CoreError> {
        for (id, cam) in site.active_cameras() {
            let Some(check) = self.cameras.get(id) else {
                return Err(CoreError::invalid(
                    "inspection",
                    format!("camera {id} ({}) was not checked", cam.name),
                ));
            };
            if cam.features.audio != check.audio_ok.is_some() {
                return Err(CoreError::invalid(
                    "inspection",
                    format!("camera {id}: audio is checked exactly when the camera records sound"),
                ));
            }
        }
        if let Some(unknown) = self.cameras.keys().find(|id| !site.cameras.contains_key(*id)) {
            return Err(CoreError::invalid(
                "inspection",
                format!("{unknown} is not a camera of this site"),
            ));
        }
        if !self.faults().is_empty() && self.handling.trim().is_empty() {
            return Err(CoreError::invalid(
                "inspection",
                "a fault was found: say how it is handled (處理情形)",
            ));
        }
        if let Some(bad) = self.photos.iter().find(|p| p.len() != 64 || hex::decode(p).is_err()) {
            return Err(CoreError::invalid("photo", format!("{bad:?} is not a SHA-256")));
        }
        Ok(())
    }

    /// The repairs this check opens: one per fault. The caller supplies an id per fault.
    pub fn repairs_to_open(
        &self,
        entry_id: &EntryId,
        ids: impl IntoIterator<Item = EntryId>,
    ) -> Vec<(EntryId, Repair)> {
        self.faults()
            .into_iter()
            .zip(ids)
            .map(|((camera, fault), id)| {
                let note = camera
                    .as_ref()
                    .and_then(|c| self.cameras.get(c.as_str()))
                    .map(|c| c.note.clone());
                let repair = Repair {
                    found_in: entry_id.clone(),
                    camera,
                    fault,
                    description: note.filter(|n| !n.is_empty()).unwrap_or_else(|| self.handling.clone()),
                    opened_by: self.inspector.clone(),
                    opened_at: self.checked_at,
                    closed: None,
                };
                (id, repair)
            })
            .collect()
    }
}

impl Repair {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    /// A repair changes only by being closed, once, with a note.
    pub fn check_update(before: &Repair, after: &Repair) -> Result<(), CoreError> {
        let mut reopened = after.clone();
        reopened.closed = None;
        if &reopened != before || before.closed.is_some() {
            return Err(CoreError::Policy(
                "a repair can only be closed, once; its finding cannot be edited".into(),
            ));
        }
        match &after.closed {
            Some(c) if !c.note.trim().is_empty() => Ok(()),
            _ => Err(CoreError::invalid(
                "repair",
                "closing a repair needs a note of what was done",
            )),
        }
    }
}

/// The recorder's alarms in a month's inspection log; none while the log
/// has no alarm map (see [`docs::ALARMS`]).
pub fn alarms<D: autosurgeon::ReadDoc + ReadDoc>(doc: &D) -> Result<BTreeMap<String, RecorderAlarm>, CoreError> {
    match ReadDoc::get(doc, ROOT, docs::ALARMS)? {
        None => Ok(BTreeMap::new()),
        Some(_) => docs::entries(doc, docs::ALARMS),
    }
}

/// Writes one alarm, creating the alarm map with the first (the recorder
/// only: it is the map's one writer).
pub fn put_alarm(doc: &mut AutoCommit, id: &str, alarm: &RecorderAlarm) -> Result<(), CoreError> {
    if doc.get(ROOT, docs::ALARMS)?.is_none() {
        doc.put_object(ROOT, docs::ALARMS, ObjType::Map)?;
    }
    docs::put_entry(doc, docs::ALARMS, id, alarm)
}

/// The photos (blobs, by SHA-256) a month's log refers to: of faults found
/// and of repairs closed.
pub fn blobs<D: autosurgeon::ReadDoc + ReadDoc>(doc: &D) -> Result<BTreeSet<String>, CoreError> {
    let checks: BTreeMap<String, InspectionEntry> = docs::entries(doc, docs::INSPECTION_ENTRIES)?;
    let repairs: BTreeMap<String, Repair> = docs::entries(doc, docs::REPAIRS)?;
    Ok(checks
        .into_values()
        .flat_map(|e| e.photos)
        .chain(repairs.into_values().filter_map(|r| r.closed).flat_map(|c| c.photos))
        .collect())
}
