//! The frames of an open viewing session (scrub-only: watermarked stills,
//! never a video file). The frame for `t` is the last frame recorded at or
//! before `t`, of an approved camera inside the approved window; anything
//! else is refused and on record. Each session keeps the pictures it
//! decoded (scaled, at most [`CACHE_BYTES_PER_SESSION`]) so scrubbing back
//! and forth decodes nothing twice; at most [`DECODING_AT_ONCE`] decodes
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

use super::decode::{PLAYBACK_WIDTH, Picture, Want, decode};
use super::paths::{LONGEST_SEGMENT_MS, camera_dir, segment_file_name};
use super::viewing::{refuse, usable_session};
use super::watermark::{MarkBox, Marking, marked_jpeg};
use crate::base::error::{RecorderError, Result};
use crate::registers::{Registers, SignedIn};

/// Decoded pictures one session keeps (a 640×360 picture is 0.7 MB).
pub const CACHE_BYTES_PER_SESSION: usize = 64 * 1024 * 1024;
/// Decodes running at once, over every session.
pub const DECODING_AT_ONCE: usize = 2;

/// A served frame: the JPEG, where its watermark is, and its footage time.
pub struct Frame {
    pub jpeg: Vec<u8>,
    pub mark: MarkBox,
    pub at_ms: i64,
    pub keyframe: bool,
}

/// Pictures decoded in one go: consecutive frames of one camera, the last
/// one shown until `until_ms` (the next frame's time, or the segment's end).
struct Run {
    camera: String,
    pictures: Vec<Arc<Picture>>,
    until_ms: i64,
    used: u64,
}

#[derive(Default)]
struct SessionCache {
    runs: Vec<Run>,
    bytes: usize,
    clock: u64,
}

impl SessionCache {
    fn find(&mut self, camera: &str, t: i64) -> Option<Arc<Picture>> {
        self.clock += 1;
        let clock = self.clock;
        let run = self
            .runs
            .iter_mut()
            .find(|r| r.camera == camera && r.pictures.first().is_some_and(|p| p.at_ms <= t) && t < r.until_ms)?;
        run.used = clock;
        run.pictures.iter().rev().find(|p| p.at_ms <= t).cloned()
    }

    fn keep(&mut self, camera: &str, pictures: Vec<Arc<Picture>>, until_ms: i64) {
        self.clock += 1;
        self.bytes += pictures.iter().map(|p| p.bytes()).sum::<usize>();
        self.runs.push(Run {
            camera: camera.to_string(),
            pictures,
            until_ms,
            used: self.clock,
        });
        while self.bytes > CACHE_BYTES_PER_SESSION && self.runs.len() > 1 {
            let oldest = (0..self.runs.len()).min_by_key(|&i| self.runs[i].used).expect("runs");
            let gone = self.runs.remove(oldest);
            self.bytes -= gone.pictures.iter().map(|p| p.bytes()).sum::<usize>();
        }
    }
}

/// Every session's decoded pictures, and the decode slots.
pub struct Playback {
    decoding: Arc<tokio::sync::Semaphore>,
    sessions: Mutex<HashMap<String, SessionCache>>,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            decoding: Arc::new(tokio::sync::Semaphore::new(DECODING_AT_ONCE)),
            sessions: Mutex::new(HashMap::new()),
        }
    }
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

    /// How many pictures `session` holds (for tests and the bench).
    pub fn pictures_held(&self, session: &str) -> usize {
        self.cache()
            .get(session)
            .map(|c| c.runs.iter().map(|r| r.pictures.len()).sum())
            .unwrap_or(0)
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
    playback: &Playback,
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
    playback: &Playback,
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
    let _slot = playback.decode_slot()?;
    let file: PathBuf = camera_dir(data, camera).join(segment_file_name(segment.start_ms));
    let start = segment.real_start_ms;
    let decoded = tokio::task::spawn_blocking(move || decode(&file, start, t, want, PLAYBACK_WIDTH))
        .await
        .map_err(RecorderError::internal)??;
    let until_ms = match want {
        Want::Exact | Want::Ahead | Want::Last => decoded.next_at_ms.unwrap_or(segment.real_end_ms),
        // A keyframe alone: only its own time is known to show it.
        Want::Keyframe => decoded.pictures.first().map(|p| p.at_ms + 1).unwrap_or(t),
    };
    let picture = decoded
        .pictures
        .iter()
        .rev()
        .find(|p| p.at_ms <= t)
        .or(decoded.pictures.first())
        .cloned()
        .ok_or_else(|| RecorderError::not_found("No footage", "the footage file holds no frame at this time"))?;
    playback
        .cache()
        .entry(session.to_string())
        .or_default()
        .keep(camera, decoded.pictures, until_ms);
    Ok(picture)
}
