//! The device's identity: an Ed25519 key made on the device (ring) the first
//! time it is needed, whose hash is the device id and its fixed automerge
//! actor id for life. On desktop it is a file only the user can read; on a
//! phone it belongs in the platform keystore (Android Keystore, iOS
//! Keychain): that seam is `cfg(mobile)` and is not built or checked here.

use std::io::Write;
use std::path::{Path, PathBuf};

use custos_core::ids::DeviceId;
use custos_core::signing::DeviceKey;
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

pub const KEY_FILE: &str = "device.key";

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
    #[error(
        "the device key in {0} is damaged; this device can no longer sign. Enroll it again with a new code (the old key stays refused)"
    )]
    Damaged(PathBuf),
    #[error("the system could not provide randomness for a new key")]
    Randomness,
}

pub struct DeviceIdentity {
    key: DeviceKey,
}

impl DeviceIdentity {
    /// The key in `dir`, made there if there is none yet. A damaged key is
    /// an error, never silently replaced: a new key is a new device.
    #[cfg(desktop)]
    pub fn load_or_create(dir: &Path) -> Result<DeviceIdentity, IdentityError> {
        let path = dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(pkcs8) => {
                let key = DeviceKey::from_pkcs8(&pkcs8).map_err(|_| IdentityError::Damaged(path.clone()))?;
                Ok(DeviceIdentity { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pkcs8 =
                    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| IdentityError::Randomness)?;
                write_private(&path, pkcs8.as_ref())?;
                let key = DeviceKey::from_pkcs8(pkcs8.as_ref()).map_err(|_| IdentityError::Damaged(path))?;
                Ok(DeviceIdentity { key })
            }
            Err(source) => Err(IdentityError::File { path, source }),
        }
    }

    pub fn into_key(self) -> DeviceKey {
        self.key
    }

    pub fn key(&self) -> &DeviceKey {
        &self.key
    }

    pub fn device_id(&self) -> DeviceId {
        self.key.device_id()
    }
}

/// Writes a new file readable by its owner only, never over an existing one.
#[cfg(desktop)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    let fail = |source| IdentityError::File {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(bytes).and_then(|_| file.sync_all()).map_err(fail)
}

#[cfg(all(test, desktop))]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_kept_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = DeviceIdentity::load_or_create(dir.path()).unwrap();
        let again = DeviceIdentity::load_or_create(dir.path()).unwrap();
        assert_eq!(first.device_id(), again.device_id(), "one identity for life");
        assert_eq!(
            DeviceId::from_actor(&first.device_id().actor_id()),
            Some(first.device_id())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_key_is_an_error_not_a_new_identity() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), b"not a key").unwrap();
        let err = DeviceIdentity::load_or_create(dir.path()).err().unwrap();
        assert!(err.to_string().contains("Enroll it again"), "{err}");
        assert_eq!(
            std::fs::read(dir.path().join(KEY_FILE)).unwrap(),
            b"not a key",
            "nothing overwritten"
        );
    }
}
