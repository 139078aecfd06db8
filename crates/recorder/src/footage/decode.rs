//! Frames of a recorded segment, decoded in process with FFmpeg's libraries
//! (ffmpeg-next): seek to the keyframe at or before a time, decode forward,
//! scale to a width. A segment's timestamps start at zero at its recorded
//! start (`-reset_timestamps 1`), so a frame's footage time is the
//! segment's real start plus its presentation time.

use std::path::Path;
use std::sync::{Arc, Once};

use ffmpeg::format::Pixel;
use ffmpeg::media::Type;
use ffmpeg::software::scaling;
use ffmpeg_next as ffmpeg;

use crate::base::error::{RecorderError, Result};

/// Frames are scaled to this width for playback (height kept in proportion).
pub const PLAYBACK_WIDTH: u32 = 640;
/// A decoded frame larger than this (a camera misreporting its size) is refused.
pub(super) const MAX_SOURCE_PIXELS: u64 = 8192 * 8192;
/// Frames decoded from one keyframe at most (a 4 s keyframe interval at 60 fps is 240).
pub const MAX_FRAMES_PER_SEEK: usize = 1_000;
/// Play decodes this far past `t`: its next frames are decoded already.
pub const DECODE_AHEAD_MS: i64 = 1_000;

/// Threads one decode uses: the machine's cores, at most four.
fn decode_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// One decoded, scaled picture, RGB, rows packed.
#[derive(Debug)]
pub struct Picture {
    /// Footage time (ms since the epoch) of the frame.
    pub at_ms: i64,
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    pub keyframe: bool,
}

impl Picture {
    pub fn bytes(&self) -> usize {
        self.rgb.len()
    }
}

/// Which frames a decode keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// Only the keyframe at or before `t` (the preview while scrubbing).
    Keyframe,
    /// The frame at or before `t` (decoded from the keyframe, only it
    /// scaled), and the time of the first frame after it (where it ends).
    Exact,
    /// As `Exact`, and every frame for [`DECODE_AHEAD_MS`] past `t`: play,
    /// whose next frames are then decoded already.
    Ahead,
    /// Only the last frame at or before `t` (the newest of a file being
    /// written, for the live picture), keeping one picture at a time.
    Last,
}

/// What a decode found: pictures in time order (consecutive frames), and
/// the time of the frame after the last one (so the last one's end is known).
pub struct Decoded {
    pub pictures: Vec<Arc<Picture>>,
    /// The footage time of the first frame after the last one kept, when
    /// the file has one.
    pub next_at_ms: Option<i64>,
}

impl Decoded {
    /// The picture shown for `t`: the last one at or before it, else the
    /// first (a keyframe preview found after `t`).
    pub fn shown_at(&self, t: i64) -> Option<&Arc<Picture>> {
        self.pictures
            .iter()
            .rev()
            .find(|p| p.at_ms <= t)
            .or(self.pictures.first())
    }
}

