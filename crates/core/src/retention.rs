//! Two-sided retention as pure functions (DESIGN §5). Footage younger than the
//! floor is never deleted; footage older than the ceiling is always destroyed
//! unless a hold covers it; between them the oldest goes first when space is
//! needed. Disk pressure never breaks the floor: it raises an alarm.

use serde::{Deserialize, Serialize};

use crate::holds::Hold;
use crate::ids::CameraId;
use crate::policy::EffectiveRetention;
use crate::time::{DAY_MS, Timestamp};

/// One stored segment of footage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub camera: CameraId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub bytes: u64,
}

/// What retention says about each segment (indices into the input).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPlan {
    /// Past the ceiling and held by nothing: destroy now.
    pub must_destroy: Vec<usize>,
    /// Between floor and ceiling, not held: may go when space is needed, oldest first.
    pub may_destroy: Vec<usize>,
    /// Younger than the floor (some part of it): never deleted.
    pub within_floor: Vec<usize>,
    /// Covered by at least one hold.
    pub held: Vec<usize>,
}

/// Footage past the ceiling goes in whole Taipei days: every segment that
/// began before this instant is due. A day falls due at the start of the
/// day on which its first minute reaches the ceiling, so no footage outlives
/// the ceiling (by more than the sweep's interval); its youngest minute is
/// then a day short of it. A day's footage is thus destroyed by one sweep,
/// one destruction record per camera and day, where a sweep every ten
/// minutes taking what had just crossed would write 4,608 records a day for
/// 32 cameras into a register every device keeps.
pub fn ceiling_cut(rule: EffectiveRetention, now: Timestamp) -> Timestamp {
    now.minus_days(rule.ceiling_days).plus_days(1).taipei_day_start()
}

/// Classifies segments at `now`. A segment with any minute inside the floor
/// is kept whole; a segment any hold touches is kept whole; past the
/// ceiling is decided by the day a segment began ([`ceiling_cut`]).
pub fn plan(segments: &[Segment], holds: &[&Hold], rule: EffectiveRetention, now: Timestamp) -> RetentionPlan {
    let floor_start = now.minus_days(rule.floor_days);
    let ceiling_cut = ceiling_cut(rule, now);
    let mut out = RetentionPlan::default();
    for (i, s) in segments.iter().enumerate() {
        if s.end > floor_start {
            out.within_floor.push(i);
        } else if holds.iter().any(|h| h.covers(&s.camera, s.start, s.end)) {
            out.held.push(i);
        } else if s.start < ceiling_cut {
            out.must_destroy.push(i);
        } else {
            out.may_destroy.push(i);
        }
    }
    out.may_destroy
        .sort_by_key(|&i| (segments[i].start, segments[i].camera.clone()));
    out
}

/// The segments to delete to free `bytes_needed`: first everything past the
/// ceiling, then the oldest that may go, and never more. Returns the choice
/// and whether it frees enough.
pub fn choose_for_space(plan: &RetentionPlan, segments: &[Segment], bytes_needed: u64) -> (Vec<usize>, bool) {
    let mut chosen = plan.must_destroy.clone();
    let mut freed: u64 = chosen.iter().map(|&i| segments[i].bytes).sum();
    for &i in &plan.may_destroy {
        if freed >= bytes_needed {
            break;
        }
        chosen.push(i);
        freed += segments[i].bytes;
    }
    (chosen, freed >= bytes_needed)
}

/// Whether the disk can hold the floor at the measured rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloorCheck {
    /// Days of footage the space for footage can hold at the measured rate.
    pub days_disk_can_hold: f64,
    /// True when that is less than the floor: raise an alarm.
    pub floor_at_risk: bool,
}

/// `footage_capacity_bytes`: what the disk can give footage in all (used by
/// footage plus free); `held_bytes`: footage kept by holds, which does not
/// make room; `bytes_per_day`: the measured recording rate of all cameras.
pub fn floor_check(
    rule: EffectiveRetention,
    footage_capacity_bytes: u64,
    held_bytes: u64,
    bytes_per_day: u64,
) -> FloorCheck {
    let room = footage_capacity_bytes.saturating_sub(held_bytes) as f64;
    let days = if bytes_per_day == 0 {
        f64::INFINITY
    } else {
        room / bytes_per_day as f64
    };
    FloorCheck {
        days_disk_can_hold: days,
        floor_at_risk: days < f64::from(rule.floor_days),
    }
}

