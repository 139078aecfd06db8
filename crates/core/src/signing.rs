//! Ed25519 signatures (ring) over canonical bytes. Decisions, countersignatures
//! (核章) and hold releases are signed by the device key of the person who
//! makes them; the recorder signs what it writes itself. Status is derived from
//! valid signatures, never stored.

use ring::signature::{self, Ed25519KeyPair, KeyPair};

use crate::error::CoreError;
use crate::ids::DeviceId;

/// A device's signing key. The core never makes one from an entropy source:
/// the app generates the PKCS#8 document (ring) and hands it over.
pub struct DeviceKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("device", &self.device_id())
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, CoreError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| CoreError::invalid("device key", e.to_string()))?;
        Ok(DeviceKey { pair })
    }

    /// From a 32-byte seed: for tests and for keys restored from a keystore
    /// that holds only the seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).expect("any 32 bytes are a seed");
        DeviceKey { pair }
    }

    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    pub fn public_key_hex(&self) -> String {
        hex::encode(self.public_key())
    }

    pub fn device_id(&self) -> DeviceId {
        DeviceId::for_public_key(self.public_key())
    }

    /// Signs `message`, returning the signature in hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.pair.sign(message).as_ref())
    }
}

/// Whether `signature_hex` is a valid signature of `message` by `public_key_hex`.
/// Malformed hex is simply not valid.
pub fn verify(public_key_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let (Ok(key), Ok(sig)) = (hex::decode(public_key_hex), hex::decode(signature_hex)) else {
        return false;
    };
    signature::UnparsedPublicKey::new(&signature::ED25519, key)
        .verify(message, &sig)
        .is_ok()
}

/// What a device signs to answer an authentication challenge from the recorder.
pub fn auth_challenge_bytes(nonce: &str, device: &DeviceId) -> Vec<u8> {
    let mut c = Canonical::new("custos/auth-challenge/v1");
    c.str("nonce", nonce).str("device", device.as_str());
    c.into_bytes()
}

/// SHA-256 in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Canonical bytes: a domain tag, then each field as a name, a length and its
/// bytes. Unambiguous (no field can run into the next) and independent of
/// any serialiser's whims, so a signature made on one device verifies on all.
pub struct Canonical(Vec<u8>);

impl Canonical {
    pub fn new(domain: &str) -> Self {
        let mut c = Canonical(Vec::with_capacity(256));
        c.field("domain", domain.as_bytes());
        c
    }

    pub fn field(&mut self, name: &str, value: &[u8]) -> &mut Self {
        for part in [name.as_bytes(), value] {
            self.0.extend_from_slice(&(part.len() as u64).to_be_bytes());
            self.0.extend_from_slice(part);
        }
        self
    }

    pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
        self.field(name, value.as_bytes())
    }

    /// A list of strings, sorted so that the order they were gathered in does not matter.
    pub fn sorted_strs<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a str>) -> &mut Self {
        let mut v: Vec<&str> = values.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        self.field(name, &(v.len() as u64).to_be_bytes());
        for s in v {
            self.str(name, s);
        }
        self
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_same_message_and_key() {
        let key = DeviceKey::from_seed(&[7; 32]);
        let other = DeviceKey::from_seed(&[8; 32]);
        let sig = key.sign(b"approve");
        assert!(verify(&key.public_key_hex(), b"approve", &sig));
        assert!(!verify(&key.public_key_hex(), b"reject", &sig));
        assert!(!verify(&other.public_key_hex(), b"approve", &sig));
        assert!(!verify(&key.public_key_hex(), b"approve", "zz"));
        assert!(!verify("00", b"approve", &sig));
    }

    #[test]
    fn canonical_fields_cannot_run_together() {
        let mut a = Canonical::new("t");
        a.str("x", "ab").str("y", "c");
        let mut b = Canonical::new("t");
        b.str("x", "a").str("y", "bc");
        assert_ne!(a.into_bytes(), b.into_bytes());
        let mut c = Canonical::new("t");
        c.sorted_strs("s", ["b", "a"]);
        let mut d = Canonical::new("t");
        d.sorted_strs("s", ["a", "b"]);
        assert_eq!(c.into_bytes(), d.into_bytes());
    }
}
