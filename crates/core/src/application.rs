//! 調閱申請單: access applications. Each application is two documents: the case
//! (what reviewers need) and its personal data (national ID, phone, address),
//! which only the roles that handle applications receive. The case carries a
//! salted digest of the personal data, so a signature over the case binds the
//! personal data without showing it. The case document also holds the signed
//! decisions on it (approvals, rejections, votes, a withdrawal, the viewing):
//! their form and signatures here, what they add up to in `workflow`.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ReadDoc;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::application_form::{ApplicationForm, BoxSigner, CaseField};
use crate::documents as docs;
use crate::error::CoreError;
use crate::ids::{CameraId, DeviceId, EntryId, PersonId};
use crate::policy::{ApplicantRule, PolicyProfile};
use crate::roles::Role;
use crate::signing::{Canonical, DeviceKey, sha256_hex};
use crate::site::SiteRegister;
use crate::terms::{AccessKind, ApplicantKind, AttachmentKind, Category};
use crate::time::{MinuteWindow, Timestamp};

/// The case of an application: everything the approvers and the committee see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ApplicationCase {
    pub id: EntryId,
    /// 申請日期, as the filing device's clock saw it.
    pub filed_at: Timestamp,
    /// The staff member who received the application and entered it.
    pub filed_by: PersonId,
    pub applicant_kind: ApplicantKind,
    /// 申請人 (for an agency: the agency's name).
    pub applicant_name: String,
    /// 與當事人關係: relation to the person concerned.
    pub relation: String,
    /// 調閱單位 / 申請課室: the applicant's unit.
    pub unit: String,
    /// 監錄系統地點: the cameras asked for.
    pub cameras: Vec<CameraId>,
    /// 調閱監視畫面時段: one window, limited to the incident (001 §6(3)).
    pub window: MinuteWindow,
    /// 申請事由: the concrete reason.
    pub reason: String,
    pub category: Category,
    /// 調閱 / 複製 / 翻攝: what is asked for.
    pub kinds: Vec<AccessKind>,
    pub attachments: Vec<Attachment>,
    /// The applicant's matter has gone to court (004 §8(5)2(2)).
    pub in_court: bool,
    /// 重大或異常情事 (002 §10): the profile's notified role must hear of it at once.
    pub major_or_abnormal: bool,
    /// Salted SHA-256 of the personal-data document, in hex.
    pub personal_data_digest: String,
    /// 閱覽人 (004 附件3): who will view, where the form asks. Added after
    /// the first cases were filed: absent, the case and its hash read as
    /// they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Default::default")]
    pub viewer: Option<String>,
    /// The agency's official letter, where an agency applies (001 §6(1)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Default::default")]
    pub official_letter: Option<OfficialLetter>,
}

/// 公文: what an agency's letter states (001 §6(1): 法令依據、調閱目的、範圍及用途).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OfficialLetter {
    /// 文號.
    pub number: String,
    /// 發文日期, `YYYY-MM-DD`.
    pub date: String,
    /// 法令依據.
    pub legal_basis: String,
    /// 調閱目的.
    pub purpose: String,
    /// 範圍.
    pub scope: String,
    /// 用途.
    pub intended_use: String,
}

/// 申請人個人資料: kept in its own document, read only by the roles that handle applications.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PersonalData {
    /// 身分證號 (or resident certificate number), where the form asks.
    pub national_id: Option<String>,
    /// 聯絡電話, where the form asks.
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The ID an agency's officer shows (004 §8(5)3(1)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Default::default")]
    pub officer_id: Option<String>,
    /// 申請人簽名: the SHA-256 of the applicant's signature, drawn on the
    /// tablet under the form's undertaking (001 附件1 note, 001 §6(5)) and
    /// kept as a blob; on every form the applicant signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Default::default")]
    pub signature: Option<String>,
    /// Random, 32 bytes in hex: without it the digest in the case cannot be
    /// matched against guessed ID numbers.
    pub salt: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Attachment {
    pub kind: AttachmentKind,
    /// 文號 or report number.
    pub reference: String,
    /// SHA-256 of a scanned copy, stored as a blob.
    pub blob: Option<String>,
}

