//! Identifiers. Entries are keyed by ULID (sortable by creation, unique without
//! coordination); devices by their public key, so a device's automerge actor id
//! is fixed for its whole life and can be checked against the key that signs.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Implements the string plumbing shared by every identifier: display, parse,
/// serde as a plain string, and automerge storage as a plain string.
macro_rules! string_id {
    ($name:ident, $validate:path) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self, CoreError> {
                $validate(s)?;
                Ok(Self(s.to_owned()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
                r.str(&self.0)
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
                s.parse()
                    .map_err(|e: CoreError| HydrateError::unexpected(stringify!($name), e.to_string()))
            }
        }
    };
}

/// A ULID, the key of every register entry and application.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EntryId(String);
string_id!(EntryId, validate_ulid);

impl EntryId {
    /// Builds an id from its parts. The caller supplies time and randomness:
    /// the core reads neither a clock nor an entropy source.
    pub fn from_parts(timestamp_ms: u64, random: u128) -> Self {
        Self(ulid::Ulid::from_parts(timestamp_ms, random).to_string())
    }

    /// Milliseconds since the Unix epoch encoded in the id (its creation time,
    /// as the creating device's clock saw it: informative, never trusted for order).
    pub fn timestamp_ms(&self) -> u64 {
        ulid::Ulid::from_string(&self.0).map(|u| u.timestamp_ms()).unwrap_or(0)
    }
}

fn validate_ulid(s: &str) -> Result<(), CoreError> {
    let parsed = ulid::Ulid::from_string(s).map_err(|_| CoreError::invalid("id", format!("{s:?} is not a ULID")))?;
    // Only the canonical (upper-case) spelling, so one entry has one key.
    if parsed.to_string() != s {
        return Err(CoreError::invalid("id", format!("{s:?} is not a canonical ULID")));
    }
    Ok(())
}

/// A person in the site register (a member of staff, a committee member, ...).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PersonId(String);
string_id!(PersonId, validate_ulid);

impl From<EntryId> for PersonId {
    fn from(id: EntryId) -> Self {
        Self(id.0)
    }
}

/// A camera's id, chosen by the site (for example `cam-01`): short, printable,
/// used in file paths on the recorder, so restricted to `[a-z0-9-]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CameraId(String);
string_id!(CameraId, validate_camera_id);

fn validate_camera_id(s: &str) -> Result<(), CoreError> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "camera id",
            format!("{s:?}: use 1 to 32 lower-case letters, digits or '-', not starting with '-'"),
        ))
    }
}

/// A device, named by the first 16 bytes of the SHA-256 of its Ed25519 public
/// key, in hex. The same 16 bytes are its automerge actor id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeviceId(String);
string_id!(DeviceId, validate_device_id);

fn validate_device_id(s: &str) -> Result<(), CoreError> {
    let ok = s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "device id",
            format!("{s:?} is not 32 lower-case hex digits"),
        ))
    }
}

impl DeviceId {
    /// The id of the device holding this Ed25519 public key.
    pub fn for_public_key(public_key: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
        Self(hex::encode(&digest.as_ref()[..16]))
    }

    /// The automerge actor id every change made on this device carries.
    pub fn actor_id(&self) -> automerge::ActorId {
        automerge::ActorId::from(hex::decode(&self.0).expect("validated hex"))
    }

    /// The device whose actor id this is, if it is one of ours.
    pub fn from_actor(actor: &automerge::ActorId) -> Option<Self> {
        hex::encode(actor.to_bytes()).parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_round_trip_and_reject_garbage() {
        let id = EntryId::from_parts(1_700_000_000_000, 42);
        assert_eq!(id.as_str().parse::<EntryId>().unwrap(), id);
        assert_eq!(id.timestamp_ms(), 1_700_000_000_000);
        assert!("not-a-ulid".parse::<EntryId>().is_err());
        assert!(id.as_str().to_lowercase().parse::<EntryId>().is_err());
    }

    #[test]
    fn camera_ids_are_path_safe() {
        assert!("cam-01".parse::<CameraId>().is_ok());
        for bad in ["", "../etc", "Cam1", "-x", "a b", &"x".repeat(33)] {
            assert!(bad.parse::<CameraId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn device_actor_is_fixed_by_key() {
        let id = DeviceId::for_public_key(b"some public key bytes");
        assert_eq!(DeviceId::from_actor(&id.actor_id()), Some(id.clone()));
        assert_eq!(DeviceId::for_public_key(b"some public key bytes"), id);
    }
}
