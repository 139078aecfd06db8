//! 通知: the recorder's notices brought in line with what is due
//! (`custos_core::notices` says when), in the register each concerns: a
//! case's in its own document, the checks' in the month's inspection log,
//! the public notice of camera locations' in the site register.
//! Each raised or cleared notice is a change of that document with its
//! audit row, in one write. Settled after every accepted push to the
//! document concerned (a major case is raised as it arrives; a check or a
//! 核章 clears its notice at once) and on the sweep (deadlines, missed days).

use std::collections::{BTreeMap, BTreeSet};

use custos_core::application::read_case;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::EntryId;
use custos_core::inspection::{AlarmKind, InspectionEntry, RecorderAlarm, alarms};
use custos_core::location_notice::{LocationNoticeReview, location_notices};
use custos_core::notices::{
    CASE_NOTICES, CHECK_NOTICES, Checks, Due, HOLD_NOTICES, SITE_NOTICES, case_notices, check_notices, hold_notices,
    may_owe_notices,
};
use custos_core::seal::{Seal, SealPurpose};
use custos_core::time::{DAY_MS, Timestamp};
use custos_core::workflow::derive_status;
use serde_json::json;

use super::alarms::{audit_kind, recent_logs};
use super::service::Writing;
use crate::base::error::Result;
use custos_clock::entry_id_at;

