//! Fault photos (DESIGN §2: photos of faults in the inspection log): decoded
//! with limits so a hostile file is refused instead of exhausting memory,
//! turned upright by its EXIF orientation, stripped of every piece of
//! metadata (location above all) by re-encoding, scaled to at most 1600 px,
//! saved as JPEG with a 320 px thumbnail, and named by the SHA-256 of the
//! result, which is how the inspection entry refers to it.

use std::io::Cursor;

use custos_core::signing::sha256_hex;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Longest side of the stored photo.
pub const MAX_SIDE: u32 = 1600;
/// Longest side of the thumbnail.
pub const THUMB_SIDE: u32 = 320;
/// Largest file accepted from the camera.
pub const MAX_INPUT_BYTES: usize = 30 * 1024 * 1024;
/// Largest picture decoded, in pixels per side.
pub const MAX_DECODE_SIDE: u32 = 12_000;
/// What decoding may cost, measured (`tests/photo_memory.rs`) as the
/// decoded size times what the decoder needs beside it: about 1.25 for 8
/// bits a channel, 2.5 for 16. A 48-megapixel phone photo (144 MiB as RGB)
/// fits, and the whole pipeline stays under 256 MiB on a phone.
pub const MAX_DECODE_BYTES: u64 = 200 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the photo is {0} bytes; the most accepted is {MAX_INPUT_BYTES}")]
    TooLarge(usize),
    #[error("this file is not a JPEG, PNG or WebP photo")]
    NotAPhoto,
    #[error("the photo is too large to open safely on this device; take it again at a lower resolution ({0})")]
    Limits(String),
    #[error("the photo is damaged; take it again ({0})")]
    Unreadable(String),
}

#[derive(Debug, Clone)]
pub struct Photo {
    /// SHA-256 of `jpeg`, lower-case hex: the photo's name everywhere.
    pub sha256: String,
    pub jpeg: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Processes a photo as the camera gave it.
pub fn process(bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PhotoError::TooLarge(bytes.len()));
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAPhoto)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(PhotoError::NotAPhoto);
    }
    if format == ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(PhotoError::Unreadable("it ends before the picture does".into()));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    // The decoder's own limits do not bound the picture it returns (a
    // 64-megapixel RGBA PNG went through), so its size is checked here.
    let color = decoder.color_type();
    let wide = color.bytes_per_pixel() > color.channel_count();
    let cost = decoder.total_bytes().saturating_mul(5) / if wide { 2 } else { 4 };
    if cost > MAX_DECODE_BYTES {
        let (w, h) = decoder.dimensions();
        return Err(PhotoError::Limits(format!("{w}x{h} pixels")));
    }
    let orientation = decoder.orientation().map_err(classify)?;
    let picture = DynamicImage::from_decoder(decoder).map_err(classify)?;
    // Scaled first, then turned and made RGB: each of those copies the
    // picture, and at full size a copy is as large as the decoded photo.
    let mut stored = shrink(&picture, MAX_SIDE)?;
    drop(picture);
    stored.apply_orientation(orientation);
    let stored = DynamicImage::ImageRgb8(stored.into_rgb8());
    let jpeg = encode(&stored)?;
    let thumbnail = encode(&shrink(&stored, THUMB_SIDE)?)?;
    Ok(Photo {
        sha256: sha256_hex(&jpeg),
        width: stored.width(),
        height: stored.height(),
        jpeg,
        thumbnail,
    })
}

/// Scales the picture so its longer side is at most `side`, keeping its shape
/// (bilinear, as `image`'s Triangle filter, with SIMD).
fn shrink(picture: &DynamicImage, side: u32) -> Result<DynamicImage, PhotoError> {
    let (w, h) = (picture.width(), picture.height());
    if w.max(h) <= side {
        return Ok(picture.clone());
    }
    let scale = f64::from(side) / f64::from(w.max(h));
    let (nw, nh) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let mut out = DynamicImage::new(nw, nh, picture.color());
    let options = fast_image_resize::ResizeOptions::new().resize_alg(fast_image_resize::ResizeAlg::Convolution(
        fast_image_resize::FilterType::Bilinear,
    ));
    fast_image_resize::Resizer::new()
        .resize(picture, &mut out, &options)
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(out)
}

