//! Fault photos and scanned attachments, content-addressed by SHA-256. The
//! recorder checks the hash and that the bytes are an image, and hands a
//! blob only to a device that uploaded it or may read a document that
//! refers to it.

use custos_core::access::blobs_referenced;
use custos_core::documents::DocKey;
use custos_core::permissions::{self, Access, Register};
use custos_core::signing::sha256_hex;
use serde_json::json;

use super::service::Registers;
use super::sign_in::SignedIn;
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;

/// Largest photo accepted: the app sends at most 1600 px JPEGs, far below this.
pub const MAX_BLOB_BYTES: usize = 10 * 1024 * 1024;

/// Whether an upload was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Created,
    AlreadyStored,
}

/// The image type of `bytes` by its magic number, or `None`.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn check_hash(hash: &str) -> Result<()> {
    let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(RecorderError::BadRequest(
            "a blob is named by its SHA-256: 64 lower-case hex digits".into(),
        ))
    }
}

impl Registers {
    /// Stores a photo uploaded by `who` under its SHA-256 `hash`, once.
    pub fn put_blob(&self, who: &SignedIn, hash: &str, bytes: &[u8]) -> Result<Stored> {
        check_hash(hash)?;
        // Photos belong to checks and repairs, and attachments to applications:
        // those who write either upload them.
        let profile = self.profile()?;
        let roles = &who.person.roles;
        if !permissions::allows(roles, Register::Inspections, Access::Write, &profile)
            && !permissions::allows(roles, Register::ApplicationCase, Access::Write, &profile)
        {
            return Err(RecorderError::forbidden(
                "only the staff who record checks and applications upload photos",
            ));
        }
        if bytes.len() > MAX_BLOB_BYTES {
            return Err(RecorderError::TooLarge(format!("at most {MAX_BLOB_BYTES} bytes")));
        }
        let actual = sha256_hex(bytes);
        if actual != hash {
            return Err(RecorderError::BadRequest(format!(
                "the bytes hash to {actual}, not {hash}: the upload was damaged; send it again"
            )));
        }
        let media_type = sniff_image(bytes)
            .ok_or_else(|| RecorderError::UnsupportedMedia("only JPEG, PNG or WebP photos are accepted".into()))?;
        let now = self.now();
        if !self
            .store
            .put_blob(hash, media_type, bytes, who.device_id.as_str(), now)?
        {
            return Ok(Stored::AlreadyStored);
        }
        let detail =
            json!({ "blob": hash, "bytes": bytes.len(), "media_type": media_type, "device": who.device_id.as_str() });
        let actor = who.person_id.to_string();
        self.store.append_audit(
            now,
            AuditEvent {
                kind: "blob_uploaded",
                actor: &actor,
                detail,
            },
        )?;
        Ok(Stored::Created)
    }

    /// A blob's media type and bytes, for a device that uploaded it or may
    /// read a document referring to it. Not found and not allowed look the
    /// same: a device learns nothing of blobs it may not see.
    pub fn blob(&self, who: &SignedIn, hash: &str) -> Result<(String, Vec<u8>)> {
        check_hash(hash)?;
        let missing = || RecorderError::not_found("No such photo", "no photo by that name that this device may see");
        let (media_type, bytes, uploaded_by) = self.store.blob(hash)?.ok_or_else(missing)?;
        if uploaded_by != who.device_id.as_str() && !self.referenced_in_readable(who, hash)? {
            return Err(missing());
        }
        Ok((media_type, bytes))
    }

    fn referenced_in_readable(&self, who: &SignedIn, hash: &str) -> Result<bool> {
        let site = self.site()?;
        for key in self.store.document_keys()? {
            if !matches!(
                key,
                DocKey::Inspections { .. } | DocKey::ApplicationCase(_) | DocKey::ApplicationPersonal(_)
            ) {
                continue;
            }
            if !self.readable(&site, who, &key)? {
                continue;
            }
            let Some(doc) = self.document(&key)? else { continue };
            // A document this cannot read refers to nothing: it must not
            // stop every other device's photos (an empty push once did).
            match blobs_referenced(&key, &doc) {
                Ok(blobs) if blobs.contains(hash) => return Ok(true),
                Ok(_) => {}
                Err(e) => tracing::warn!("{key}: its photos cannot be read: {e}"),
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_image;

    #[test]
    fn only_images_pass_the_sniff() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(
            sniff_image(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
