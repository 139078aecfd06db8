//! Recording (DESIGN §5): each camera read in process over RTSP
//! ([`super::camera_link`]), its frames placed in time ([`Placement`]) and
//! written as they come into fragmented MP4 segments
//! ([`super::segment_writer`]), cut at the first keyframe at or after each
//! clock boundary, each indexed and sealed ([`super::seal`]) as it closes.
//! A camera that fails or falls silent is reconnected with backoff. Paths
//! are derived from the camera and the start time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::camera_link::{CameraLink, LinkError, Sample, VideoTrack};
use super::paths::{camera_dir, segment_file_name};
use super::seal::seal_segment;
use super::segment_writer::{SegmentWriter, sample_us};
use crate::db::Store;
use crate::db::segments::SegmentRow;
use crate::registers::Registers;

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

/// Records one camera until the task is dropped; reconnects with backoff
/// (1 s doubling to 30 s, back to 1 s after a minute of recording).
pub async fn record_camera(store: Arc<Store>, data: PathBuf, camera: String, url: String, recording: Recording) {
    let dir = camera_dir(&data, &camera);
    let mut backoff = Duration::from_secs(1);
    loop {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::error!("camera {camera}: cannot create {}: {e}", dir.display());
        }
        let started = tokio::time::Instant::now();
        let why = match CameraLink::open(&url).await {
            Ok(link) => {
                tracing::info!("camera {camera}: recording {}", redact_credentials(&url));
                let mut run = CameraRun {
                    store: &store,
                    data: &data,
                    camera: &camera,
                    dir: &dir,
                    recording,
                    placement: Placement::default(),
                    open: None,
                };
                run.record(link).await
            }
            Err(e) => e,
        };
        if started.elapsed() > Duration::from_secs(60) {
            backoff = Duration::from_secs(1);
        }
        let now = custos_clock::Clock::now(&custos_clock::SystemClock).0;
        if let Err(e) = store.set_camera_link_problem(&camera, why.kind(), now) {
            tracing::error!("camera {camera}: its problem could not be recorded for health: {e}");
        }
        tracing::warn!(
            "camera {camera}: {}; trying again in {backoff:?}",
            redact_credentials(&why.to_string())
        );
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// The segment being written.
struct OpenSegment {
    writer: SegmentWriter,
    track: VideoTrack,
    /// The file name's time (ms, to the second).
    name_ms: i64,
    /// Media time of its first frame (ms), placed when it closes: the
    /// camera's first sender reports may still be refining the placement
    /// when it opens.
    first_media_ms: f64,
    /// Media time of its newest video frame, and the interval before it.
    last_media_ms: f64,
    interval_ms: f64,
    /// The first keyframe at or after this time starts the next segment.
    cut_ms: f64,
}

/// One connection's recording of a camera.
struct CameraRun<'a> {
    store: &'a Arc<Store>,
    data: &'a Path,
    camera: &'a str,
    dir: &'a Path,
    recording: Recording,
    placement: Placement,
    open: Option<OpenSegment>,
}

