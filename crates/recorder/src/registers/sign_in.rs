//! Signing in by the device key: a challenge (a nonce that can be answered
//! once), the device's signature over it checked against its enrolled key,
//! and a short-lived bearer token. Every request then carries the token;
//! a revoked device or person is refused at once, because the site register
//! is read on every request.

use custos_core::ids::{DeviceId, PersonId};
use custos_core::signing::{auth_challenge_bytes, sha256_hex, verify};
use custos_core::site::Person;
use custos_core::time::Timestamp;
use serde_json::json;

use super::attempts::Attempter;
use super::service::Registers;
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use custos_clock::random_bytes;

/// How long a challenge may be answered.
pub const CHALLENGE_TTL_MS: i64 = 60_000;
/// How long a token lasts; the device asks again after.
pub const TOKEN_TTL_MS: i64 = 15 * 60_000;

/// A request from an enrolled, active device, proven by its bearer token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub device_id: DeviceId,
    pub person_id: PersonId,
    pub person: Person,
}

fn parse_device(id: &str) -> Result<DeviceId> {
    id.parse()
        .map_err(|e: custos_core::CoreError| RecorderError::BadRequest(e.to_string()))
}

impl Registers {
    /// A nonce for `device_id` to sign, and when it expires, asked from
    /// `source`; at most twenty a minute per source and per device, since
    /// each is stored before anyone has proven anything.
    pub fn challenge(&self, device_id: &str, source: &str) -> Result<(String, Timestamp)> {
        let device = parse_device(device_id)?;
        let who = [
            Attempter::Source(source.to_string()),
            Attempter::Device(device.to_string()),
        ];
        self.challenge_limits.check(&who, self.now())?;
        self.challenge_limits.count(&who, self.now());
        let nonce = hex::encode(random_bytes::<32>());
        let expires = Timestamp(self.now().0 + CHALLENGE_TTL_MS);
        self.store.insert_challenge(&nonce, device.as_str(), expires)?;
        Ok((nonce, expires))
    }

    /// A bearer token for a device that signed its challenge from `source`
    /// (its address), and when it expires. A device that proves its key is
    /// always let in; a failure is counted against the source and the device
    /// claimed, past the limit answered busy, and on record in the audit
    /// chain once per source and minute (`attempts`).
    pub fn token(&self, device_id: &str, nonce: &str, signature: &str, source: &str) -> Result<(String, Timestamp)> {
        let device = parse_device(device_id)?;
        let now = self.now();
        let why = match self.proven(&device, nonce, signature, now)? {
            Ok(()) => {
                let token = base64_url(&random_bytes::<32>());
                let expires = Timestamp(now.0 + TOKEN_TTL_MS);
                self.store
                    .insert_token(&sha256_hex(token.as_bytes()), device.as_str(), expires)?;
                return Ok((token, expires));
            }
            Err(why) => why,
        };
        let who = [
            Attempter::Source(source.to_string()),
            Attempter::Device(device.to_string()),
        ];
        self.sign_in_limits.check(&who, now)?;
        for first in self.sign_in_limits.count(&who, now) {
            let Attempter::Source(source) = &first.who else {
                continue;
            };
            let detail = json!({
                "source": source,
                "device": device.as_str(),
                "reason": why,
                "window_start_ms": first.window_start.0,
                "failures_in_the_window_before": first.attempts_before,
            });
            self.store.append_audit(
                now,
                AuditEvent {
                    kind: "auth_failed",
                    actor: device.as_str(),
                    detail,
                },
            )?;
        }
        Err(RecorderError::unauthorized(format!(
            "{why}; if this device was replaced or revoked, enroll it again"
        )))
    }

    /// Whether `signature` answers the challenge `nonce` with `device`'s
    /// enrolled key (the challenge is used up either way); if not, why.
    fn proven(&self, device: &DeviceId, nonce: &str, signature: &str, now: Timestamp) -> Result<Result<(), String>> {
        if !self.store.take_challenge(nonce, device.as_str(), now)? {
            return Ok(Err("the challenge is unknown, expired or already answered".into()));
        }
        let site = self.site()?;
        let actor = match site.active_actor(device) {
            Ok(actor) => actor,
            Err(e) => return Ok(Err(e.to_string())),
        };
        if !verify(
            &actor.device.public_key,
            &auth_challenge_bytes(nonce, device),
            signature,
        ) {
            return Ok(Err("the signature does not match this device's key".into()));
        }
        Ok(Ok(()))
    }

    /// Who an `Authorization` header signs in as.
    pub fn signed_in(&self, authorization: Option<&str>) -> Result<SignedIn> {
        let header = authorization.ok_or_else(|| {
            RecorderError::unauthorized("sign in first: POST /v1/auth/challenge, then /v1/auth/token")
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| RecorderError::unauthorized("use `Authorization: Bearer <token>`"))?;
        let device = self
            .store
            .device_for_token(&sha256_hex(token.as_bytes()), self.now())?
            .ok_or_else(|| RecorderError::unauthorized("the token is unknown or expired; sign in again"))?;
        let device: DeviceId = device.parse().map_err(RecorderError::internal)?;
        let site = self.site()?;
        let actor = site.active_actor(&device).map_err(|e| RecorderError::Unauthorized {
            title: "Revoked",
            detail: e.to_string(),
        })?;
        Ok(SignedIn {
            device_id: device,
            person_id: actor.person_id.clone(),
            person: actor.person.clone(),
        })
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
