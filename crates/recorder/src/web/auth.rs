//! Authentication by the device key: `POST /v1/auth/challenge` gives a nonce,
//! the device signs it, `POST /v1/auth/token` checks the signature against the
//! enrolled key and returns a short-lived bearer token. Every other request
//! carries the token; a revoked device or person is refused at once, because
//! the site register is read on every request.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use custos_core::ids::{DeviceId, PersonId};
use custos_core::signing::{auth_challenge_bytes, sha256_hex, verify};
use custos_core::site::Person;
use custos_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{Body, Problem};
use crate::registry::random_bytes;
use crate::store::AuditEvent;

/// How long a challenge may be answered.
pub const CHALLENGE_TTL_MS: i64 = 60_000;
/// How long a token lasts; the device asks again after.
pub const TOKEN_TTL_MS: i64 = 15 * 60_000;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChallengeRequest {
    pub device_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Challenge {
    pub nonce: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub device_id: String,
    pub nonce: String,
    /// Ed25519 signature (hex) over the canonical challenge bytes.
    pub signature: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub token: String,
    pub expires_at: i64,
}

fn parse_device(id: &str) -> Result<DeviceId, Problem> {
    id.parse()
        .map_err(|e: custos_core::CoreError| Problem::bad_request(e.to_string()))
}

#[utoipa::path(post, path = "/v1/auth/challenge", tag = "auth", request_body = ChallengeRequest,
    responses((status = 200, description = "A nonce to sign", body = Challenge),
              (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json")))]
pub async fn challenge(
    State(state): State<AppState>,
    Body(req): Body<ChallengeRequest>,
) -> Result<Json<Challenge>, Problem> {
    let device = parse_device(&req.device_id)?;
    let nonce = hex::encode(random_bytes::<32>());
    let expires = Timestamp(state.clock.now().0 + CHALLENGE_TTL_MS);
    state.store.insert_challenge(&nonce, device.as_str(), expires)?;
    Ok(Json(Challenge {
        nonce,
        expires_at: expires.0,
    }))
}

#[utoipa::path(post, path = "/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, description = "A bearer token", body = Token),
              (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "The answer does not prove the device key", body = Problem, content_type = "application/problem+json")))]
pub async fn token(State(state): State<AppState>, Body(req): Body<TokenRequest>) -> Result<Json<Token>, Problem> {
    let device = parse_device(&req.device_id)?;
    let now = state.clock.now();
    let fail = |why: &str| -> Result<Problem, Problem> {
        let detail = json!({ "device": device.as_str(), "reason": why });
        state.store.append_audit(
            now,
            AuditEvent {
                kind: "auth_failed",
                actor: device.as_str(),
                detail,
            },
        )?;
        Ok(Problem::unauthorized(format!(
            "{why}; if this device was replaced or revoked, enroll it again"
        )))
    };
    if !state.store.take_challenge(&req.nonce, device.as_str(), now)? {
        return Err(fail("the challenge is unknown, expired or already answered")?);
    }
    let site = state.cache.site(&state.store)?;
    let actor = match site.active_actor(&device) {
        Ok(actor) => actor,
        Err(e) => return Err(fail(&e.to_string())?),
    };
    if !verify(
        &actor.device.public_key,
        &auth_challenge_bytes(&req.nonce, &device),
        &req.signature,
    ) {
        return Err(fail("the signature does not match this device's key")?);
    }
    let token = base64_url(&random_bytes::<32>());
    let expires = Timestamp(now.0 + TOKEN_TTL_MS);
    state
        .store
        .insert_token(&sha256_hex(token.as_bytes()), device.as_str(), expires)?;
    Ok(Json(Token {
        token,
        expires_at: expires.0,
    }))
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A request from an enrolled, active device, proven by its bearer token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub device_id: DeviceId,
    pub person_id: PersonId,
    pub person: Person,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Problem::unauthorized("sign in first: POST /v1/auth/challenge, then /v1/auth/token"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| Problem::unauthorized("use `Authorization: Bearer <token>`"))?;
        let now = state.clock.now();
        let device = state
            .store
            .device_for_token(&sha256_hex(token.as_bytes()), now)?
            .ok_or_else(|| Problem::unauthorized("the token is unknown or expired; sign in again"))?;
        let device: DeviceId = device.parse().map_err(Problem::internal)?;
        let site = state.cache.site(&state.store)?;
        let actor = site
            .active_actor(&device)
            .map_err(|e| Problem::new(StatusCode::UNAUTHORIZED, "Revoked", e.to_string()))?;
        Ok(Authenticated {
            device_id: device,
            person_id: actor.person_id.clone(),
            person: actor.person.clone(),
        })
    }
}
