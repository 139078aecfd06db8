//! Need-to-know: a device receives a document only if its person's roles
//! may read that register (DESIGN §6), and a blob only if a document it may
//! read refers to it.

use std::collections::BTreeSet;

use automerge::ReadDoc;

use crate::application::ApplicationCase;
use crate::documents::DocKey;
use crate::error::CoreError;
use crate::permissions::{self, Access, Register};
use crate::policy::PolicyProfile;
use crate::roles::Role;

/// Whether a person with `roles` may receive the document `key`, by its
/// register alone (a case document that holds a case: [`may_read_case`]).
/// `major_case`: for a case document, whether it is flagged major or abnormal.
pub fn may_read(key: &DocKey, roles: &[Role], profile: &PolicyProfile, major_case: bool) -> bool {
    let register = Register::of(key);
    if permissions::allows(roles, register, Access::Read, profile) {
        return true;
    }
    // 002 §10: a major or abnormal case reaches the notified role at once.
    register == Register::ApplicationCase && major_case && profile.notify_on_major.is_some_and(|r| roles.contains(&r))
}

/// Whether a person with `roles` may receive the case document of `case`.
/// Need-to-know is per case: the staff who receive applications and the
/// ethics office read every case, the approvers and committee members only
/// the cases their step is in: a parent representative reviews a guardian's
/// application, never a police request (001 §6). A major or abnormal case
/// reaches the profile's notified role as well (002 §10).
pub fn may_read_case(case: &ApplicationCase, roles: &[Role], profile: &PolicyProfile) -> bool {
    let held = |allowed: &[Role]| roles.iter().any(|r| allowed.contains(r));
    if held(permissions::fixed_roles(Register::ApplicationCase, Access::Read)) {
        return true;
    }
    let in_its_chain = profile
        .applicant_rule(case.applicant_kind)
        .is_some_and(|rule| rule.approval.iter().any(|step| held(step.roles())));
    in_its_chain || (case.major_or_abnormal && profile.notify_on_major.is_some_and(|r| roles.contains(&r)))
}

/// The blobs (photos, scanned attachments, by SHA-256) a document refers
/// to, as its register reports them.
pub fn blobs_referenced<D: autosurgeon::ReadDoc + ReadDoc>(
    key: &DocKey,
    doc: &D,
) -> Result<BTreeSet<String>, CoreError> {
    match key {
        DocKey::Inspections { .. } => crate::inspection::blobs(doc),
        DocKey::ApplicationCase(_) => crate::application::blobs(doc),
        DocKey::ApplicationPersonal(_) => crate::application::personal_blobs(doc),
        _ => Ok(BTreeSet::new()),
    }
}