/// One signed event on an application. Stored in the case document's
/// `events` map under its own id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DecisionEvent {
    pub id: EntryId,
    pub application: EntryId,
    pub decision: Decision,
    /// The role the signer acts in.
    pub role: Role,
    pub signer: PersonId,
    pub device: DeviceId,
    /// [`ApplicationCase::content_hash`] of the case as the signer saw it.
    pub case_hash: String,
    /// Heads of the site document the signer had: their roles are checked there.
    pub site_heads: Vec<String>,
    /// Ids of the events the signer had seen: the causal order.
    pub seen: Vec<EntryId>,
    /// The device's clock: shown to people, never used for order.
    pub signed_at: Timestamp,
    /// Ed25519 over [`DecisionEvent::signing_bytes`], hex.
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Decision {
    /// 核准 / 同意 by one step of the approval chain.
    #[autosurgeon(rename = "approve")]
    Approve,
    /// 否准, with its reason (a rejection states why).
    #[autosurgeon(rename = "reject")]
    Reject { reason: String },
    /// A committee member's vote; a vote against states why.
    #[autosurgeon(rename = "vote")]
    Vote { in_favour: bool, reason: String },
    /// The applicant withdrew; entered by the staff member handling it.
    #[autosurgeon(rename = "withdraw")]
    Withdraw { reason: String },
    /// The one viewing an application allows (002 §11): recorded by the
    /// recorder itself, signed with the site key, when it opens the playback
    /// session the escort's signed `opening` asked for; never by a device.
    #[autosurgeon(rename = "viewing")]
    Viewing {
        session: String,
        opening: crate::viewing::ViewingOpening,
    },
    /// 函覆: the letter that answered an agency's letter with the decision
    /// (001 §6(1), 004 §8(5)3(2)). Recorded by the staff handling the case
    /// once it is decided; it changes no status and is kept beside the
    /// signed case, not in it, so recording it voids no decision.
    #[autosurgeon(rename = "reply")]
    Reply { letter: ReplyLetter },
    /// 不定期抽查 (002 §13): the ethics office checked the case, at any time
    /// of its life, with what it found; it changes no status and voids no
    /// decision.
    #[autosurgeon(rename = "spot_check")]
    SpotCheck { note: String },
    /// 複製 for a public agency (001 §6(1), 004 §8(5)3): the one export an
    /// application of kind copy allows, recorded by the recorder itself,
    /// signed with the site key, once the archive it wrote verified; the
    /// signer is the manager who asked for it. `manifest_sha256` names the
    /// archive's signed manifest.
    #[autosurgeon(rename = "export")]
    Export { export: String, manifest_sha256: String },
}

/// 函覆: the reply letter's particulars and its scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplyLetter {
    /// 文號.
    pub number: String,
    /// 發文日期, `YYYY-MM-DD`.
    pub date: String,
    /// SHA-256 of the scanned letter, stored as a blob.
    pub blob: Option<String>,
}

impl ReplyLetter {
    /// A number, a date that parses, and a scan named by its SHA-256.
    pub fn check(&self) -> Result<(), CoreError> {
        if self.number.trim().is_empty() || self.number.chars().count() > 80 {
            return Err(CoreError::invalid(
                "reply_number",
                "the reply's 文號, at most 80 characters",
            ));
        }
        crate::time::CivilDate::parse(&self.date).map_err(|why| CoreError::invalid("reply_date", why))?;
        if let Some(blob) = &self.blob
            && !is_hex_digest(blob)
        {
            return Err(CoreError::invalid("reply_scan", "not a SHA-256 in hex"));
        }
        Ok(())
    }
}

