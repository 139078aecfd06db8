//! Time as the registers need it: instants in milliseconds since the Unix
//! epoch (UTC), minute-precise windows for applications and holds, and the
//! Taipei calendar date (UTC+8, no daylight saving) that names a month's
//! inspection document. The core never reads a clock: "now" is an argument.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 86_400_000;
/// Taiwan keeps UTC+8 all year.
const TAIPEI_OFFSET_MS: i64 = 8 * 3_600_000;

/// An instant, milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

// By hand rather than derived: the derived newtype impl cannot hydrate inside
// an `Option` (autosurgeon 0.14 routes `Option<T>` through `hydrate_int`).
impl Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.i64(self.0)
    }
}

impl Hydrate for Timestamp {
    fn hydrate_int(i: i64) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Timestamp(i))
    }
    fn hydrate_uint(u: u64) -> Result<Self, autosurgeon::HydrateError> {
        i64::try_from(u)
            .map(Timestamp)
            .map_err(|_| autosurgeon::HydrateError::unexpected("a timestamp", "an out-of-range integer".into()))
    }
}

impl Timestamp {
    pub fn plus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0 + i64::from(days) * DAY_MS)
    }
    pub fn minus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0 - i64::from(days) * DAY_MS)
    }
    pub fn is_whole_minute(self) -> bool {
        self.0.rem_euclid(MINUTE_MS) == 0
    }
    /// This instant as [`Timestamp::parse_taipei_minute`] reads it:
    /// `YYYY-MM-DD HH:MM`, Taipei time (seconds dropped).
    pub fn taipei_minute(self) -> String {
        let minutes = (self.0 - self.taipei_day_start().0).div_euclid(60_000);
        format!("{} {:02}:{:02}", self.taipei_date(), minutes / 60, minutes % 60)
    }

    /// A Taipei wall-clock time to the minute, `YYYY-MM-DD HH:MM` (or with a
    /// `T`), as people read it off a form or a camera's overlay.
    pub fn parse_taipei_minute(text: &str) -> Result<Timestamp, CoreError> {
        let bad = || CoreError::invalid("time", format!("{text:?}: write it as YYYY-MM-DD HH:MM (Taipei time)"));
        let t = text.trim().replace('T', " ");
        let (date, clock) = t.split_once(' ').ok_or_else(bad)?;
        let d: Vec<&str> = date.split('-').collect();
        let c: Vec<&str> = clock.split(':').collect();
        let [y, m, day] = d.as_slice() else { return Err(bad()) };
        let [h, min] = c.as_slice() else { return Err(bad()) };
        let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
        let (m, day, h, min) = (num(m)?, num(day)?, num(h)?, num(min)?);
        let civil = CivilDate {
            year: y.parse().map_err(|_| bad())?,
            month: m,
            day,
        };
        if !(1..=12).contains(&m) || h > 23 || min > 59 || day == 0 || CivilDate::from_days(civil.to_days()) != civil {
            return Err(bad());
        }
        Ok(Timestamp(
            civil.to_days() * DAY_MS + i64::from(h * 60 + min) * MINUTE_MS - TAIPEI_OFFSET_MS,
        ))
    }

    /// The midnight (Taipei) that began this instant's day.
    pub fn taipei_day_start(self) -> Timestamp {
        Timestamp((self.0 + TAIPEI_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - TAIPEI_OFFSET_MS)
    }

    /// The calendar date in Taipei.
    pub fn taipei_date(self) -> CivilDate {
        CivilDate::from_days((self.0 + TAIPEI_OFFSET_MS).div_euclid(DAY_MS))
    }
}

/// A window of footage, `[start, end)`, on whole minutes (the forms ask for
/// 年月日時分 to 年月日時分).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MinuteWindow {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl MinuteWindow {
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, CoreError> {
        let w = MinuteWindow { start, end };
        w.validate()?;
        Ok(w)
    }

    pub fn validate(&self) -> Result<(), CoreError> {
        if !self.start.is_whole_minute() || !self.end.is_whole_minute() {
            return Err(CoreError::invalid("time window", "start and end must be whole minutes"));
        }
        if self.start >= self.end {
            return Err(CoreError::invalid("time window", "the end must be after the start"));
        }
        Ok(())
    }

    pub fn minutes(&self) -> i64 {
        (self.end.0 - self.start.0) / MINUTE_MS
    }

    /// Whether `[start, end)` in milliseconds shares any instant with this window.
    pub fn overlaps(&self, start: Timestamp, end: Timestamp) -> bool {
        start < self.end && self.start < end
    }
}

