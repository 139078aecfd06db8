//! 調閱登記簿 (001 附件2) / 影音應用紀錄簿 (004 附件4): the access logbook, one
//! document per year. The recorder writes each entry itself from what it
//! actually served: opened with the session, updated while frames are
//! served, completed when the session ends. People only countersign
//! (manager and supervisor), and only a completed entry.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{CameraId, EntryId, PersonId};
use crate::seal::content_hash;
use crate::terms::AccessKind;
use crate::time::{MinuteWindow, Timestamp};

/// Most spans one camera's record keeps: a scrub back and forth over a
/// two-hour window stays far below it; beyond it the nearest spans merge.
pub const MAX_SPANS_PER_CAMERA: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LogbookEntry {
    /// The application the viewing was for.
    pub application: EntryId,
    /// The recorder's playback session this entry records.
    pub session: String,
    /// 調閱日期: when the session opened and closed (recorder's clock);
    /// no close yet while it is open.
    pub opened_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// 申請人 and 調閱單位.
    pub applicant_name: String,
    pub unit: String,
    /// 調閱監錄資料時段、地點 / 監視器編號: what the approval allowed.
    pub cameras: Vec<CameraId>,
    pub window: MinuteWindow,
    /// 調閱原因摘要 / 案由.
    pub reason_summary: String,
    /// 系統操作承辦人: the escort.
    pub escort: PersonId,
    /// 資料處理方式: □調閱 □複製.
    pub handling: Vec<AccessKind>,
    /// What was actually shown, per camera, to the second.
    pub served: Vec<ServedCamera>,
    /// How the session ended; none while it is open.
    pub ended_by: Option<SessionEnd>,
    /// What became of the frames after the session, as the profile asks
    /// (001 §6(4) kept on record; 004 §7(3) no copy kept).
    pub after_viewing: Option<String>,
}

/// The footage of one camera the session served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServedCamera {
    pub camera: CameraId,
    /// Merged spans of footage time, whole seconds, ascending and disjoint.
    pub spans: Vec<ServedSpan>,
    /// Frames sent (a frame shown twice counts twice).
    pub frames: u32,
}

/// From the start of `from`'s second to the end of `to`'s second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServedSpan {
    pub from: Timestamp,
    pub to: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    /// The escort ended it.
    #[autosurgeon(rename = "escort")]
    Escort,
    /// Nothing was asked for within the idle limit.
    #[autosurgeon(rename = "idle")]
    Idle,
    /// The session's time limit passed.
    #[autosurgeon(rename = "limit")]
    Limit,
    /// The recorder stopped while the session was open (a crash, a power
    /// cut): the entry lists what had been served, and the application stays
    /// consumed.
    #[autosurgeon(rename = "interrupted")]
    Interrupted,
    /// Not a session: 複製, an export the recorder wrote and verified for
    /// an agency (the entry's spans are the footage it carries).
    #[autosurgeon(rename = "exported")]
    Exported,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Escort => "escort",
            SessionEnd::Idle => "idle",
            SessionEnd::Limit => "limit",
            SessionEnd::Interrupted => "interrupted",
            SessionEnd::Exported => "exported",
        }
    }
}

impl LogbookEntry {
    pub fn content_hash(&self) -> String {
        content_hash("custos/logbook/v1", self)
    }

    /// A completed entry: the session ended. Only then is it countersigned.
    pub fn is_complete(&self) -> bool {
        self.closed_at.is_some() && self.ended_by.is_some()
    }

    pub fn frames_served(&self) -> u64 {
        self.served.iter().map(|c| u64::from(c.frames)).sum()
    }
}

/// Merges served seconds (`(second, frames)` in any order, each second as
/// milliseconds of its start) into a camera's record: neighbouring seconds
/// join one span; beyond [`MAX_SPANS_PER_CAMERA`] the closest spans merge,
/// so the record may say a little more than was shown, never less.
pub fn served_camera(camera: CameraId, seconds: impl IntoIterator<Item = (i64, u32)>) -> ServedCamera {
    let mut seconds: Vec<(i64, u32)> = seconds.into_iter().map(|(s, n)| (s - s.rem_euclid(1000), n)).collect();
    seconds.sort_unstable();
    let mut spans: Vec<ServedSpan> = Vec::new();
    let mut frames: u32 = 0;
    for (second, n) in seconds {
        frames = frames.saturating_add(n);
        match spans.last_mut() {
            Some(last) if second <= last.to.0 + 1 => last.to = Timestamp(last.to.0.max(second + 999)),
            _ => spans.push(ServedSpan {
                from: Timestamp(second),
                to: Timestamp(second + 999),
            }),
        }
    }
    while spans.len() > MAX_SPANS_PER_CAMERA {
        let closest = (1..spans.len())
            .min_by_key(|&i| spans[i].from.0 - spans[i - 1].to.0)
            .expect("more than one span");
        let merged = spans.remove(closest);
        spans[closest - 1].to = merged.to;
    }
    ServedCamera { camera, spans, frames }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cam() -> CameraId {
        "cam-01".parse().unwrap()
    }

    #[test]
    fn neighbouring_seconds_make_one_span_and_gaps_stay() {
        let served = served_camera(cam(), [(10_000, 2), (11_500, 1), (12_000, 3), (20_000, 1), (10_200, 1)]);
        assert_eq!(
            served.spans,
            vec![
                ServedSpan {
                    from: Timestamp(10_000),
                    to: Timestamp(12_999)
                },
                ServedSpan {
                    from: Timestamp(20_000),
                    to: Timestamp(20_999)
                },
            ]
        );
        assert_eq!(served.frames, 8);
    }

    #[test]
    fn too_many_spans_merge_the_closest_and_cover_everything_shown() {
        let shown: Vec<(i64, u32)> = (0..600)
            .map(|i| (i * 3_000 + if i % 7 == 0 { 1_000 } else { 0 }, 1))
            .collect();
        let served = served_camera(cam(), shown.clone());
        assert_eq!(served.spans.len(), MAX_SPANS_PER_CAMERA);
        for (t, _) in shown {
            assert!(
                served.spans.iter().any(|s| s.from.0 <= t && t <= s.to.0),
                "{t} not covered"
            );
        }
    }
}