impl Decision {
    fn tag(&self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject { .. } => "reject",
            Decision::Vote { .. } => "vote",
            Decision::Withdraw { .. } => "withdraw",
            Decision::Viewing { .. } => "viewing",
            Decision::Reply { .. } => "reply",
            Decision::SpotCheck { .. } => "spot_check",
            Decision::Export { .. } => "export",
        }
    }
}

/// What a signer decides, before it is signed.
#[derive(Clone, Debug)]
pub struct DecisionDraft {
    pub id: EntryId,
    pub decision: Decision,
    pub role: Role,
    pub signer: PersonId,
    pub signed_at: Timestamp,
}

impl DecisionEvent {
    /// Canonical bytes of everything but the signature.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new("custos/decision/v1");
        c.str("id", self.id.as_str())
            .str("application", self.application.as_str())
            .str("decision", self.decision.tag());
        match &self.decision {
            Decision::Approve => {}
            Decision::Reject { reason } | Decision::Withdraw { reason } => {
                c.str("reason", reason);
            }
            Decision::Vote { in_favour, reason } => {
                c.str("in_favour", if *in_favour { "yes" } else { "no" })
                    .str("reason", reason);
            }
            Decision::Viewing { session, opening } => {
                c.str("session", session)
                    .field("opening", &opening.signing_bytes())
                    .str("opening_signature", &opening.signature);
            }
            Decision::SpotCheck { note } => {
                c.str("note", note);
            }
            Decision::Export {
                export,
                manifest_sha256,
            } => {
                c.str("export", export).str("manifest_sha256", manifest_sha256);
            }
            Decision::Reply { letter } => {
                c.str("number", &letter.number)
                    .str("date", &letter.date)
                    .str("blob", letter.blob.as_deref().unwrap_or(""));
            }
        }
        c.str("role", self.role.as_str())
            .str("signer", self.signer.as_str())
            .str("device", self.device.as_str())
            .str("case_hash", &self.case_hash)
            .sorted_strs("site_heads", self.site_heads.iter().map(String::as_str))
            .sorted_strs("seen", self.seen.iter().map(EntryId::as_str))
            .str("signed_at", &self.signed_at.0.to_string());
        c.into_bytes()
    }

    /// Signs a decision on `case` as it is now, having seen `seen` and the
    /// site at `site_heads`.
    pub fn sign(
        draft: DecisionDraft,
        case: &ApplicationCase,
        site_heads: Vec<String>,
        seen: impl IntoIterator<Item = EntryId>,
        key: &DeviceKey,
    ) -> DecisionEvent {
        let mut seen: Vec<EntryId> = seen.into_iter().collect();
        seen.sort();
        seen.dedup();
        let mut event = DecisionEvent {
            id: draft.id,
            application: case.id.clone(),
            decision: draft.decision,
            role: draft.role,
            signer: draft.signer,
            device: key.device_id(),
            case_hash: case.content_hash(),
            site_heads,
            seen,
            signed_at: draft.signed_at,
            signature: String::new(),
        };
        event.signature = key.sign(&event.signing_bytes());
        event
    }
}

