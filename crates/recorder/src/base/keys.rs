//! The recorder's secrets in its data directory: the site's Ed25519 key
//! (signs audit checkpoints and what the recorder writes into registers) and
//! the TLS certificate devices pin at enrollment. Both files are readable by
//! the owner only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use custos_core::export::{ED25519_SPKI_PREFIX, site_key_spki};
use custos_core::signing::{DeviceKey, sha256_hex};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::base::error::{RecorderError, Result};

pub const SITE_KEY_FILE: &str = "site.key";
pub const TLS_CERT_FILE: &str = "tls-cert.pem";
pub const TLS_KEY_FILE: &str = "tls-key.pem";

/// Writes a file only the owner may read, refusing to overwrite one.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| RecorderError::file(path, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| RecorderError::file(path, e))
}

/// Makes the site key; returns it.
pub fn create_site_key(data_dir: &Path) -> Result<DeviceKey> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| RecorderError::Usage("the system could not provide randomness for a key".into()))?;
    write_secret(&data_dir.join(SITE_KEY_FILE), pkcs8.as_ref())?;
    Ok(DeviceKey::from_pkcs8(pkcs8.as_ref())?)
}

pub fn load_site_key(data_dir: &Path) -> Result<DeviceKey> {
    let path = data_dir.join(SITE_KEY_FILE);
    let bytes = std::fs::read(&path).map_err(|e| RecorderError::file(&path, e))?;
    Ok(DeviceKey::from_pkcs8(&bytes)?)
}

/// Makes a self-signed TLS certificate for the given host names and
/// addresses; returns its SHA-256 fingerprint (what devices pin).
pub fn create_tls_certificate(data_dir: &Path, names: Vec<String>) -> Result<String> {
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| RecorderError::Tls(e.to_string()))?;
    write_secret(
        &data_dir.join(TLS_KEY_FILE),
        certified.signing_key.serialize_pem().as_bytes(),
    )?;
    write_secret(&data_dir.join(TLS_CERT_FILE), certified.cert.pem().as_bytes())?;
    Ok(fingerprint(certified.cert.der()))
}

/// The SHA-256 of a certificate's DER bytes, lower-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    sha256_hex(der)
}

pub fn tls_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    (data_dir.join(TLS_CERT_FILE), data_dir.join(TLS_KEY_FILE))
}

/// The server side of TLS, with ring as the crypto provider.
pub fn server_config(data_dir: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let (cert_path, key_path) = tls_paths(data_dir);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|it| it.collect())
        .map_err(|e| RecorderError::Tls(format!("{}: {e}", cert_path.display())))?;
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .map_err(|e| RecorderError::Tls(format!("{}: {e}", key_path.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RecorderError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| RecorderError::Tls(e.to_string()))?;
    Ok(Arc::new(config))
}

/// The site's public key as a PEM file (`-----BEGIN PUBLIC KEY-----`), for
/// `openssl pkeyutl -verify -pubin -inkey site.pem`.
pub fn site_public_key_pem(public_key: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(site_key_spki(public_key));
    format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")
}

/// The 32-byte Ed25519 key of a PEM public key file; `None` if it is not one.
pub fn public_key_from_pem(pem: &[u8]) -> Option<Vec<u8>> {
    use rustls::pki_types::SubjectPublicKeyInfoDer;
    let spki = SubjectPublicKeyInfoDer::from_pem_slice(pem).ok()?;
    let key = spki.as_ref().strip_prefix(&ED25519_SPKI_PREFIX[..])?;
    (key.len() == 32).then(|| key.to_vec())
}
