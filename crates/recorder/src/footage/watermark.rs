//! The watermark on every frame a viewing serves, and its JPEG: the
//! application, the viewer, the escort and the viewing time, in Chinese, in
//! a band along the bottom of the picture, so a photograph of the screen
//! says whose viewing it came from (001 §7, 004 §8(5)). The text is drawn
//! with Noto Sans CJK TC (Debian's `fonts-noto-cjk`).

use std::sync::OnceLock;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use custos_core::time::Timestamp;

use super::decode::Picture;
use crate::base::error::{RecorderError, Result};

/// Where Debian's fonts-noto-cjk puts the CJK collection.
const FONT_FILE: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// Noto Sans CJK TC in that collection (`fc-query` lists JP, KR, SC, TC, HK).
const FONT_INDEX: u32 = 3;
/// JPEG quality of a served frame.
pub const JPEG_QUALITY: u8 = 92;

/// What the watermark says.
#[derive(Clone, Debug)]
pub struct Marking {
    pub application: String,
    pub viewer: String,
    pub escort: String,
    pub viewing_at: Timestamp,
}

/// The band the watermark covers, in pixels of the served frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

fn font() -> Result<&'static FontVec> {
    static FONT: OnceLock<std::result::Result<FontVec, String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let bytes = std::fs::read(FONT_FILE).map_err(|e| format!("{FONT_FILE}: {e} (install fonts-noto-cjk)"))?;
        FontVec::try_from_vec_and_index(bytes, FONT_INDEX).map_err(|e| format!("{FONT_FILE}: {e}"))
    })
    .as_ref()
    .map_err(|e| RecorderError::internal(format!("the watermark's font is missing: {e}")))
}

/// The text size for a picture of `height` pixels.
fn text_px(height: u32) -> f32 {
    (height as f32 / 24.0).max(12.0)
}

/// The band for a picture of this size: two lines of text and a margin,
/// starting on a 16-pixel row (a JPEG block row), so the picture above it
/// encodes the same whoever the watermark names.
pub fn mark_box(width: u32, height: u32) -> MarkBox {
    let line = text_px(height) * 1.3;
    let band = ((line * 2.0 + line * 0.6).ceil() as u32).min(height);
    let y = (height - band) / 16 * 16;
    MarkBox {
        x: 0,
        y,
        width,
        height: height - y,
    }
}

/// `民國115年12月1日 20:31` for a time (Taipei).
fn roc_minute(t: Timestamp) -> String {
    let date = t.taipei_date();
    let minute = t.taipei_minute();
    let clock = minute.split(' ').nth(1).unwrap_or_default();
    format!("民國{}年{}月{}日 {clock}", date.roc_year(), date.month, date.day)
}

/// The footage time to the second (Taipei), as the watermark shows it.
fn footage_second(at_ms: i64) -> String {
    let t = Timestamp(at_ms);
    format!("{}:{:02}", t.taipei_minute(), at_ms.rem_euclid(60_000) / 1000)
}

/// `picture` with the watermark drawn in, encoded as a JPEG.
pub fn marked_jpeg(picture: &Picture, marking: &Marking) -> Result<(Vec<u8>, MarkBox)> {
    let font = font()?.as_scaled(PxScale::from(text_px(picture.height)));
    let (w, h) = (picture.width, picture.height);
    let band = mark_box(w, h);
    let mut rgb = picture.rgb.clone();
    // Darken the band so the text reads on any picture.
    for y in band.y..band.y + band.height {
        let row = (y * w * 3) as usize;
        for byte in &mut rgb[row..row + (w * 3) as usize] {
            *byte = (u16::from(*byte) * 2 / 5) as u8;
        }
    }
    let lines = [
        format!(
            "調閱申請 {} · 閱覽人 {} · 影像 {}",
            marking.application,
            marking.viewer,
            footage_second(picture.at_ms)
        ),
        format!(
            "陪同 {} · 閱覽 {} · 僅供閱覽 禁止翻拍",
            marking.escort,
            roc_minute(marking.viewing_at)
        ),
    ];
    let line_height = font.height() + font.line_gap();
    let mut baseline = band.y as f32 + line_height * 0.3 + font.ascent();
    for line in &lines {
        draw_line(&mut rgb, (w, h), &font, line, baseline);
        baseline += line_height * 1.3 / 1.15;
    }
    Ok((encode(&rgb, w, h)?, band))
}

/// `picture` as a JPEG, unmarked: the live picture staff see during the
/// walk-around check (never an applicant's).
pub fn plain_jpeg(picture: &Picture) -> Result<Vec<u8>> {
    encode(&picture.rgb, picture.width, picture.height)
}

fn encode(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut jpeg = Vec::with_capacity(64 * 1024);
    let (Ok(ew), Ok(eh)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(RecorderError::internal("a frame too large to encode"));
    };
    jpeg_encoder::Encoder::new(&mut jpeg, JPEG_QUALITY)
        .encode(rgb, ew, eh, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| RecorderError::internal(format!("the frame could not be encoded: {e}")))?;
    Ok(jpeg)
}

/// Draws `text` in white from the left margin at `baseline`, clipped to the picture.
fn draw_line(rgb: &mut [u8], (w, h): (u32, u32), font: &ab_glyph::PxScaleFont<&FontVec>, text: &str, baseline: f32) {
    let mut x = font.height() * 0.4;
    let mut previous = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(before) = previous {
            x += font.kern(before, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(font.scale(), point(x, baseline));
        x += font.h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if px < 0 || py < 0 || px >= i64::from(w) || py >= i64::from(h) {
                return;
            }
            let at = ((py as u32 * w + px as u32) * 3) as usize;
            for byte in &mut rgb[at..at + 3] {
                let v = f32::from(*byte);
                *byte = (v + (255.0 - v) * coverage.clamp(0.0, 1.0)) as u8;
            }
        });
    }
}
