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
const MAX_SOURCE_PIXELS: u64 = 8192 * 8192;
/// Frames decoded from one keyframe at most (a 4 s keyframe interval at 60 fps is 240).
pub const MAX_FRAMES_PER_SEEK: usize = 1_000;
/// Play decodes this far past `t`: its next frames are decoded already.
pub const DECODE_AHEAD_MS: i64 = 1_000;

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

fn init() -> Result<()> {
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

fn ff(what: &str) -> impl Fn(ffmpeg::Error) -> RecorderError + '_ {
    move |e| RecorderError::internal(format!("{what}: {e}"))
}

/// Decodes `file` (whose footage starts at `start_ms`) around footage time
/// `t_ms`, scaled to `width`. Only the frames kept are scaled: for the
/// exact frame that is one, however many were decoded from the keyframe.
pub fn decode(file: &Path, start_ms: i64, t_ms: i64, want: Want, width: u32) -> Result<Decoded> {
    init()?;
    let mut input = ffmpeg::format::input(file).map_err(ff("the footage file does not open"))?;
    let stream = input
        .streams()
        .best(Type::Video)
        .ok_or_else(|| RecorderError::internal("the footage file holds no video"))?;
    let index = stream.index();
    let time_base = stream.time_base();
    let first_pts = match stream.start_time() {
        ffmpeg::ffi::AV_NOPTS_VALUE => 0,
        pts => pts,
    };
    let context = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
        .map_err(ff("the footage's codec is unknown"))?;
    let mut decoder = context
        .decoder()
        .video()
        .map_err(ff("the footage's codec does not open"))?;
    let to_ms = |frame: &ffmpeg::frame::Video| {
        let pts = frame.timestamp().unwrap_or(first_pts);
        let rel = (pts - first_pts) as i128 * i128::from(time_base.numerator()) * 1000
            / i128::from(time_base.denominator().max(1));
        start_ms + rel as i64
    };
    let rel_us = (t_ms - start_ms).max(0) * 1000;
    input
        .seek(rel_us, ..rel_us + 1)
        .map_err(ff("the footage could not be sought"))?;

    let mut packets = input.packets();
    let mut flushed = false;
    // The next decoded frame into `into`; false once the file is done.
    let mut next_frame = |into: &mut ffmpeg::frame::Video| -> bool {
        loop {
            if decoder.receive_frame(into).is_ok() {
                return true;
            }
            if flushed {
                return false;
            }
            match packets.next() {
                Some((stream, packet)) if stream.index() == index => {
                    let _ = decoder.send_packet(&packet);
                }
                Some(_) => {}
                None => {
                    let _ = decoder.send_eof();
                    flushed = true;
                }
            }
        }
    };
    let mut scaler = Scaler::new(width);
    let mut pictures: Vec<Arc<Picture>> = Vec::new();
    let mut next_at_ms = None;
    let ahead = if want == Want::Ahead { DECODE_AHEAD_MS } else { 0 };
    // The newest frame at or before `t` so far, not yet scaled.
    let mut best: Option<ffmpeg::frame::Video> = None;
    let mut spare = ffmpeg::frame::Video::empty();
    let mut decoded = 0usize;
    while decoded < MAX_FRAMES_PER_SEEK && next_frame(&mut spare) {
        decoded += 1;
        let at_ms = to_ms(&spare);
        if u64::from(spare.width()) * u64::from(spare.height()) > MAX_SOURCE_PIXELS {
            return Err(RecorderError::internal(
                "the footage's frames are larger than any camera's",
            ));
        }
        let started = best.is_some() || !pictures.is_empty();
        if at_ms > t_ms + ahead && started {
            next_at_ms = Some(at_ms);
            break;
        }
        match want {
            Want::Keyframe => {
                pictures.push(Arc::new(scaler.picture(&spare, at_ms)?));
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
    if let Some(frame) = best {
        let at_ms = to_ms(&frame);
        pictures.insert(0, Arc::new(scaler.picture(&frame, at_ms)?));
    }
    Ok(Decoded { pictures, next_at_ms })
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
fn packed_rows(frame: &ffmpeg::frame::Video, row: usize, rows: usize) -> Vec<u8> {
    let stride = frame.stride(0);
    let data = frame.data(0);
    let mut out = Vec::with_capacity(row * rows);
    for y in 0..rows {
        out.extend_from_slice(&data[y * stride..y * stride + row]);
    }
    out
}
