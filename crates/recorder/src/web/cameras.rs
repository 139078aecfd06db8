//! `GET /v1/cameras/health`: each camera's measured health, to pre-fill the
//! walk-around checklist; `GET /v1/cameras/{id}/snapshot`: the current
//! picture, only for the roles the profile lets see live pictures (004 §8(3)).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_core::retention::floor_check;
use custos_core::roles::Role;
use custos_core::time::DAY_MS;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Authenticated;
use super::problem::Problem;
use crate::health::{HEALTH_LOOKBACK_MS, IndexHealth, PictureCheck, RECENT_FOR_BITRATE, index_health};
use crate::ingest::camera_dir;
use crate::retention::DiskSpace;
use crate::store::AuditEvent;

/// Camera health pre-fills the inspection log: the same people see it.
const HEALTH_ROLES: [Role; 7] = custos_core::inspection::INSPECTION_LOG_ROLES;

#[derive(Debug, Serialize, ToSchema)]
pub struct CameraHealth {
    pub id: String,
    pub name: String,
    pub location: String,
    pub index: IndexHealth,
    /// The newest picture check; null until the first one.
    pub picture: Option<PictureCheck>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiskHealth {
    pub free_bytes: u64,
    /// At the last day's recording rate; null when nothing was recorded.
    pub days_disk_can_hold: Option<f64>,
    pub floor_days: u32,
    pub floor_at_risk: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteHealth {
    /// Whether the site is open now (its opening hours, Taipei time).
    pub open: bool,
    pub cameras: Vec<CameraHealth>,
    pub disk: DiskHealth,
}

#[utoipa::path(get, path = "/v1/cameras/health", operation_id = "camera_health", tag = "cameras", security(("bearer" = [])),
    responses((status = 200, description = "Measured health of every camera in service", body = SiteHealth),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A role that does not look after the cameras", body = Problem, content_type = "application/problem+json")))]
pub async fn health(State(state): State<AppState>, who: Authenticated) -> Result<Json<SiteHealth>, Problem> {
    if !who.person.roles.iter().any(|r| HEALTH_ROLES.contains(r)) {
        return Err(Problem::forbidden(
            "camera health is for the staff who look after the system",
        ));
    }
    let site = state.cache.site(&state.store)?;
    let rule = site
        .profile()
        .and_then(|p| p.effective_retention())
        .map_err(Problem::internal)?;
    let now = state.clock.now();
    let open = site.site.opening_hours.is_open(now);
    let mut cameras = Vec::new();
    // The disk's use from the per-camera totals and one range per camera;
    // each camera's health from its last hour and its newest segments: a
    // year of footage is 16.8 million rows, never read for a health call.
    let used = state.store.footage_bytes()?.max(0) as u64;
    let per_day = state.store.bytes_since(now.0 - DAY_MS)?.max(0) as u64;
    for (id, camera) in site.active_cameras() {
        let rows = state
            .store
            .recent_segments(id, now.0 - HEALTH_LOOKBACK_MS, RECENT_FOR_BITRATE)?;
        cameras.push(CameraHealth {
            id: id.to_string(),
            name: camera.name.clone(),
            location: camera.location.clone(),
            index: index_health(&rows, now, state.segment_seconds, open),
            picture: state.pictures.get(id),
        });
    }
    let disk = DiskSpace::measure(&state.data).map_err(Problem::internal)?;
    let check = floor_check(rule, used + disk.free.saturating_sub(disk.reserve), 0, per_day);
    Ok(Json(SiteHealth {
        open,
        cameras,
        disk: DiskHealth {
            free_bytes: disk.free,
            days_disk_can_hold: check.days_disk_can_hold.is_finite().then_some(check.days_disk_can_hold),
            floor_days: rule.floor_days,
            floor_at_risk: check.floor_at_risk,
        },
    }))
}

#[utoipa::path(get, path = "/v1/cameras/{id}/snapshot", tag = "cameras", security(("bearer" = [])),
    params(("id" = String, Path, description = "The camera's id, e.g. cam-01")),
    responses((status = 200, description = "The current picture", content_type = "image/jpeg"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "This role may not see live pictures", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such camera, or nothing recorded yet", body = Problem, content_type = "application/problem+json")))]
pub async fn snapshot(
    State(state): State<AppState>,
    who: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let site = state.cache.site(&state.store)?;
    let profile = site.profile().map_err(Problem::internal)?;
    if !who.person.roles.iter().any(|r| profile.live_view_roles.contains(r)) {
        return Err(Problem::forbidden(
            "live pictures are only for the roles this site's rules name (004 §8(3))",
        ));
    }
    let missing = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "No picture",
            "no such camera in service, or nothing recorded yet",
        )
    };
    let camera: custos_core::ids::CameraId = id.parse().map_err(|_| missing())?;
    site.camera(&camera)
        .filter(|c| c.removed_at.is_none())
        .ok_or_else(missing)?;
    // The newest file, including the one being written (fragmented MP4 reads
    // while it grows); a file opened a moment ago may hold no frame yet, so
    // the one before it is tried next.
    let dir = camera_dir(&state.data, camera.as_str());
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "mp4"))
        .collect();
    files.sort();
    let mut jpeg = None;
    for file in files.iter().rev().take(2) {
        let out = tokio::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-sseof", "-1", "-i"])
            .arg(file)
            .args(["-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", "-q:v", "5", "pipe:1"])
            .kill_on_drop(true)
            .output()
            .await
            .map_err(Problem::internal)?;
        if out.status.success() && !out.stdout.is_empty() {
            jpeg = Some(out.stdout);
            break;
        }
    }
    let jpeg = jpeg.ok_or_else(missing)?;
    let detail = json!({ "camera": camera.as_str(), "device": who.device_id.as_str() });
    let actor = who.person_id.to_string();
    state.store.append_audit(
        state.clock.now(),
        AuditEvent {
            kind: "live_picture_viewed",
            actor: &actor,
            detail,
        },
    )?;
    let mut response = jpeg.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
