//! `/v1/viewings`: accompanied viewing sessions (`footage::viewing`) and
//! their frames (`footage::playback`). Every refusal is on record.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use custos_api::Problem;
use custos_api::viewing::{FrameQuery, OpenViewing, StripQuery, ViewingClosed, ViewingNonce, ViewingSession};

use super::AppState;
use super::problem::{ApiError, Body, Params};
use crate::footage::{playback, viewing};
use crate::registers::SignedIn;

#[utoipa::path(post, path = "/v1/viewings/nonce", operation_id = "viewing_nonce", tag = "viewings", security(("bearer" = [])),
    responses((status = 200, description = "A nonce for one opening, valid ten minutes", body = ViewingNonce),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "A role that may not accompany a viewing", body = Problem, content_type = "application/problem+json")))]
pub async fn nonce(State(state): State<AppState>, who: SignedIn) -> Result<Json<ViewingNonce>, ApiError> {
    Ok(Json(viewing::issue_nonce(&state.registers, &who)?))
}

#[utoipa::path(post, path = "/v1/viewings", operation_id = "open_viewing", tag = "viewings", security(("bearer" = [])),
    request_body = OpenViewing,
    responses((status = 200, description = "The session is open (or resumed on the tablet that opened it): the application is consumed and its logbook entry begun", body = ViewingSession),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Not an escort, another device's opening, or an opening that does not verify", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Not approved, already viewed, rejected, withdrawn, amended since the screen showed it, or a used nonce", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "None of the approved footage exists any more", body = Problem, content_type = "application/problem+json")))]
pub async fn open(
    State(state): State<AppState>,
    who: SignedIn,
    Body(req): Body<OpenViewing>,
) -> Result<Json<ViewingSession>, ApiError> {
    Ok(Json(viewing::open(&state.registers, &who, req.opening).await?))
}

#[utoipa::path(post, path = "/v1/viewings/{session}/close", operation_id = "close_viewing", tag = "viewings", security(("bearer" = [])),
    params(("session" = String, Path, description = "The session's id")),
    responses((status = 200, description = "Ended by the escort; the logbook entry is complete", body = ViewingClosed),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Another device than the one that opened it", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such session", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "Already ended", body = Problem, content_type = "application/problem+json")))]
pub async fn close(
    State(state): State<AppState>,
    who: SignedIn,
    Path(session): Path<String>,
) -> Result<Json<ViewingClosed>, ApiError> {
    let closed = viewing::close_by_escort(&state.registers, &who, &session).await?;
    state.playback.forget(&session);
    Ok(Json(closed))
}

#[utoipa::path(get, path = "/v1/viewings/{session}/frame", operation_id = "viewing_frame", tag = "viewings", security(("bearer" = [])),
    params(("session" = String, Path, description = "The session's id"), FrameQuery),
    responses((status = 200, description = "The watermarked frame (JPEG, no-store); X-Frame-Time is its footage time (ms), X-Watermark-Box the band the watermark covers (x,y,width,height)", content_type = "image/jpeg"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Another device's session, or a camera or time outside the approval", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such session, or nothing recorded at this time", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "The session has ended", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Frames are being decoded for other viewings; Retry-After says when to ask again", body = Problem, content_type = "application/problem+json")))]
pub async fn frame(
    State(state): State<AppState>,
    who: SignedIn,
    Path(session): Path<String>,
    Params(query): Params<FrameQuery>,
) -> Result<Response, ApiError> {
    let frame = playback::frame(&state.registers, &state.playback, &state.data, &who, &session, &query).await?;
    let mut response = frame.jpeg.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Shown inline only, never offered as a download.
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    let mark = frame.mark;
    if let Ok(v) = HeaderValue::from_str(&format!("{},{},{},{}", mark.x, mark.y, mark.width, mark.height)) {
        headers.insert("x-watermark-box", v);
    }
    if let Ok(v) = HeaderValue::from_str(&frame.at_ms.to_string()) {
        headers.insert("x-frame-time", v);
    }
    headers.insert(
        "x-frame-kind",
        HeaderValue::from_static(if frame.keyframe { "keyframe" } else { "frame" }),
    );
    Ok(response)
}

#[utoipa::path(get, path = "/v1/viewings/{session}/strip", operation_id = "viewing_strip", tag = "viewings", security(("bearer" = [])),
    params(("session" = String, Path, description = "The session's id"), StripQuery),
    responses((status = 200, description = "The scrubber's strip: ten keyframe thumbnails across the window, side by side, watermarked (JPEG, no-store)", content_type = "image/jpeg"),
              (status = 403, description = "Another device's session, or a camera outside the approval", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such session, or nothing recorded in the window", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "The session has ended", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Frames are being decoded for other viewings; Retry-After says when", body = Problem, content_type = "application/problem+json")))]
pub async fn strip(
    State(state): State<AppState>,
    who: SignedIn,
    Path(session): Path<String>,
    Params(query): Params<StripQuery>,
) -> Result<Response, ApiError> {
    let frame = playback::strip(
        &state.registers,
        &state.playback,
        &state.data,
        &who,
        &session,
        &query.camera,
    )
    .await?;
    let mut response = frame.jpeg.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    Ok(response)
}
