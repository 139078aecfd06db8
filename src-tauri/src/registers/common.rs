//! What every register's commands share: the error, the site register as
//! this device last received it, and who signs.

use std::sync::Mutex;

use custos_core::documents::DocKey;
use custos_core::ids::{EntryId, PersonId};
use custos_core::signing::DeviceKey;
use custos_core::site::SiteRegister;
use custos_core::time::Timestamp;

use crate::store::{LocalStore, StoreError, lock};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Core(#[from] custos_core::CoreError),
    #[error("this device has not received the site register yet: connect to the recorder once, then try again")]
    NoSite,
    #[error("{0}")]
    NotFound(String),
}

pub type Result<T> = std::result::Result<T, RegisterError>;

/// The site register as this device last received it.
pub fn site(store: &Mutex<LocalStore>) -> Result<SiteRegister> {
    let guard = lock(store);
    if !guard.document_keys()?.iter().any(|k| k == "site") {
        return Err(RegisterError::NoSite);
    }
    let doc = guard.document(&DocKey::Site)?;
    Ok(autosurgeon::hydrate(&doc).map_err(custos_core::CoreError::from)?)
}

/// The site's history (for signatures: each names the site it saw).
pub(super) fn site_history(store: &Mutex<LocalStore>) -> Result<(custos_core::history::SiteHistory, Vec<String>)> {
    let mut doc = lock(store).document(&DocKey::Site)?;
    let heads = custos_core::history::heads_to_hex(&doc.get_heads());
    Ok((custos_core::history::SiteHistory::new(doc.document().clone()), heads))
}

/// Who signs (a seal or a decision), with which device key, when, and the
/// new entry's id.
pub struct Signer<'a> {
    pub person: &'a PersonId,
    pub key: &'a DeviceKey,
    pub now: Timestamp,
    pub id: EntryId,
}

/// 核章: this person seals entry `entry_id` of `collection` in `key` with
/// a countersignature, in the first of their roles `register` lets sign
/// (`what` names the register for the refusal); `subject_hash` says what
/// the entry is as stored, or why it cannot be countersigned yet.
pub(super) fn countersign<T: autosurgeon::Hydrate>(
    store: &Mutex<LocalStore>,
    (key, collection, entry_id): (&DocKey, &str, &str),
    (register, what): (custos_core::permissions::Register, &str),
    my_roles: &[custos_core::roles::Role],
    signer: Signer<'_>,
    subject_hash: impl FnOnce(&T) -> Result<String>,
) -> Result<()> {
    use custos_core::permissions::{self, Access};
    use custos_core::seal::{Seal, SealPurpose};
    let Signer {
        person: me,
        key: device,
        now,
        id: seal_id,
    } = signer;
    let profile = site(store)?.profile()?;
    let allowed = permissions::roles(register, Access::Sign, &profile);
    let role = my_roles.iter().copied().find(|r| allowed.contains(r)).ok_or_else(|| {
        let names: Vec<&str> = allowed.iter().map(|r| r.title_zh()).collect();
        custos_core::CoreError::Policy(format!("countersigning {what} (核章) is for {}", names.join("、")))
    })?;
    let (_, site_heads) = site_history(store)?;
    lock(store).edit(key, "countersigned", now.0, |doc| {
        let entry: T = custos_core::documents::get_entry(doc, collection, entry_id)?
            .ok_or_else(|| RegisterError::NotFound(format!("no entry {entry_id} in {key}")))?;
        let seal = Seal::sign(
            seal_id,
            SealPurpose::Countersign,
            entry_id.parse()?,
            subject_hash(&entry)?,
            role,
            me.clone(),
            site_heads,
            now,
            String::new(),
            device,
        );
        Ok(custos_core::documents::put_entry(
            doc,
            custos_core::documents::SEALS,
            seal.id.as_str(),
            &seal,
        )?)
    })
}
