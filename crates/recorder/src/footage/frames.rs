//! Frames of recorded footage as still pictures. Now: the live picture
//! during the walk-around check, only for the roles the profile lets see
//! live pictures (004 §8(3)), never for an applicant. Next: the watermarked
//! frames of accompanied playback.

use std::path::Path;

use custos_core::ids::CameraId;
use serde_json::json;

use super::paths::camera_dir;
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use crate::registers::{Registers, SignedIn};

/// The newest picture of a camera in service, as a JPEG, for a person whose
/// roles may see live pictures; every picture shown is on record.
pub async fn live_picture(registers: &Registers, who: &SignedIn, data: &Path, camera: &str) -> Result<Vec<u8>> {
    let site = registers.site()?;
    let profile = site.profile()?;
    if !who.person.roles.iter().any(|r| profile.live_view_roles.contains(r)) {
        return Err(RecorderError::forbidden(
            "live pictures are only for the roles this site's rules name (004 §8(3))",
        ));
    }
    let missing = || RecorderError::not_found("No picture", "no such camera in service, or nothing recorded yet");
    let camera: CameraId = camera.parse().map_err(|_| missing())?;
    site.camera(&camera)
        .filter(|c| c.removed_at.is_none())
        .ok_or_else(missing)?;
    let jpeg = newest_frame(&camera_dir(data, camera.as_str()))
        .await?
        .ok_or_else(missing)?;
    let detail = json!({ "camera": camera.as_str(), "device": who.device_id.as_str() });
    let actor = who.person_id.to_string();
    registers.store.append_audit(
        registers.now(),
        AuditEvent {
            kind: "live_picture_viewed",
            actor: &actor,
            detail,
        },
    )?;
    Ok(jpeg)
}

/// The last frame of the newest file in `dir`, including the one being
/// written (fragmented MP4 reads while it grows); a file opened a moment
/// ago may hold no frame yet, so the one before it is tried next.
async fn newest_frame(dir: &Path) -> Result<Option<Vec<u8>>> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "mp4"))
        .collect();
    files.sort();
    for file in files.iter().rev().take(2) {
        let out = tokio::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-sseof", "-1", "-i"])
            .arg(file)
            .args(["-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", "-q:v", "5", "pipe:1"])
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| RecorderError::internal(format!("ffmpeg could not start: {e}")))?;
        if out.status.success() && !out.stdout.is_empty() {
            return Ok(Some(out.stdout));
        }
    }
    Ok(None)
}
