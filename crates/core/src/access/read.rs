//! Need-to-know: a device receives a document only if its person's roles
//! may read that register (DESIGN §6), and a blob only if a document it may
//! read refers to it.

use std::collections::BTreeSet;

use automerge::ReadDoc;

use crate::documents::DocKey;
use crate::error::CoreError;
use crate::permissions::{self, Access, Register};
use crate::policy::PolicyProfile;
use crate::roles::Role;

/// Whether a person with `roles` may receive the document `key`.
/// `major_case`: for a case document, whether it is flagged major or abnormal.
pub fn may_read(key: &DocKey, roles: &[Role], profile: &PolicyProfile, major_case: bool) -> bool {
    let register = Register::of(key);
    if permissions::allows(roles, register, Access::Read, profile) {
        return true;
    }
    // 002 §10: a major or abnormal case reaches the notified role at once.
    register == Register::ApplicationCase && major_case && profile.notify_on_major.is_some_and(|r| roles.contains(&r))
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
        _ => Ok(BTreeSet::new()),
    }
}
