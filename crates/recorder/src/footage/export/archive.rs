//! The archive an export writes: a directory an agency can check with
//! `openssl` and `sha256sum` alone (docs/export.md):
//!
//! - `segments/<camera>/<start>.mp4`: the sealed segments, byte for byte;
//! - `site.pem`: the site's public key (its fingerprint comes outside);
//! - `README.txt`: the check, in words;
//! - `manifest.json` and `manifest.sig`: the manifest, and the site key's
//!   raw 64-byte Ed25519 signature over its exact bytes;
//! - `SHA256SUMS` and `SHA256SUMS.sig`: every file above but the signatures
//!   in `sha256sum -c` form, signed the same way.
//!
//! The check here reads an archive as hostile: sizes bounded before
//! parsing, names kept inside the directory.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use custos_core::export::{ExportError, ExportManifest, ManifestFile, ReadFile, is_archive_path, verify_export};
use custos_core::signing::{DeviceKey, sha256_hex};

use crate::base::error::{RecorderError, Result};
use crate::footage::seal::sha256_file;

pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_SIG: &str = "manifest.sig";
pub const SUMS: &str = "SHA256SUMS";
pub const SUMS_SIG: &str = "SHA256SUMS.sig";
pub const SITE_PEM: &str = "site.pem";
pub const README: &str = "README.txt";

/// A manifest or SHA256SUMS larger than this is not read: a year of one
/// camera's segments is about 200 bytes each in either.
pub(super) const MAX_LISTING_BYTES: u64 = 64 << 20;
const SIGNATURE_BYTES: u64 = 64;

/// What a check of an archive found wrong.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0}")]
    Export(#[from] ExportError),
    #[error("{name}: {what}")]
    Unreadable { name: String, what: String },
    #[error("SHA256SUMS: {0}")]
    Sums(String),
}

fn unreadable(name: &str, what: impl ToString) -> ArchiveError {
    ArchiveError::Unreadable {
        name: name.into(),
        what: what.to_string(),
    }
}