impl ApplicationCase {
    /// The content hash every decision signs: SHA-256 over the canonical
    /// JSON of the case (field order fixed by the type, no floats). Any
    /// amendment changes it, so decisions made on the old text stop counting.
    pub fn content_hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("case serialises");
        let mut c = Canonical::new("custos/case/v1");
        c.field("case", &json);
        sha256_hex(&c.into_bytes())
    }

    /// Checks the case against the site and its profile at filing time:
    /// the fields its form asks for (and no others), then the applicant
    /// rule. Returns the applicant rule that governs it.
    pub fn check_filing<'p>(
        &self,
        site: &SiteRegister,
        profile: &'p PolicyProfile,
        now: Timestamp,
    ) -> Result<&'p ApplicantRule, CoreError> {
        let (rule, form) = match (
            profile.applicant_rule(self.applicant_kind),
            profile.application_form(self.applicant_kind),
        ) {
            (Some(rule), Some(form)) => (rule, form),
            _ => {
                return Err(CoreError::Policy(format!(
                    "{} does not accept applications from {:?}",
                    profile.name_en, self.applicant_kind
                )));
            }
        };
        let letter = self.official_letter.as_ref();
        for (field, value) in [
            (CaseField::ApplicantName, Some(self.applicant_name.as_str())),
            (CaseField::Relation, Some(self.relation.as_str())),
            (CaseField::Unit, Some(self.unit.as_str())),
            (CaseField::Viewer, self.viewer.as_deref()),
            (CaseField::Reason, Some(self.reason.as_str())),
            (CaseField::LetterNumber, letter.map(|l| l.number.as_str())),
            (CaseField::LetterDate, letter.map(|l| l.date.as_str())),
            (CaseField::LegalBasis, letter.map(|l| l.legal_basis.as_str())),
            (CaseField::Purpose, letter.map(|l| l.purpose.as_str())),
            (CaseField::Scope, letter.map(|l| l.scope.as_str())),
            (CaseField::Use, letter.map(|l| l.intended_use.as_str())),
        ] {
            check_field(&form, field, value)?;
        }
        if let Some(letter) = letter {
            let date = crate::time::CivilDate::parse(&letter.date)
                .map_err(|why| CoreError::invalid(CaseField::LetterDate.key(), why))?;
            if date > now.taipei_date() {
                return Err(CoreError::invalid(
                    CaseField::LetterDate.key(),
                    "a letter cannot be dated after today",
                ));
            }
        }
        if self.cameras.is_empty() {
            return Err(CoreError::invalid("cameras", "name at least one camera"));
        }
        for cam in &self.cameras {
            if site.camera(cam).is_none() {
                return Err(CoreError::invalid(
                    "cameras",
                    format!("{cam} is not a camera of this site"),
                ));
            }
        }
        self.window
            .validate()
            .map_err(|e| e.in_field(CaseField::Window.key()))?;
        if self.window.end > now {
            return Err(CoreError::invalid(
                CaseField::Window.key(),
                "footage can only be asked for a time that has passed",
            ));
        }
        if self.kinds.is_empty() {
            return Err(CoreError::invalid("kinds", "ask for at least viewing"));
        }
        if let Some(kind) = self.kinds.iter().find(|k| !rule.allowed_kinds.contains(k)) {
            return Err(CoreError::Policy(format!(
                "{kind:?} is not allowed for {:?} applicants",
                rule.applicant
            )));
        }
        if !rule.categories.is_empty() && !rule.categories.contains(&self.category) {
            return Err(CoreError::Policy(format!(
                "{:?} is not a reason for which {:?} may apply",
                self.category, rule.applicant
            )));
        }
        for needed in &rule.required_attachments {
            let present = self
                .attachments
                .iter()
                .any(|a| a.kind == *needed && !a.reference.trim().is_empty());
            if !present {
                return Err(CoreError::Policy(format!(
                    "an attachment of kind {needed:?} with its number is required"
                )));
            }
        }
        if rule.refuse_if_in_court && self.in_court {
            return Err(CoreError::Policy(
                "the matter has gone to court: the agency handling it must apply by official letter".into(),
            ));
        }
        if !is_hex_digest(&self.personal_data_digest) {
            return Err(CoreError::invalid("personal data digest", "not a SHA-256 in hex"));
        }
        Ok(rule)
    }
}

/// A field against the form: filled where the form requires it, empty
/// where the form does not have it (so nothing is kept that the form does
/// not ask).
fn check_field(form: &ApplicationForm, field: CaseField, value: Option<&str>) -> Result<(), CoreError> {
    let filled = value.is_some_and(|v| !v.trim().is_empty());
    match form.field(field) {
        Some(f) if f.required && !filled => Err(CoreError::invalid(
            field.key(),
            format!("{} ({}) is required on {}", f.label_zh, f.label_en, form.title_zh),
        )),
        None if filled => Err(CoreError::invalid(
            field.key(),
            format!("{} does not ask for it", form.title_zh),
        )),
        _ => Ok(()),
    }
}

