//! The picture check: whether a camera's picture is black, frozen or
//! blurred, measured on the newest finished segment about once a minute
//! (ffmpeg's blackdetect and freezedetect, and the variance of the
//! Laplacian of one frame).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use custos_api::cameras::PictureCheck;

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

/// Runs blackdetect and freezedetect over the first [`EXAMINED_SECONDS`] of
/// a file, counts their frames, and takes one grey frame (320 px wide) for
/// the sharpness; `None` if ffmpeg cannot read it. One ffmpeg run, one decode.
pub async fn examine(file: &Path) -> Option<Examined> {
    let scale = format!("scale={SHARPNESS_WIDTH}:-2,format=gray");
    let out = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-t", &EXAMINED_SECONDS.to_string(), "-i"])
        .arg(file)
        .args([
            "-filter_complex",
            &format!("[0:v]split[a][b];[a]blackdetect=d=1:pix_th=0.10,freezedetect=n=0.003:d=1,nullsink;[b]{scale}[g]"),
            // The null output first: ffmpeg's progress line counts the first output's frames.
            "-map",
            "0:v",
            "-f",
            "null",
            "-",
            "-map",
            "[g]",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-",
        ])
        .kill_on_drop(true)
        .output()
        .await
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let log = String::from_utf8_lossy(&out.stderr);
    // The last progress line counts the frames of the whole file (the null output).
    let frames = log
        .rsplit("frame=")
        .next()
        .filter(|_| log.contains("frame="))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    Some(Examined {
        black: log.contains("black_start"),
        frozen: log.contains("freeze_start"),
        frames,
        sharpness: laplacian_variance(&out.stdout, SHARPNESS_WIDTH),
    })
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