/// A date of the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CivilDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// `YYYY-MM-DD`, as the registers and the console write a date.
impl std::fmt::Display for CivilDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl CivilDate {
    /// A date as `YYYY-MM-DD`, checked to exist.
    pub fn parse(text: &str) -> Result<CivilDate, String> {
        let bad = || format!("{text:?} is not a date (YYYY-MM-DD)");
        let mut parts = text.trim().splitn(3, '-');
        let mut next = |len: usize| -> Result<u32, String> {
            let part = parts
                .next()
                .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()));
            part.and_then(|p| p.parse().ok()).ok_or_else(bad)
        };
        let (year, month, day) = (next(4)?, next(2)?, next(2)?);
        let date = CivilDate {
            year: year as i32,
            month,
            day,
        };
        // A date that does not exist (02-30) comes back as another day.
        if !(1..=12).contains(&month) || CivilDate::from_days(date.to_days()) != date {
            return Err(bad());
        }
        Ok(date)
    }

    /// Days since 1970-01-01 to a date (H. Hinnant's civil_from_days).
    pub fn from_days(days: i64) -> CivilDate {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        CivilDate { year, month, day }
    }

    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    pub fn to_days(&self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The 民國 (Republic of China) year the forms print: 1912 is 民國1年.
    pub fn roc_year(&self) -> i32 {
        self.year - 1911
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taipei_date_turns_at_utc_sixteen() {
        // 2024-09-27T15:59:59Z is 23:59:59 in Taipei; one second later it is the 28th.
        let before = Timestamp(1_727_452_799_000);
        assert_eq!(
            before.taipei_date(),
            CivilDate {
                year: 2024,
                month: 9,
                day: 27
            }
        );
        assert_eq!(Timestamp(before.0 + 1000).taipei_date().day, 28);
        assert_eq!(before.taipei_date().roc_year(), 113);
    }

    #[test]
    fn taipei_minutes_parse_and_reject_nonsense() {
        let t = Timestamp::parse_taipei_minute("2026-11-24 09:05").unwrap();
        assert_eq!(t.taipei_minute(), "2026-11-24 09:05");
        // 2024-09-27 11:05 in Taipei is 03:05 UTC.
        assert_eq!(
            Timestamp::parse_taipei_minute("2024-09-27 11:05").unwrap(),
            Timestamp(1_727_406_300_000)
        );
        assert_eq!(
            Timestamp::parse_taipei_minute("2024-09-27T11:05").unwrap(),
            Timestamp(1_727_406_300_000)
        );
        for bad in [
            "2024-02-30 10:00",
            "2024-13-01 10:00",
            "2024-09-27 24:00",
            "yesterday",
            "2024-09-27",
        ] {
            assert!(Timestamp::parse_taipei_minute(bad).is_err(), "{bad}");
        }
        for days in [-1000, 0, 19_000, 20_500] {
            assert_eq!(CivilDate::from_days(days).to_days(), days);
        }
    }

    #[test]
    fn windows_are_whole_minutes_and_forward() {
        let m = |n: i64| Timestamp(n * MINUTE_MS);
        assert!(MinuteWindow::new(m(10), m(20)).is_ok());
        assert!(MinuteWindow::new(m(20), m(10)).is_err());
        assert!(MinuteWindow::new(m(10), m(10)).is_err());
        assert!(MinuteWindow::new(Timestamp(1), m(10)).is_err());
        let w = MinuteWindow::new(m(10), m(20)).unwrap();
        assert_eq!(w.minutes(), 10);
        assert!(w.overlaps(m(19), m(25)));
        assert!(!w.overlaps(m(20), m(25)));
    }
}