impl PersonalData {
    /// The salted digest the case carries. A value added later (the
    /// officer's ID, the signature) enters only when present, so earlier
    /// digests hold.
    pub fn digest(&self) -> String {
        let mut c = Canonical::new("custos/personal/v1");
        c.str("salt", &self.salt)
            .str("national_id", self.national_id.as_deref().unwrap_or(""))
            .str("phone", self.phone.as_deref().unwrap_or(""))
            .str("address", self.address.as_deref().unwrap_or(""));
        if let Some(id) = &self.officer_id {
            c.str("officer_id", id);
        }
        if let Some(signature) = &self.signature {
            c.str("signature", signature);
        }
        sha256_hex(&c.into_bytes())
    }

    /// Each value that is there has its form: a valid ID number, a phone
    /// number, a short officer's ID, 32 bytes of salt.
    pub fn validate(&self) -> Result<(), CoreError> {
        if let Some(id) = &self.national_id {
            validate_national_id(id)?;
        }
        if let Some(phone) = &self.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone.chars().all(|c| c.is_ascii_digit() || "+-() #".contains(c));
            if !allowed || !(8..=15).contains(&digits) {
                return Err(CoreError::invalid(
                    CaseField::Phone.key(),
                    format!("{phone:?} is not a phone number"),
                ));
            }
        }
        if let Some(id) = &self.officer_id
            && (id.trim().is_empty() || id.chars().count() > 40 || id.chars().any(char::is_control))
        {
            return Err(CoreError::invalid(
                CaseField::OfficerId.key(),
                "an ID number of at most 40 characters",
            ));
        }
        if let Some(signature) = &self.signature
            && !is_hex_digest(signature)
        {
            return Err(CoreError::invalid("signature", "not a SHA-256 in hex"));
        }
        if hex::decode(&self.salt).map(|s| s.len()) != Ok(32) {
            return Err(CoreError::invalid("salt", "must be 32 random bytes in hex"));
        }
        Ok(())
    }

    /// The personal data against the form of its case: what the form
    /// requires is there, what it does not ask is not.
    pub fn check_against(&self, form: &ApplicationForm) -> Result<(), CoreError> {
        for (field, value) in [
            (CaseField::NationalId, self.national_id.as_deref()),
            (CaseField::Phone, self.phone.as_deref()),
            (CaseField::Address, self.address.as_deref()),
            (CaseField::OfficerId, self.officer_id.as_deref()),
        ] {
            check_field(form, field, value)?;
        }
        let signs = form.signatures.iter().any(|b| b.signer == BoxSigner::Applicant);
        match (signs, &self.signature) {
            (true, None) => {
                return Err(CoreError::invalid(
                    "signature",
                    format!(
                        "申請人簽名 (the applicant's signature) is required on {}",
                        form.title_zh
                    ),
                ));
            }
            (false, Some(_)) => {
                return Err(CoreError::invalid(
                    "signature",
                    format!("{} is not signed by the applicant here", form.title_zh),
                ));
            }
            _ => {}
        }
        self.validate()
    }

    /// The blobs the personal data refers to: the drawn signature.
    pub fn blobs(&self) -> BTreeSet<String> {
        self.signature.iter().cloned().collect()
    }
}

/// An application's case and its decision events, by event key.
pub type CaseAndEvents = (ApplicationCase, BTreeMap<String, DecisionEvent>);

/// An application's case document: the case and its decision events, or
/// `None` while it holds no case (the genesis alone, or not this device's).
pub fn read_case<D: autosurgeon::ReadDoc + ReadDoc>(doc: &D) -> Result<Option<CaseAndEvents>, CoreError> {
    let Some(case) = docs::get_entry(doc, docs::CASE, docs::CURRENT)? else {
        return Ok(None);
    };
    Ok(Some((case, docs::entries(doc, docs::EVENTS)?)))
}

