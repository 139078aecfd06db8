//! What one viewing session keeps between its frames: the pictures it
//! decoded (scaled, at most [`CACHE_BYTES_PER_SESSION`], least recently
//! used out), so scrubbing back over them decodes nothing; and the segment
//! in view of each of its last cameras, open ([`SegmentReader`]), so the
//! next frame decodes on from the last. All of it is dropped when the
//! session ends: no copy is kept.

use std::sync::Arc;

use super::decode::{Picture, SegmentReader};

/// Decoded pictures one session keeps (a 640×360 picture is 0.7 MB).
pub const CACHE_BYTES_PER_SESSION: usize = 64 * 1024 * 1024;
/// Segments one session keeps open to decode on from (one per camera, the
/// cameras most recently shown): a 720p decoder holds a few reference frames.
pub const OPEN_SEGMENTS_PER_SESSION: usize = 2;

/// Pictures decoded in one go: consecutive frames of one camera, the last
/// one shown until `until_ms` (the next frame's time, or the segment's end).
struct Run {
    camera: String,
    pictures: Vec<Arc<Picture>>,
    until_ms: i64,
    used: u64,
}

/// A segment a session keeps open, positioned after the frames it last decoded.
struct OpenSegment {
    camera: String,
    /// The segment's name and where its footage starts, as it was opened.
    start_ms: i64,
    real_start_ms: i64,
    reader: SegmentReader,
}

#[derive(Default)]
pub struct SessionCache {
    runs: Vec<Run>,
    bytes: usize,
    clock: u64,
    open: Vec<OpenSegment>,
    /// The last exact frame asked of each camera: where the scrub is going.
    last_exact: Vec<(String, i64)>,
}

impl SessionCache {
    pub fn find(&mut self, camera: &str, t: i64) -> Option<Arc<Picture>> {
        self.clock += 1;
        let clock = self.clock;
        let run = self
            .runs
            .iter_mut()
            .find(|r| r.camera == camera && r.pictures.first().is_some_and(|p| p.at_ms <= t) && t < r.until_ms)?;
        run.used = clock;
        run.pictures.iter().rev().find(|p| p.at_ms <= t).cloned()
    }

    pub fn keep(&mut self, camera: &str, pictures: Vec<Arc<Picture>>, until_ms: i64) {
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

    /// Notes an exact frame asked of `camera` at `t`: whether the scrub went
    /// forward (or this is its first), not back.
    pub fn exact_moved_forward(&mut self, camera: &str, t: i64) -> bool {
        match self.last_exact.iter_mut().find(|(c, _)| c == camera) {
            Some((_, last)) => std::mem::replace(last, t) <= t,
            None => {
                self.last_exact.push((camera.to_string(), t));
                true
            }
        }
    }

    /// The open segment of `camera` starting at `start_ms` (taken while it decodes).
    pub fn take_open(&mut self, camera: &str, start_ms: i64, real_start_ms: i64) -> Option<SegmentReader> {
        let at = self
            .open
            .iter()
            .position(|o| o.camera == camera && o.start_ms == start_ms && o.real_start_ms == real_start_ms)?;
        Some(self.open.remove(at).reader)
    }

    pub fn put_open(&mut self, camera: &str, start_ms: i64, real_start_ms: i64, reader: SegmentReader) {
        self.open.retain(|o| o.camera != camera);
        self.open.push(OpenSegment {
            camera: camera.to_string(),
            start_ms,
            real_start_ms,
            reader,
        });
        if self.open.len() > OPEN_SEGMENTS_PER_SESSION {
            self.open.remove(0);
        }
    }
}
