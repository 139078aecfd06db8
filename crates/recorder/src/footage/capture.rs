//! The camera's own capture clock, as the recorder writes it into each
//! segment.
//!
//! An RTSP camera sends RTCP sender reports pairing its RTP timestamps with
//! its wall clock (NTP); the recorder places each frame by them
//! ([`super::ingest::Placement`]) and hands the time to FFmpeg's MP4 muxer
//! as the packet's producer reference time (`write_prft=wallclock`), which
//! writes one `prft` box before each fragment, pairing that time with the
//! media time of the fragment's first sample. Read back here when the
//! index lacks a segment ([`super::reconcile`]). (Segments ffmpeg wrote
//! before the recorder read its cameras itself carry the next frame's time,
//! one frame late.)
//!
//! The file is read box by box, every size checked against the file's
//! length, at most [`MAX_BOXES`] top-level boxes and a `moov` of at most
//! [`MAX_MOOV_BYTES`]: a segment is the recorder's output, but a file on disk is
//! read as if anyone could have written it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Top-level boxes read from one segment (a 60 s segment with a keyframe
/// every second has about 120).
pub const MAX_BOXES: usize = 20_000;
/// The largest `moov` or `moof` read (an empty `moov` is under 2 KiB,
/// a `moof` of 60 s at 30 frames/s about 15 KiB).
pub const MAX_MOOV_BYTES: u64 = 1 << 20;
/// Seconds from 1900 (NTP) to 1970 (Unix).
const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;

/// What a segment says of its capture clock: for each fragment, the
/// camera's wall-clock time (ms since 1970) of media time zero of the file.
pub fn capture_origins(path: &Path) -> Vec<f64> {
    match read(path) {
        Ok(origins) => origins,
        Err(why) => {
            tracing::debug!("{}: no capture times ({why})", path.display());
            Vec::new()
        }
    }
}

struct Prft {
    track: u32,
    ntp: u64,
    media_time: u64,
    /// A fragment follows it (a `prft` the file ends after says nothing).
    fragment_follows: bool,
}

fn read(path: &Path) -> Result<Vec<f64>, &'static str> {
    let mut file = File::open(path).map_err(|_| "cannot open")?;
    let len = file.metadata().map_err(|_| "cannot stat")?.len();
    let mut timescales: Vec<(u32, u32)> = Vec::new();
    let mut prfts = Vec::new();
    let mut at = 0u64;
    for _ in 0..MAX_BOXES {
        if at + 8 > len {
            break;
        }
        // A damaged box ends the walk; what came before it still counts.
        let Ok((kind, header, size)) = box_header(&mut file, at, len) else {
            break;
        };
        match &kind {
            b"moov" => timescales = track_timescales(&read_body(&mut file, size - header)?),
            b"prft" => {
                let mut body = [0u8; 24];
                let n = (size - header).min(24) as usize;
                file.read_exact(&mut body[..n]).map_err(|_| "short prft")?;
                if let Some(prft) = parse_prft(&body[..n]) {
                    prfts.push(prft);
                }
            }
            b"moof" => {
                if let Some(prft) = prfts.last_mut() {
                    prft.fragment_follows = true;
                }
            }
            _ => {}
        }
        at += size;
    }
    Ok(prfts
        .iter()
        .filter(|p| p.fragment_follows)
        .filter_map(|p| {
            let timescale = timescales.iter().find(|(id, _)| *id == p.track)?.1;
            Some(unix_ms(p.ntp)? - p.media_time as f64 * 1000.0 / f64::from(timescale))
        })
        .collect())
}

fn read_body(file: &mut File, len: u64) -> Result<Vec<u8>, &'static str> {
    if len > MAX_MOOV_BYTES {
        return Err("box too large");
    }
    let mut body = vec![0u8; len as usize];
    file.read_exact(&mut body).map_err(|_| "short box")?;
    Ok(body)
}

