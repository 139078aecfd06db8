//! 通知: when the recorder raises a notice, and into which register. Each is
//! written as a [`RecorderAlarm`] in the register it concerns, so it is on
//! record (with its audit row) and reaches exactly who reads that register:
//! a case's notices are in the case's document (the notified role of a
//! major case reads it, 002 §10), a check's in the month's inspection log.
//! Each ends, on record, when its cause does. The recorder asks these
//! functions what is due and brings the stored notices in line.

use std::collections::BTreeSet;

use crate::application::ApplicationCase;
use crate::holds::Hold;
use crate::hours::OpeningHours;
use crate::inspection::{AlarmKind, InspectionEntry};
use crate::policy::{InspectionFrequency, PolicyProfile};
use crate::time::{CivilDate, DAY_MS, Timestamp};
use crate::workflow::Status;

/// A notice that should be open now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub kind: AlarmKind,
    pub subject: Option<String>,
    /// In words, Chinese first, for the register and the screens.
    pub detail: String,
}

/// The kinds of notice a case's document holds.
pub const CASE_NOTICES: &[AlarmKind] = &[AlarmKind::MajorCase, AlarmKind::DecisionOverdue];
/// The kinds of notice about the checks an inspection log holds.
pub const CHECK_NOTICES: &[AlarmKind] = &[AlarmKind::CheckOverdue, AlarmKind::AwaitingCountersign];

/// The kinds of notice the site register holds (the public notice of
/// camera locations, [`crate::location_notice`]).
pub const SITE_NOTICES: &[AlarmKind] = &[AlarmKind::LocationNoticeOutdated, AlarmKind::LocationNoticeUnchecked];

/// The kinds of notice the holds document holds.
pub const HOLD_NOTICES: &[AlarmKind] = &[AlarmKind::HoldLapsing];

/// The holds' notices now: each hold in force (`in_force`: id, hold, when
/// it lapses) that lapses within the profile's `hold_lapse_warning_days`,
/// so the head may renew it with its legal basis before its footage goes.
pub fn hold_notices(in_force: &[(&str, &Hold, Timestamp)], profile: &PolicyProfile, now: Timestamp) -> Vec<Due> {
    in_force
        .iter()
        .filter(|(_, _, lapses)| now < *lapses && now.plus_days(profile.hold_lapse_warning_days) >= *lapses)
        .map(|(id, hold, lapses)| {
            let date = lapses.taipei_date().to_string();
            Due {
                kind: AlarmKind::HoldLapsing,
                subject: Some(id.to_string()),
                detail: format!(
                    "保存將於 {date} 屆期（{}），如仍需保存請首長敘明法令依據延長 / the hold ({}) lapses on {date}; the head may renew it with its legal basis",
                    hold.reference, hold.reference
                ),
            }
        })
        .collect()
}

/// How long a check may wait for its 核章 before it is raised.
pub const COUNTERSIGN_WITHIN_MS: i64 = DAY_MS;
/// The furthest back a missed check is looked for.
const LOOK_BACK_DAYS: i64 = 400;

/// A case's notices now: a major or abnormal case while it is undecided,
/// where the profile names whom to tell (002 §10); the decision deadline
/// passed while it is in review.
pub fn case_notices(case: &ApplicationCase, status: &Status, profile: &PolicyProfile, now: Timestamp) -> Vec<Due> {
    let mut due = Vec::new();
    if status.is_final() {
        return due;
    }
    if case.major_or_abnormal
        && let Some(role) = profile.notify_on_major
    {
        due.push(Due {
            kind: AlarmKind::MajorCase,
            subject: None,
            detail: format!(
                "重大或異常情事，應即通報{}：{} / a major or abnormal case, to be reported at once",
                role.title_zh(),
                case.applicant_name
            ),
        });
    }
    let deadline = case.filed_at.plus_days(profile.decision_deadline_days);
    if now >= deadline {
        let date = deadline.taipei_date();
        due.push(Due {
            kind: AlarmKind::DecisionOverdue,
            subject: None,
            detail: format!(
                "已逾決定期限（{days} 日，{date}）/ the {days}-day decision deadline passed on {date}",
                days = profile.decision_deadline_days,
            ),
        });
    }
    due
}

/// Whether [`case_notices`] could find anything due, whatever the status:
/// a flagged case, or one past its deadline. Lets a sweep pass over the
/// other cases without deriving their status.
pub fn may_owe_notices(case: &ApplicationCase, profile: &PolicyProfile, now: Timestamp) -> bool {
    (case.major_or_abnormal && profile.notify_on_major.is_some())
        || now >= case.filed_at.plus_days(profile.decision_deadline_days)
}

