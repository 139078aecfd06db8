//! 核章 / 簽章: a person's signature on an entry someone else wrote: the
//! supervisor's countersignature of a check, the manager's and supervisor's
//! signatures in the logbook, the head's release of a hold. A seal signs the
//! entry's content hash, so a changed entry loses its seals.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::history::SiteHistory;
use crate::ids::{DeviceId, EntryId, PersonId};
use crate::roles::Role;
use crate::signing::{Canonical, DeviceKey, sha256_hex, verify};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SealPurpose {
    /// 核章: the entry was read and is confirmed.
    #[autosurgeon(rename = "countersign")]
    Countersign,
    /// The head releases a hold: the footage may follow ordinary retention again.
    #[autosurgeon(rename = "release_hold")]
    ReleaseHold,
    /// The head renews a hold that would lapse, with its legal basis in
    /// the note: it keeps the footage the profile's `hold_renewal_days`
    /// from the renewal.
    #[autosurgeon(rename = "renew_hold")]
    RenewHold,
    /// The head or the ethics office confirms an audit checkpoint: from now
    /// on a recorder showing a shorter or different chain is caught.
    #[autosurgeon(rename = "audit_checkpoint")]
    AuditCheckpoint,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Seal {
    pub id: EntryId,
    pub purpose: SealPurpose,
    /// The entry sealed, and its content hash when it was sealed.
    pub subject: EntryId,
    pub subject_hash: String,
    pub role: Role,
    pub signer: PersonId,
    pub device: DeviceId,
    pub site_heads: Vec<String>,
    pub signed_at: Timestamp,
    pub note: String,
    pub signature: String,
}

/// Why a seal does not count.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the seal is stored under another id")]
    WrongKey,
    #[error("the seal was made on another version of the entry")]
    SubjectChanged,
    #[error("the site history the seal names is unknown here")]
    SiteStateUnknown,
    #[error("the device is not the signer's, or the signer was revoked")]
    NotTheSigner,
    #[error("the signer did not hold a role allowed to seal this: {0}")]
    RoleNotAllowed(String),
    #[error("the signature is not valid")]
    BadSignature,
}

impl SealError {
    /// A stable name for the screens, which say it in the reader's language.
    pub fn code(&self) -> &'static str {
        match self {
            SealError::WrongKey => "wrong_key",
            SealError::SubjectChanged => "subject_changed",
            SealError::SiteStateUnknown => "site_state_unknown",
            SealError::NotTheSigner => "not_the_signer",
            SealError::RoleNotAllowed(_) => "role_not_allowed",
            SealError::BadSignature => "bad_signature",
        }
    }
}

/// The content hash an entry is sealed over: SHA-256 of its canonical JSON
/// (fields in declaration order, no floats) under a domain tag.
pub fn content_hash<T: Serialize>(domain: &str, entry: &T) -> String {
    let mut c = Canonical::new(domain);
    c.field("entry", &serde_json::to_vec(entry).expect("entries serialise"));
    sha256_hex(&c.into_bytes())
}

impl Seal {
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new("custos/seal/v1");
        c.str("id", self.id.as_str())
            .str(
                "purpose",
                match self.purpose {
                    SealPurpose::Countersign => "countersign",
                    SealPurpose::ReleaseHold => "release_hold",
                    SealPurpose::RenewHold => "renew_hold",
                    SealPurpose::AuditCheckpoint => "audit_checkpoint",
                },
            )
            .str("subject", self.subject.as_str())
            .str("subject_hash", &self.subject_hash)
            .str("role", self.role.as_str())
            .str("signer", self.signer.as_str())
            .str("device", self.device.as_str())
            .sorted_strs("site_heads", self.site_heads.iter().map(String::as_str))
            .str("signed_at", &self.signed_at.0.to_string())
            .str("note", &self.note);
        c.into_bytes()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        id: EntryId,
        purpose: SealPurpose,
        subject: EntryId,
        subject_hash: String,
        role: Role,
        signer: PersonId,
        site_heads: Vec<String>,
        signed_at: Timestamp,
        note: String,
        key: &DeviceKey,
    ) -> Seal {
        let mut seal = Seal {
            id,
            purpose,
            subject,
            subject_hash,
            role,
            signer,
            device: key.device_id(),
            site_heads,
            signed_at,
            note,
            signature: String::new(),
        };
        seal.signature = key.sign(&seal.signing_bytes());
        seal
    }

    /// Checks the seal against the entry's current hash and the site the
    /// signer saw.
    pub fn verify(&self, key: &str, subject_hash: &str, allowed: &[Role], site: &SiteHistory) -> Result<(), SealError> {
        if key != self.id.as_str() {
            return Err(SealError::WrongKey);
        }
        if self.subject_hash != subject_hash {
            return Err(SealError::SubjectChanged);
        }
        let site_then = site.at(&self.site_heads).ok_or(SealError::SiteStateUnknown)?;
        let device = site_then.device(&self.device).ok_or(SealError::NotTheSigner)?;
        let person = site_then.person(&self.signer).ok_or(SealError::NotTheSigner)?;
        if device.person != self.signer || device.revoked_at.is_some() || person.revoked_at.is_some() {
            return Err(SealError::NotTheSigner);
        }
        if !allowed.contains(&self.role) || !person.roles.contains(&self.role) {
            return Err(SealError::RoleNotAllowed(self.role.as_str().into()));
        }
        if !verify(&device.public_key, &self.signing_bytes(), &self.signature) {
            return Err(SealError::BadSignature);
        }
        Ok(())
    }
}