/// A box's kind, header length and whole size, checked to end inside the file.
fn box_header(file: &mut File, at: u64, len: u64) -> Result<([u8; 4], u64, u64), &'static str> {
    file.seek(SeekFrom::Start(at)).map_err(|_| "cannot seek")?;
    let mut head = [0u8; 16];
    let n = if at + 16 <= len { 16 } else { 8 };
    file.read_exact(&mut head[..n]).map_err(|_| "short header")?;
    let kind: [u8; 4] = head[4..8].try_into().unwrap_or_default();
    let (header, size) = match u32::from_be_bytes(head[..4].try_into().unwrap_or_default()) {
        0 => (8, len - at),
        1 if n == 16 => (16, u64::from_be_bytes(head[8..16].try_into().unwrap_or_default())),
        1 => return Err("short large size"),
        s => (8, u64::from(s)),
    };
    if size < header || at.checked_add(size).is_none_or(|end| end > len) {
        return Err("box runs past the file");
    }
    file.seek(SeekFrom::Start(at + header)).map_err(|_| "cannot seek")?;
    Ok((kind, header, size))
}

/// The boxes directly inside `body`: (kind, contents).
fn children(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        if size < 8 || size > rest.len() {
            return None;
        }
        let (this, next) = rest.split_at(size);
        rest = next;
        Some((&this[4..8], &this[8..]))
    })
}

fn child<'a>(body: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
    children(body).find(|(k, _)| *k == kind).map(|(_, b)| b)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// (track id, media timescale) of each `trak` in a `moov`.
fn track_timescales(moov: &[u8]) -> Vec<(u32, u32)> {
    children(moov)
        .filter(|(k, _)| *k == b"trak")
        .filter_map(|(_, trak)| {
            let tkhd = child(trak, b"tkhd")?;
            let id = be_u32(tkhd, if tkhd.first()? == &1 { 20 } else { 12 })?;
            let mdhd = child(child(trak, b"mdia")?, b"mdhd")?;
            let timescale = be_u32(mdhd, if mdhd.first()? == &1 { 20 } else { 12 })?;
            (timescale > 0).then_some((id, timescale))
        })
        .collect()
}

fn parse_prft(body: &[u8]) -> Option<Prft> {
    let version = *body.first()?;
    Some(Prft {
        track: be_u32(body, 4)?,
        ntp: be_u64(body, 8)?,
        media_time: if version == 1 {
            be_u64(body, 16)?
        } else {
            u64::from(be_u32(body, 16)?)
        },
        fragment_follows: false,
    })
}