/// The checks of the log (this month's and last, as the recorder reads
/// them), each with whether it has its 核章.
pub struct Checks<'a> {
    pub checks: Vec<(&'a str, &'a InspectionEntry)>,
    pub sealed: BTreeSet<&'a str>,
}

/// The inspection log's notices now. The walk-around check is overdue when
/// as many open days as the profile's period (1: daily, 004 §6) have gone
/// by since the last check (or since `since`, the site's start) without
/// one; the subject is the first day missed. Where the profile asks for
/// 核章, each check still without it a day after it was made.
pub fn check_notices(
    profile: &PolicyProfile,
    hours: &OpeningHours,
    log: &Checks<'_>,
    since: Timestamp,
    now: Timestamp,
) -> Vec<Due> {
    let mut due = Vec::new();
    let period = match profile.inspection.frequency {
        InspectionFrequency::Daily => Some(1),
        InspectionFrequency::EveryDays(n) => Some(i64::from(n.max(1))),
        InspectionFrequency::Anytime => None,
    };
    let last = log.checks.iter().map(|(_, c)| c.checked_at).max().unwrap_or(since);
    if let Some(period) = period
        && let Some(missed) = first_missed_day(hours, last, now, period)
    {
        due.push(Due {
            kind: AlarmKind::CheckOverdue,
            subject: Some(missed.to_string()),
            detail: format!("{missed} 起未做巡檢 / no walk-around check since {missed}"),
        });
    }
    if profile.inspection.countersign_by.is_some() {
        for (id, check) in &log.checks {
            if !log.sealed.contains(id) && now.0 - check.checked_at.0 >= COUNTERSIGN_WITHIN_MS {
                let date = check.checked_at.taipei_date().to_string();
                due.push(Due {
                    kind: AlarmKind::AwaitingCountersign,
                    subject: Some(id.to_string()),
                    detail: format!("{date} 的檢查尚待核章 / the check of {date} awaits its countersignature"),
                });
            }
        }
    }
    due
}

/// The first open day after `last`'s day that began a run of `period` open
/// days, all past, without a check; `None` while the check is not overdue.
fn first_missed_day(hours: &OpeningHours, last: Timestamp, now: Timestamp, period: i64) -> Option<CivilDate> {
    let today = now.taipei_date().to_days();
    let from = (last.taipei_date().to_days() + 1).max(today - LOOK_BACK_DAYS);
    let open: Vec<i64> = (from..today)
        .filter(|d| hours.is_open_on(CivilDate::from_days(*d)))
        .collect();
    (open.len() as i64 >= period).then(|| CivilDate::from_days(open[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::OpeningHours;

    /// 2026-11-23, a Monday, 12:00 Taipei.
    const MONDAY_NOON: Timestamp = Timestamp(1_795_485_600_000 - DAY_MS + 2 * 3_600_000);

    #[test]
    fn a_daily_check_is_overdue_after_an_open_day_without_one() {
        let weekdays = OpeningHours::parse("mon-fri 08:00-17:00").unwrap();
        let monday = MONDAY_NOON;
        assert_eq!(monday.taipei_date(), CivilDate::parse("2026-11-23").unwrap());
        // Checked Monday: not overdue on Tuesday; overdue on Wednesday, since Tuesday.
        assert_eq!(
            first_missed_day(&weekdays, monday, Timestamp(monday.0 + DAY_MS), 1),
            None
        );
        assert_eq!(
            first_missed_day(&weekdays, monday, Timestamp(monday.0 + 2 * DAY_MS), 1),
            Some(CivilDate::parse("2026-11-24").unwrap())
        );
        // Checked Friday: the weekend is closed, so Monday is not overdue; Tuesday is.
        let friday = Timestamp(monday.0 + 4 * DAY_MS);
        assert_eq!(
            first_missed_day(&weekdays, friday, Timestamp(friday.0 + 3 * DAY_MS), 1),
            None
        );
        assert_eq!(
            first_missed_day(&weekdays, friday, Timestamp(friday.0 + 4 * DAY_MS), 1),
            Some(CivilDate::parse("2026-11-30").unwrap())
        );
        // Weekly: seven open days (every day open) without a check.
        let always = OpeningHours::default();
        assert_eq!(
            first_missed_day(&always, monday, Timestamp(monday.0 + 7 * DAY_MS), 7),
            None
        );
        assert!(first_missed_day(&always, monday, Timestamp(monday.0 + 8 * DAY_MS), 7).is_some());
    }
}