impl CameraRun<'_> {
    /// Writes the camera's frames until the link fails; says why.
    async fn record(&mut self, mut link: CameraLink) -> LinkError {
        loop {
            let sample = match link.next().await {
                Ok(sample) => sample,
                Err(e) => return e,
            };
            // The system's clock, never a simulated one: footage is placed
            // where it happened, against the cameras' own clocks (the tests
            // that simulate time record nothing: `--no-recording`).
            let arrival_ms = custos_clock::Clock::now(&custos_clock::SystemClock).0 as f64;
            let media_ms = sample_us(&sample) as f64 / 1000.0;
            let placed_ms = if sample.video {
                self.placement
                    .place(self.camera, media_ms, arrival_ms, sample.capture_ms)
            } else {
                self.placement.at(media_ms)
            };
            if sample.video && sample.keyframe {
                let track = link.video();
                let cut = match (&self.open, &track) {
                    (_, None) => continue,
                    (None, Some(_)) => true,
                    (Some(open), Some(track)) => placed_ms >= open.cut_ms || *track != open.track,
                };
                if cut {
                    self.close(Some(placed_ms), Seal::InBackground);
                    if let Some(track) = track {
                        self.start(track, link.audio().as_ref(), &sample, media_ms, placed_ms);
                    }
                }
            }
            let Some(open) = self.open.as_mut() else {
                continue;
            };
            if sample.video && media_ms > open.last_media_ms {
                open.interval_ms = media_ms - open.last_media_ms;
                open.last_media_ms = media_ms;
            }
            if let Err(e) = open.writer.write(&sample, (placed_ms * 1000.0) as i64) {
                tracing::error!("camera {}: {e}", self.camera);
                self.close(None, Seal::InBackground);
            }
        }
    }

    /// Opens a segment at keyframe `first` (at `media_ms`), placed at `placed_ms`.
    fn start(
        &mut self,
        track: VideoTrack,
        audio: Option<&super::camera_link::AudioTrack>,
        first: &Sample,
        media_ms: f64,
        placed_ms: f64,
    ) {
        // Named by its first frame's second; a reconnection within the
        // second a segment began takes the next free second.
        let mut name_ms = (placed_ms as i64).div_euclid(1000) * 1000;
        while self.dir.join(segment_file_name(name_ms)).exists() {
            name_ms += 1000;
        }
        let path = self.dir.join(segment_file_name(name_ms));
        let segment_ms = f64::from(self.recording.segment_seconds.max(1)) * 1000.0;
        match SegmentWriter::create(&path, &track, audio, first) {
            Ok(writer) => {
                self.open = Some(OpenSegment {
                    writer,
                    track,
                    name_ms,
                    first_media_ms: media_ms,
                    last_media_ms: media_ms,
                    interval_ms: 0.0,
                    cut_ms: cut_after(placed_ms, segment_ms),
                })
            }
            Err(e) => tracing::error!("camera {}: {e}", self.camera),
        }
    }

    /// Closes the open segment, if any, ending where the next begins
    /// (`next_ms`) or one frame after its last; indexes and seals it.
    fn close(&mut self, next_ms: Option<f64>, when: Seal) {
        let Some(open) = self.open.take() else {
            return;
        };
        let end_ms = next_ms.unwrap_or_else(|| self.placement.at(open.last_media_ms + open.interval_ms));
        let path = match open.writer.finish() {
            Ok(path) => path,
            Err(e) => {
                tracing::error!("camera {}: {e}", self.camera);
                return;
            }
        };
        let row = SegmentRow {
            camera_id: self.camera.to_string(),
            start_ms: open.name_ms,
            real_start_ms: self.placement.at(open.first_media_ms).round() as i64,
            real_end_ms: end_ms.round() as i64,
            bytes: std::fs::metadata(&path).map(|m| m.len() as i64).unwrap_or(0),
        };
        index(self.store, self.camera, &row);
        if self.recording.seal {
            seal(self.store, self.data, row, when);
        }
    }
}

/// Where a segment starting at `start_ms` is cut: the next clock boundary,
/// or the one after when the next is less than half a segment away (a
/// run's first segment starts anywhere; a sliver of a second is too short
/// for the picture check's detectors).
fn cut_after(start_ms: f64, segment_ms: f64) -> f64 {
    let next = ((start_ms / segment_ms).floor() + 1.0) * segment_ms;
    if next - start_ms < segment_ms / 2.0 {
        next + segment_ms
    } else {
        next
    }
}

/// A run ends by its link failing, or by its task being dropped (the
/// camera taken off the register, the recording process stopping): either
/// way the open segment is closed and indexed.
impl Drop for CameraRun<'_> {
    fn drop(&mut self) {
        // Sealed here and now: the process may be stopping, and a blocking
        // task spawned as the runtime shuts down never runs.
        self.close(None, Seal::Now);
    }
}

/// When a closed segment is sealed.
#[derive(Clone, Copy, PartialEq)]
enum Seal {
    /// Off the recording task's thread.
    InBackground,
    /// Before `close` returns.
    Now,
}