pub(super) fn init() -> Result<()> {
    static INIT: Once = Once::new();
    let mut failed = None;
    INIT.call_once(|| {
        if let Err(e) = ffmpeg::init() {
            failed = Some(e.to_string());
        }
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
    match failed {
        Some(e) => Err(RecorderError::internal(format!("FFmpeg could not start: {e}"))),
        None => Ok(()),
    }
}

pub(super) fn ff(what: &str) -> impl Fn(ffmpeg::Error) -> RecorderError + '_ {
    move |e| RecorderError::internal(format!("{what}: {e}"))
}

/// Decodes `file` (whose footage starts at `start_ms`) around footage time
/// `t_ms`, scaled to `width`: a [`SegmentReader`] used once.
pub fn decode(file: &Path, start_ms: i64, t_ms: i64, want: Want, width: u32) -> Result<Decoded> {
    SegmentReader::open(file, start_ms)?.frames(t_ms, want, width)
}

/// One segment opened for decoding: its demuxer and its decoder, kept by a
/// viewing session so that the next frame is decoded on from where the last
/// decode stopped, without opening the file, seeking or decoding the
/// keyframe again, whenever no keyframe lies between (a scrub released
/// after its keyframe preview, a step forward, play).
pub struct SegmentReader {
    input: ffmpeg::format::context::Input,
    decoder: ffmpeg::decoder::Video,
    index: usize,
    clock: MediaClock,
    /// The frame taken from the decoder and not used yet: the next one.
    pending: Option<ffmpeg::frame::Video>,
    /// The decoder has been sent the end of the file.
    flushed: bool,
}

/// A stream's presentation times against footage time.
#[derive(Clone, Copy)]
struct MediaClock {
    start_ms: i64,
    first_pts: i64,
    numerator: i64,
    denominator: i64,
}

impl MediaClock {
    fn ms(&self, pts: i64) -> i64 {
        let rel = (pts - self.first_pts) as i128 * i128::from(self.numerator) * 1000 / i128::from(self.denominator);
        self.start_ms + rel as i64
    }

    fn pts(&self, ms: i64) -> i64 {
        let rel = (ms - self.start_ms) as i128 * i128::from(self.denominator) / (i128::from(self.numerator) * 1000);
        self.first_pts + rel as i64
    }

    fn frame_ms(&self, frame: &ffmpeg::frame::Video) -> i64 {
        self.ms(frame.timestamp().unwrap_or(self.first_pts))
    }
}

impl SegmentReader {
    /// `open` if there is one (a session's, positioned where it stopped),
    /// else `file` opened; then its frames around `t_ms` at playback width.
    pub fn reuse_or_open(
        open: Option<SegmentReader>,
        file: &Path,
        start_ms: i64,
        t_ms: i64,
        want: Want,
    ) -> Result<(SegmentReader, Decoded)> {
        let mut reader = match open {
            Some(reader) => reader,
            None => SegmentReader::open(file, start_ms)?,
        };
        let decoded = reader.frames(t_ms, want, PLAYBACK_WIDTH)?;
        Ok((reader, decoded))
    }

    /// Opens `file`, whose footage starts at `start_ms`.
    pub fn open(file: &Path, start_ms: i64) -> Result<SegmentReader> {
        let video = open_video(file)?;
        let (input, index, time_base) = (video.input, video.index, video.time_base);
        let clock = MediaClock {
            start_ms,
            first_pts: video.first_pts,
            numerator: i64::from(time_base.numerator()).max(1),
            denominator: i64::from(time_base.denominator()).max(1),
        };
        let mut context = video.context;
        // Decoding on from the keyframe is most of an exact frame's time;
        // frame threads halve it on two cores (measured with ffmpeg here).
        context.set_threading(ffmpeg::threading::Config {
            kind: ffmpeg::threading::Type::Frame,
            count: decode_threads(),
            ..Default::default()
        });
        let decoder = context
            .decoder()
            .video()
            .map_err(ff("the footage's codec does not open"))?;
        Ok(SegmentReader {
            input,
            decoder,
            index,
            clock,
            pending: None,
            flushed: false,
        })
    }

    /// The presentation time of the keyframe at or before `pts`, from the
    /// demuxer's index.
    fn keyframe_at_or_before(&self, pts: i64) -> Option<i64> {
        let stream = self.input.stream(self.index)?;
        // SAFETY: the stream belongs to `self.input`, alive and not being
        // read meanwhile (`&self`); the entry is read before anything else
        // touches the index.
        unsafe {
            let st = stream.as_ptr() as *mut ffmpeg::ffi::AVStream;
            ffmpeg::ffi::avformat_index_get_entry_from_timestamp(st, pts, ffmpeg::ffi::AVSEEK_FLAG_BACKWARD)
                .as_ref()
                .map(|entry| entry.timestamp)
        }
    }

    /// Whether the frame for `t_ms` is reached by decoding on: the next
    /// frame is not after it, and no keyframe lies between them.
    fn continues_to(&self, t_ms: i64) -> bool {
        let Some(next) = self.pending.as_ref().and_then(|f| f.timestamp()) else {
            return false;
        };
        let t_pts = self.clock.pts(t_ms);
        next <= t_pts && self.keyframe_at_or_before(t_pts).is_some_and(|k| k <= next)
    }

    fn seek(&mut self, t_ms: i64) -> Result<()> {
        let rel_us = (t_ms - self.clock.start_ms).max(0) * 1000;
        self.input
            .seek(rel_us, ..rel_us + 1)
            .map_err(ff("the footage could not be sought"))?;
        self.decoder.flush();
        self.pending = None;
        self.flushed = false;
        Ok(())
    }

    /// The frames around footage time `t_ms`, scaled to `width`. Only the
    /// frames kept are scaled: for the exact frame that is one, however
    /// many were decoded from the keyframe.
    pub fn frames(&mut self, t_ms: i64, want: Want, width: u32) -> Result<Decoded> {
        if want == Want::Keyframe || !self.continues_to(t_ms) {
            self.seek(t_ms)?;
        }
        let (index, clock) = (self.index, self.clock);
        let t_pts = clock.pts(t_ms);
        // The newest presentation time sent that is not after `t`: a frame
        // before it is not the frame for `t`, so one nothing refers to (a
        // non-reference B-frame) need not be decoded at all. The frames
        // decoded are the same, the exact frame too; footage with B-frames
        // decodes about half its frames (cameras' baseline streams have
        // none, and gain nothing).
        let mut newest_to_t: Option<i64> = None;
        let mut pending = self.pending.take();
        let mut packets = self.input.packets();
        let decoder = &mut self.decoder;
        let flushed = &mut self.flushed;
        // The next decoded frame into `into`; false once the file is done.
        let mut next_frame = |into: &mut ffmpeg::frame::Video| -> bool {
            if let Some(frame) = pending.take() {
                *into = frame;
                return true;
            }
            loop {
                if decoder.receive_frame(into).is_ok() {
                    return true;
                }
                if *flushed {
                    return false;
                }
                match packets.next() {
                    Some((stream, packet)) if stream.index() == index => {
                        let before_newest = match (packet.pts(), newest_to_t) {
                            (Some(pts), Some(newest)) => pts < newest,
                            _ => false,
                        };
                        if let Some(pts) = packet.pts().filter(|&pts| pts <= t_pts) {
                            newest_to_t = newest_to_t.max(Some(pts));
                        }
                        decoder.skip_frame(if before_newest {
                            ffmpeg::Discard::NonReference
                        } else {
                            ffmpeg::Discard::Default
                        });
                        let _ = decoder.send_packet(&packet);
                    }
                    Some(_) => {}
                    None => {
                        let _ = decoder.send_eof();
                        *flushed = true;
                    }
                }
            }
        };
        let mut scaler = Scaler::new(width);
        let mut pictures: Vec<Arc<Picture>> = Vec::new();
        let mut next_at_ms = None;
        let mut left_over = None;
        let ahead = if want == Want::Ahead { DECODE_AHEAD_MS } else { 0 };
        // The newest frame at or before `t` so far, not yet scaled.
        let mut best: Option<ffmpeg::frame::Video> = None;
        let mut spare = ffmpeg::frame::Video::empty();
        let mut decoded = 0usize;
        while decoded < MAX_FRAMES_PER_SEEK && next_frame(&mut spare) {
            decoded += 1;
            let at_ms = clock.frame_ms(&spare);
            if u64::from(spare.width()) * u64::from(spare.height()) > MAX_SOURCE_PIXELS {
                return Err(RecorderError::internal(
                    "the footage's frames are larger than any camera's",
                ));
            }
            let started = best.is_some() || !pictures.is_empty();
            if at_ms > t_ms + ahead && started {
                next_at_ms = Some(at_ms);
                left_over = Some(spare);
                break;
            }
            match want {
                Want::Keyframe => {
                    pictures.push(Arc::new(scaler.picture(&spare, at_ms)?));
                    // Kept as the next frame: an exact frame after it decodes on from here.
                    left_over = Some(spare);
                    break;
                }
                // Play shows every frame from `t` on: each is scaled.
                Want::Ahead if at_ms > t_ms => pictures.push(Arc::new(scaler.picture(&spare, at_ms)?)),
                _ => {
                    let previous = best.replace(std::mem::replace(&mut spare, ffmpeg::frame::Video::empty()));
                    if let Some(previous) = previous {
                        spare = previous;
                    }
                }
            }
        }
        self.pending = left_over;
        if let Some(frame) = best {
            let at_ms = clock.frame_ms(&frame);
            pictures.insert(0, Arc::new(scaler.picture(&frame, at_ms)?));
        }
        Ok(Decoded { pictures, next_at_ms })
    }
}

/// A segment opened at its video stream, with a codec context for it.
pub(super) struct OpenedVideo {
    pub input: ffmpeg::format::context::Input,
    pub index: usize,
    pub time_base: ffmpeg::Rational,
    /// The stream's first presentation time (0 when the file says none).
    pub first_pts: i64,
    pub context: ffmpeg::codec::context::Context,
}

/// Opens `file` at its best video stream.
pub(super) fn open_video(file: &Path) -> Result<OpenedVideo> {
    init()?;
    let input = ffmpeg::format::input(file).map_err(ff("the footage file does not open"))?;
    let stream = input
        .streams()
        .best(Type::Video)
        .ok_or_else(|| RecorderError::internal("the footage file holds no video"))?;
    let (index, time_base) = (stream.index(), stream.time_base());
    let first_pts = match stream.start_time() {
        ffmpeg::ffi::AV_NOPTS_VALUE => 0,
        pts => pts,
    };
    let context = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
        .map_err(ff("the footage's codec is unknown"))?;
    Ok(OpenedVideo {
        input,
        index,
        time_base,
        first_pts,
        context,
    })
}

/// Scales decoded frames to RGB at one width, made for the first frame's size.
struct Scaler {
    width: u32,
    context: Option<(scaling::Context, u32, u32)>,
}

impl Scaler {
    fn new(width: u32) -> Scaler {
        Scaler { width, context: None }
    }

    fn picture(&mut self, frame: &ffmpeg::frame::Video, at_ms: i64) -> Result<Picture> {
        if self.context.is_none() {
            let height =
                ((u64::from(self.width) * u64::from(frame.height()) / u64::from(frame.width().max(1))) as u32 + 1) & !1;
            let height = height.max(2);
            let context = scaling::Context::get(
                frame.format(),
                frame.width(),
                frame.height(),
                Pixel::RGB24,
                self.width,
                height,
                scaling::Flags::BILINEAR,
            )
            .map_err(ff("the footage could not be scaled"))?;
            self.context = Some((context, self.width, height));
        }
        let (context, w, h) = self.context.as_mut().expect("made above");
        let mut rgb = ffmpeg::frame::Video::empty();
        context
            .run(frame, &mut rgb)
            .map_err(ff("the footage could not be scaled"))?;
        Ok(Picture {
            at_ms,
            width: *w,
            height: *h,
            rgb: packed_rows(&rgb, *w as usize * 3, *h as usize),
            keyframe: frame.is_key(),
        })
    }
}

/// The rows of `frame`'s first plane without the padding FFmpeg adds.
pub(super) fn packed_rows(frame: &ffmpeg::frame::Video, row: usize, rows: usize) -> Vec<u8> {
    let stride = frame.stride(0);
    let data = frame.data(0);
    let mut out = Vec::with_capacity(row * rows);
    for y in 0..rows {
        out.extend_from_slice(&data[y * stride..y * stride + row]);
    }
    out
}
