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
