//! 系統警示: the recorder's alarms written into the inspection log (a camera
//! down while the site is open, a disk that cannot hold the retention
//! floor), so the inspector finds them in the register beside the checks and
//! the app shows them offline. One entry per alarm from its start to its
//! end, in the month it started, with its audit row in the same transaction.
//!
//! Written as appended chunks under the register lock, like every write.

use custos_core::documents::DocKey;
use custos_core::ids::CameraId;
use custos_core::inspection::{AlarmKind, RecorderAlarm, alarms, put_alarm};
use custos_core::time::Timestamp;
use serde_json::json;

use super::service::{Registers, Writing};
use crate::base::error::Result;
use crate::db::audit::AuditEvent;
use custos_clock::entry_id_at;

/// An alarm still open, where it is written.
#[derive(Debug, Clone)]
pub struct OpenAlarm {
    pub log: DocKey,
    pub id: String,
    pub alarm: RecorderAlarm,
}

/// The logs an open alarm can be in: this month's and last month's (an
/// alarm lasting longer stays where it started and is still found when it
/// ends, as long as the recorder was not down across a whole month).
pub(super) fn recent_logs(now: Timestamp) -> [DocKey; 2] {
    let today = now.taipei_date();
    let (year, month) = (today.year, today.month);
    let (last_year, last_month) = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
    [
        DocKey::Inspections { year, month },
        DocKey::Inspections {
            year: last_year,
            month: last_month,
        },
    ]
}

impl Registers {
    /// The alarms not yet ended.
    pub fn open_alarms(&self, now: Timestamp) -> Result<Vec<OpenAlarm>> {
        let mut out = Vec::new();
        for log in recent_logs(now) {
            let Some(doc) = self.document(&log)? else {
                continue;
            };
            for (id, alarm) in alarms(&doc)? {
                if alarm.ended_at.is_none() {
                    out.push(OpenAlarm {
                        log: log.clone(),
                        id,
                        alarm,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// The audit row's kind for an alarm raised or ended.
pub(super) fn audit_kind(kind: AlarmKind, ended: bool) -> &'static str {
    match (kind, ended) {
        (AlarmKind::CameraOutage, false) => "camera_outage_alarm",
        (AlarmKind::CameraOutage, true) => "camera_outage_alarm_ended",
        (AlarmKind::RetentionFloorAtRisk, false) => "retention_floor_at_risk",
        (AlarmKind::RetentionFloorAtRisk, true) => "retention_floor_at_risk_ended",
        (AlarmKind::MajorCase, false) => "major_case_notice",
        (AlarmKind::MajorCase, true) => "major_case_notice_cleared",
        (AlarmKind::DecisionOverdue, false) => "decision_overdue_notice",
        (AlarmKind::DecisionOverdue, true) => "decision_overdue_notice_cleared",
        (AlarmKind::CheckOverdue, false) => "check_overdue_notice",
        (AlarmKind::CheckOverdue, true) => "check_overdue_notice_cleared",
        (AlarmKind::AwaitingCountersign, false) => "awaiting_countersign_notice",
        (AlarmKind::AwaitingCountersign, true) => "awaiting_countersign_notice_cleared",
        (AlarmKind::LocationNoticeOutdated, false) => "location_notice_outdated_notice",
        (AlarmKind::LocationNoticeOutdated, true) => "location_notice_outdated_notice_cleared",
        (AlarmKind::LocationNoticeUnchecked, false) => "location_notice_unchecked_notice",
        (AlarmKind::LocationNoticeUnchecked, true) => "location_notice_unchecked_notice_cleared",
        (AlarmKind::HoldLapsing, false) => "hold_lapsing_notice",
        (AlarmKind::HoldLapsing, true) => "hold_lapsing_notice_cleared",
        (AlarmKind::FootageNotAsSealed, false) => "footage_not_as_sealed_alarm",
        (AlarmKind::FootageNotAsSealed, true) => "footage_not_as_sealed_alarm_ended",
    }
}

impl Writing<'_> {
    /// Raises an alarm in this month's inspection log, unless one of the same
    /// kind for the same camera is open. Returns whether it was raised.
    pub fn raise_alarm(
        &self,
        kind: AlarmKind,
        camera: Option<&CameraId>,
        detail: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let open = self.open_alarms(now)?;
        if open
            .iter()
            .any(|o| o.alarm.kind == kind && o.alarm.camera.as_ref() == camera)
        {
            return Ok(false);
        }
        let alarm = RecorderAlarm {
            kind,
            camera: camera.cloned(),
            subject: None,
            raised_at: now,
            ended_at: None,
            detail: detail.to_string(),
        };
        let [log, _] = recent_logs(now);
        let id = entry_id_at(now).to_string();
        let audit = json!({ "log": log.to_string(), "alarm": id, "camera": camera, "detail": detail });
        self.write_alarm(&log, (&id, &alarm), now, audit_kind(kind, false), audit)?;
        Ok(true)
    }

    /// Ends the open alarms of that kind for that camera. Returns how many.
    pub fn end_alarm(&self, kind: AlarmKind, camera: Option<&CameraId>, now: Timestamp) -> Result<usize> {
        let mut ended = 0;
        for open in self.open_alarms(now)? {
            if open.alarm.kind != kind || open.alarm.camera.as_ref() != camera {
                continue;
            }
            let alarm = RecorderAlarm {
                ended_at: Some(now),
                ..open.alarm
            };
            let audit =
                json!({ "log": open.log.to_string(), "alarm": open.id, "camera": camera, "detail": alarm.detail });
            self.write_alarm(&open.log, (&open.id, &alarm), now, audit_kind(kind, true), audit)?;
            ended += 1;
        }
        Ok(ended)
    }

    pub(super) fn write_alarm(
        &self,
        log: &DocKey,
        (id, alarm): (&str, &RecorderAlarm),
        now: Timestamp,
        kind: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let audit = AuditEvent {
            kind,
            actor: "recorder",
            detail,
        };
        self.append_change(log, "recorder alarm", now, Some(audit), |doc| {
            Ok(put_alarm(doc, id, alarm)?)
        })?;
        Ok(())
    }
}