/// An NTP timestamp (32.32 since 1900) as ms since 1970; none before 1970.
fn unix_ms(ntp: u64) -> Option<f64> {
    let seconds = (ntp >> 32).checked_sub(NTP_UNIX_OFFSET_S)?;
    let fraction = (ntp & 0xffff_ffff) as f64 / 4_294_967_296.0;
    Some((seconds as f64 + fraction) * 1000.0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A full box's body: version (top byte) and flags, then `fields`.
    fn full(version_and_flags: u32, fields: &[u8]) -> Vec<u8> {
        let mut out = version_and_flags.to_be_bytes().to_vec();
        out.extend_from_slice(fields);
        out
    }

    /// A segment as the recorder writes it: one video track at 90 kHz, then a
    /// `prft` before each fragment.
    pub(crate) fn segment(prfts: &[(u64, u64)]) -> Vec<u8> {
        let mut tkhd = [0u8; 80];
        tkhd[8..12].copy_from_slice(&1u32.to_be_bytes());
        let mut mdhd = [0u8; 20];
        mdhd[8..12].copy_from_slice(&90_000u32.to_be_bytes());
        let mdia = mp4_box(b"mdia", &mp4_box(b"mdhd", &full(0, &mdhd)));
        let trak = mp4_box(b"trak", &[mp4_box(b"tkhd", &full(0, &tkhd)), mdia].concat());
        let mut out = [mp4_box(b"ftyp", b"isom\0\0\x02\0"), mp4_box(b"moov", &trak)].concat();
        for (ntp, media) in prfts {
            let fields = [1u32.to_be_bytes().as_slice(), &ntp.to_be_bytes(), &media.to_be_bytes()].concat();
            out.extend(mp4_box(b"prft", &full(0x0100_0000, &fields)));
            out.extend(moof(9_000));
            out.extend(mp4_box(b"mdat", &[0; 300]));
        }
        out
    }

    /// A fragment whose first sample lasts `duration` (of 90 000 a second).
    fn moof(duration: u32) -> Vec<u8> {
        let tfhd = full(0, &1u32.to_be_bytes());
        // Data offset, first-sample flags, then (duration, size) per sample.
        let fields = [1u32, 8, 0x0200_0000, duration, 300].map(u32::to_be_bytes).concat();
        let trun = full(0x0305, &fields);
        let traf = mp4_box(b"traf", &[mp4_box(b"tfhd", &tfhd), mp4_box(b"trun", &trun)].concat());
        mp4_box(b"moof", &[mp4_box(b"mfhd", &full(0, &[0, 0, 0, 1])), traf].concat())
    }

    pub(crate) fn ntp(unix_ms: u64) -> u64 {
        ((unix_ms / 1000 + NTP_UNIX_OFFSET_S) << 32) | (((unix_ms % 1000) << 32) / 1000 + 1)
    }

    fn origins_of(bytes: &[u8]) -> Vec<f64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("20261124T102520Z.mp4");
        std::fs::write(&path, bytes).unwrap();
        capture_origins(&path)
    }

    #[test]
    fn each_fragment_gives_the_capture_time_of_the_files_media_zero() {
        let at = 1_795_487_120_000u64; // 2026-11-24 10:25:20 UTC
        // Fragments at media 0 s and 1 s, captured at :20.250 and :21.250.
        let origins = origins_of(&segment(&[(ntp(at + 250), 0), (ntp(at + 1250), 90_000)]));
        assert_eq!(origins.len(), 2);
        for origin in origins {
            assert!((origin - (at + 250) as f64).abs() < 1.0, "{origin}");
        }
    }

    #[test]
    fn a_damaged_or_foreign_file_gives_no_capture_time() {
        let good = segment(&[(ntp(1_795_487_120_100), 0)]);
        let at = |kind: &[u8]| good.windows(4).position(|w| w == kind).unwrap() - 4;
        // Cut inside the last box: the whole boxes before the cut still count.
        assert_eq!(origins_of(&good[..good.len() - 1]).len(), 1);
        // A moov claiming more than the file; a prft for a track the file
        // lacks; a prft before 1970; a prft with no fragment after it; nothing.
        let mut moov_past_the_end = good.clone();
        moov_past_the_end[at(b"moov")..at(b"moov") + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut other_track = good.clone();
        other_track[at(b"prft") + 12..at(b"prft") + 16].copy_from_slice(&7u32.to_be_bytes());
        for (what, bytes) in [
            ("moov past the end", &moov_past_the_end[..]),
            ("other track", &other_track[..]),
            ("before 1970", &segment(&[(5 << 32, 0)])[..]),
            ("no fragment", &good[..at(b"moof")]),
            ("empty", &[][..]),
        ] {
            assert!(origins_of(bytes).is_empty(), "{what}");
        }
        assert!(capture_origins(Path::new("/nonexistent/x.mp4")).is_empty());
    }

    #[test]
    fn an_oversized_moov_is_not_read() {
        let mut bytes = mp4_box(b"ftyp", b"isom");
        bytes.extend(mp4_box(b"moov", &vec![0; MAX_MOOV_BYTES as usize + 1]));
        assert!(origins_of(&bytes).is_empty());
    }
}
