//! `custosframe://localhost/<session>/<camera>/<t>[?mode=keyframe|exact|play]`
//! and `.../<session>/<camera>/strip`: the frames of an open viewing and the
//! scrubber's thumbnails, fetched from the recorder over the pinned
//! connection and handed to the webview from memory. Nothing is written to
//! disk: the answer says `no-store`, so WebKit keeps no copy either.

use std::borrow::Cow;

use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime};

use crate::device::ThisDevice;

/// The URI scheme the playback screen's frames come from.
pub const SCHEME: &str = "custosframe";

/// A frame (session, camera, time, and how: keyframe, exact, play) or the
/// scrubber's strip of a camera (`<session>/<camera>/strip`).
enum Asked {
    Frame(custos_api::viewing::FrameQuery),
    Strip(String),
}

fn parse(request: &Request<Vec<u8>>) -> Option<(String, Asked)> {
    let uri = request.uri();
    let mut parts = uri.path().trim_start_matches('/').split('/');
    let session = parts.next().filter(|s| !s.is_empty() && s.len() <= 64)?.to_string();
    let camera = parts.next().filter(|s| !s.is_empty() && s.len() <= 64)?.to_string();
    let last = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    if last == "strip" {
        return Some((session, Asked::Strip(camera)));
    }
    let t: i64 = last.parse().ok()?;
    let mode = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("mode=")))
        .map(str::to_string);
    Some((
        session,
        Asked::Frame(custos_api::viewing::FrameQuery { camera, t, mode }),
    ))
}

fn answer(status: StatusCode, content_type: &str) -> tauri::http::response::Builder {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            "x-frame-time, x-watermark-box, x-frame-kind",
        )
}

/// Answers one frame request of the webview.
pub async fn respond<R: Runtime>(app: tauri::AppHandle<R>, request: Request<Vec<u8>>) -> Response<Cow<'static, [u8]>> {
    let problem = |status: StatusCode, message: String| {
        let body = serde_json::json!({ "message": message }).to_string().into_bytes();
        answer(status, "application/json")
            .body(Cow::Owned(body))
            .expect("a response")
    };
    let Some((session, asked)) = parse(&request) else {
        return problem(StatusCode::BAD_REQUEST, "not a frame of a viewing".into());
    };
    let Some(device) = app.try_state::<ThisDevice>() else {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "the app is still starting".into());
    };
    let now = device.clock.now().0;
    let served = match device.playback_client().await {
        Ok(mut client) => match &asked {
            Asked::Frame(query) => client.viewing_frame(&session, query, now).await,
            Asked::Strip(camera) => client.viewing_strip(&session, camera, now).await,
        },
        Err(e) => Err(e),
    };
    match served {
        Ok(frame) => answer(StatusCode::OK, "image/jpeg")
            .header("x-frame-time", frame.at_ms.to_string())
            .header("x-watermark-box", frame.mark)
            .header("x-frame-kind", frame.kind)
            .body(Cow::Owned(frame.jpeg))
            .expect("a response"),
        Err(crate::sync::SyncError::Client(crate::client::ClientError::Problem { status, title, detail })) => problem(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            format!("{title}: {detail}"),
        ),
        Err(e) => problem(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}
