//! Recording: one supervised `ffmpeg -c copy -f segment` child per camera
//! (DESIGN §5). Fragmented MP4, so a killed ffmpeg leaves readable segments;
//! segments cut at clock boundaries; each finished segment is indexed as
//! ffmpeg reports it on its segment list. A child that dies is restarted
//! with backoff. Paths are derived from the camera and the start time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use custos_core::time::{CivilDate, DAY_MS, Timestamp};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::registry::site_register;
use crate::store::{AuditEvent, SegmentRow, Store};

/// Where a camera's segments live.
pub fn camera_dir(data: &Path, camera: &str) -> PathBuf {
    data.join("footage").join(camera)
}

/// `20261124T102521Z.mp4` for a start time (UTC), as ffmpeg names it.
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

/// The ffmpeg command line for one camera.
pub fn ffmpeg_args(url: &str, out_dir: &Path, segment_seconds: u32) -> Vec<String> {
    let pattern = out_dir.join("%Y%m%dT%H%M%SZ.mp4");
    [
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostats",
        "-nostdin",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        "5000000",
        "-i",
        url,
        "-map",
        "0",
        "-c",
        "copy",
        "-f",
        "segment",
        "-segment_time",
        &segment_seconds.to_string(),
        "-segment_atclocktime",
        "1",
        "-reset_timestamps",
        "1",
        "-strftime",
        "1",
        "-segment_format",
        "mp4",
        "-segment_format_options",
        "movflags=+frag_keyframe+empty_moov+default_base_moof",
        "-segment_list",
        "pipe:1",
        "-segment_list_type",
        "csv",
        pattern.to_str().unwrap_or_default(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Makes ffmpeg stop when the recorder dies, however it dies: a recorder
/// killed by the OOM killer or a power button must not leave an ffmpeg
/// writing footage that nobody indexes, and that the next recorder's ffmpeg
/// would write over. SIGTERM lets ffmpeg close the segment it is writing.
#[cfg(target_os = "linux")]
fn ends_with_the_recorder(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn ends_with_the_recorder(_command: &mut Command) {}

/// Records one camera until the task is dropped; restarts ffmpeg with
/// backoff (1 s doubling to 30 s, back to 1 s after a minute of recording).
pub async fn record_camera(store: Arc<Store>, data: PathBuf, camera: String, url: String, segment_seconds: u32) {
    let dir = camera_dir(&data, &camera);
    let mut backoff = Duration::from_secs(1);
    loop {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::error!("camera {camera}: cannot create {}: {e}", dir.display());
        }
        let started = tokio::time::Instant::now();
        let mut command = Command::new("ffmpeg");
        command
            .args(ffmpeg_args(&url, &dir, segment_seconds))
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        ends_with_the_recorder(&mut command);
        let child = command.spawn();
        match child {
            Ok(mut child) => {
                tracing::info!("camera {camera}: recording {url}");
                if let Some(stderr) = child.stderr.take() {
                    let camera = camera.clone();
                    tokio::spawn(async move {
                        let mut lines = BufReader::new(stderr).lines();
                        while let Ok(Some(line)) = lines.next_line().await {
                            tracing::warn!("camera {camera}: ffmpeg: {line}");
                        }
                    });
                }
                if let Some(stdout) = child.stdout.take() {
                    let mut lines = BufReader::new(stdout).lines();
                    let mut run = SegmentRun::default();
                    while let Ok(Some(line)) = lines.next_line().await {
                        match parse_segment_line(&line) {
                            Some(segment) => {
                                for row in run.push(&camera, segment, &dir) {
                                    index(&store, &camera, &row);
                                }
                            }
                            None => tracing::warn!("camera {camera}: unreadable segment list line {line:?}"),
                        }
                    }
                }
                let status = child.wait().await;
                tracing::warn!("camera {camera}: ffmpeg stopped ({status:?}); restarting in {backoff:?}");
            }
            Err(e) => tracing::error!("camera {camera}: cannot start ffmpeg: {e}; is it installed?"),
        }
        if started.elapsed() > Duration::from_secs(60) {
            backoff = Duration::from_secs(1);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// One line of ffmpeg's CSV segment list: `name,start,end`, the times in
/// seconds of media time since ffmpeg started.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedSegment {
    pub name: String,
    pub name_ms: i64,
    pub media_start: f64,
    pub media_end: f64,
}

pub fn parse_segment_line(line: &str) -> Option<ListedSegment> {
    let mut parts = line.trim().split(',');
    let file = parts.next()?;
    let name = Path::new(file).file_name()?.to_str()?.to_string();
    let media_start = parts.next()?.parse().ok()?;
    let media_end = parts.next()?.parse().ok()?;
    Some(ListedSegment {
        name_ms: parse_segment_file_name(&name)?,
        name,
        media_start,
        media_end,
    })
}

/// The segments of one ffmpeg run. A file is named when ffmpeg opens it,
/// which for the first file of a run is only after probing the stream, a
/// second or two after its media begins; from the second file on, names
/// and media agree. So the run's media time is anchored on its second file:
/// the first is indexed at once with its name's time, and corrected when
/// the second arrives.
#[derive(Debug, Default)]
pub struct SegmentRun {
    first: Option<ListedSegment>,
    /// Recorder time (ms) of media time zero.
    anchor: Option<f64>,
}

impl SegmentRun {
    /// The rows to write (insert or correct) for a newly listed segment.
    pub fn push(&mut self, camera: &str, seg: ListedSegment, dir: &Path) -> Vec<SegmentRow> {
        if let Some(anchor) = self.anchor {
            return vec![row(camera, &seg, anchor, dir)];
        }
        match self.first.take() {
            None => {
                let provisional = seg.name_ms as f64 - seg.media_start * 1000.0;
                let out = vec![row(camera, &seg, provisional, dir)];
                self.first = Some(seg);
                out
            }
            Some(first) => {
                let anchor = seg.name_ms as f64 - seg.media_start * 1000.0;
                self.anchor = Some(anchor);
                vec![row(camera, &first, anchor, dir), row(camera, &seg, anchor, dir)]
            }
        }
    }
}

fn row(camera: &str, seg: &ListedSegment, anchor: f64, dir: &Path) -> SegmentRow {
    SegmentRow {
        camera_id: camera.to_string(),
        start_ms: seg.name_ms,
        real_start_ms: (anchor + seg.media_start * 1000.0).round() as i64,
        real_end_ms: (anchor + seg.media_end * 1000.0).round() as i64,
        bytes: std::fs::metadata(dir.join(&seg.name))
            .map(|m| m.len() as i64)
            .unwrap_or(0),
    }
}

fn index(store: &Store, camera: &str, row: &SegmentRow) {
    if let Err(err) = store.insert_segment(row) {
        tracing::error!(
            "camera {camera}: cannot index {}: {err}",
            segment_file_name(row.start_ms)
        );
    }
}

/// Compares the index with the files on disk at start-up, one camera at a
/// time, as two sorted sequences (a year is 525,600 files a camera: never
/// all in memory at once). A file the index lacks (the segment open when the
/// recorder stopped) and a run of indexed segments whose files are gone are
/// logged and written to the audit chain; files of footage a sweep destroyed
/// but had not unlinked are removed. Files from `now` on belong to the run
/// starting now and are left to it, so this can run beside the recording.
/// Returns the files not indexed and the indexed segments missing.
pub fn reconcile(store: &Store, data: &Path, now: Timestamp) -> crate::error::Result<(usize, usize)> {
    // A file named in the current second may be this run's first.
    let before = now.0 - now.0.rem_euclid(1000);
    let destroyed = store.files_to_unlink()?;
    let mut cameras: std::collections::BTreeSet<String> = store.cameras_with_footage()?.into_iter().collect();
    if let Ok(dirs) = std::fs::read_dir(data.join("footage")) {
        cameras.extend(
            dirs.flatten()
                .filter(|d| d.path().is_dir())
                .map(|d| d.file_name().to_string_lossy().into_owned()),
        );
    }
    let (mut orphans, mut missing, mut finished) = (0, 0, 0);
    for camera in &cameras {
        let dir = camera_dir(data, camera);
        let mut on_disk: Vec<i64> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|f| parse_segment_file_name(&f.file_name().to_string_lossy()))
            .filter(|start| *start < before)
            .collect();
        on_disk.sort_unstable();
        let mut files = on_disk.into_iter().peekable();
        let mut unindexed: Vec<i64> = Vec::new();
        // Runs of consecutive indexed segments without a file: (first, last, count).
        let mut gone: Vec<(i64, i64, usize)> = Vec::new();
        let mut run: Option<(i64, i64, usize)> = None;
        store.for_each_segment_start(camera, before, |start| {
            while let Some(file) = files.next_if(|f| *f < start) {
                unindexed.push(file);
            }
            if files.next_if_eq(&start).is_some() {
                gone.extend(run.take());
            } else {
                run = Some(match run {
                    Some((first, _, n)) => (first, start, n + 1),
                    None => (start, start, 1),
                });
            }
        })?;
        gone.extend(run);
        unindexed.extend(files);

        // Footage a sweep destroyed before the last stop: finished off.
        unindexed.retain(|start| {
            let destroyed_here = destroyed
                .iter()
                .any(|(c, first, last)| c == camera && (*first..=*last).contains(start));
            if destroyed_here {
                let path = dir.join(segment_file_name(*start));
                match std::fs::remove_file(&path) {
                    Ok(()) => finished += 1,
                    Err(e) => tracing::error!("cannot remove destroyed footage {}: {e}", path.display()),
                }
            }
            !destroyed_here
        });
        for (first, last, files) in gone {
            missing += files;
            tracing::error!(
                "footage missing: {camera} {} to {}: {files} indexed segment(s) whose files are gone",
                segment_file_name(first),
                segment_file_name(last)
            );
            let detail = json!({ "camera": camera, "first_start_ms": first, "last_start_ms": last, "files": files,
                "first_file": segment_file_name(first), "last_file": segment_file_name(last) });
            let event = AuditEvent {
                kind: "footage_missing",
                actor: "recorder",
                detail,
            };
            store.append_audit(now, event)?;
        }
        for start in unindexed {
            orphans += 1;
            let path = dir.join(segment_file_name(start));
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            tracing::warn!(
                "footage not indexed: {} ({bytes} bytes), left by a stop mid-segment",
                path.display()
            );
            let detail =
                json!({ "camera": camera, "start_ms": start, "file": segment_file_name(start), "bytes": bytes });
            let event = AuditEvent {
                kind: "footage_unindexed",
                actor: "recorder",
                detail,
            };
            store.append_audit(now, event)?;
        }
    }
    if finished > 0 {
        tracing::info!("removed {finished} file(s) of footage destroyed before the last stop");
    }
    store.files_unlinked(destroyed.iter().map(|(c, first, _)| (c.as_str(), *first)))?;
    Ok((orphans, missing))
}

/// Keeps one recording task per camera in service, following the site
/// register: a camera added on the console starts recording within seconds.
pub fn spawn_manager(store: Arc<Store>, data: PathBuf, segment_seconds: u32) {
    tokio::spawn(async move {
        let mut running: HashMap<String, (String, JoinHandle<()>)> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let Ok(site) = site_register(&store) else { continue };
            let wanted: HashMap<String, String> = site
                .active_cameras()
                .map(|(id, c)| (id.to_string(), c.stream_url.clone()))
                .collect();
            running.retain(|camera, (url, task)| {
                let keep = wanted.get(camera) == Some(url) && !task.is_finished();
                if !keep {
                    task.abort();
                }
                keep
            });
            for (camera, url) in wanted {
                if let std::collections::hash_map::Entry::Vacant(slot) = running.entry(camera.clone()) {
                    let task = tokio::spawn(record_camera(
                        store.clone(),
                        data.clone(),
                        camera,
                        url.clone(),
                        segment_seconds,
                    ));
                    slot.insert((url, task));
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_anchored_on_its_second_file() {
        let dir = Path::new("/nonexistent");
        let mut run = SegmentRun::default();
        // Opened at :21 after probing, though its media began at about :19.
        let first = parse_segment_line("/x/20261124T102521Z.mp4,0.000000,3.002832").unwrap();
        let provisional = run.push("cam-01", first, dir);
        assert_eq!(provisional.len(), 1, "indexed at once");
        assert_eq!(provisional[0].real_start_ms, provisional[0].start_ms);
        let second = parse_segment_line("/x/20261124T102522Z.mp4,3.002832,5.002832").unwrap();
        let rows = run.push("cam-01", second, dir);
        assert_eq!(rows.len(), 2, "the first corrected, the second added");
        assert_eq!(rows[0].start_ms, provisional[0].start_ms);
        assert_eq!(rows[0].real_end_ms, rows[1].real_start_ms, "continuous");
        assert_eq!(rows[1].real_start_ms, rows[1].start_ms);
        assert_eq!(rows[0].real_end_ms - rows[0].real_start_ms, 3003);
        assert!(parse_segment_line("garbage").is_none());
    }

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
