//! The picture check: whether a camera's picture is black, frozen or
//! blurred, measured on the newest finished segment once a minute
//! (FFmpeg's blackdetect and freezedetect, in process, and the variance of
//! the Laplacian of one frame).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use custos_api::cameras::PictureCheck;
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg_next as ffmpeg;

use super::decode;
use crate::base::error::{RecorderError, Result};

/// How often a camera's picture is examined.
pub const PICTURE_CHECK_EVERY_MS: i64 = 60_000;

/// How much of a segment is decoded to examine it: enough for the one-second
/// black and freeze detectors. Decoding whole segments cost as much as
/// decoding every camera's every frame with 60 s segments (a fifth of a core
/// for 32 cameras with 10 s ones). Not 2: the test camera's frozen picture
/// then goes unseen (the first frames of a segment still differ a little,
/// and the detector needs a whole second of sameness after them).
pub const EXAMINED_SECONDS: u32 = 3;

/// Below this, a picture is reported blurred. Calibrated on the test
/// camera: its moving test picture measures in the thousands, the same
/// picture scaled down to 32 px and back up (a fogged lens) under 100.
pub const BLUR_THRESHOLD: f64 = 150.0;

/// What one examination of a segment found.
#[derive(Debug, Clone, PartialEq)]
pub struct Examined {
    pub black: bool,
    pub frozen: bool,
    pub frames: Option<u64>,
    pub sharpness: Option<f64>,
}

/// Width of the frame the sharpness is measured on.
const SHARPNESS_WIDTH: usize = 320;

/// Variance of the 4-neighbour Laplacian over a grey frame.
pub fn laplacian_variance(gray: &[u8], width: usize) -> Option<f64> {
    let height = gray.len() / width;
    if width < 3 || height < 3 {
        return None;
    }
    let px = |x: usize, y: usize| f64::from(gray[y * width + x]);
    let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..height - 1 {
        for x in 1..width - 1 {
            let l = px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    Some(sum_sq / n - mean * mean)
}

/// The latest picture check per camera, shared with the API.
#[derive(Default)]
pub struct PictureChecks(Mutex<HashMap<String, PictureCheck>>);

impl PictureChecks {
    pub fn get(&self, camera: &str) -> Option<PictureCheck> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(camera).cloned()
    }
    pub fn put(&self, camera: &str, check: PictureCheck) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(camera.to_string(), check);
    }
}

/// Frames examined at most: [`EXAMINED_SECONDS`] at 120 frames/s. A file
/// whose frames all claim one time must not keep the check decoding.
const MAX_EXAMINED_FRAMES: u64 = 360;

/// The detectors, FFmpeg's own (the thresholds they were calibrated with).
const DETECTORS: &str = "blackdetect=d=1:pix_th=0.10,freezedetect=n=0.003:d=1";

/// Runs blackdetect and freezedetect over the first [`EXAMINED_SECONDS`] of
/// a file, counts their frames, and takes the first frame grey and 320 px
/// wide for the sharpness; `None` if the file cannot be read. In process
/// (ffmpeg-next: one demux, one single-threaded decode, the filters in
/// libavfilter): a spawned ffmpeg's start was half the check's cost.
pub async fn examine(file: &Path) -> Option<Examined> {
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || examine_now(&file).ok())
        .await
        .ok()
        .flatten()
}

fn examine_now(file: &Path) -> Result<Examined> {
    let decode::OpenedVideo {
        mut input,
        index,
        time_base,
        first_pts,
        context,
    } = decode::open_video(file)?;
    let seconds = |pts: i64| {
        (pts - first_pts) as f64 * f64::from(time_base.numerator()) / f64::from(time_base.denominator().max(1))
    };
    let mut decoder = context
        .decoder()
        .video()
        .map_err(decode::ff("the footage's codec does not open"))?;
    let mut detectors: Option<Detectors> = None;
    let mut frame = ffmpeg::frame::Video::empty();
    let mut frames = 0u64;
    let mut done = false;
    let mut packets = input.packets();
    while !done {
        let more = match packets.next() {
            Some((stream, packet)) if stream.index() == index => {
                // A damaged packet is skipped, as ffmpeg does.
                let _ = decoder.send_packet(&packet);
                true
            }
            Some(_) => continue,
            None => {
                let _ = decoder.send_eof();
                false
            }
        };
        while decoder.receive_frame(&mut frame).is_ok() {
            let pts = frame.timestamp().unwrap_or(first_pts);
            if seconds(pts) >= f64::from(EXAMINED_SECONDS) || frames >= MAX_EXAMINED_FRAMES {
                done = true;
                break;
            }
            if u64::from(frame.width()) * u64::from(frame.height()) > decode::MAX_SOURCE_PIXELS {
                return Err(RecorderError::internal(
                    "the footage's frames are larger than any camera's",
                ));
            }
            frames += 1;
            let detecting = match detectors.as_mut() {
                Some(detecting) => detecting,
                None => detectors.insert(Detectors::new(&frame, time_base)?),
            };
            detecting.see(&frame, seconds(pts))?;
        }
        done |= !more;
    }
    let detectors = detectors.ok_or_else(|| RecorderError::internal("the footage file holds no frame"))?;
    Ok(Examined {
        black: detectors.black,
        frozen: detectors.frozen,
        frames: Some(frames),
        sharpness: detectors.sharpness,
    })
}

