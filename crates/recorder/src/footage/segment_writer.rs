//! One segment written in process: a fragmented MP4 (a fragment per
//! keyframe, so a recorder killed mid-minute leaves a readable file) of the
//! camera's frames as they came, never re-encoded, through FFmpeg's own MP4
//! muxer (ffmpeg-next). Timestamps start at zero at the segment's first
//! keyframe (as `-reset_timestamps 1` did), and each fragment carries its
//! capture time in a `prft` box, read back by [`super::capture`].

use std::path::{Path, PathBuf};

use ffmpeg::ffi;
use ffmpeg::packet::Mut as _;
use ffmpeg_next as ffmpeg;

use super::camera_link::{AudioTrack, Sample, VideoTrack};
use crate::base::error::{RecorderError, Result};

const MICROS: ffmpeg::Rational = ffmpeg::Rational(1, 1_000_000);

/// A segment file being written.
pub struct SegmentWriter {
    out: ffmpeg::format::context::Output,
    path: PathBuf,
    video_index: usize,
    audio_index: Option<usize>,
    /// Time base of each stream as the muxer chose it.
    time_bases: Vec<ffmpeg::Rational>,
    /// Session time (µs) of the first keyframe: the segment's zero.
    origin_us: i64,
    /// Per stream, the last decoding time written.
    last_dts: Vec<Option<i64>>,
}

fn failed(path: &Path, what: &str, e: ffmpeg::Error) -> RecorderError {
    RecorderError::internal(format!("{}: cannot {what}: {e}", path.display()))
}

/// Session time of a sample, in µs.
pub fn sample_us(sample: &Sample) -> i64 {
    (i128::from(sample.pts) * 1_000_000 / i128::from(sample.clock_rate.max(1))) as i64
}

/// Copies `bytes` into FFmpeg-owned memory with the padding its readers expect.
unsafe fn set_extra_data(par: *mut ffi::AVCodecParameters, bytes: &[u8]) {
    unsafe {
        let size = bytes.len() + ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize;
        let data = ffi::av_mallocz(size) as *mut u8;
        if data.is_null() {
            return;
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
        (*par).extradata = data;
        (*par).extradata_size = bytes.len() as i32;
    }
}

impl SegmentWriter {
    /// Creates `path` and writes its header; `first` (a keyframe) is the
    /// segment's zero.
    pub fn create(path: &Path, video: &VideoTrack, audio: Option<&AudioTrack>, first: &Sample) -> Result<Self> {
        super::decode::init()?;
        let mut out = ffmpeg::format::output_as(path, "mp4").map_err(|e| failed(path, "create", e))?;
        // SAFETY: fresh streams of a context this function owns; their
        // codec parameters are plain fields, the extra data FFmpeg-allocated.
        unsafe {
            let ctx = out.as_mut_ptr();
            let st = ffi::avformat_new_stream(ctx, std::ptr::null());
            if st.is_null() {
                return Err(RecorderError::internal("cannot add a video stream"));
            }
            let par = (*st).codecpar;
            (*par).codec_type = ffi::AVMediaType::AVMEDIA_TYPE_VIDEO;
            (*par).codec_id = if video.h265 {
                ffi::AVCodecID::AV_CODEC_ID_HEVC
            } else {
                ffi::AVCodecID::AV_CODEC_ID_H264
            };
            (*par).width = video.width as i32;
            (*par).height = video.height as i32;
            set_extra_data(par, &video.extra_data);
            (*st).time_base = ffi::AVRational {
                num: 1,
                den: video.clock_rate as i32,
            };
            if let Some(audio) = audio {
                let st = ffi::avformat_new_stream(ctx, std::ptr::null());
                if st.is_null() {
                    return Err(RecorderError::internal("cannot add an audio stream"));
                }
                let par = (*st).codecpar;
                (*par).codec_type = ffi::AVMediaType::AVMEDIA_TYPE_AUDIO;
                (*par).codec_id = ffi::AVCodecID::AV_CODEC_ID_AAC;
                (*par).sample_rate = audio.sample_rate as i32;
                ffi::av_channel_layout_default(&mut (*par).ch_layout, i32::from(audio.channels));
                set_extra_data(par, &audio.extra_data);
                (*st).time_base = ffi::AVRational {
                    num: 1,
                    den: audio.sample_rate as i32,
                };
            }
        }
        let mut options = ffmpeg::Dictionary::new();
        options.set("movflags", "+frag_keyframe+empty_moov+default_base_moof");
        options.set("write_prft", "wallclock");
        out.write_header_with(options)
            .map_err(|e| failed(path, "write the header of", e))?;
        let time_bases = out.streams().map(|s| s.time_base()).collect::<Vec<_>>();
        let streams = time_bases.len();
        Ok(SegmentWriter {
            out,
            path: path.to_path_buf(),
            video_index: 0,
            audio_index: audio.map(|_| 1),
            time_bases,
            origin_us: sample_us(first),
            last_dts: vec![None; streams],
        })
    }

    /// Writes one frame; `placed_us` is its capture time (µs since 1970)
    /// as the recorder places it, for the fragment's `prft`. Audio from
    /// before the segment's zero is left out.
    pub fn write(&mut self, sample: &Sample, placed_us: i64) -> Result<()> {
        let index = if sample.video {
            self.video_index
        } else {
            match self.audio_index {
                Some(i) => i,
                None => return Ok(()),
            }
        };
        let relative_us = sample_us(sample) - self.origin_us;
        if relative_us < 0 {
            return Ok(());
        }
        let time_base = self.time_bases[index];
        let pts = ffmpeg::Rescale::rescale(&relative_us, MICROS, time_base);
        // Cameras send no B-frames; should one, decoding order is kept
        // strictly increasing, as the muxer requires.
        let dts = match self.last_dts[index] {
            Some(last) if pts <= last => last + 1,
            _ => pts,
        };
        self.last_dts[index] = Some(dts);
        let mut packet = ffmpeg::Packet::copy(&sample.data);
        packet.set_stream(index);
        packet.set_pts(Some(pts.max(dts)));
        packet.set_dts(Some(dts));
        if sample.keyframe && sample.video {
            packet.set_flags(ffmpeg::packet::Flags::KEY);
        }
        if sample.video {
            // SAFETY: side data FFmpeg allocates for this packet, of the
            // struct's size, filled before the packet is written.
            unsafe {
                let size = std::mem::size_of::<ffi::AVProducerReferenceTime>();
                let data = ffi::av_packet_new_side_data(
                    packet.as_mut_ptr(),
                    ffi::AVPacketSideDataType::AV_PKT_DATA_PRFT,
                    size as _,
                );
                if !data.is_null() {
                    let prft = data as *mut ffi::AVProducerReferenceTime;
                    (*prft).wallclock = placed_us;
                    (*prft).flags = 0;
                }
            }
        }
        packet
            .write(&mut self.out)
            .map_err(|e| failed(&self.path, "write a frame to", e))?;
        Ok(())
    }

    /// Writes the last fragment and closes the file.
    pub fn finish(mut self) -> Result<PathBuf> {
        // SAFETY: the context this writer owns, its header written. Called
        // directly: the MP4 muxer returns the size of its closing `mfra` box,
        // which ffmpeg-next's `write_trailer` takes for an error.
        let written = unsafe { ffi::av_write_trailer(self.out.as_mut_ptr()) };
        if written < 0 {
            return Err(failed(&self.path, "finish", ffmpeg::Error::from(written)));
        }
        Ok(self.path)
    }
}