/// Reads a small file of the archive, refusing one larger than `limit`.
pub(super) fn read_bounded(dir: &Path, name: &str, limit: u64) -> std::result::Result<Vec<u8>, ArchiveError> {
    let file = File::open(dir.join(name)).map_err(|e| unreadable(name, e))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(name, e))?;
    if bytes.len() as u64 > limit {
        return Err(unreadable(name, format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

fn signature_of(dir: &Path, name: &str) -> std::result::Result<String, ArchiveError> {
    let raw = read_bounded(dir, name, SIGNATURE_BYTES)?;
    if raw.len() as u64 != SIGNATURE_BYTES {
        return Err(unreadable(name, "not a 64-byte Ed25519 signature"));
    }
    Ok(hex::encode(raw))
}

/// Checks the archive in `dir` against the site key (hex, obtained outside
/// the archive): the manifest's signature, every file it lists, each
/// segment's seal and inclusion in the checkpoint ([`verify_export`]), and
/// SHA256SUMS (signed, listing exactly the manifest and its files).
pub fn verify_archive(dir: &Path, site_public_key: &str) -> std::result::Result<ExportManifest, ArchiveError> {
    let manifest_bytes = read_bounded(dir, MANIFEST, MAX_LISTING_BYTES)?;
    let signature = signature_of(dir, MANIFEST_SIG)?;
    let manifest = verify_export(&manifest_bytes, &signature, site_public_key, |name| {
        // `verify_export` passes only names `is_archive_path` allows.
        let (sha256, bytes) = sha256_file(&dir.join(name)).ok()?;
        Some(ReadFile { bytes, sha256 })
    })?;
    let sums = read_bounded(dir, SUMS, MAX_LISTING_BYTES)?;
    let sums_signature = signature_of(dir, SUMS_SIG)?;
    if !custos_core::signing::verify(site_public_key, &sums, &sums_signature) {
        return Err(ArchiveError::Sums(
            "its signature does not verify with the site key".into(),
        ));
    }
    if sums != sums_listing(&manifest.files, &sha256_hex(&manifest_bytes)) {
        return Err(ArchiveError::Sums(
            "it does not list exactly the manifest and its files".into(),
        ));
    }
    Ok(manifest)
}

/// SHA256SUMS: each file of the manifest, then the manifest itself.
fn sums_listing(files: &[ManifestFile], manifest_sha256: &str) -> Vec<u8> {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("{}  {}\n", f.sha256, f.name));
    }
    out.push_str(&format!("{manifest_sha256}  {MANIFEST}\n"));
    out.into_bytes()
}

/// An archive being written: a directory, and the files put in it so far.
pub struct Staging {
    pub dir: PathBuf,
    pub files: Vec<ManifestFile>,
}

impl Staging {
    /// A new, empty directory (refusing one that exists).
    pub fn create(dir: PathBuf) -> Result<Staging> {
        std::fs::create_dir_all(dir.parent().unwrap_or(Path::new("/"))).map_err(|e| RecorderError::file(&dir, e))?;
        std::fs::create_dir(&dir).map_err(|e| RecorderError::file(&dir, e))?;
        Ok(Staging { dir, files: Vec::new() })
    }

    fn path_for(&self, name: &str) -> Result<PathBuf> {
        if !is_archive_path(name) {
            return Err(RecorderError::internal(format!("{name:?} is not an archive path")));
        }
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| RecorderError::file(parent, e))?;
        }
        Ok(path)
    }

    /// Copies `source` in as `name`, hashing what it writes; `progress`
    /// is told each piece's length. Returns the file as listed.
    pub fn copy_in(&mut self, name: &str, source: &Path, progress: &mut dyn FnMut(u64)) -> Result<&ManifestFile> {
        let path = self.path_for(name)?;
        let (sha256, bytes) = copy_hashing(source, &path, progress)?;
        self.files.push(ManifestFile {
            name: name.into(),
            bytes,
            sha256,
        });
        Ok(self.files.last().expect("pushed"))
    }

    /// Writes `bytes` as `name`, listed in the manifest.
    pub fn put(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path_for(name)?;
        write_synced(&path, bytes)?;
        self.files.push(ManifestFile {
            name: name.into(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        });
        Ok(())
    }

    /// Writes the manifest, its signature, SHA256SUMS and its signature.
    /// Returns the manifest's SHA-256.
    pub fn seal(&self, manifest: &ExportManifest, key: &DeviceKey) -> Result<String> {
        let bytes = manifest.to_bytes();
        let raw_signature = |message: &[u8]| hex::decode(key.sign(message)).expect("a signature is hex");
        write_synced(&self.dir.join(MANIFEST), &bytes)?;
        write_synced(&self.dir.join(MANIFEST_SIG), &raw_signature(&bytes))?;
        let manifest_sha256 = sha256_hex(&bytes);
        let sums = sums_listing(&manifest.files, &manifest_sha256);
        write_synced(&self.dir.join(SUMS), &sums)?;
        write_synced(&self.dir.join(SUMS_SIG), &raw_signature(&sums))?;
        sync_dir(&self.dir)?;
        Ok(manifest_sha256)
    }
}

/// Copies a whole archive directory to `to` (which must not exist), every
/// file synced; `progress` is told each piece's length.
pub fn copy_archive(from: &Path, manifest: &ExportManifest, to: &Path, progress: &mut dyn FnMut(u64)) -> Result<()> {
    let mut target = Staging::create(to.to_path_buf())?;
    for file in &manifest.files {
        target.copy_in(&file.name, &from.join(&file.name), progress)?;
    }
    for name in [MANIFEST, MANIFEST_SIG, SUMS, SUMS_SIG] {
        let source = from.join(name);
        copy_hashing(&source, &to.join(name), progress)?;
    }
    for dir in std::iter::once(to.to_path_buf()).chain(manifest.cameras.iter().map(|c| to.join("segments").join(c))) {
        if dir.exists() {
            sync_dir(&dir)?;
        }
    }
    Ok(())
}

/// Copies `from` to a new file `to`, synced; returns the SHA-256 and
/// length of what was written.
fn copy_hashing(from: &Path, to: &Path, progress: &mut dyn FnMut(u64)) -> Result<(String, u64)> {
    let mut input = File::open(from).map_err(|e| RecorderError::file(from, e))?;
    let mut output = File::create_new(to).map_err(|e| RecorderError::file(to, e))?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = input.read(&mut buffer).map_err(|e| RecorderError::file(from, e))?;
        if n == 0 {
            break;
        }
        output.write_all(&buffer[..n]).map_err(|e| RecorderError::file(to, e))?;
        context.update(&buffer[..n]);
        len += n as u64;
        progress(n as u64);
    }
    output.sync_all().map_err(|e| RecorderError::file(to, e))?;
    Ok((hex::encode(context.finish().as_ref()), len))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create_new(path).map_err(|e| RecorderError::file(path, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| RecorderError::file(path, e))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| RecorderError::file(dir, e))
}
