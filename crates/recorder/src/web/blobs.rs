//! `PUT /v1/blobs/{sha256}` and `GET /v1/blobs/{sha256}`: fault photos and
//! scanned attachments, content-addressed (`registers::blobs`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use custos_api::Problem;

use super::AppState;
use super::problem::ApiError;
use crate::registers::SignedIn;
use crate::registers::blobs::Stored;

#[utoipa::path(put, path = "/v1/blobs/{sha256}", tag = "blobs", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the bytes, lower-case hex")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A JPEG, PNG or WebP image"),
    responses((status = 201, description = "Stored"),
              (status = 200, description = "Already stored"),
              (status = 400, description = "The bytes do not match the name", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "This role does not upload photos", body = Problem, content_type = "application/problem+json"),
              (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
              (status = 415, description = "Not an image", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    who: SignedIn,
    Path(hash): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    Ok(match state.registers.put_blob(&who, &hash, &body)? {
        Stored::Created => StatusCode::CREATED,
        Stored::AlreadyStored => StatusCode::OK,
    })
}

#[utoipa::path(get, path = "/v1/blobs/{sha256}", tag = "blobs", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the bytes, lower-case hex")),
    responses((status = 200, description = "The image", content_type = "image/jpeg"),
              (status = 400, description = "Not a SHA-256 name", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such blob, or not one this device may see", body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(state): State<AppState>, who: SignedIn, Path(hash): Path<String>) -> Result<Response, ApiError> {
    let (media_type, bytes) = state.registers.blob(&who, &hash)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media_type).map_err(ApiError::internal)?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
