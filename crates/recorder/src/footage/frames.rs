//! The live picture during the walk-around check: the newest frame
//! recorded, only for the roles the profile lets see live pictures (004
//! §8(3)), never for an applicant (whose frames are `playback`'s).

use std::path::Path;

use custos_core::ids::CameraId;
use serde_json::json;

use custos_core::time::DAY_MS;

use super::decode::{PLAYBACK_WIDTH, Want, decode};
use super::paths::camera_dir;
use super::watermark::plain_jpeg;
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
/// written (fragmented MP4 reads while it grows), decoded in process as
/// playback's frames are; a file opened a moment ago may hold no frame
/// yet, so the one before it is tried next.
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
    for file in files.into_iter().rev().take(2) {
        let found = tokio::task::spawn_blocking(move || -> Result<Option<Vec<u8>>> {
            // A day past the file's start: its last frame, whatever it holds.
            let decoded = match decode(&file, 0, DAY_MS, Want::Last, PLAYBACK_WIDTH) {
                Ok(decoded) => decoded,
                Err(_) => return Ok(None),
            };
            decoded.pictures.last().map(|p| plain_jpeg(p)).transpose()
        })
        .await
        .map_err(RecorderError::internal)??;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}