/// Where a run's frames are placed in time. The recorder's clock when a
/// frame arrives, less its media time, is media time zero plus the delay
/// from camera to recorder; the least such value over the last minute or
/// two is the arrival anchor (a window, so that a step of the recorder's
/// clock is followed). Better is the camera's own clock, from its newest
/// sender report: believed when it says the frame was captured before it
/// arrived and at most [`MAX_CAMERA_DELAY_MS`] before the arrival anchor.
/// The newest report, not the first: a camera's clock is corrected by its
/// time server and drifts from its RTP clock, and each report says what it
/// is now.
#[derive(Debug, Default)]
pub struct Placement {
    /// Least arrival less media time in the current window, and in the
    /// one before it.
    least: Option<f64>,
    least_before: Option<f64>,
    /// Recorder time (ms) the current window began.
    window_from_ms: f64,
    /// Camera time (ms) of media time zero, once its clock is believed.
    capture: Option<f64>,
    /// A wrong camera clock has been logged.
    warned: bool,
}

/// The longest a frame takes from a camera's sensor to the recorder
/// (encoder, network): a camera clock that says more has the wrong time,
/// and its footage is placed by arrival.
pub const MAX_CAMERA_DELAY_MS: f64 = 2_000.0;

/// How long a least delay anchors arrival placement before a newer one
/// replaces it.
const ARRIVAL_WINDOW_MS: f64 = 60_000.0;

impl Placement {
    /// The time (ms since 1970) of a video frame at `media_ms` that arrived
    /// at `arrival_ms`, which the camera says it captured at `capture_ms`.
    pub fn place(&mut self, camera: &str, media_ms: f64, arrival_ms: f64, capture_ms: Option<f64>) -> f64 {
        let candidate = arrival_ms - media_ms;
        if self.least.is_none() || arrival_ms - self.window_from_ms >= ARRIVAL_WINDOW_MS {
            self.least_before = self.least.take();
            self.window_from_ms = arrival_ms;
        }
        self.least = Some(self.least.map_or(candidate, |l| l.min(candidate)));
        let arrival = self.arrival().unwrap_or(candidate);
        if let Some(origin) = capture_ms.map(|c| c - media_ms) {
            if origin <= candidate && origin >= arrival - MAX_CAMERA_DELAY_MS {
                match self.capture {
                    None => tracing::info!(
                        "camera {camera}: placed by its own clock, {:.0} ms before arrival",
                        arrival - origin
                    ),
                    Some(before) if (origin - before).abs() >= 1_000.0 => {
                        tracing::info!("camera {camera}: its clock moved {:+.1} s", (origin - before) / 1000.0)
                    }
                    Some(_) => {}
                }
                self.capture = Some(origin);
            } else if self.capture.is_none() && !self.warned && (origin - arrival).abs() > 10_000.0 {
                self.warned = true;
                tracing::warn!(
                    "camera {camera}: its clock is {:.1} s off the recorder's; placing its footage by arrival (set the camera's time server)",
                    (origin - arrival) / 1000.0
                );
            }
        }
        self.at(media_ms)
    }

    /// Recorder time of media time zero: the least delay of the current
    /// window and the one before.
    fn arrival(&self) -> Option<f64> {
        [self.least, self.least_before].into_iter().flatten().reduce(f64::min)
    }

    /// The time of media time `media_ms` with what is known so far.
    pub fn at(&self, media_ms: f64) -> f64 {
        self.capture.or_else(|| self.arrival()).unwrap_or_default() + media_ms
    }
}

