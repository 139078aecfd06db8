//! One camera (攝影機) read in process: an RTSP session over TCP (retina),
//! its H.264 or H.265 video and AAC audio as frames ready for an MP4
//! segment, each frame placed on the camera's own clock by its RTCP sender
//! reports. A fifth of the CPU of an `ffmpeg -c copy` per camera, measured
//! (docs/recorder.md). A camera is hostile input like any device: every
//! wait has a time limit, every frame a size limit, bounded inside retina
//! before its pieces are kept (`retina::codec::MAX_PENDING_BYTES`,
//! vendor/README.md), and what it sends a rate limit ([`Rate`]) on every
//! byte read, also those retina drops itself (data on channels never set
//! up, packets out of order): a camera that sends valid frames, or
//! anything, at the speed of the network would fill the footage disk or
//! keep a core busy.

use std::collections::HashMap;
use std::task::Poll;
use std::time::Duration;

use custos_api::cameras::LinkProblemKind;
use futures_util::StreamExt;
use retina::client::{
    Credentials, Demuxed, PlayOptions, Session, SessionOptions, SetupOptions, TeardownPolicy, Transport,
};
use retina::codec::{CodecItem, FrameFormat, ParametersRef, VideoParametersCodec};

/// The most a camera may send, on average over [`RATE_WINDOW`]: 40 Mbit/s
/// is several times a 4K camera's 8–16, so a keyframe's burst never meets
/// it and only a broken or hostile camera does.
pub const MOST_BITS_PER_SECOND: u64 = 40_000_000;
/// Video frames a second: twice a 60 frames/s camera's.
pub const MOST_FRAMES_PER_SECOND: u64 = 120;
/// Everything the stream delivers a second (video, sound, sender reports):
/// sound adds at most ~94 frames/s (AAC at 96 kHz), reports a few.
pub const MOST_MESSAGES_PER_SECOND: u64 = 400;
/// The window the rates are averaged over.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

/// DESCRIBE, SETUP and PLAY together.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A camera that sends no picture for this long is reconnected (ffmpeg's
/// `-timeout` was the same).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("not an rtsp:// address")]
    Address,
    #[error("cannot reach the camera: {0}")]
    Connect(String),
    #[error("the camera sends no H.264 or H.265 video")]
    NoVideo,
    #[error("the camera sent no picture for {} s", READ_TIMEOUT.as_secs())]
    Silent,
    #[error(
        "the camera sent more than {} Mbit/s for {} s: check its bitrate setting",
        MOST_BITS_PER_SECOND / 1_000_000,
        RATE_WINDOW.as_secs()
    )]
    TooManyBytes,
    #[error(
        "the camera sent more than {} frames a second for {} s: check its frame rate",
        MOST_FRAMES_PER_SECOND,
        RATE_WINDOW.as_secs()
    )]
    TooManyFrames,
    #[error(
        "the camera sent more than {} messages a second for {} s",
        MOST_MESSAGES_PER_SECOND,
        RATE_WINDOW.as_secs()
    )]
    TooManyMessages,
    #[error("the camera ended the stream")]
    Ended,
    #[error("the stream broke: {0}")]
    Stream(String),
}

impl LinkError {
    /// The problem as health shows it.
    pub fn kind(&self) -> LinkProblemKind {
        match self {
            LinkError::Address => LinkProblemKind::Address,
            LinkError::Connect(_) => LinkProblemKind::Unreachable,
            LinkError::NoVideo => LinkProblemKind::NoVideo,
            LinkError::Silent => LinkProblemKind::NoPicture,
            LinkError::Ended => LinkProblemKind::Ended,
            LinkError::Stream(_) => LinkProblemKind::Broken,
            LinkError::TooManyBytes => LinkProblemKind::TooManyBytes,
            LinkError::TooManyFrames => LinkProblemKind::TooManyFrames,
            LinkError::TooManyMessages => LinkProblemKind::TooManyMessages,
        }
    }
}

/// What a segment's video track is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoTrack {
    pub h265: bool,
    /// The sample entry's configuration (`avcC` or `hvcC`).
    pub extra_data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub clock_rate: u32,
}

/// What a segment's audio track is made from (AAC).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioTrack {
    /// The AudioSpecificConfig.
    pub extra_data: Vec<u8>,
    pub sample_rate: u32,
    pub channels: u16,
}

