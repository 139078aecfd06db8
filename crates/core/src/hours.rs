//! 開放時間: the site's opening hours, in Taipei time. Recording must be
//! continuous during them (001 §5, 004 §5): a camera down then is an alarm,
//! while one down at night when the building is shut is only noted.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::time::{DAY_MS, MINUTE_MS, Timestamp};

const TAIPEI_OFFSET_MS: i64 = 8 * 3_600_000;
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One stretch of opening time on some weekdays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct OpeningPeriod {
    /// 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    /// Minutes after midnight, Taipei; `to` may be 1440 (midnight).
    pub from_minute: u32,
    pub to_minute: u32,
}

/// The site's opening hours; none set means "always": every outage alarms.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct OpeningHours {
    pub periods: Vec<OpeningPeriod>,
}

impl OpeningHours {
    /// Reads `mon-fri 07:00-18:00; sat 08:00-12:00` (days as mon…sun, single
    /// or ranges, comma-separated; `always` for every hour of every day).
    pub fn parse(spec: &str) -> Result<OpeningHours, CoreError> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("always") {
            return Ok(OpeningHours::default());
        }
        let bad = |why: String| CoreError::invalid("opening hours", why);
        let mut periods = Vec::new();
        for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (days, times) = part
                .split_once(' ')
                .ok_or_else(|| bad(format!("{part:?}: write days then hours, e.g. mon-fri 07:00-18:00")))?;
            let mut weekdays = Vec::new();
            for group in days.split(',') {
                let day = |name: &str| {
                    DAYS.iter()
                        .position(|d| d.eq_ignore_ascii_case(name.trim()))
                        .map(|i| i as u8 + 1)
                        .ok_or_else(|| bad(format!("{name:?} is not a day (mon…sun)")))
                };
                match group.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (day(a)?, day(b)?);
                        if a > b {
                            return Err(bad(format!("{group:?}: the range runs backwards")));
                        }
                        weekdays.extend(a..=b);
                    }
                    None => weekdays.push(day(group)?),
                }
            }
            let (from, to) = times
                .trim()
                .split_once('-')
                .ok_or_else(|| bad(format!("{times:?}: write hours as HH:MM-HH:MM")))?;
            let minute = |t: &str| -> Result<u32, CoreError> {
                let (h, m) = t
                    .trim()
                    .split_once(':')
                    .ok_or_else(|| bad(format!("{t:?} is not HH:MM")))?;
                let (h, m): (u32, u32) = (
                    h.parse().map_err(|_| bad(format!("{t:?} is not HH:MM")))?,
                    m.parse().map_err(|_| bad(format!("{t:?} is not HH:MM")))?,
                );
                if m > 59 || h > 24 || (h == 24 && m > 0) {
                    return Err(bad(format!("{t:?} is not a time of day")));
                }
                Ok(h * 60 + m)
            };
            let (from_minute, to_minute) = (minute(from)?, minute(to)?);
            if from_minute >= to_minute {
                return Err(bad(format!("{times:?}: the closing time must come after the opening")));
            }
            weekdays.sort();
            weekdays.dedup();
            periods.push(OpeningPeriod {
                weekdays,
                from_minute,
                to_minute,
            });
        }
        if periods.is_empty() {
            return Err(bad("no hours given; write e.g. mon-fri 07:00-18:00, or always".into()));
        }
        Ok(OpeningHours { periods })
    }

    /// Whether the site is open at `t`.
    pub fn is_open(&self, t: Timestamp) -> bool {
        if self.periods.is_empty() {
            return true;
        }
        let local = t.0 + TAIPEI_OFFSET_MS;
        let days = local.div_euclid(DAY_MS);
        // 1970-01-01 was a Thursday (4).
        let weekday = ((days + 3).rem_euclid(7) + 1) as u8;
        let minute = (local.rem_euclid(DAY_MS) / MINUTE_MS) as u32;
        self.periods
            .iter()
            .any(|p| p.weekdays.contains(&weekday) && (p.from_minute..p.to_minute).contains(&minute))
    }

    /// Whether the site opens at all on `date` (always, when no hours are set).
    pub fn is_open_on(&self, date: crate::time::CivilDate) -> bool {
        if self.periods.is_empty() {
            return true;
        }
        // 1970-01-01 was a Thursday (4).
        let weekday = ((date.to_days() + 3).rem_euclid(7) + 1) as u8;
        self.periods.iter().any(|p| p.weekdays.contains(&weekday))
    }

    /// As people write it back.
    pub fn describe(&self) -> String {
        if self.periods.is_empty() {
            return "always".into();
        }
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        self.periods
            .iter()
            .map(|p| {
                let days: Vec<&str> = p.weekdays.iter().map(|d| DAYS[usize::from(*d) - 1]).collect();
                format!("{} {}-{}", days.join(","), hm(p.from_minute), hm(p.to_minute))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Taipei wall-clock time.
    fn at(text: &str) -> Timestamp {
        Timestamp::parse_taipei_minute(text).unwrap()
    }

    #[test]
    fn a_kindergarten_open_on_weekdays_and_saturday_mornings() {
        let hours = OpeningHours::parse("mon-fri 07:00-18:00; sat 08:00-12:00").unwrap();
        // 2026-11-24 is a Tuesday.
        assert!(hours.is_open(at("2026-11-24 07:00")));
        assert!(hours.is_open(at("2026-11-24 17:59")));
        assert!(!hours.is_open(at("2026-11-24 18:00")));
        assert!(!hours.is_open(at("2026-11-24 06:59")));
        assert!(hours.is_open(at("2026-11-28 09:00")), "Saturday morning");
        assert!(!hours.is_open(at("2026-11-28 13:00")));
        assert!(!hours.is_open(at("2026-11-29 09:00")), "Sunday");
        assert_eq!(hours.describe(), "mon,tue,wed,thu,fri 07:00-18:00; sat 08:00-12:00");
        assert_eq!(OpeningHours::parse(&hours.describe()).unwrap(), hours);
    }

    #[test]
    fn none_set_means_always_and_bad_specs_say_why() {
        assert!(OpeningHours::default().is_open(at("2026-11-29 03:00")));
        assert_eq!(OpeningHours::parse("always").unwrap(), OpeningHours::default());
        assert!(
            OpeningHours::parse("mon-sun 00:00-24:00")
                .unwrap()
                .is_open(at("2026-11-29 23:59"))
        );
        for (spec, why) in [
            ("weekdays 07:00-18:00", "not a day"),
            ("mon-fri 18:00-07:00", "after the opening"),
            ("fri-mon 07:00-18:00", "backwards"),
            ("mon-fri 7-18", "HH:MM"),
            ("mon-fri 07:00-25:00", "time of day"),
            ("  ", "no hours"),
        ] {
            let err = OpeningHours::parse(spec).unwrap_err().to_string();
            assert!(err.contains(why), "{spec}: {err}");
        }
    }
}
