//! A phone must survive any photo: each file below goes through the photo
//! pipeline (`photos::process`, what the `add_photo` command runs) in a
//! fresh process of its own, whose peak memory (VmHWM) must stay under
//! 256 MiB, and the outcome must be the one a person can act on.

use std::io::Cursor;
use std::process::Command;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

const CHILD_ENV: &str = "CUSTOS_PHOTO_FILE";
const PEAK_LIMIT: u64 = 256 << 20;

fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Runs one file through the pipeline in a fresh process: its outcome and
/// its peak memory in bytes.
fn in_a_fresh_process(dir: &std::path::Path, name: &str, bytes: &[u8]) -> (String, u64) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_runs_one_photo", "--ignored", "--nocapture"])
        .env(CHILD_ENV, &path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = |tag: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(tag))
            .unwrap_or_else(|| panic!("{name}: no {tag} in {text}"))
            .to_string()
    };
    (line("outcome: "), line("peak: ").parse().unwrap())
}

#[test]
fn every_photo_is_taken_or_refused_in_plain_words_within_256_mib() {
    let dir = tempfile::tempdir().unwrap();
    let stripes = |w, h| {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x % 251) as u8, (y % 241) as u8, 90])
        }))
    };
    let truncated = encoded(&stripes(640, 480), ImageFormat::Jpeg)[..4000].to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // A 48-megapixel phone photo.
        (
            "48mp.jpg",
            encoded(&stripes(8000, 6000), ImageFormat::Jpeg),
            "taken 1600x1200",
        ),
        // Zeros deflate to almost nothing: 126 MB of pixels in a small file.
        (
            "42mp.png",
            encoded(&DynamicImage::new_rgb8(7000, 6000), ImageFormat::Png),
            "taken 1600x1371",
        ),
        // 16 bits a channel with alpha: 48 MB of pixels, taken; 96 MB, refused
        // (16-bit decoding needs 2.5 times the picture).
        (
            "rgba16.png",
            encoded(&DynamicImage::new_rgba16(3000, 2000), ImageFormat::Png),
            "taken 1600x1067",
        ),
        (
            "rgba16-12mp.png",
            encoded(&DynamicImage::new_rgba16(4000, 3000), ImageFormat::Png),
            "too large to open safely",
        ),
        // 256 MB of pixels: more than a phone may spend.
        (
            "64mp-rgba.png",
            encoded(&DynamicImage::new_rgba8(8000, 8000), ImageFormat::Png),
            "too large to open safely",
        ),
        ("truncated.jpg", truncated, "the photo is damaged; take it again"),
    ];
    for (name, bytes, expected) in cases {
        let (outcome, peak) = in_a_fresh_process(dir.path(), name, &bytes);
        assert!(outcome.contains(expected), "{name}: {outcome}");
        assert!(peak < PEAK_LIMIT, "{name}: peak {} MiB", peak >> 20);
        println!("{name}: {} bytes in, peak {} MiB, {outcome}", bytes.len(), peak >> 20);
    }
}

/// The child: one file through the pipeline, then its outcome and VmHWM.
#[test]
#[ignore = "run by the memory test as its child process"]
fn child_runs_one_photo() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let bytes = std::fs::read(path).unwrap();
    let outcome = match custos_app::photos::process(&bytes) {
        Ok(photo) => format!("taken {}x{}", photo.width, photo.height),
        Err(e) => e.to_string(),
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    println!("outcome: {outcome}");
    println!("peak: {}", kib * 1024);
}