/// One frame, as the camera sent it.
#[derive(Debug)]
pub struct Sample {
    pub video: bool,
    /// Presentation time in ticks of `clock_rate` since the session began.
    pub pts: i64,
    pub clock_rate: u32,
    pub keyframe: bool,
    /// Length-prefixed NAL units (video) or one raw AAC frame (audio).
    pub data: Vec<u8>,
    /// When the camera captured it (ms since 1970 on the camera's clock),
    /// once the camera has sent a sender report for the stream.
    pub capture_ms: Option<f64>,
}

/// An RTSP session playing one camera's video (and audio, when AAC).
pub struct CameraLink {
    demuxed: Demuxed,
    video_stream: usize,
    audio_stream: Option<usize>,
    /// Per stream, the newest sender report: (RTP time, camera ms).
    reports: HashMap<usize, (i64, f64)>,
    /// A video frame must come by then: sender reports or sound alone do
    /// not keep a link that records no picture.
    video_due: tokio::time::Instant,
    rate: Rate,
    /// The connection's bytes read when the rate last counted them.
    counted_bytes: u64,
}

/// What the stream delivered with the bytes a [`Rate`] counts.
#[derive(Debug, Clone, Copy)]
enum Delivered {
    /// Nothing yet: bytes read (and perhaps dropped by retina) before the
    /// stream waited for more.
    Nothing,
    Message,
    VideoFrame,
}

/// What a camera has sent in the current [`RATE_WINDOW`]; a window that
/// ends starts the next from nothing.
#[derive(Debug)]
struct Rate {
    since: tokio::time::Instant,
    bytes: u64,
    frames: u64,
    messages: u64,
}

impl Rate {
    fn new(now: tokio::time::Instant) -> Rate {
        Rate {
            since: now,
            bytes: 0,
            frames: 0,
            messages: 0,
        }
    }

    /// Counts `bytes` read and what came of them, refusing them when they
    /// take the window past a bound.
    fn count(&mut self, now: tokio::time::Instant, bytes: u64, delivered: Delivered) -> Result<(), LinkError> {
        if now.duration_since(self.since) >= RATE_WINDOW {
            *self = Rate::new(now);
        }
        let window = RATE_WINDOW.as_secs();
        self.messages += u64::from(!matches!(delivered, Delivered::Nothing));
        self.frames += u64::from(matches!(delivered, Delivered::VideoFrame));
        self.bytes += bytes;
        if self.bytes * 8 > MOST_BITS_PER_SECOND * window {
            Err(LinkError::TooManyBytes)
        } else if self.frames > MOST_FRAMES_PER_SECOND * window {
            Err(LinkError::TooManyFrames)
        } else if self.messages > MOST_MESSAGES_PER_SECOND * window {
            Err(LinkError::TooManyMessages)
        } else {
            Ok(())
        }
    }
}

