//! Attempts counted per source address and per claimed device in windows
//! of a minute on the recorder's clock: failed sign-ins, challenges asked
//! for, refused pushes. For failed sign-ins: past
//! [`FAILURES_PER_WINDOW`] failures, a request that fails again is answered
//! 429 until the window ends; one that proves its device key is never
//! refused for others' failures. An enrollment code is not even looked up
//! for a source past the limit, since a code can be guessed and a key
//! cannot. Each source or device has one row in the audit chain per window
//! it failed in, not one per attempt: 3,000 failures in 8 s used to write
//! 3,000 rows.

use std::collections::HashMap;
use std::sync::Mutex;

use custos_core::time::Timestamp;

use crate::base::error::RecorderError;

/// The window attempts are counted in.
pub const WINDOW_MS: i64 = 60_000;
/// Failures one source or device may have in a window; the next is refused.
pub const FAILURES_PER_WINDOW: u32 = 10;
/// Most sources and devices tracked at once: past this, the oldest windows go
/// (they are over or nearly so), so the table cannot be grown without bound.
const MAX_TRACKED: usize = 10_000;

/// Who made an attempt: the address a request came from, or the device it claimed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Attempter {
    Source(String),
    Device(String),
}

impl Attempter {
    pub fn describe(&self) -> (&'static str, &str) {
        match self {
            Attempter::Source(s) => ("source", s),
            Attempter::Device(d) => ("device", d),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    attempts: u32,
}

/// A new window's first attempt: the one to put on record, with how many
/// the window before it held (if it was the last one seen).
#[derive(Debug, PartialEq, Eq)]
pub struct WindowOpened {
    pub who: Attempter,
    pub window_start: Timestamp,
    pub attempts_before: Option<u32>,
}

/// Counts of one kind of attempt per source and device, each window.
pub struct AttemptLimits {
    windows: Mutex<HashMap<Attempter, Window>>,
    /// Attempts one source or device may make in a window.
    limit: u32,
    /// What is counted, for the sentence a refused device is given.
    what: &'static str,
}

/// Failed sign-ins: [`FAILURES_PER_WINDOW`] a minute.
impl Default for AttemptLimits {
    fn default() -> Self {
        AttemptLimits::new(FAILURES_PER_WINDOW, "failed sign-ins")
    }
}

/// Challenges asked for: each writes a row before anyone is signed in, so a
/// source or a claimed device gets [`CHALLENGES_PER_WINDOW`] a minute (a
/// device asks one every fifteen minutes).
pub const CHALLENGES_PER_WINDOW: u32 = 20;

/// Refused pushes: each is on record with its reason, so a device gets
/// [`REFUSALS_PER_WINDOW`] a minute; past that the recorder does not even
/// check its pushes until the minute ends (an app does not retry a refused
/// change: it waits for the person to dismiss it).
pub const REFUSALS_PER_WINDOW: u32 = 20;

impl AttemptLimits {
    pub fn new(limit: u32, what: &'static str) -> Self {
        AttemptLimits {
            windows: Mutex::new(HashMap::new()),
            limit,
            what,
        }
    }

    /// Refuses, as busy, when any of `who` has used up its attempts in the
    /// current window.
    pub fn check(&self, who: &[Attempter], now: Timestamp) -> Result<(), RecorderError> {
        let map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let over = who
            .iter()
            .filter_map(|w| map.get(w))
            .filter(|w| now.0 - w.start < WINDOW_MS && w.attempts >= self.limit)
            .map(|w| w.start + WINDOW_MS)
            .max();
        match over {
            Some(end) => Err(RecorderError::Busy {
                detail: format!(
                    "too many {} from here in the last minute; try again in {} s",
                    self.what,
                    (end - now.0 + 999) / 1000
                ),
                retry_after_s: ((end - now.0 + 999) / 1000) as u64,
            }),
            None => Ok(()),
        }
    }

    /// Counts an attempt (a failure, a challenge) against each of `who`; returns those for which it
    /// opened a window (the ones to put on record).
    pub fn count(&self, who: &[Attempter], now: Timestamp) -> Vec<WindowOpened> {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, w| now.0 - w.start < WINDOW_MS);
        }
        let mut first = Vec::new();
        for w in who {
            let window = map.entry(w.clone()).or_insert(Window {
                start: i64::MIN / 2,
                attempts: 0,
            });
            if now.0 - window.start >= WINDOW_MS {
                let before = (now.0 - window.start < 2 * WINDOW_MS).then_some(window.attempts);
                *window = Window {
                    start: now.0,
                    attempts: 0,
                };
                first.push(WindowOpened {
                    who: w.clone(),
                    window_start: now,
                    attempts_before: before,
                });
            }
            window.attempts = window.attempts.saturating_add(1);
        }
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_failure_in_a_minute_is_refused_and_the_next_minute_starts_afresh() {
        let limits = AttemptLimits::default();
        let who = [Attempter::Source("10.0.0.9".into())];
        let t = |s: i64| Timestamp(1_000_000 + s * 1000);
        for i in 0..FAILURES_PER_WINDOW {
            assert!(limits.check(&who, t(i.into())).is_ok());
            let first = limits.count(&who, t(i.into()));
            assert_eq!(first.len(), usize::from(i == 0), "one record per window");
        }
        match limits.check(&who, t(30)) {
            Err(RecorderError::Busy { retry_after_s, .. }) => assert_eq!(retry_after_s, 30),
            other => panic!("{other:?}"),
        }
        assert!(
            limits.check(&[Attempter::Source("10.0.0.8".into())], t(30)).is_ok(),
            "others are not held up"
        );
        assert!(limits.check(&who, t(60)).is_ok());
        let first = limits.count(&who, t(60));
        assert_eq!(first[0].attempts_before, Some(FAILURES_PER_WINDOW));
    }
}
