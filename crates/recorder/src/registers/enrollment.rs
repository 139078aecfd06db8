//! Enrollment: the console makes a one-time code for a person's new device;
//! the device sends it with the public key it made, and the recorder binds
//! the key to that person in the site register. A code is 12 characters of
//! Crockford base32 (60 random bits) shown as `XXXX-XXXX-XXXX`; only its
//! SHA-256 is stored. It expires, and it can be used once.

use custos_core::enrollment::EnrollmentPayload;
use custos_core::ids::{DeviceId, PersonId};
use custos_core::signing::sha256_hex;
use custos_core::site::Person;
use custos_core::time::{MINUTE_MS, Timestamp};
use serde_json::json;

use super::attempts::Attempter;
use super::service::Registers;
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use crate::db::auth::CodeProblem;
use custos_clock::random_bytes;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn new_code() -> String {
    let bytes = random_bytes::<12>();
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[(*b & 31) as usize] as char).collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Upper-case, without separators, with the letters people confuse mapped
/// the Crockford way (O→0, I/L→1), so a code typed by hand still matches.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

pub fn code_hash(code: &str) -> String {
    sha256_hex(format!("custos/enrollment-code/v1\n{}", normalize(code)).as_bytes())
}

/// A device enrolled: who it belongs to, and what the device keeps of the site.
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub device_id: DeviceId,
    pub person_id: PersonId,
    pub person: Person,
    pub site_name: String,
    pub profile_id: String,
    /// The recorder's own Ed25519 public key (hex): it signs audit checkpoints.
    pub recorder_public_key: String,
}

impl Registers {
    /// A one-time code for `person`'s new device, valid for `minutes`, and
    /// the enrollment text that carries it with the recorder's address and
    /// certificate fingerprint.
    pub fn issue_enrollment_code(&self, person: &str, minutes: u32) -> Result<(Person, EnrollmentPayload)> {
        if minutes == 0 || minutes > 24 * 60 {
            return Err(RecorderError::Usage(
                "--valid-minutes must be between 1 and 1440".into(),
            ));
        }
        let (person_id, person) = self.find_person(person)?;
        let now = self.now();
        let expires = Timestamp(now.0 + i64::from(minutes) * MINUTE_MS);
        let code = new_code();
        self.store
            .insert_enrollment_code(&code_hash(&code), person_id.as_str(), now, expires)?;
        let detail = json!({ "person": person_id.as_str(), "expires_at": expires.0 });
        self.store.append_audit(
            now,
            AuditEvent {
                kind: "enrollment_code_issued",
                actor: "console",
                detail,
            },
        )?;
        let payload = EnrollmentPayload {
            recorder: self.store.setting("address")?.unwrap_or_default(),
            fingerprint: self.store.setting("fingerprint")?.unwrap_or_default(),
            code,
        };
        Ok((person, payload))
    }

    /// Enrolls the device holding `public_key` (32 bytes of Ed25519, hex)
    /// with a one-time `code`, asked from `source` (an address). A refused
    /// code is on record in the audit chain; past ten refusals a minute from
    /// one source, codes from it are not even looked up until the minute
    /// ends (`attempts`), so guessing one takes years.
    pub async fn enroll(&self, code: &str, public_key: &str, source: &str) -> Result<Enrollment> {
        let now = self.now();
        let from = [Attempter::Source(source.to_string())];
        self.sign_in_limits.check(&from, now)?;
        let key = hex::decode(public_key).ok().filter(|k| k.len() == 32).ok_or_else(|| {
            RecorderError::BadRequest("public_key must be an Ed25519 public key: 32 bytes in hex".into())
        })?;
        let device_id = DeviceId::for_public_key(&key);
        let person_id = match self
            .store
            .redeem_enrollment_code(&code_hash(code), device_id.as_str(), now)?
        {
            Ok(person) => person,
            Err(problem) => {
                self.sign_in_limits.count(&from, now);
                return Err(self.code_refused(problem, &device_id, now)?);
            }
        };
        let person_id: PersonId = person_id.parse().map_err(RecorderError::internal)?;
        if self.site()?.person(&person_id).is_none_or(|p| p.revoked_at.is_some()) {
            return Err(RecorderError::Forbidden {
                title: "Person revoked",
                detail: "the person this code was made for has been revoked".into(),
            });
        }
        let device_id = self.write().await?.enroll_device(&person_id, public_key, now)?;
        let site = self.site()?;
        let person = site
            .person(&person_id)
            .cloned()
            .ok_or_else(|| RecorderError::internal("enrolled person vanished"))?;
        Ok(Enrollment {
            device_id,
            person_id,
            person,
            site_name: site.site.name.clone(),
            profile_id: site.profile().map(|p| p.id).unwrap_or_default(),
            recorder_public_key: site.site.recorder_public_key.clone(),
        })
    }

    /// Records why a code could not be used, and says so in words a person can act on.
    fn code_refused(&self, problem: CodeProblem, device: &DeviceId, now: Timestamp) -> Result<RecorderError> {
        let why = match problem {
            CodeProblem::Unknown => "unknown",
            CodeProblem::Expired => "expired",
            CodeProblem::Used => "used",
        };
        let detail = json!({ "reason": why, "device": device.as_str() });
        self.store.append_audit(
            now,
            AuditEvent {
                kind: "enrollment_refused",
                actor: device.as_str(),
                detail,
            },
        )?;
        Ok(match problem {
            CodeProblem::Unknown => RecorderError::Forbidden {
                title: "Enrollment code not valid",
                detail:
                    "this code is not known to the recorder; check it, or ask for a new one (custos-recorder enroll)"
                        .into(),
            },
            CodeProblem::Expired => RecorderError::Gone {
                title: "Enrollment code expired",
                detail: "this code has expired; ask the system manager for a new one".into(),
            },
            CodeProblem::Used => RecorderError::conflict(
                "Enrollment code already used",
                "each code enrolls one device once; ask for a new code for this device",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_forgiving() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert_eq!(code_hash(&code), code_hash(&code.to_lowercase().replace('-', " ")));
        assert_eq!(normalize("o1l-i"), "0111");
        assert_ne!(new_code(), new_code());
    }
}