fn encode(picture: &DynamicImage) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    // A fresh encoding carries no EXIF, XMP or GPS data from the original.
    picture
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(out)
}

/// Whether a JPEG's last scan is followed by its end marker: the decoder
/// fills a cut-off picture with grey and says nothing. Markers cannot occur
/// inside the entropy-coded data (a 0xFF there is followed by 0x00), so the
/// last start-of-scan found is the main picture's (an EXIF thumbnail's
/// scans come before it).
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    // As a camera writes it: ending in the end marker, which the coded data cannot hold.
    if bytes.ends_with(&[0xFF, 0xD9]) {
        return true;
    }
    let last_scan = bytes.windows(2).rposition(|m| m == [0xFF, 0xDA]);
    last_scan.is_some_and(|at| bytes[at..].windows(2).any(|m| m == [0xFF, 0xD9]))
}

fn classify(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(l) => PhotoError::Limits(l.to_string()),
        image::ImageError::Unsupported(_) => PhotoError::NotAPhoto,
        other => PhotoError::Unreadable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage};

    /// A JPEG of `w`x`h` whose left half is red, right half blue.
    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, _| if x < w / 2 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(&img, w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    /// Inserts an EXIF block (orientation, and a GPS latitude reference) after the SOI marker.
    fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend(2u16.to_be_bytes()); // two entries
        tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]); // Orientation, SHORT, 1
        tiff.extend(orientation.to_be_bytes());
        tiff.extend([0, 0]);
        tiff.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0]); // GPSInfo IFD pointer
        tiff.extend([0, 0, 0, 0]); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend(&jpeg[2..]);
        out
    }

    #[test]
    fn a_large_photo_is_scaled_stripped_and_named_by_its_hash() {
        let original = with_exif(&jpeg(4000, 3000), 1);
        assert!(original.windows(4).any(|w| w == b"Exif"));
        let photo = process(&original).unwrap();
        assert_eq!((photo.width, photo.height), (1600, 1200));
        assert!(photo.jpeg.starts_with(&[0xFF, 0xD8]));
        assert!(!photo.jpeg.windows(4).any(|w| w == b"Exif"), "no metadata survives");
        assert_eq!(photo.sha256, sha256_hex(&photo.jpeg));
        let thumb = image::load_from_memory(&photo.thumbnail).unwrap();
        assert_eq!(thumb.width().max(thumb.height()), THUMB_SIDE);
    }

    #[test]
    fn the_exif_orientation_turns_the_picture_upright() {
        // Orientation 6: the camera was turned; the stored picture is rotated 90° clockwise.
        let photo = process(&with_exif(&jpeg(400, 200), 6)).unwrap();
        assert_eq!((photo.width, photo.height), (200, 400));
        let img = image::load_from_memory(&photo.jpeg).unwrap().to_rgb8();
        // The red left half is now the top.
        assert!(img.get_pixel(100, 20)[0] > 200 && img.get_pixel(100, 380)[2] > 200);
    }

    #[test]
    fn hostile_or_wrong_files_are_refused_with_a_reason() {
        assert_eq!(process(b"").unwrap_err(), PhotoError::NotAPhoto);
        assert_eq!(process(b"%PDF-1.7 not a photo").unwrap_err(), PhotoError::NotAPhoto);
        assert_eq!(
            process(b"<svg onload=alert(1)></svg>").unwrap_err(),
            PhotoError::NotAPhoto
        );
        // A PNG header that claims 100 000 x 100 000 pixels: refused, not decoded.
        let mut bomb = vec![
            0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
        ];
        bomb.extend(100_000u32.to_be_bytes());
        bomb.extend(100_000u32.to_be_bytes());
        bomb.extend([8, 2, 0, 0, 0]);
        let crc = crc32(&bomb[12..]);
        bomb.extend(crc.to_be_bytes());
        assert!(matches!(process(&bomb).unwrap_err(), PhotoError::Limits(_)));
        let truncated = &jpeg(64, 64)[..100];
        assert!(matches!(process(truncated).unwrap_err(), PhotoError::Unreadable(_)));
        assert!(matches!(
            process(&vec![0xFF; MAX_INPUT_BYTES + 1]).unwrap_err(),
            PhotoError::TooLarge(_)
        ));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
