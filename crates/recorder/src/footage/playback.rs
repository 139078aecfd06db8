//! The frames of an open viewing session (scrub-only: watermarked stills,
//! never a video file). The frame for `t` is the last frame recorded at or
//! before `t`, of an approved camera inside the approved window; anything
//! else is refused and on record. Each session keeps what it decoded and
//! the segments in view open ([`super::frame_cache`]), so scrubbing back
//! and forth decodes nothing twice and an exact frame after its preview or
//! a step forward decodes on; at most [`DECODING_AT_ONCE`] decodes
//! run at once, beyond that `503` with `Retry-After`. Each second served is
//! on record before its frame is sent (`db::viewings`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use custos_api::viewing::FrameQuery;
use custos_core::application::ApplicationCase;
use custos_core::documents::{self as docs, CURRENT, DocKey};
use custos_core::ids::EntryId;
use custos_core::time::Timestamp;

use super::decode::{Picture, SegmentReader, Want, decode};
use super::frame_cache::SessionCache;
use super::paths::{LONGEST_SEGMENT_MS, camera_dir, segment_file_name};
use super::viewing::{refuse, usable_session};
use super::watermark::{MarkBox, Marking, marked_jpeg};
use crate::base::error::{RecorderError, Result};
use crate::registers::{Registers, SignedIn};

/// Decodes running at once, over every session.
pub const DECODING_AT_ONCE: usize = 2;
/// After an exact frame, this much of the footage in the scrub's direction
/// is decoded ahead while the recorder has nothing else to decode.
pub const PREFETCH_MS: i64 = 1_000;

/// A served frame: the JPEG, where its watermark is, and its footage time.
pub struct Frame {
    pub jpeg: Vec<u8>,
    pub mark: MarkBox,
    pub at_ms: i64,
    pub keyframe: bool,
}

/// Every session's decoded pictures, the decode slots, and the one
/// prefetch that may run while no slot is taken.
pub struct Playback {
    decoding: Arc<tokio::sync::Semaphore>,
    prefetching: Arc<tokio::sync::Semaphore>,
    sessions: Mutex<HashMap<String, SessionCache>>,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            decoding: Arc::new(tokio::sync::Semaphore::new(DECODING_AT_ONCE)),
            prefetching: Arc::new(tokio::sync::Semaphore::new(1)),
            sessions: Mutex::new(HashMap::new()),
        }
    }
}

/// The segment a frame came from, as the index has it.
#[derive(Clone)]
pub struct SegmentAt {
    pub file: PathBuf,
    /// Its name (the nominal start) and where its footage starts and ends.
    pub name_ms: i64,
    pub real_start_ms: i64,
    pub real_end_ms: i64,
}

impl Playback {
    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionCache>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One of the [`DECODING_AT_ONCE`] decode slots, or `503` with `Retry-After`.
    fn decode_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        self.decoding
            .clone()
            .try_acquire_owned()
            .map_err(|_| RecorderError::Unavailable {
                detail: "the recorder is decoding frames for other viewings; try again in a moment".into(),
                retry_after_s: 1,
            })
    }

    /// Drops a session's pictures (its end: no copy is kept).
    pub fn forget(&self, session: &str) {
        self.cache().remove(session);
    }

    /// Drops the pictures of every session no longer open.
    fn forget_closed(&self, registers: &Registers) -> Result<()> {
        let open: Vec<String> = registers
            .store
            .open_viewing_sessions()?
            .into_iter()
            .map(|s| s.id)
            .collect();
        self.cache().retain(|id, _| open.contains(id));
        Ok(())
    }

    /// Decodes the [`PREFETCH_MS`] a session will likely ask for next, from
    /// `from`, on the session's open segment, while no decode slot is taken:
    /// it never takes one, so no frame anybody waits for is refused for it,
    /// and what it decodes is kept only while the session is still open.
    pub async fn prefetch(self: Arc<Self>, session: String, camera: String, segment: SegmentAt, from: i64) {
        if self.decoding.available_permits() < DECODING_AT_ONCE {
            return;
        }
        let Ok(_turn) = self.prefetching.clone().try_acquire_owned() else {
            return;
        };
        let (name_ms, start) = (segment.name_ms, segment.real_start_ms);
        let open = match self.cache().get_mut(&session) {
            Some(kept) => kept.take_open(&camera, name_ms, start),
            None => return,
        };
        let file = segment.file.clone();
        let decoded =
            tokio::task::spawn_blocking(move || SegmentReader::reuse_or_open(open, &file, start, from, Want::Ahead))
                .await;
        let Ok(Ok((reader, decoded))) = decoded else {
            return;
        };
        let mut cache = self.cache();
        if let Some(kept) = cache.get_mut(&session) {
            kept.keep(
                &camera,
                decoded.pictures,
                decoded.next_at_ms.unwrap_or(segment.real_end_ms),
            );
            kept.put_open(&camera, name_ms, start, reader);
        }
    }
}