/// Days between a segment's end and `now`, for reports.
pub fn age_days(segment: &Segment, now: Timestamp) -> i64 {
    (now.0 - segment.end.0).div_euclid(DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::holds::HoldBasis;
    use crate::time::{MINUTE_MS, MinuteWindow};

    const NOW: Timestamp = Timestamp(1_800_000_000_000 - 1_800_000_000_000 % MINUTE_MS);
    const RULE: EffectiveRetention = EffectiveRetention {
        floor_days: 14,
        ceiling_days: 365,
    };

    fn seg(cam: &str, days_ago: u32) -> Segment {
        let start = NOW.minus_days(days_ago);
        Segment {
            camera: cam.parse().unwrap(),
            start,
            end: Timestamp(start.0 + MINUTE_MS),
            bytes: 100,
        }
    }

    fn hold(cam: &str, from_days_ago: u32, to_days_ago: u32) -> Hold {
        Hold {
            cameras: vec![cam.parse().unwrap()],
            window: MinuteWindow::new(NOW.minus_days(from_days_ago), NOW.minus_days(to_days_ago)).unwrap(),
            basis: HoldBasis::Investigation,
            legal_basis: "刑事訴訟法".into(),
            reference: "北市警字第1號".into(),
            application: None,
            placed_at: NOW,
            placed_by: None,
            review_at: NOW.plus_days(30),
        }
    }

    #[test]
    fn floor_ceiling_and_holds_classify_segments() {
        let segments = vec![seg("a", 1), seg("a", 20), seg("a", 400), seg("b", 400), seg("a", 13)];
        let h = hold("b", 401, 399);
        let p = plan(&segments, &[&h], RULE, NOW);
        assert_eq!(p.within_floor, vec![0, 4]);
        assert_eq!(p.may_destroy, vec![1]);
        assert_eq!(p.must_destroy, vec![2]);
        assert_eq!(p.held, vec![3]);
    }

    #[test]
    fn the_ceiling_takes_whole_taipei_days_and_nothing_outlives_it() {
        // Through a whole day, every ten minutes (a sweep's interval).
        let midnight = NOW.taipei_day_start();
        assert_eq!((midnight.0 + 8 * 3_600_000) % DAY_MS, 0, "a Taipei midnight");
        for step in 0..144 {
            let now = Timestamp(midnight.0 + step * 10 * MINUTE_MS);
            let cut = ceiling_cut(RULE, now);
            assert_eq!(cut.taipei_day_start(), cut, "cut at a midnight");
            assert!(cut >= now.minus_days(365), "what began past the ceiling is due");
            assert!(cut <= now.minus_days(364), "nothing younger than a day short of it");
            let day = |start: Timestamp| Segment {
                camera: "a".parse().unwrap(),
                start,
                end: Timestamp(start.0 + MINUTE_MS),
                bytes: 1,
            };
            let segments = [day(Timestamp(cut.0 - MINUTE_MS)), day(cut)];
            let p = plan(&segments, &[], RULE, now);
            assert_eq!(
                (p.must_destroy.clone(), p.may_destroy.clone()),
                (vec![0], vec![1]),
                "{step}"
            );
        }
    }

    #[test]
    fn a_segment_straddling_the_floor_is_kept() {
        let start = NOW.minus_days(14);
        let s = Segment {
            camera: "a".parse().unwrap(),
            start: Timestamp(start.0 - MINUTE_MS / 2),
            end: Timestamp(start.0 + MINUTE_MS / 2),
            bytes: 1,
        };
        assert_eq!(plan(&[s], &[], RULE, NOW).within_floor, vec![0]);
    }

    #[test]
    fn space_comes_from_the_oldest_and_never_from_the_floor() {
        let segments = vec![seg("a", 30), seg("a", 100), seg("a", 20), seg("a", 2), seg("a", 1)];
        let p = plan(&segments, &[], RULE, NOW);
        assert_eq!(p.may_destroy, vec![1, 0, 2]);
        let (chosen, enough) = choose_for_space(&p, &segments, 150);
        assert_eq!(chosen, vec![1, 0]);
        assert!(enough);
        let (chosen, enough) = choose_for_space(&p, &segments, 10_000);
        assert_eq!(chosen, vec![1, 0, 2]);
        assert!(!enough, "the floor is not broken to make room");
    }

    #[test]
    fn floor_at_risk_when_the_disk_cannot_hold_it() {
        let ok = floor_check(RULE, 15_000, 0, 1000);
        assert!(!ok.floor_at_risk);
        assert!((ok.days_disk_can_hold - 15.0).abs() < 1e-9);
        assert!(
            floor_check(RULE, 15_000, 2_000, 1000).floor_at_risk,
            "held footage does not make room"
        );
        assert!(!floor_check(RULE, 0, 0, 0).floor_at_risk, "nothing recorded yet");
    }
}
