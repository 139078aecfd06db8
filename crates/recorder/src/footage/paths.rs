//! Where footage lives: `footage/<camera>/<start>.mp4` under the data
//! directory, named by the second of the segment's first frame, in UTC.
//! Paths are derived from the camera and the time, never stored.

use std::path::{Path, PathBuf};

use custos_core::time::{CivilDate, DAY_MS};

/// The longest a recorded segment runs (`serve --segment-seconds` is at
/// most 600): a segment overlapping a window starts at most this long
/// before it.
pub const LONGEST_SEGMENT_MS: i64 = 10 * 60_000;

/// Where a camera's segments live.
pub fn camera_dir(data: &Path, camera: &str) -> PathBuf {
    data.join("footage").join(camera)
}

/// `20261124T102521Z.mp4` for a start time (UTC).
pub fn segment_file_name(start_ms: i64) -> String {
    let date = CivilDate::from_days(start_ms.div_euclid(DAY_MS));
    let secs = start_ms.rem_euclid(DAY_MS) / 1000;
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z.mp4",
        date.year,
        date.month,
        date.day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The start time (ms, UTC) a segment's file name carries.
pub fn parse_segment_file_name(name: &str) -> Option<i64> {
    let stem = name.strip_suffix("Z.mp4")?;
    let (date, time) = stem.split_once('T')?;
    if date.len() != 8 || time.len() != 6 || !date.bytes().chain(time.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |s: &str| s.parse::<u32>().ok();
    let civil = CivilDate {
        year: date[..4].parse().ok()?,
        month: n(&date[4..6])?,
        day: n(&date[6..])?,
    };
    let (hh, mm, ss) = (
        i64::from(n(&time[..2])?),
        i64::from(n(&time[2..4])?),
        i64::from(n(&time[4..])?),
    );
    if CivilDate::from_days(civil.to_days()) != civil || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let days = civil.to_days();
    Some(days * DAY_MS + (hh * 3600 + mm * 60 + ss) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        let t = 1_795_487_121_000; // 2026-11-24T02:25:21Z
        assert_eq!(segment_file_name(t), "20261124T022521Z.mp4");
        assert_eq!(parse_segment_file_name("20261124T022521Z.mp4"), Some(t));
        assert_eq!(parse_segment_file_name("20240229T235959Z.mp4"), Some(1_709_251_199_000));
        for bad in [
            "x.mp4",
            "20261124T0225Z.mp4",
            "../20261124T022521Z.mp4",
            "20261124T022521Z.mkv",
        ] {
            assert_eq!(parse_segment_file_name(bad), None, "{bad}");
        }
    }
}
