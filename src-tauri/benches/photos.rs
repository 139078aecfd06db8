//! `cargo xtask bench`: the fault-photo pipeline (DESIGN §2, issue #5) on a
//! 12-megapixel JPEG beside ImageMagick's
//! `convert -auto-orient -strip -resize 1600x1600` on the same file in the
//! same run (goal: at most 250 ms, and faster than convert), and the peak
//! memory of each hostile PNG in a process of its own (goal: under 256 MiB):
//! one claiming 50 000 × 50 000 pixels, pictures of zeros that deflate to
//! almost nothing, and a 16-bit one.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use custos_app::photos;
use image::{ImageEncoder, Rgb, RgbImage};

const RUNS: usize = 5;
const HOSTILE_ENV: &str = "CUSTOS_BENCH_HOSTILE";

fn main() {
    if let Ok(path) = std::env::var(HOSTILE_ENV) {
        return hostile_child(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("12mp.jpg");
    std::fs::write(&input, twelve_megapixels()).unwrap();
    let bytes = std::fs::read(&input).unwrap();

    let ours = median(|| {
        let photo = photos::process(&bytes).unwrap();
        assert_eq!(photo.width.max(photo.height), photos::MAX_SIDE);
    });
    let output = dir.path().join("convert.jpg");
    let convert = Command::new("convert").arg("-version").output().is_ok().then(|| {
        median(|| {
            let status = Command::new("convert")
                .arg(&input)
                .args(["-auto-orient", "-strip", "-resize", "1600x1600"])
                .arg(&output)
                .status()
                .unwrap();
            assert!(status.success());
        })
    });

    println!(
        "\n{:<52} {:>12} {:>12} {:>8}",
        "measurement (median of 5)", "ImageMagick", "Custos", "goal"
    );
    match convert {
        Some(c) => {
            let met = ours <= Duration::from_millis(250) && ours < c;
            println!(
                "{:<52} {:>9.0} ms {:>9.0} ms {:>5} ms  {} ({:.1}x faster)",
                "12 MP JPEG -> 1600 px JPEG + 320 px thumbnail",
                c.as_secs_f64() * 1e3,
                ours.as_secs_f64() * 1e3,
                250,
                if met { "met" } else { "NOT MET" },
                c.as_secs_f64() / ours.as_secs_f64()
            );
        }
        None => println!(
            "{:<52} {:>12} {:>9.0} ms  (convert not found: apt-get install imagemagick)",
            "12 MP JPEG -> 1600 px JPEG + 320 px thumbnail",
            "-",
            ours.as_secs_f64() * 1e3
        ),
    }

    // Each hostile PNG goes through the pipeline in a child of its own,
    // whose peak memory is its own (goal: under 256 MiB).
    let png = |picture: image::DynamicImage| {
        let mut out = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let hostile: [(&str, Vec<u8>); 4] = [
        ("hostile PNG claiming 50 000 x 50 000 px", hostile_png(50_000, 50_000)),
        (
            "64 MP RGBA PNG of zeros (1.2 MB)",
            png(image::DynamicImage::new_rgba8(8000, 8000)),
        ),
        (
            "12 MP 16-bit RGBA PNG of zeros",
            png(image::DynamicImage::new_rgba16(4000, 3000)),
        ),
        (
            "42 MP RGB PNG of zeros (accepted)",
            png(image::DynamicImage::new_rgb8(7000, 6000)),
        ),
    ];
    for (label, bytes) in hostile {
        let path = dir.path().join("hostile.png");
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .env(HOSTILE_ENV, &path)
            .env(LABEL_ENV, label)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        println!("{}", report.trim_end());
    }
}

const LABEL_ENV: &str = "CUSTOS_BENCH_LABEL";

/// Refuses the hostile file and reports the process's peak memory.
fn hostile_child(path: &str) {
    let bytes = std::fs::read(path).unwrap();
    let before = peak_kib();
    let t = Instant::now();
    let result = photos::process(&bytes);
    let took = t.elapsed();
    let after = peak_kib();
    let label = std::env::var(LABEL_ENV).unwrap_or_default();
    println!(
        "{:<52} {:.1} ms, peak memory {:.1} MiB (+{:.1} MiB; goal < 256 MiB {}): {}",
        label,
        took.as_secs_f64() * 1e3,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / 1024.0,
        if after < 256 * 1024 { "met" } else { "NOT MET" },
        match result {
            Err(e) => format!("refused: {e}"),
            Ok(p) => format!("taken, {}x{}", p.width, p.height),
        }
    );
}

/// The process's peak resident memory (VmHWM), in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// A 4000 × 3000 photo-like picture (gradients and texture, so it does not
/// compress to nothing), as a phone would save it.
fn twelve_megapixels() -> Vec<u8> {
    let (w, h) = (4000, 3000);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 27;
        Rgb([
            ((x * 255 / w) as u8).wrapping_add(n as u8),
            ((y * 255 / h) as u8).wrapping_add((n >> 1) as u8),
            (((x + y) / 30 % 255) as u8).wrapping_add(n as u8),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(&img, w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A tiny PNG whose header claims `w` × `h` pixels.
fn hostile_png(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9c, 0x03, 0, 0, 0, 0, 1]);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.write_all(&(data.len() as u32).to_be_bytes()).unwrap();
    let mut crc_input = kind.to_vec();
    crc_input.extend(data);
    out.extend(kind);
    out.extend(data);
    out.extend(crc32(&crc_input).to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
