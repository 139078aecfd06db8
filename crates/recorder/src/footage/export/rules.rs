//! Whether an application's footage may be exported, and refusals on
//! record (audit rows `export_refused` with their code).

use custos_core::terms::{AccessKind, ApplicantKind};
use custos_core::workflow::Status;
use serde_json::json;

use crate::base::error::RecorderError;
use crate::footage::viewing::HeldCase;
use crate::registers::Registers;

/// A refusal, on record in the audit chain with its code, and returned.
pub fn refuse(registers: &Registers, actor: &str, code: &str, application: &str, why: String) -> RecorderError {
    let error = match code {
        "export_role" => RecorderError::forbidden(why),
        "no_application" => RecorderError::not_found("No application", why),
        _ => RecorderError::conflict(refusal_title(code), why),
    };
    let detail = json!({ "code": code, "application": application, "why": error.to_string() });
    registers.refusal_on_record("export_refused", actor, detail, error)
}

/// The reason an application's footage may not be exported, or `None`.
pub fn not_exportable(held: &HeldCase, profile: &custos_core::policy::PolicyProfile) -> Option<(&'static str, String)> {
    let case = &held.case;
    if !case.kinds.contains(&AccessKind::Copy) {
        return Some((
            "not_a_copy",
            "this application asks to view the footage, not for a copy (複製); a copy needs an application of kind copy".into(),
        ));
    }
    if case.applicant_kind != ApplicantKind::PublicAgency || case.official_letter.is_none() {
        return Some((
            "not_agency",
            "only a public agency may receive a copy, by an official letter stating its legal basis, purpose, scope and use (001 §6(1))".into(),
        ));
    }
    let allowed = profile
        .applicants
        .iter()
        .find(|r| r.applicant == case.applicant_kind)
        .is_some_and(|r| r.allowed_kinds.contains(&AccessKind::Copy));
    if !allowed {
        return Some((
            "copy_not_allowed",
            "this site's rules allow no copies for agencies; the footage may only be viewed".into(),
        ));
    }
    match &held.status {
        Status::Approved | Status::Viewed => {}
        Status::Rejected { .. } => {
            return Some((
                "rejected",
                "this application was rejected (否准): nothing may be copied".into(),
            ));
        }
        Status::Withdrawn => return Some(("withdrawn", "the agency withdrew this application".into())),
        Status::InReview { .. } => {
            return Some((
                "not_approved",
                "this application is not approved, or was amended after its approval and must be approved again".into(),
            ));
        }
    }
    if held.exported.is_some() {
        return Some((
            "already_exported",
            "this application has had its one copy; another copy needs a new letter and application".into(),
        ));
    }
    None
}

/// The title a refusal is answered with, by its code: what the tablet
/// shows in the person's language, the recorder's sentence after it.
fn refusal_title(code: &str) -> &'static str {
    match code {
        "not_a_copy" => "Not a copy",
        "not_agency" => "Not an agency",
        "copy_not_allowed" => "Copies not allowed",
        "rejected" => "Rejected",
        "withdrawn" => "Withdrawn",
        "not_approved" => "Not approved",
        "already_exported" => "Already exported",
        "destination" => "No disk for exports",
        "no_footage" | "outside_approval" => "No footage to export",
        _ => "Export refused",
    }
}
