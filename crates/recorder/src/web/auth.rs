//! `POST /v1/auth/challenge` gives a nonce, the device signs it, `POST
//! /v1/auth/token` returns a short-lived bearer token
//! (`registers::sign_in`). Every other request carries the token: a handler
//! that takes a [`SignedIn`] gets only requests from an active device.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::problem::{Body, Problem};
use crate::registers::SignedIn;

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

#[utoipa::path(post, path = "/v1/auth/challenge", tag = "auth", request_body = ChallengeRequest,
    responses((status = 200, description = "A nonce to sign", body = Challenge),
              (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json")))]
pub async fn challenge(
    State(state): State<AppState>,
    Body(req): Body<ChallengeRequest>,
) -> Result<Json<Challenge>, Problem> {
    let (nonce, expires) = state.registers.challenge(&req.device_id)?;
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
    let (token, expires) = state.registers.token(&req.device_id, &req.nonce, &req.signature)?;
    Ok(Json(Token {
        token,
        expires_at: expires.0,
    }))
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        Ok(state.registers.signed_in(header)?)
    }
}