/// `url` without its user information, and the credentials it carried.
fn split_credentials(url: &str) -> Result<(url::Url, Option<Credentials>), LinkError> {
    let mut url = url::Url::parse(url).map_err(|_| LinkError::Address)?;
    if !matches!(url.scheme(), "rtsp" | "rtsps") {
        return Err(LinkError::Address);
    }
    let creds = (!url.username().is_empty()).then(|| Credentials {
        username: decode(url.username()),
        password: decode(url.password().unwrap_or_default()),
    });
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Ok((url, creds))
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// NTP time (seconds since 1900, 32.32) as ms since 1970.
fn ntp_to_unix_ms(ntp: retina::NtpTimestamp) -> f64 {
    let since = ntp.0.wrapping_sub(retina::UNIX_EPOCH.0);
    (since >> 32) as f64 * 1000.0 + (since & 0xffff_ffff) as f64 * 1000.0 / 4_294_967_296.0
}

impl CameraLink {
    /// Connects and starts playing, within [`CONNECT_TIMEOUT`].
    pub async fn open(url: &str) -> Result<CameraLink, LinkError> {
        let (url, creds) = split_credentials(url)?;
        tokio::time::timeout(CONNECT_TIMEOUT, Self::connect(url, creds))
            .await
            .map_err(|_| LinkError::Connect(format!("no answer in {} s", CONNECT_TIMEOUT.as_secs())))?
    }

    async fn connect(url: url::Url, creds: Option<Credentials>) -> Result<CameraLink, LinkError> {
        let failed = |e: retina::Error| LinkError::Connect(e.to_string());
        // No TEARDOWN: closing the TCP connection ends the session, and a
        // camera that broke its stream is not read for seconds more while
        // a TEARDOWN waits for an answer.
        let options = SessionOptions::default()
            .teardown(TeardownPolicy::Never)
            .creds(creds)
            .user_agent("Custos recorder".into());
        let mut session = Session::describe(url, options).await.map_err(failed)?;
        let video_stream = session
            .streams()
            .iter()
            .position(|s| s.media() == "video" && matches!(s.encoding_name(), "h264" | "h265"))
            .ok_or(LinkError::NoVideo)?;
        let audio_stream = session
            .streams()
            .iter()
            .position(|s| s.media() == "audio" && s.encoding_name() == "mpeg4-generic");
        let setup = || {
            SetupOptions::default()
                .transport(Transport::Tcp(Default::default()))
                .frame_format(FrameFormat::MP4)
        };
        session.setup(video_stream, setup()).await.map_err(failed)?;
        if let Some(audio) = audio_stream {
            session.setup(audio, setup()).await.map_err(failed)?;
        }
        let playing = session
            .play(PlayOptions::default().initial_timestamp(retina::client::InitialTimestampPolicy::Permissive))
            .await
            .map_err(failed)?;
        let demuxed = playing.demuxed().map_err(failed)?;
        Ok(CameraLink {
            demuxed,
            video_stream,
            audio_stream,
            reports: HashMap::new(),
            video_due: tokio::time::Instant::now() + READ_TIMEOUT,
            rate: Rate::new(tokio::time::Instant::now()),
            counted_bytes: 0,
        })
    }

    /// The video track, once the camera has said what it is (in its SDP
    /// or its first keyframe).
    pub fn video(&self) -> Option<VideoTrack> {
        let stream = &self.demuxed.streams()[self.video_stream];
        let Some(ParametersRef::Video(p)) = stream.parameters() else {
            return None;
        };
        let (width, height) = p.pixel_dimensions();
        Some(VideoTrack {
            h265: !matches!(p.codec_params(), VideoParametersCodec::H264 { .. }),
            extra_data: p.extra_data().to_vec(),
            width,
            height,
            clock_rate: stream.clock_rate_hz(),
        })
    }

    /// The audio track, when the camera sends AAC.
    pub fn audio(&self) -> Option<AudioTrack> {
        let stream = &self.demuxed.streams()[self.audio_stream?];
        let Some(ParametersRef::Audio(p)) = stream.parameters() else {
            return None;
        };
        Some(AudioTrack {
            extra_data: p.extra_data().to_vec(),
            sample_rate: p.clock_rate(),
            channels: p.channels().get(),
        })
    }

    /// The next frame, with a video frame at most [`READ_TIMEOUT`] after
    /// the one before.
    pub async fn next(&mut self) -> Result<Sample, LinkError> {
        loop {
            let item = tokio::time::timeout_at(self.video_due, self.counted_next())
                .await
                .map_err(|_| LinkError::Silent)??
                .ok_or(LinkError::Ended)?
                .map_err(|e| LinkError::Stream(e.to_string()))?;
            match item {
                CodecItem::VideoFrame(frame) if frame.stream_id() == self.video_stream => {
                    let ts = frame.timestamp();
                    let keyframe = frame.is_random_access_point();
                    let data = frame.into_data();
                    self.video_due = tokio::time::Instant::now() + READ_TIMEOUT;
                    return Ok(self.sample(true, ts, keyframe, data));
                }
                CodecItem::AudioFrame(frame) if Some(frame.stream_id()) == self.audio_stream => {
                    let ts = frame.timestamp();
                    let data = frame.data().to_vec();
                    return Ok(self.sample(false, ts, true, data));
                }
                CodecItem::Rtcp(rtcp) => {
                    let (Some(rtp), Some(report)) = (
                        rtcp.rtp_timestamp(),
                        rtcp.pkts().next().and_then(|p| p.as_sender_report().ok().flatten()),
                    ) else {
                        continue;
                    };
                    let camera_ms = ntp_to_unix_ms(report.ntp_timestamp());
                    tracing::debug!(
                        "stream {}: sender report, RTP {} at {camera_ms:.1} ms",
                        rtcp.stream_id(),
                        rtp.elapsed()
                    );
                    self.reports.insert(rtcp.stream_id(), (rtp.timestamp(), camera_ms));
                }
                _ => {}
            }
        }
    }

    /// The stream's next item, the bytes read for it counted at every poll:
    /// retina reads and drops some data itself without yielding, but the
    /// read readiness it polls uses tokio's cooperative budget, so a flood
    /// of it returns here every 128 reads (at most 8 MiB of 64 KiB reads).
    async fn counted_next(&mut self) -> Result<Option<Result<CodecItem, retina::Error>>, LinkError> {
        std::future::poll_fn(|cx| {
            let polled = self.demuxed.poll_next_unpin(cx);
            let read = self.demuxed.received_bytes();
            let bytes = read.saturating_sub(self.counted_bytes);
            self.counted_bytes = read;
            let delivered = match &polled {
                Poll::Pending => Delivered::Nothing,
                Poll::Ready(Some(Ok(CodecItem::VideoFrame(_)))) => Delivered::VideoFrame,
                Poll::Ready(_) => Delivered::Message,
            };
            match self.rate.count(tokio::time::Instant::now(), bytes, delivered) {
                Ok(()) => polled.map(Ok),
                Err(e) => Poll::Ready(Err(e)),
            }
        })
        .await
    }

    fn sample(&self, video: bool, ts: retina::Timestamp, keyframe: bool, data: Vec<u8>) -> Sample {
        let stream = if video {
            self.video_stream
        } else {
            self.audio_stream.unwrap_or_default()
        };
        let clock_rate = ts.clock_rate().get();
        let capture_ms = self
            .reports
            .get(&stream)
            .map(|(rtp, ms)| ms + (ts.timestamp() - rtp) as f64 * 1000.0 / f64::from(clock_rate));
        Sample {
            video,
            pts: ts.elapsed(),
            clock_rate,
            keyframe,
            data,
            capture_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_address_and_are_decoded() {
        let (url, creds) = split_credentials("rtsp://admin:p%40ss@10.0.0.5:554/h264").unwrap();
        assert_eq!(url.as_str(), "rtsp://10.0.0.5:554/h264");
        let creds = creds.unwrap();
        assert_eq!((creds.username.as_str(), creds.password.as_str()), ("admin", "p@ss"));
        assert!(split_credentials("rtsp://10.0.0.5/live").unwrap().1.is_none());
        assert!(matches!(split_credentials("http://10.0.0.5/"), Err(LinkError::Address)));
    }

    #[test]
    fn a_camera_may_send_a_4k_stream_for_ever_but_not_more() {
        let start = tokio::time::Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        // 16 Mbit/s at 60 frames/s with sound, for a minute: never refused.
        let mut rate = Rate::new(start);
        for i in 0..3600u64 {
            rate.count(at(i * 1000 / 60), 16_000_000 / 8 / 60, Delivered::VideoFrame)
                .unwrap();
            rate.count(at(i * 1000 / 60), 300, Delivered::Message).unwrap();
        }
        // 41 Mbit/s: refused within the window.
        let mut rate = Rate::new(start);
        let refused =
            (0..250u64).find_map(|i| rate.count(at(i * 40), 41_000_000 / 8 / 25, Delivered::VideoFrame).err());
        assert!(matches!(refused, Some(LinkError::TooManyBytes)), "{refused:?}");
        // 41 Mbit/s that retina drops itself, counted each second: refused too.
        let mut rate = Rate::new(start);
        let refused = (0..10u64).find_map(|i| rate.count(at(i * 1000), 41_000_000 / 8, Delivered::Nothing).err());
        assert!(matches!(refused, Some(LinkError::TooManyBytes)), "{refused:?}");
        // Tiny frames, 121 a second.
        let mut rate = Rate::new(start);
        let refused = (0..1210u64).find_map(|i| rate.count(at(i * 1000 / 121), 100, Delivered::VideoFrame).err());
        assert!(matches!(refused, Some(LinkError::TooManyFrames)), "{refused:?}");
        // Sender reports alone, 401 a second.
        let mut rate = Rate::new(start);
        let refused = (0..4010u64).find_map(|i| rate.count(at(i * 1000 / 401), 28, Delivered::Message).err());
        assert!(matches!(refused, Some(LinkError::TooManyMessages)), "{refused:?}");
    }

    #[test]
    fn ntp_time_is_read_as_unix_milliseconds() {
        // 2026-11-24 10:25:00.5 UTC.
        let secs = 1_795_487_100u64 + 2_208_988_800;
        let ntp = retina::NtpTimestamp((secs << 32) | (1u64 << 31));
        assert_eq!(ntp_to_unix_ms(ntp), 1_795_487_100_500.0);
    }
}
