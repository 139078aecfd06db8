//! 閱覽: the one viewing an approved application allows (002 §11), in the
//! company of a staff member (001 §6(2), 002 §8). The escort opens it on
//! their tablet by signing a [`ViewingOpening`]; the recorder, having
//! checked it, records the viewing itself (a `Decision::Viewing` signed with
//! the site key, see `workflow`), so no device can record or fake one.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::ids::{DeviceId, EntryId, PersonId};
use crate::roles::Role;
use crate::signing::{Canonical, DeviceKey, verify};
use crate::site::SiteRegister;
use crate::time::Timestamp;

/// Longest nonce the recorder issues (hex of 32 bytes is 64).
pub const MAX_NONCE_CHARS: usize = 128;

/// The escort's signed request to open the viewing of one application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ViewingOpening {
    pub application: EntryId,
    /// The case as the escort's screen showed it (`ApplicationCase::content_hash`):
    /// an amendment after the opening's screen was drawn voids it.
    pub case_hash: String,
    /// 系統操作承辦人: the staff member who accompanies the applicant.
    pub escort: PersonId,
    /// The role the escort acts in; the profile names who may escort.
    pub role: Role,
    /// The escort's tablet: the session is bound to it.
    pub device: DeviceId,
    /// Issued by the recorder for one opening: an opening is never replayed.
    pub nonce: String,
    /// The escort checked the applicant (閱覽人) in person against their ID
    /// card: the name and the last characters of the 身分證號 the screen
    /// showed. The case binds the personal data by digest, so the case
    /// hash above names exactly what was checked without repeating it.
    pub applicant_checked: bool,
    /// SHA-256 of the applicant's signature drawn on the escort's tablet,
    /// when they signed (a blob the personal-data document refers to).
    pub applicant_signature: Option<String>,
    /// The tablet's clock: shown to people, never used for order.
    pub signed_at: Timestamp,
    /// Ed25519 by the escort's device over [`ViewingOpening::signing_bytes`], hex.
    pub signature: String,
}

/// What the escort's tablet fills in before signing.
#[derive(Clone, Debug)]
pub struct OpeningDraft {
    pub application: EntryId,
    pub case_hash: String,
    pub escort: PersonId,
    pub role: Role,
    pub nonce: String,
    pub applicant_checked: bool,
    pub applicant_signature: Option<String>,
    pub signed_at: Timestamp,
}

impl ViewingOpening {
    /// Canonical bytes of everything but the signature.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new("custos/viewing-opening/v1");
        c.str("application", self.application.as_str())
            .str("case_hash", &self.case_hash)
            .str("escort", self.escort.as_str())
            .str("role", self.role.as_str())
            .str("device", self.device.as_str())
            .str("nonce", &self.nonce)
            .str("applicant_checked", if self.applicant_checked { "yes" } else { "no" })
            .str("applicant_signature", self.applicant_signature.as_deref().unwrap_or(""))
            .str("signed_at", &self.signed_at.0.to_string());
        c.into_bytes()
    }

    pub fn sign(draft: OpeningDraft, key: &DeviceKey) -> ViewingOpening {
        let mut opening = ViewingOpening {
            application: draft.application,
            case_hash: draft.case_hash,
            escort: draft.escort,
            role: draft.role,
            device: key.device_id(),
            nonce: draft.nonce,
            applicant_checked: draft.applicant_checked,
            applicant_signature: draft.applicant_signature,
            signed_at: draft.signed_at,
            signature: String::new(),
        };
        opening.signature = key.sign(&opening.signing_bytes());
        opening
    }

    /// The opening on its own, against the site as it is: the escort's
    /// device is theirs and active, they hold a role the profile lets
    /// escort, the applicant was checked, and the signature is the device's.
    pub fn check(&self, site: &SiteRegister, escort_roles: &[Role]) -> Result<(), CoreError> {
        if self.nonce.is_empty() || self.nonce.len() > MAX_NONCE_CHARS {
            return Err(CoreError::invalid(
                "nonce",
                "the opening carries the nonce the recorder issued",
            ));
        }
        if !self.applicant_checked {
            return Err(CoreError::Policy(
                "the escort confirms the applicant in person against their ID card before the viewing opens".into(),
            ));
        }
        if let Some(blob) = &self.applicant_signature
            && !(blob.len() == 64 && blob.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        {
            return Err(CoreError::invalid("applicant_signature", "not a SHA-256 in hex"));
        }
        let device = site
            .device(&self.device)
            .filter(|d| d.person == self.escort)
            .ok_or_else(|| CoreError::Policy("the opening was not signed on the escort's own tablet".into()))?;
        let person = site
            .person(&self.escort)
            .ok_or_else(|| CoreError::Policy("the escort is not in the site register".into()))?;
        if device.revoked_at.is_some() || person.revoked_at.is_some() {
            return Err(CoreError::Policy("the escort or their tablet has been revoked".into()));
        }
        if !person.roles.contains(&self.role) {
            return Err(CoreError::Policy(format!(
                "the escort does not hold the role {}",
                self.role.as_str()
            )));
        }
        if !escort_roles.contains(&self.role) {
            return Err(CoreError::Policy(format!(
                "this site's rules do not let the role {} accompany a viewing",
                self.role.as_str()
            )));
        }
        if !verify(&device.public_key, &self.signing_bytes(), &self.signature) {
            return Err(CoreError::Policy(
                "the opening's signature is not the escort's tablet's".into(),
            ));
        }
        Ok(())
    }
}
