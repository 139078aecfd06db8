//! `PUT /v1/blobs/{sha256}` and `GET /v1/blobs/{sha256}`: fault photos and
//! scanned attachments, content-addressed. The recorder checks the hash and
//! that the bytes are an image, and hands a blob only to a device that
//! uploaded it or may read a document that refers to it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_core::documents::{DocKey, blob_references};
use custos_core::roles::Role;
use custos_core::signing::sha256_hex;
use serde_json::json;

use super::AppState;
use super::auth::Authenticated;
use super::documents::readable;
use super::problem::Problem;
use crate::registry::site_register;
use crate::store::AuditEvent;

/// Largest photo accepted: the app sends at most 1600 px JPEGs, far below this.
pub const MAX_BLOB_BYTES: usize = 10 * 1024 * 1024;

/// The image type of `bytes` by its magic number, or `None`.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn check_hash(hash: &str) -> Result<(), Problem> {
    let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Problem::bad_request(
            "a blob is named by its SHA-256: 64 lower-case hex digits",
        ))
    }
}

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
    who: Authenticated,
    Path(hash): Path<String>,
    body: Bytes,
) -> Result<StatusCode, Problem> {
    check_hash(&hash)?;
    if !who
        .person
        .roles
        .iter()
        .any(|r| matches!(r, Role::Manager | Role::Inspector))
    {
        return Err(Problem::forbidden(
            "only the staff who record checks and applications upload photos",
        ));
    }
    if body.len() > MAX_BLOB_BYTES {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            format!("at most {MAX_BLOB_BYTES} bytes"),
        ));
    }
    let actual = sha256_hex(&body);
    if actual != hash {
        return Err(Problem::bad_request(format!(
            "the bytes hash to {actual}, not {hash}: the upload was damaged; send it again"
        )));
    }
    let media_type = sniff_image(&body).ok_or_else(|| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Not an image",
            "only JPEG, PNG or WebP photos are accepted",
        )
    })?;
    let now = state.clock.now();
    let created = state
        .store
        .put_blob(&hash, media_type, &body, who.device_id.as_str(), now)?;
    if created {
        let detail =
            json!({ "blob": hash, "bytes": body.len(), "media_type": media_type, "device": who.device_id.as_str() });
        let actor = who.person_id.to_string();
        state.store.append_audit(
            now,
            AuditEvent {
                kind: "blob_uploaded",
                actor: &actor,
                detail,
            },
        )?;
        Ok(StatusCode::CREATED)
    } else {
        Ok(StatusCode::OK)
    }
}

#[utoipa::path(get, path = "/v1/blobs/{sha256}", tag = "blobs", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the bytes, lower-case hex")),
    responses((status = 200, description = "The image", content_type = "image/jpeg"),
              (status = 400, description = "Not a SHA-256 name", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "Not signed in, or revoked", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such blob, or not one this device may see", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    who: Authenticated,
    Path(hash): Path<String>,
) -> Result<Response, Problem> {
    check_hash(&hash)?;
    // Not found and not allowed look the same: a device learns nothing of blobs it may not see.
    let missing = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "No such photo",
            "no photo by that name that this device may see",
        )
    };
    let (media_type, bytes, uploaded_by) = state.store.blob(&hash)?.ok_or_else(missing)?;
    if uploaded_by != who.device_id.as_str() && !referenced_in_readable(&state, &who, &hash)? {
        return Err(missing());
    }
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media_type).map_err(Problem::internal)?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

fn referenced_in_readable(state: &AppState, who: &Authenticated, hash: &str) -> Result<bool, Problem> {
    let site = site_register(&state.store)?;
    for key in state.store.document_keys()? {
        let Ok(doc_key) = key.parse::<DocKey>() else {
            continue;
        };
        if !matches!(doc_key, DocKey::Inspections { .. } | DocKey::ApplicationCase(_)) {
            continue;
        }
        if !readable(&state.store, &site, who, &doc_key)? {
            continue;
        }
        let bytes = state.store.document(&key)?.unwrap_or_default();
        let doc = automerge::Automerge::load(&bytes).map_err(Problem::internal)?;
        if blob_references(&doc_key, &doc)
            .map_err(Problem::internal)?
            .contains(hash)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::sniff_image;

    #[test]
    fn only_images_pass_the_sniff() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(
            sniff_image(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