/// The scans (blobs, by SHA-256) a case document refers to: the case's
/// attachments and the reply letters.
pub fn blobs<D: autosurgeon::ReadDoc + ReadDoc>(doc: &D) -> Result<BTreeSet<String>, CoreError> {
    let Some((case, events)) = read_case(doc)? else {
        return Ok(BTreeSet::new());
    };
    let replies = events.into_values().filter_map(|e| match e.decision {
        Decision::Reply { letter } => letter.blob,
        _ => None,
    });
    Ok(case
        .attachments
        .into_iter()
        .filter_map(|a| a.blob)
        .chain(replies)
        .collect())
}

/// The blobs a personal-data document refers to (the drawn signature).
pub fn personal_blobs<D: autosurgeon::ReadDoc + ReadDoc>(doc: &D) -> Result<BTreeSet<String>, CoreError> {
    let personal: Option<PersonalData> = docs::get_entry(doc, docs::PERSONAL, docs::CURRENT)?;
    Ok(personal.map(|p| p.blobs()).unwrap_or_default())
}

fn is_hex_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// 身分證號: a letter and nine digits whose checksum holds. New-style
/// resident certificates (second character 8 or 9) use the same checksum.
pub fn validate_national_id(id: &str) -> Result<(), CoreError> {
    const LETTERS: &str = "ABCDEFGHJKLMNPQRSTUVXYWZIO";
    let bad = || CoreError::invalid("national_id", format!("身分證號 {id:?} is not a valid number"));
    let bytes = id.as_bytes();
    if bytes.len() != 10 || !bytes[1..].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    if !matches!(bytes[1], b'1' | b'2' | b'8' | b'9') {
        return Err(bad());
    }
    let letter_value = LETTERS.find(bytes[0] as char).ok_or_else(bad)? + 10;
    let mut sum = letter_value / 10 + (letter_value % 10) * 9;
    for (i, b) in bytes[1..9].iter().enumerate() {
        sum += usize::from(b - b'0') * (8 - i);
    }
    sum += usize::from(bytes[9] - b'0');
    if sum % 10 == 0 { Ok(()) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_id_checksum() {
        assert!(validate_national_id("A123456789").is_ok());
        assert!(validate_national_id("A123456788").is_err());
        assert!(validate_national_id("a123456789").is_err());
        assert!(validate_national_id("A12345678").is_err());
        assert!(validate_national_id("A323456789").is_err());
    }

    #[test]
    fn personal_digest_depends_on_salt_and_content() {
        let p = PersonalData {
            national_id: Some("A123456789".into()),
            phone: Some("02-2345-6789".into()),
            address: None,
            officer_id: None,
            signature: None,
            salt: "11".repeat(32),
        };
        p.validate().unwrap();
        let mut q = p.clone();
        q.salt = "22".repeat(32);
        assert_ne!(p.digest(), q.digest());
        let mut r = p.clone();
        r.phone = Some("02-2345-6788".into());
        assert_ne!(p.digest(), r.digest());
        let mut officer = p.clone();
        officer.officer_id = Some("警員 A123456789".into());
        assert_ne!(p.digest(), officer.digest());
        let mut signed = p.clone();
        signed.signature = Some("ab".repeat(32));
        assert_ne!(p.digest(), signed.digest());
        signed.signature = Some("a drawing".into());
        assert!(signed.validate().is_err());
        let mut bad = p.clone();
        bad.phone = Some("call me".into());
        assert!(bad.validate().is_err());
        // Cases filed before the officer's ID existed carry this digest.
        assert_eq!(
            p.digest(),
            "3adfc2db741413d271b1c0e3d72f661b00728b2e45dbd9202d4b1d2b240cb09d"
        );
    }
}
