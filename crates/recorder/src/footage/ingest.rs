//! Recording: one supervised `ffmpeg -c copy -f segment` child per camera
//! (DESIGN §5). Fragmented MP4, so a killed ffmpeg leaves readable segments;
//! segments cut at clock boundaries; each finished segment is indexed as
//! ffmpeg reports it on its segment list, and sealed ([`super::seal`]). A child that dies is restarted
//! with backoff. Paths are derived from the camera and the start time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::task::JoinHandle;

use super::capture::capture_origins;
use super::paths::{camera_dir, parse_segment_file_name, segment_file_name};
use super::seal::seal_segment;
use crate::db::Store;
use crate::db::segments::SegmentRow;
use crate::registers::Registers;

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
        // prft: each fragment's capture time, from the camera's sender reports.
        "movflags=+frag_keyframe+empty_moov+default_base_moof:write_prft=wallclock",
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

/// Makes ffmpeg stop when the recording process (`custos-recorder ingest`)
/// dies, however it dies: one killed by the OOM killer or a power button
/// must not leave an ffmpeg writing footage that nobody indexes, and that
/// the next one's ffmpeg would write over. SIGTERM lets ffmpeg close the
/// segment it is writing. (`serve` may die without stopping either.)
#[cfg(target_os = "linux")]
fn ends_with_the_recording_process(command: &mut Command) {
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
fn ends_with_the_recording_process(_command: &mut Command) {}

/// `text` with the credentials of every address in it (`scheme://user:pass@`)
/// replaced by `***`: a camera's password never reaches a log.
pub fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail.find(['/', ' ', '\'', '"']).unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                rest = &tail[userinfo..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// How the cameras are recorded.
#[derive(Debug, Clone, Copy)]
pub struct Recording {
    /// Length of a segment in seconds (cut at clock boundaries).
    pub segment_seconds: u32,
    /// Each segment sealed as it is indexed; off only for the recording
    /// benchmark's baseline (`serve --unsealed`, on the audit chain).
    pub seal: bool,
}

/// Records one camera until the task is dropped; restarts ffmpeg with
/// backoff (1 s doubling to 30 s, back to 1 s after a minute of recording).
pub async fn record_camera(store: Arc<Store>, data: PathBuf, camera: String, url: String, recording: Recording) {
    let segment_seconds = recording.segment_seconds;
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
        ends_with_the_recording_process(&mut command);
        let child = command.spawn();
        match child {
            Ok(mut child) => {
                tracing::info!("camera {camera}: recording {}", redact_credentials(&url));
                if let Some(stderr) = child.stderr.take() {
                    let camera = camera.clone();
                    tokio::spawn(async move {
                        let mut lines = BufReader::new(stderr).lines();
                        while let Ok(Some(line)) = lines.next_line().await {
                            tracing::warn!("camera {camera}: ffmpeg: {}", redact_credentials(&line));
                        }
                    });
                }
                if let Some(stdout) = child.stdout.take() {
                    let mut lines = BufReader::new(stdout).lines();
                    let mut run = SegmentRun::default();
                    while let Ok(Some(line)) = lines.next_line().await {
                        match parse_segment_line(&line) {
                            Some(segment) => {
                                let received = custos_clock::Clock::now(&custos_clock::SystemClock).0;
                                let capture = capture_origins(&dir.join(&segment.name));
                                for row in run.push(&camera, segment, &dir, received, &capture) {
                                    index(&store, &camera, &row);
                                    if recording.seal {
                                        seal_in_background(&store, &data, row);
                                    }
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

/// The segments of one ffmpeg run, placed in time. ffmpeg names a file
/// when it opens it, to the second, and lists it (with its media times) as
/// it closes it, the moment the next file's first frame arrives. So the
/// recorder's clock when a line arrives, less the segment's media end, is
/// media time zero plus the delay from camera to recorder; the least such
/// value over the run is the arrival anchor. (The file names alone put
/// frames up to a second early: measured here, 0.77–0.87 s.) Better still
/// is the camera's own clock, from its sender reports ([`super::capture`]):
/// believed when it puts media time zero at most [`MAX_CAMERA_DELAY_MS`]
/// before the arrival anchor and not after it (a frame is not captured
/// after it arrives; the times ffmpeg writes before the first report are
/// such), and then the least such value is the anchor. The first file is
/// indexed at once and corrected when the second arrives.
#[derive(Debug, Default)]
pub struct SegmentRun {
    first: Option<ListedSegment>,
    /// Recorder time (ms) of media time zero: the least delay seen so far.
    arrival: Option<f64>,
    /// Camera time (ms) of media time zero, once its clock is believed.
    capture: Option<f64>,
    /// The first file has been corrected.
    settled: bool,
    /// A wrong camera clock has been logged.
    warned: bool,
}

/// The longest a frame takes from a camera's sensor to the recorder
/// (encoder, network, ffmpeg): a camera clock that says more has the wrong
/// time, and its footage is placed by arrival.
pub const MAX_CAMERA_DELAY_MS: f64 = 2_000.0;

impl SegmentRun {
    /// The rows to write (insert or correct) for a newly listed segment,
    /// whose line arrived at `received_ms` on the recorder's clock, with
    /// the capture origins its file holds ([`super::capture::capture_origins`]).
    pub fn push(
        &mut self,
        camera: &str,
        seg: ListedSegment,
        dir: &Path,
        received_ms: i64,
        capture_origins: &[f64],
    ) -> Vec<SegmentRow> {
        let candidate = received_ms as f64 - seg.media_end * 1000.0;
        let arrival = self.arrival.map_or(candidate, |a| a.min(candidate));
        self.arrival = Some(arrival);
        for origin in capture_origins.iter().map(|o| o - seg.media_start * 1000.0) {
            if (arrival - MAX_CAMERA_DELAY_MS..=arrival).contains(&origin) {
                if self.capture.is_none() {
                    tracing::info!(
                        "camera {camera}: placed by its own clock, {:.0} ms before arrival",
                        arrival - origin
                    );
                }
                self.capture = Some(self.capture.map_or(origin, |c| c.min(origin)));
            } else if self.capture.is_none() && !self.warned && (origin - arrival).abs() > 10_000.0 {
                self.warned = true;
                tracing::warn!(
                    "camera {camera}: its clock is {:.1} s off the recorder's; placing its footage by arrival (set the camera's time server)",
                    (origin - arrival) / 1000.0
                );
            }
        }
        let anchor = self.capture.unwrap_or(arrival);
        if self.settled {
            return vec![row(camera, &seg, anchor, dir)];
        }
        match self.first.take() {
            Some(first) => {
                self.settled = true;
                vec![row(camera, &first, anchor, dir), row(camera, &seg, anchor, dir)]
            }
            None => {
                let out = vec![row(camera, &seg, anchor, dir)];
                self.first = Some(seg);
                out
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

/// Seals a closed segment (hashes it into the footage log) off the
/// recording tasks' threads; a failure is logged, and the start-up
/// reconcile seals what the last hour left unsealed.
fn seal_in_background(store: &Arc<Store>, data: &Path, row: SegmentRow) {
    let (store, data) = (store.clone(), data.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let now = custos_clock::Clock::now(&custos_clock::SystemClock);
        if let Err(err) = seal_segment(&store, &data, &row, now) {
            tracing::error!(
                "camera {}: cannot seal {}: {err}",
                row.camera_id,
                segment_file_name(row.start_ms)
            );
        }
    });
}

fn index(store: &Store, camera: &str, row: &SegmentRow) {
    if let Err(err) = store.insert_segment(row) {
        tracing::error!(
            "camera {camera}: cannot index {}: {err}",
            segment_file_name(row.start_ms)
        );
    }
}

/// Keeps one recording task per camera in service, following the site
/// register: a camera added on the console starts recording within seconds.
pub fn spawn_manager(registers: Registers, data: PathBuf, recording: Recording) {
    let store = registers.store.clone();
    tokio::spawn(async move {
        let mut running: HashMap<String, (String, JoinHandle<()>)> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let (Ok(site), Ok(streams)) = (registers.site(), store.camera_streams()) else {
                continue;
            };
            let wanted: HashMap<String, String> = site
                .active_cameras()
                .filter_map(|(id, _)| {
                    let id = id.to_string();
                    streams.get(&id).map(|url| (id, url.clone()))
                })
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
                        recording,
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
    fn credentials_never_reach_a_log_line() {
        assert_eq!(
            redact_credentials("[rtsp @ 0x5] rtsp://admin:S3cret@10.0.0.5:554/h264: 401 Unauthorized"),
            "[rtsp @ 0x5] rtsp://***@10.0.0.5:554/h264: 401 Unauthorized"
        );
        assert_eq!(redact_credentials("rtsp://10.0.0.5/live"), "rtsp://10.0.0.5/live");
        assert_eq!(
            redact_credentials("a rtsps://u:p@h/x and rtsp://v:q@k"),
            "a rtsps://***@h/x and rtsp://***@k"
        );
    }

    #[test]
    fn a_run_is_anchored_on_the_least_delay_its_lines_arrived_with() {
        let dir = Path::new("/nonexistent");
        let at = |s: f64| 1_795_487_100_000 + (s * 1000.0) as i64; // 2026-11-24 10:25:00 UTC + s
        let mut run = SegmentRun::default();
        // Named at :21 after probing; listed at :22.40, its media began at :19.397.
        let first = parse_segment_line("/x/20261124T102521Z.mp4,0.000000,3.002832").unwrap();
        let provisional = run.push("cam-01", first, dir, at(22.4), &[]);
        assert_eq!(provisional.len(), 1, "indexed at once");
        assert_eq!(provisional[0].real_start_ms, at(19.397));
        // The second line arrived later than its media would say: the
        // anchor stays on the least delay.
        let second = parse_segment_line("/x/20261124T102522Z.mp4,3.002832,5.002832").unwrap();
        let rows = run.push("cam-01", second, dir, at(24.5), &[]);
        assert_eq!(rows.len(), 2, "the first corrected, the second added");
        assert_eq!(rows[0].start_ms, provisional[0].start_ms);
        assert_eq!(rows[0].real_end_ms, rows[1].real_start_ms, "continuous");
        assert_eq!(rows[1].real_start_ms, at(22.4));
        assert_eq!(rows[0].real_end_ms - rows[0].real_start_ms, 3003);
        // A later line arriving sooner lowers the anchor for what follows.
        let third = parse_segment_line("/x/20261124T102524Z.mp4,5.002832,7.002832").unwrap();
        let rows = run.push("cam-01", third, dir, at(26.3), &[]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].real_start_ms, at(19.297) + 5_003);
        assert!(parse_segment_line("garbage").is_none());
    }

    #[test]
    fn a_run_is_placed_by_the_cameras_clock_when_it_is_believable() {
        let dir = Path::new("/nonexistent");
        let at = |s: f64| 1_795_487_100_000 + (s * 1000.0) as i64;
        let line = |name: &str, from: f64, to: f64| parse_segment_line(&format!("/x/{name}.mp4,{from},{to}")).unwrap();
        // Media zero arrived at :19.40 and was captured at :19.28; the first
        // file's first fragment carries the time it was written (:22.0),
        // later than it arrived, and is not believed.
        let mut run = SegmentRun::default();
        let first = run.push(
            "cam-01",
            line("20261124T102521Z", 0.0, 3.0),
            dir,
            at(22.4),
            &[at(22.0) as f64],
        );
        assert_eq!(
            first[0].real_start_ms,
            at(19.4),
            "by arrival until the camera's clock is known"
        );
        let rows = run.push(
            "cam-01",
            line("20261124T102522Z", 3.0, 5.0),
            dir,
            at(24.4),
            &[at(22.28) as f64, at(22.281) as f64],
        );
        assert_eq!(
            rows[0].real_start_ms,
            at(19.28),
            "the first file corrected to the camera's clock"
        );
        assert_eq!(rows[1].real_start_ms, at(22.28));
        assert_eq!(rows[0].real_end_ms, rows[1].real_start_ms, "continuous");
        // A camera whose clock is a minute slow, or ahead of arrival, is
        // placed by arrival.
        for wrong in [-60.0, 0.5] {
            let mut run = SegmentRun::default();
            run.push("cam-02", line("20261124T102521Z", 0.0, 3.0), dir, at(22.4), &[]);
            let rows = run.push(
                "cam-02",
                line("20261124T102522Z", 3.0, 5.0),
                dir,
                at(24.4),
                &[at(22.4 + wrong) as f64],
            );
            assert_eq!(rows[1].real_start_ms, at(22.4), "clock {wrong} s off");
        }
    }
}
