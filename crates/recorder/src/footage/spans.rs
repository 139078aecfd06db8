//! Which stretches of footage exist: for the staff filing an application,
//! so that they can tell the applicant what is still there (001 §6(3))
//! before a window with nothing left is filed.

use custos_api::footage::{CameraFootage, FootageSpans, MAX_SPANS_WINDOW_MS, Span, SpansQuery};
use custos_core::ids::CameraId;
use custos_core::permissions::{self, Access, Register};

use super::paths::LONGEST_SEGMENT_MS;
use crate::base::error::{RecorderError, Result};
use crate::db::segments::SegmentRow;
use crate::registers::{Registers, SignedIn};

/// 2200-01-01 UTC: past the last year a register may be kept for.
const LATEST_MS: i64 = 7_258_118_400_000;

/// Breaks between segments up to this long are the cut from one file to
/// the next, not a gap in the footage (as camera health counts gaps).
pub const BREAK_TOLERANCE_MS: i64 = 5_000;

/// The footage of the cameras asked over the window, for a person who may
/// file applications. Everything is bounded before the index is read: a
/// week at most, cameras of this site only, each once.
pub fn footage_spans(registers: &Registers, who: &SignedIn, query: &SpansQuery) -> Result<FootageSpans> {
    let site = registers.site()?;
    let profile = site.profile()?;
    if !permissions::allows(&who.person.roles, Register::ApplicationCase, Access::Write, &profile) {
        return Err(RecorderError::forbidden(
            "which footage exists is for the staff who receive applications",
        ));
    }
    let window = Span {
        from_ms: query.from_ms,
        to_ms: query.to_ms,
    };
    // Times of footage this system can hold: from 1970 to the registers' last year.
    let plausible = 0..=LATEST_MS;
    if !plausible.contains(&window.from_ms) || !plausible.contains(&window.to_ms) {
        return Err(RecorderError::BadRequest(
            "the window's times are not times of footage (milliseconds since 1970)".into(),
        ));
    }
    if window.to_ms <= window.from_ms {
        return Err(RecorderError::BadRequest("the window must end after it starts".into()));
    }
    if window.to_ms - window.from_ms > MAX_SPANS_WINDOW_MS {
        return Err(RecorderError::BadRequest(
            "a window of at most seven days can be looked up at once".into(),
        ));
    }
    let mut cameras: Vec<CameraId> = Vec::new();
    for id in query.cameras.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let camera: CameraId = id
            .parse()
            .ok()
            .filter(|c| site.camera(c).is_some())
            .ok_or_else(|| RecorderError::BadRequest(format!("{id:?} is not a camera of this site")))?;
        if !cameras.contains(&camera) {
            cameras.push(camera);
        }
    }
    if cameras.is_empty() {
        return Err(RecorderError::BadRequest("name at least one camera".into()));
    }
    let mut answer = Vec::with_capacity(cameras.len());
    for camera in cameras {
        answer.push(camera_footage(registers, &camera, window)?);
    }
    Ok(FootageSpans {
        window,
        cameras: answer,
    })
}

/// One camera's footage over `window`: what is recorded and what is missing.
pub fn camera_footage(registers: &Registers, camera: &CameraId, window: Span) -> Result<CameraFootage> {
    let rows = registers
        .store
        .segments_in_window(camera.as_str(), window.from_ms, window.to_ms, LONGEST_SEGMENT_MS)?;
    let recorded = recorded_spans(&rows, window);
    let missing = missing_spans(&recorded, window);
    Ok(CameraFootage {
        camera: camera.to_string(),
        recorded,
        missing,
    })
}

/// Segments `rows` (in start order) joined where they follow each other
/// within [`BREAK_TOLERANCE_MS`], clipped to `window`.
pub fn recorded_spans(rows: &[SegmentRow], window: Span) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for row in rows {
        let from = row.real_start_ms.max(window.from_ms);
        let to = row.real_end_ms.min(window.to_ms);
        if to <= from {
            continue;
        }
        match spans.last_mut() {
            Some(last) if from - last.to_ms <= BREAK_TOLERANCE_MS => last.to_ms = last.to_ms.max(to),
            _ => spans.push(Span {
                from_ms: from,
                to_ms: to,
            }),
        }
    }
    spans
}

/// The parts of `window` that `recorded` (ordered, disjoint) leaves out.
pub fn missing_spans(recorded: &[Span], window: Span) -> Vec<Span> {
    let mut missing = Vec::new();
    let mut at = window.from_ms;
    for span in recorded {
        if span.from_ms - at > BREAK_TOLERANCE_MS {
            missing.push(Span {
                from_ms: at,
                to_ms: span.from_ms,
            });
        }
        at = at.max(span.to_ms);
    }
    if window.to_ms - at > BREAK_TOLERANCE_MS {
        missing.push(Span {
            from_ms: at,
            to_ms: window.to_ms,
        });
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(start_s: i64, end_s: i64) -> SegmentRow {
        SegmentRow {
            camera_id: "cam-01".into(),
            start_ms: start_s * 1000,
            real_start_ms: start_s * 1000,
            real_end_ms: end_s * 1000,
            bytes: 1,
        }
    }

    #[test]
    fn segments_join_across_the_cut_and_a_gap_is_missing() {
        let window = Span {
            from_ms: 30_000,
            to_ms: 600_000,
        };
        // 0-60, 61-120 (a 1 s cut), then nothing until 300-360, 360-420.
        let rows = [row(0, 60), row(61, 120), row(300, 360), row(360, 420)];
        let recorded = recorded_spans(&rows, window);
        assert_eq!(
            recorded,
            [
                Span {
                    from_ms: 30_000,
                    to_ms: 120_000
                },
                Span {
                    from_ms: 300_000,
                    to_ms: 420_000
                }
            ]
        );
        assert_eq!(
            missing_spans(&recorded, window),
            [
                Span {
                    from_ms: 120_000,
                    to_ms: 300_000
                },
                Span {
                    from_ms: 420_000,
                    to_ms: 600_000
                }
            ]
        );
        assert_eq!(
            missing_spans(&[], window),
            [window],
            "nothing recorded: all of it is missing"
        );
    }
}