/// The case of a session's application as the recorder holds it.
fn session_case(registers: &Registers, application: &str) -> Result<ApplicationCase> {
    let id: EntryId = application
        .parse()
        .map_err(|_| RecorderError::internal("a session names a malformed application"))?;
    let doc = registers
        .document(&DocKey::ApplicationCase(id))?
        .ok_or_else(|| RecorderError::internal("a session's application is missing"))?;
    docs::get_entry(&doc, docs::CASE, CURRENT)?.ok_or_else(|| RecorderError::internal("a session's case is missing"))
}

fn marking_for(registers: &Registers, case: &ApplicationCase, escort: &str, opened_ms: i64) -> Result<Marking> {
    let site = registers.site()?;
    let escort = escort
        .parse()
        .ok()
        .and_then(|id| site.person(&id))
        .map(|p| p.name.clone())
        .unwrap_or_else(|| escort.to_string());
    let viewer = case
        .viewer
        .clone()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| case.applicant_name.clone());
    Ok(Marking {
        application: case
            .id
            .to_string()
            .chars()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
        viewer,
        escort,
        viewing_at: Timestamp(opened_ms),
    })
}

/// The frame of `query.camera` for `query.t` in `session`, for `who`.
pub async fn frame(
    registers: &Registers,
    playback: &Arc<Playback>,
    data: &Path,
    who: &SignedIn,
    session: &str,
    query: &FrameQuery,
) -> Result<Frame> {
    let row = usable_session(registers, who, session).await?;
    let case = session_case(registers, &row.application)?;
    let outside = |why: &str| {
        refuse(
            registers,
            who,
            "outside_approval",
            session,
            RecorderError::forbidden(format!("{why}: only the approved cameras and window are shown")),
        )
    };
    if !case.cameras.iter().any(|c| c.as_str() == query.camera) {
        return Err(outside("this camera is not in the approved application"));
    }
    if query.t < case.window.start.0 || query.t >= case.window.end.0 {
        return Err(outside("this time is outside the approved window"));
    }
    let want = match query.mode.as_deref() {
        Some("keyframe") => Want::Keyframe,
        None | Some("exact") => Want::Exact,
        Some("play") => Want::Ahead,
        Some(_) => {
            return Err(RecorderError::BadRequest(
                "mode is `keyframe`, `exact` or `play`".into(),
            ));
        }
    };
    let cached = playback
        .cache()
        .entry(row.id.clone())
        .or_default()
        .find(&query.camera, query.t);
    let picture = match cached {
        Some(picture) => picture,
        None => {
            playback.forget_closed(registers)?;
            decode_for(registers, playback, data, &row.id, &query.camera, query.t, want).await?
        }
    };
    let marking = marking_for(registers, &case, &row.escort, row.opened_ms)?;
    // On record before it is sent: the entry lists at least what was shown.
    let second = picture.at_ms - picture.at_ms.rem_euclid(1000);
    registers
        .store
        .viewing_served(&row.id, &query.camera, second, registers.now())?;
    let (at_ms, keyframe) = (picture.at_ms, picture.keyframe);
    let (jpeg, mark) = tokio::task::spawn_blocking(move || marked_jpeg(&picture, &marking))
        .await
        .map_err(RecorderError::internal)??;
    Ok(Frame {
        jpeg,
        mark,
        at_ms,
        keyframe,
    })
}

/// Thumbnails in the scrubber's strip, and their width.
pub const STRIP_THUMBNAILS: usize = 10;
const THUMBNAIL_WIDTH: u32 = 160;