impl Writing<'_> {
    /// Raises the notices of `kinds` that are due in `log` and not open,
    /// and ends the open ones no longer due (matched by kind and subject).
    fn settle(&self, log: &DocKey, kinds: &[AlarmKind], due: &[Due], now: Timestamp) -> Result<()> {
        let open: Vec<(String, RecorderAlarm)> = match self.document(log)? {
            Some(doc) => alarms(&doc)?
                .into_iter()
                .filter(|(_, a)| a.ended_at.is_none() && kinds.contains(&a.kind))
                .collect(),
            None => Vec::new(),
        };
        let matches = |a: &RecorderAlarm, d: &Due| a.kind == d.kind && a.subject == d.subject;
        for (n, d) in due.iter().enumerate() {
            if open.iter().any(|(_, a)| matches(a, d)) {
                continue;
            }
            let alarm = RecorderAlarm {
                kind: d.kind,
                camera: None,
                subject: d.subject.clone(),
                raised_at: now,
                ended_at: None,
                detail: d.detail.clone(),
            };
            // Several raised at one instant each get an id of their own.
            let id = entry_id_at(Timestamp(now.0 + n as i64)).to_string();
            let audit = json!({ "register": log.to_string(), "notice": id, "subject": d.subject, "detail": d.detail });
            self.write_alarm(log, (&id, &alarm), now, audit_kind(d.kind, false), audit)?;
        }
        for (id, alarm) in open {
            if due.iter().any(|d| matches(&alarm, d)) {
                continue;
            }
            let ended = RecorderAlarm {
                ended_at: Some(now),
                ..alarm
            };
            let audit =
                json!({ "register": log.to_string(), "notice": id, "subject": ended.subject, "detail": ended.detail });
            self.write_alarm(log, (&id, &ended), now, audit_kind(ended.kind, true), audit)?;
        }
        Ok(())
    }

    /// A case's notices, from its derived status now.
    pub fn settle_case_notices(&self, application: &EntryId, now: Timestamp) -> Result<()> {
        let key = DocKey::ApplicationCase(application.clone());
        let Some(doc) = self.document(&key)? else {
            return Ok(());
        };
        let Some((case, events)) = read_case(&doc)? else {
            return Ok(());
        };
        let profile = self.profile()?;
        // Most cases on a sweep can owe nothing and have nothing open:
        // their events need no derivation.
        let open = alarms(&doc)?
            .values()
            .any(|a| a.ended_at.is_none() && CASE_NOTICES.contains(&a.kind));
        if !open && !may_owe_notices(&case, &profile, now) {
            return Ok(());
        }
        let status = self.with_site_history(|site| derive_status(&case, &events, site, &profile).status)?;
        let due = case_notices(&case, &status, &profile, now);
        self.settle(&key, CASE_NOTICES, &due, now)
    }

    /// The checks' notices, in this month's log (a missed check) and in the
    /// log of each check awaiting its 核章.
    pub fn settle_check_notices(&self, now: Timestamp) -> Result<()> {
        let profile = self.profile()?;
        let hours = self.site()?.site.opening_hours.clone();
        let since = self.store.first_audit_at()?.unwrap_or(now);
        let logs = recent_logs(now);
        let mut entries: Vec<(DocKey, String, InspectionEntry)> = Vec::new();
        let mut sealed: BTreeSet<String> = BTreeSet::new();
        for log in &logs {
            let Some(doc) = self.document(log)? else { continue };
            let checks: BTreeMap<String, InspectionEntry> = docs::entries(&doc, docs::INSPECTION_ENTRIES)?;
            let seals: BTreeMap<String, Seal> = docs::entries(&doc, docs::SEALS)?;
            sealed.extend(
                seals
                    .into_values()
                    .filter(|s| s.purpose == SealPurpose::Countersign)
                    .map(|s| s.subject.to_string()),
            );
            entries.extend(checks.into_iter().map(|(id, c)| (log.clone(), id, c)));
        }
        let checks = Checks {
            checks: entries.iter().map(|(_, id, c)| (id.as_str(), c)).collect(),
            sealed: sealed.iter().map(String::as_str).collect(),
        };
        let due = check_notices(&profile, &hours, &checks, since, now);
        // Each notice goes to the log it concerns: a check's to its month,
        // a missed day to this month's.
        for log in &logs {
            let here: Vec<Due> = due
                .iter()
                .filter(|d| match d.kind {
                    AlarmKind::AwaitingCountersign => entries
                        .iter()
                        .any(|(l, id, _)| l == log && d.subject.as_deref() == Some(id.as_str())),
                    _ => log == &logs[0],
                })
                .cloned()
                .collect();
            self.settle(log, CHECK_NOTICES, &here, now)?;
        }
        Ok(())
    }

    /// The public notice's notices, in the site register, from the reviews
    /// in the inspection logs of its period (and the month before: the
    /// latest review within the period is what counts).
    pub fn settle_site_notices(&self, now: Timestamp) -> Result<()> {
        let site = self.site()?;
        let profile = site.profile()?;
        let Some(period) = profile.location_notice_check_days else {
            return self.settle(&DocKey::Site, SITE_NOTICES, &[], now);
        };
        let mut reviews: Vec<LocationNoticeReview> = Vec::new();
        for log in DocKey::inspection_months(Timestamp(now.0 - (i64::from(period) + 31) * DAY_MS), now) {
            if let Some(doc) = self.document(&log)? {
                let found: BTreeMap<String, LocationNoticeReview> = docs::entries(&doc, docs::LOCATION_NOTICES)?;
                reviews.extend(found.into_values());
            }
        }
        let due = location_notices(&profile, &site, &reviews.iter().collect::<Vec<_>>(), now);
        self.settle(&DocKey::Site, SITE_NOTICES, &due, now)
    }

    /// The holds' notices, in the holds document: each hold in force that
    /// lapses within the profile's warning days.
    pub fn settle_hold_notices(&self, now: Timestamp) -> Result<()> {
        let profile = self.profile()?;
        let holds = self.holds(now)?;
        let in_force: Vec<(&str, &custos_core::holds::Hold, Timestamp)> = holds
            .iter()
            .filter(|h| h.in_force)
            .map(|h| (h.id.as_str(), &h.hold, h.lapses_at))
            .collect();
        let due = hold_notices(&in_force, &profile, now);
        if due.is_empty() && self.document(&DocKey::Holds)?.is_none() {
            return Ok(());
        }
        self.settle(&DocKey::Holds, HOLD_NOTICES, &due, now)
    }

    /// The sweep's pass: every case's notices, the checks' and the site's.
    pub fn settle_notices(&self, now: Timestamp) -> Result<()> {
        for key in self.store.document_keys()? {
            if let DocKey::ApplicationCase(id) = key {
                self.settle_case_notices(&id, now)?;
            }
        }
        self.settle_check_notices(now)?;
        self.settle_site_notices(now)?;
        self.settle_hold_notices(now)
    }

    /// After an accepted push: the notices of the document it changed.
    pub fn notices_after_push(&self, key: &DocKey, now: Timestamp) -> Result<()> {
        match key {
            DocKey::ApplicationCase(id) => self.settle_case_notices(id, now),
            DocKey::Inspections { .. } => {
                self.settle_check_notices(now)?;
                // Only a log with reviews of the public notice can change its
                // notices: most pushes are checks, and the site's come from
                // several months of logs.
                let reviewed = self.document(key)?.is_some_and(|doc| {
                    automerge::ReadDoc::get(&doc, automerge::ROOT, docs::LOCATION_NOTICES)
                        .ok()
                        .flatten()
                        .is_some()
                });
                if reviewed {
                    self.settle_site_notices(now)?;
                }
                Ok(())
            }
            DocKey::Holds => self.settle_hold_notices(now),
            _ => Ok(()),
        }
    }
}
