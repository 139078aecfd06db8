//! Footage for tests and benchmarks: one of ffmpeg's test pictures
//! (`lavfi`, e.g. `testsrc2=size=1280x720:rate=25:duration=60`), encoded as
//! the recorder's segments are (H.264, fragmented MP4, timestamps from
//! zero), with a keyframe every `gop` frames. Not used by the recorder
//! itself; here so the unit tests, the integration tests, the journeys and
//! the benches make footage one way.

use std::path::Path;
use std::process::Command;

/// Encodes `source` into `path` (its folder made if missing); panics with
/// ffmpeg's words if it fails, as a test would.
pub fn encode_footage(path: &Path, source: &str, gop: u32) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("the footage folder can be made");
    }
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            source,
        ])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g"])
        .arg(gop.to_string())
        .args(["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"])
        .arg(path)
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