/// The scrubber's strip for `camera`: the keyframe nearest each of
/// [`STRIP_THUMBNAILS`] points spread over the recorded part of the window,
/// side by side, watermarked like every frame. Each is footage shown, so
/// each is on record as served.
pub async fn strip(
    registers: &Registers,
    playback: &Playback,
    data: &Path,
    who: &SignedIn,
    session: &str,
    camera: &str,
) -> Result<Frame> {
    let row = usable_session(registers, who, session).await?;
    let case = session_case(registers, &row.application)?;
    if !case.cameras.iter().any(|c| c.as_str() == camera) {
        return Err(refuse(
            registers,
            who,
            "outside_approval",
            session,
            RecorderError::forbidden("this camera is not in the approved application"),
        ));
    }
    let segments =
        registers
            .store
            .segments_in_window(camera, case.window.start.0, case.window.end.0, LONGEST_SEGMENT_MS)?;
    let (from, to) = (case.window.start.0, case.window.end.0);
    let step = (to - from) / STRIP_THUMBNAILS as i64;
    let mut wanted = Vec::new();
    for i in 0..STRIP_THUMBNAILS as i64 {
        let t = from + step * i + step / 2;
        if let Some(s) = segments.iter().find(|s| s.real_start_ms <= t && t < s.real_end_ms) {
            let file = camera_dir(data, camera).join(segment_file_name(s.start_ms));
            wanted.push((file, s.real_start_ms, t));
        }
    }
    if wanted.is_empty() {
        return Err(RecorderError::not_found(
            "No footage",
            "nothing of this camera is recorded in the window",
        ));
    }
    let _slot = playback.decode_slot()?;
    let thumbnails = tokio::task::spawn_blocking(move || -> Result<Vec<Arc<Picture>>> {
        let mut out = Vec::new();
        for (file, start, t) in wanted {
            let decoded = decode(&file, start, t, Want::Keyframe, THUMBNAIL_WIDTH)?;
            out.extend(decoded.pictures.into_iter().next());
        }
        Ok(out)
    })
    .await
    .map_err(RecorderError::internal)??;
    let height = thumbnails.iter().map(|p| p.height).max().unwrap_or(2);
    let width = THUMBNAIL_WIDTH * STRIP_THUMBNAILS as u32;
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    for (i, picture) in thumbnails.iter().enumerate() {
        for y in 0..picture.height.min(height) {
            let src = (y * picture.width * 3) as usize;
            let dst = ((y * width + i as u32 * THUMBNAIL_WIDTH) * 3) as usize;
            rgb[dst..dst + (picture.width * 3) as usize]
                .copy_from_slice(&picture.rgb[src..src + (picture.width * 3) as usize]);
        }
        let second = picture.at_ms - picture.at_ms.rem_euclid(1000);
        registers
            .store
            .viewing_served(&row.id, camera, second, registers.now())?;
    }
    let composed = Picture {
        at_ms: from,
        width,
        height,
        rgb,
        keyframe: true,
    };
    let marking = marking_for(registers, &case, &row.escort, row.opened_ms)?;
    let (jpeg, mark) = tokio::task::spawn_blocking(move || marked_jpeg(&composed, &marking))
        .await
        .map_err(RecorderError::internal)??;
    Ok(Frame {
        jpeg,
        mark,
        at_ms: from,
        keyframe: true,
    })
}