/// Seals a closed segment (hashes it into the footage log); a failure is
/// logged, and the start-up reconcile seals what the last hour left
/// unsealed.
fn seal(store: &Arc<Store>, data: &Path, row: SegmentRow, when: Seal) {
    let (store, data) = (store.clone(), data.to_path_buf());
    let seal = move || {
        let now = custos_clock::Clock::now(&custos_clock::SystemClock);
        if let Err(err) = seal_segment(&store, &data, &row, now) {
            tracing::error!(
                "camera {}: cannot seal {}: {err}",
                row.camera_id,
                segment_file_name(row.start_ms)
            );
        }
    };
    match (when, tokio::runtime::Handle::try_current()) {
        (Seal::InBackground, Ok(runtime)) => drop(runtime.spawn_blocking(seal)),
        _ => seal(),
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

/// Between the first connections of cameras started together.
const CONNECT_STAGGER: Duration = Duration::from_millis(100);

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
            let mut starting = 0u32;
            for (camera, url) in wanted {
                if let std::collections::hash_map::Entry::Vacant(slot) = running.entry(camera.clone()) {
                    // Cameras started together connect one after another
                    // (a site's worth of DESCRIBEs at once has crashed an
                    // RTSP server sharing one stream among them).
                    let stagger = CONNECT_STAGGER * starting;
                    starting += 1;
                    let (store, data, address) = (store.clone(), data.clone(), url.clone());
                    let task = tokio::spawn(async move {
                        tokio::time::sleep(stagger).await;
                        record_camera(store, data, camera, address, recording).await
                    });
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
    fn segments_are_cut_at_clock_boundaries_and_never_start_as_a_sliver() {
        let minute = 60_000.0;
        // A keyframe just after the minute: cut at the next minute.
        assert_eq!(cut_after(10.0 * minute + 400.0, minute), 11.0 * minute);
        // A run starting 20 s before a minute runs on to the one after.
        assert_eq!(cut_after(10.0 * minute + 40_000.0, minute), 12.0 * minute);
        assert_eq!(cut_after(10.0 * minute + 30_000.0, minute), 11.0 * minute);
    }

    #[test]
    fn frames_are_placed_by_the_least_delay_until_the_cameras_clock_is_believable() {
        let at = |s: f64| 1_795_487_100_000.0 + s * 1000.0; // 2026-11-24 10:25:00 UTC + s
        let mut placement = Placement::default();
        // Media zero arrived 0.4 s late at first, then 0.1 s: the anchor is
        // the least delay.
        assert_eq!(placement.place("cam-01", 0.0, at(0.4), None), at(0.4));
        assert_eq!(placement.place("cam-01", 1000.0, at(1.1), None), at(1.1));
        assert_eq!(placement.place("cam-01", 2000.0, at(2.3), None), at(2.1));
        // The camera says it captured media zero at 0.02 s: believed, and
        // everything after is placed by it.
        assert_eq!(placement.place("cam-01", 3000.0, at(3.2), Some(at(3.02))), at(3.02));
        assert_eq!(placement.at(4000.0), at(4.02), "audio too");
        // A camera clock a minute slow, or ahead of arrival, is not believed.
        for wrong in [-60.0, 0.5] {
            let mut placement = Placement::default();
            placement.place("cam-02", 0.0, at(0.1), None);
            let placed = placement.place("cam-02", 1000.0, at(1.1), Some(at(1.1 + wrong)));
            assert_eq!(placed, at(1.1), "clock {wrong} s off");
        }
    }

    #[test]
    fn a_cameras_clock_is_followed_as_its_reports_move_it() {
        let at = |s: f64| 1_795_487_100_000.0 + s * 1000.0;
        let mut placement = Placement::default();
        assert_eq!(placement.place("cam-01", 0.0, at(0.1), Some(at(0.05))), at(0.05));
        // Its time server moves its clock 30 ms on, then 20 ms back from
        // there: each report is believed as it comes, not the least of them.
        assert_eq!(placement.place("cam-01", 5000.0, at(5.1), Some(at(5.08))), at(5.08));
        assert_eq!(placement.at(6000.0), at(6.08));
        assert_eq!(
            placement.place("cam-01", 10_000.0, at(10.1), Some(at(10.06))),
            at(10.06)
        );
        // A report that would put a frame after its arrival is not, and
        // the one before it stands.
        assert_eq!(placement.place("cam-01", 11_000.0, at(11.1), Some(at(11.3))), at(11.06));
    }

    #[test]
    fn a_step_of_the_recorders_clock_is_followed_within_two_minutes() {
        let at = |s: f64| 1_795_487_100_000.0 + s * 1000.0;
        let mut placement = Placement::default();
        assert_eq!(placement.place("cam-01", 0.0, at(0.1), None), at(0.1));
        // The recorder's clock is set 10 s on at 30 s: footage stays on the
        // old anchor for the window and the one after, then follows.
        let media = |s: f64| s * 1000.0;
        assert_eq!(placement.place("cam-01", media(30.0), at(40.1), None), at(30.1));
        assert_eq!(placement.place("cam-01", media(100.0), at(110.1), None), at(100.1));
        assert_eq!(placement.place("cam-01", media(170.0), at(180.1), None), at(180.1));
    }
}
