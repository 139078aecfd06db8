//! `POST /v1/auth/challenge` gives a nonce, the device signs it, `POST
//! /v1/auth/token` returns a short-lived bearer token
//! (`registers::sign_in`). Every other request carries the token: a handler
//! that takes a [`SignedIn`] gets only requests from an active device; one
//! that takes a [`Turn`] also holds one of that device's two turns
//! (`registers::turns`).

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;

use custos_api::Problem;
use custos_api::auth::{Challenge, ChallengeRequest, Token, TokenRequest};

use super::AppState;
use super::problem::{ApiError, Body};
use crate::registers::SignedIn;
use tokio::sync::OwnedSemaphorePermit;

#[utoipa::path(post, path = "/v1/auth/challenge", tag = "auth", request_body = ChallengeRequest,
    responses((status = 200, description = "A nonce to sign", body = Challenge),
              (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Twenty challenges from this address or for this device in the last minute; Retry-After says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn challenge(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<ChallengeRequest>,
) -> Result<Json<Challenge>, ApiError> {
    let (nonce, expires) = state.registers.challenge(&req.device_id, &peer.ip().to_string())?;
    Ok(Json(Challenge {
        nonce,
        expires_at: expires.0,
    }))
}

#[utoipa::path(post, path = "/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses((status = 200, description = "A bearer token", body = Token),
              (status = 400, description = "Malformed request", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "The answer does not prove the device key", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Ten failed sign-ins from this address or for this device in the last minute; Retry-After says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<TokenRequest>,
) -> Result<Json<Token>, ApiError> {
    let source = peer.ip().to_string();
    let (token, expires) = state
        .registers
        .token(&req.device_id, &req.nonce, &req.signature, &source)?;
    Ok(Json(Token {
        token,
        expires_at: expires.0,
    }))
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        Ok(state.registers.signed_in(header)?)
    }
}

/// A signed-in device holding one of its turns for as long as the request runs.
pub struct Turn {
    pub who: SignedIn,
    _turn: OwnedSemaphorePermit,
}

impl FromRequestParts<AppState> for Turn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = SignedIn::from_request_parts(parts, state).await?;
        let turn = state.turns.take(who.device_id.as_str())?;
        Ok(Turn { who, _turn: turn })
    }
}
