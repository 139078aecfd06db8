//! What a device may read of the stored registers (need-to-know): the rule
//! is the core's (`access::may_read`, from the permission table); this is
//! where it meets the documents the recorder holds.

use custos_core::access::{may_read, may_read_case};
use custos_core::application::ApplicationCase;
use custos_core::documents::{self as docs, CURRENT, DocKey};
use custos_core::history::heads_to_hex;
use custos_core::site::SiteRegister;

use super::service::Registers;
use super::sign_in::SignedIn;
use crate::base::error::Result;

impl Registers {
    /// Whether this person may receive the stored document `key` (a case
    /// document is read for whose chain it is in and whether it is a major
    /// or abnormal case: `access::may_read_case`).
    pub fn readable(&self, site: &SiteRegister, who: &SignedIn, key: &DocKey) -> Result<bool> {
        let profile = site.profile()?;
        let roles = &who.person.roles;
        if let DocKey::ApplicationCase(_) = key
            && let Some(doc) = self.document(key)?
            && let Ok(Some(case)) = docs::get_entry::<_, ApplicationCase>(&doc, docs::CASE, CURRENT)
        {
            return Ok(may_read_case(&case, roles, &profile));
        }
        Ok(may_read(key, roles, &profile, false))
    }

    /// The stored documents this device may receive, with their heads (hex).
    pub fn documents_for(&self, who: &SignedIn) -> Result<Vec<(DocKey, Vec<String>)>> {
        let site = self.site()?;
        let mut out = Vec::new();
        for key in self.store.document_keys()? {
            if !self.readable(&site, who, &key)? {
                continue;
            }
            if let Some(doc) = self.document(&key)? {
                out.push((key, heads_to_hex(&doc.get_heads())));
            }
        }
        Ok(out)
    }
}