/// Decodes the segment of `camera` holding `t` and keeps what it decoded.
async fn decode_for(
    registers: &Registers,
    playback: &Arc<Playback>,
    data: &Path,
    session: &str,
    camera: &str,
    t: i64,
    want: Want,
) -> Result<Arc<Picture>> {
    let segment = registers
        .store
        .segments_in_window(camera, t, t + 1, LONGEST_SEGMENT_MS)?
        .into_iter()
        .rfind(|s| s.real_start_ms <= t)
        .filter(|s| t < s.real_end_ms)
        .ok_or_else(|| {
            RecorderError::not_found("No footage", "nothing was recorded at this time (a gap in the footage)")
        })?;
    let slot = playback.decode_slot()?;
    let at = SegmentAt {
        file: camera_dir(data, camera).join(segment_file_name(segment.start_ms)),
        name_ms: segment.start_ms,
        real_start_ms: segment.real_start_ms,
        real_end_ms: segment.real_end_ms,
    };
    let (name_ms, start) = (at.name_ms, at.real_start_ms);
    let open = playback
        .cache()
        .entry(session.to_string())
        .or_default()
        .take_open(camera, name_ms, start);
    let file = at.file.clone();
    let (reader, decoded) =
        tokio::task::spawn_blocking(move || SegmentReader::reuse_or_open(open, &file, start, t, want))
            .await
            .map_err(RecorderError::internal)??;
    drop(slot);
    let until_ms = match want {
        Want::Exact | Want::Ahead | Want::Last => decoded.next_at_ms.unwrap_or(at.real_end_ms),
        // A keyframe alone: only its own time is known to show it.
        Want::Keyframe => decoded.pictures.first().map(|p| p.at_ms + 1).unwrap_or(t),
    };
    let picture = decoded
        .shown_at(t)
        .cloned()
        .ok_or_else(|| RecorderError::not_found("No footage", "the footage file holds no frame at this time"))?;
    let forward = {
        let mut cache = playback.cache();
        let kept = cache.entry(session.to_string()).or_default();
        kept.keep(camera, decoded.pictures, until_ms);
        kept.put_open(camera, name_ms, start, reader);
        kept.exact_moved_forward(camera, t)
    };
    // After an exact frame (a scrub released, a step), the next second in
    // the scrub's direction, decoded while the recorder is idle.
    if want == Want::Exact {
        let from = if forward {
            until_ms
        } else {
            (t - PREFETCH_MS).max(start)
        };
        if from < at.real_end_ms && (forward || from < picture.at_ms) {
            tokio::spawn(
                playback
                    .clone()
                    .prefetch(session.to_string(), camera.to_string(), at, from),
            );
        }
    }
    Ok(picture)
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_795_485_600_000;

    /// Four seconds of 25 fps footage, a keyframe every second, as a segment.
    fn segment(dir: &Path) -> SegmentAt {
        let file = dir.join("segment.mp4");
        crate::footage::testing::encode_footage(&file, "testsrc2=size=320x180:rate=25:duration=4", 25);
        SegmentAt {
            file,
            name_ms: START,
            real_start_ms: START,
            real_end_ms: START + 4_000,
        }
    }

    fn held(playback: &Playback, t: i64) -> bool {
        playback
            .cache()
            .get_mut("s1")
            .and_then(|c| c.find("cam-01", t))
            .is_some()
    }

    #[tokio::test]
    async fn the_next_second_is_decoded_ahead_only_while_the_recorder_is_idle_and_the_session_open() {
        let dir = tempfile::tempdir().unwrap();
        let at = segment(dir.path());
        let playback = Arc::new(Playback::default());
        playback.cache().insert("s1".into(), SessionCache::default());
        let prefetch = |from: i64| {
            playback
                .clone()
                .prefetch("s1".into(), "cam-01".into(), at.clone(), from)
        };

        prefetch(START + 1_000).await;
        assert!(
            held(&playback, START + 1_000) && held(&playback, START + 1_960),
            "the second from 1 s"
        );
        assert!(!held(&playback, START + 2_100), "no more than a second");

        // Both decode slots taken (frames somebody waits for): nothing.
        let slots = playback
            .decoding
            .clone()
            .acquire_many_owned(DECODING_AT_ONCE as u32)
            .await
            .unwrap();
        prefetch(START + 2_500).await;
        assert!(!held(&playback, START + 2_600));
        drop(slots);

        // The session ended meanwhile: nothing kept, nothing made again.
        playback.forget("s1");
        prefetch(START + 2_500).await;
        assert!(playback.cache().get("s1").is_none());
    }

    #[test]
    fn the_scrubs_direction_is_that_of_its_last_exact_frames() {
        let mut kept = SessionCache::default();
        assert!(
            kept.exact_moved_forward("cam-01", START + 5_000),
            "the first goes forward"
        );
        assert!(kept.exact_moved_forward("cam-01", START + 5_100));
        assert!(!kept.exact_moved_forward("cam-01", START + 2_000), "back");
        assert!(kept.exact_moved_forward("cam-02", START), "each camera its own");
        assert!(kept.exact_moved_forward("cam-01", START + 2_040));
    }
}