/// blackdetect and freezedetect over the frames seen so far, and the
/// sharpness of the first.
struct Detectors {
    graph: ffmpeg::filter::Graph,
    sharpness: Option<f64>,
    /// When the current black run began, in seconds.
    black_since: Option<f64>,
    black: bool,
    frozen: bool,
}

impl Detectors {
    fn new(first: &ffmpeg::frame::Video, time_base: ffmpeg::Rational) -> Result<Detectors> {
        let failed = decode::ff("the picture check could not start");
        let mut graph = ffmpeg::filter::Graph::new();
        let aspect = first.aspect_ratio();
        let args = format!(
            "video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}",
            first.width(),
            first.height(),
            ffmpeg::ffi::AVPixelFormat::from(first.format()) as i32,
            time_base.numerator(),
            time_base.denominator().max(1),
            aspect.numerator().max(1),
            aspect.denominator().max(1),
        );
        let (Some(source), Some(sink)) = (ffmpeg::filter::find("buffer"), ffmpeg::filter::find("buffersink")) else {
            return Err(RecorderError::internal("FFmpeg's buffer filters are missing"));
        };
        graph.add(&source, "in", &args).map_err(&failed)?;
        graph.add(&sink, "out", "").map_err(&failed)?;
        graph
            .output("in", 0)
            .and_then(|p| p.input("out", 0))
            .and_then(|p| p.parse(DETECTORS))
            .map_err(&failed)?;
        graph.validate().map_err(&failed)?;
        Ok(Detectors {
            graph,
            sharpness: sharpness(first),
            black_since: None,
            black: false,
            frozen: false,
        })
    }

    /// One decoded frame, at `at` seconds into the file. blackdetect marks
    /// where black begins and ends; a run counts from one second (its
    /// `d=1`). freezedetect marks a freeze once it has lasted its second.
    fn see(&mut self, frame: &ffmpeg::frame::Video, at: f64) -> Result<()> {
        let failed = decode::ff("the picture check failed");
        let mut source = self
            .graph
            .get("in")
            .ok_or_else(|| RecorderError::internal("no filter input"))?;
        source.source().add(frame).map_err(&failed)?;
        let mut sink = self
            .graph
            .get("out")
            .ok_or_else(|| RecorderError::internal("no filter output"))?;
        loop {
            // A frame of its own each time: buffersink fills the frame it is
            // given without letting go of the picture that frame held.
            let mut filtered = ffmpeg::frame::Video::empty();
            if sink.sink().frame(&mut filtered).is_err() {
                break;
            }
            let marks = filtered.metadata();
            if marks.get("lavfi.black_start").is_some() {
                self.black_since = Some(at);
            }
            if marks.get("lavfi.black_end").is_some() {
                self.black_since = None;
            }
            if marks.get("lavfi.freezedetect.freeze_start").is_some() {
                self.frozen = true;
            }
        }
        if self.black_since.is_some_and(|since| at - since >= 1.0) {
            self.black = true;
        }
        Ok(())
    }
}

/// The variance of the Laplacian of `frame` grey at [`SHARPNESS_WIDTH`].
fn sharpness(frame: &ffmpeg::frame::Video) -> Option<f64> {
    let width = SHARPNESS_WIDTH as u32;
    let height = ((u64::from(width) * u64::from(frame.height()) / u64::from(frame.width().max(1))) as u32 + 1) & !1;
    let mut scaler = scaling::Context::get(
        frame.format(),
        frame.width(),
        frame.height(),
        Pixel::GRAY8,
        width,
        height.max(2),
        scaling::Flags::BICUBIC,
    )
    .ok()?;
    let mut gray = ffmpeg::frame::Video::empty();
    scaler.run(frame, &mut gray).ok()?;
    let packed = decode::packed_rows(&gray, SHARPNESS_WIDTH, gray.height() as usize);
    laplacian_variance(&packed, SHARPNESS_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharp_picture_has_a_high_laplacian_variance_and_a_flat_one_none() {
        let width = 64;
        let stripes: Vec<u8> = (0..width * 48)
            .map(|i| if (i % width) % 2 == 0 { 0 } else { 255 })
            .collect();
        let flat = vec![128u8; width * 48];
        let gradient: Vec<u8> = (0..width * 48).map(|i| ((i % width) * 4) as u8).collect();
        assert!(laplacian_variance(&stripes, width).unwrap() > BLUR_THRESHOLD);
        assert_eq!(laplacian_variance(&flat, width), Some(0.0));
        assert!(laplacian_variance(&gradient, width).unwrap() < BLUR_THRESHOLD);
        assert_eq!(laplacian_variance(&[1, 2], width), None, "too small to measure");
    }
}
