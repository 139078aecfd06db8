//! 檢查及保養紀錄: the inspection log's rules, one function per collection.

use super::{Rules, refuse, unknown};
use crate::access::refusal::Refusal;
use crate::documents as docs;
use crate::inspection::{InspectionEntry, Repair};
use crate::location_notice::LocationNoticeReview;
use crate::permissions::{self, Access, Register};
use crate::seal::SealPurpose;

impl Rules<'_> {
    /// 檢查及保養紀錄: checks and repairs by the inspector who made them;
    /// 核章 by the roles the profile names; alarms by the recorder alone.
    pub(super) fn inspections(&self, (year, month): (i32, u32), collection: &str, entry: &str) -> Result<(), Refusal> {
        match collection {
            docs::INSPECTION_ENTRIES => {
                self.require_ulid(entry)?;
                let (before, e): (_, InspectionEntry) = self.before_after(collection, entry)?;
                self.require_new(&before)?;
                self.require(Register::Inspections, Access::Write, "record an inspection")?;
                if e.inspector != self.actor.person_id {
                    return Err(refuse(
                        "author",
                        "an inspection is recorded by the inspector who made it",
                    ));
                }
                let date = e.checked_at.taipei_date();
                if (date.year, date.month) != (year, month) {
                    return Err(refuse(
                        "wrong_month",
                        format!("a check of {}-{:02} belongs in that month's log", date.year, date.month),
                    ));
                }
                e.validate(self.site_now)
                    .map_err(|e| refuse("invalid_entry", e.to_string()))
            }
            docs::REPAIRS => self.repair(entry),
            docs::LOCATION_NOTICES => self.location_notice_review((year, month), entry),
            docs::ALARMS => Err(refuse(
                "recorder_only",
                "alarms are written by the recorder from what it measures",
            )),
            docs::SEALS => self.check_seal::<InspectionEntry>(
                (Register::Inspections, collection, entry),
                docs::INSPECTION_ENTRIES,
                SealPurpose::Countersign,
                |e| e.content_hash(),
            ),
            _ => Err(unknown(collection, entry)),
        }
    }

    /// 設置區位公告: a publication or check of the public list, recorded
    /// once by the manager who made it, in its month's log.
    fn location_notice_review(&self, (year, month): (i32, u32), entry: &str) -> Result<(), Refusal> {
        self.require_ulid(entry)?;
        let (before, review): (_, LocationNoticeReview) = self.before_after(docs::LOCATION_NOTICES, entry)?;
        self.require_new(&before)?;
        if !permissions::LOCATION_NOTICE_ROLES
            .iter()
            .any(|r| self.actor.has_role(*r))
        {
            return Err(refuse(
                "role",
                format!(
                    "{} may not record the public notice of camera locations: the manager does (004 §5)",
                    self.actor.person.name
                ),
            ));
        }
        if review.reviewer != self.actor.person_id {
            return Err(refuse("author", "a review is recorded by the person who made it"));
        }
        let date = review.reviewed_at.taipei_date();
        if (date.year, date.month) != (year, month) {
            return Err(refuse(
                "wrong_month",
                format!(
                    "a review of {}-{:02} belongs in that month's log",
                    date.year, date.month
                ),
            ));
        }
        review.validate().map_err(|e| refuse("invalid_entry", e.to_string()))
    }

    /// 報修: opened by whoever records it, naming its check; closed once,
    /// with a note, in the name of who closes it.
    fn repair(&self, entry: &str) -> Result<(), Refusal> {
        let me = &self.actor.person_id;
        self.require_ulid(entry)?;
        self.require(Register::Inspections, Access::Write, "open or close a repair")?;
        let (before, r): (Option<Repair>, Repair) = self.before_after(docs::REPAIRS, entry)?;
        let Some(before) = before else {
            if &r.opened_by != me {
                return Err(refuse("author", "a repair is opened by the person recording it"));
            }
            // Found and fixed while offline: it arrives opened and closed at
            // once, and the closing must hold as if it had come later.
            if let Some(closing) = &r.closed {
                let opened = Repair {
                    closed: None,
                    ..r.clone()
                };
                Repair::check_update(&opened, &r).map_err(|e| refuse("repair_update", e.to_string()))?;
                if &closing.closed_by != me {
                    return Err(refuse("author", "a repair is closed in the name of who closes it"));
                }
            }
            let found: Option<InspectionEntry> = self.get(self.after, docs::INSPECTION_ENTRIES, r.found_in.as_str())?;
            return found
                .map(|_| ())
                .ok_or_else(|| refuse("dangling", "a repair must name the check that found it"));
        };
        Repair::check_update(&before, &r).map_err(|e| refuse("repair_update", e.to_string()))?;
        match &r.closed {
            Some(c) if &c.closed_by == me => Ok(()),
            _ => Err(refuse("author", "a repair is closed in the name of who closes it")),
        }
    }
}
