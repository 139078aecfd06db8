//! Documents kept in memory between requests, checked against their version
//! in the database so a change by another process (the console) is seen:
//! loading a month of checks from bytes on every push would cost more than
//! everything else the push does. Everything in the recorder that reads a
//! register document reads it through here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::Automerge;
use custos_core::history::SiteHistory;
use custos_core::site::SiteRegister;

use custos_core::documents::DocKey;

use super::store::Store;
use crate::base::error::{RecorderError, Result};

fn no_site() -> RecorderError {
    RecorderError::internal("the site document is missing; was `init` completed?")
}

#[derive(Default)]
pub struct Cache {
    docs: Mutex<HashMap<DocKey, (i64, Automerge)>>,
    site: Mutex<Option<(i64, Arc<SiteRegister>)>>,
    /// The site's history, with the forks at heads it has built; kept while
    /// the site does not change, so signature checks reuse them.
    history: Mutex<Option<(i64, SiteHistory)>>,
}

impl Cache {
    /// A copy of the stored document and its version, or `None` if there is none.
    pub fn document(&self, store: &Store, key: &DocKey) -> Result<Option<(i64, Automerge)>> {
        let Some(version) = store.document_version(key)? else {
            return Ok(None);
        };
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, doc)) = docs.get(key)
            && *cached == version
        {
            return Ok(Some((version, doc.clone())));
        }
        let bytes = store
            .document(key)?
            .ok_or_else(|| RecorderError::internal(format!("{key} vanished")))?;
        let doc = Automerge::load(&bytes)?;
        docs.insert(key.clone(), (version, doc.clone()));
        Ok(Some((version, doc)))
    }

    /// Takes the stored document out of the cache to change it without a
    /// copy; `remember` puts the result back. Until then, readers load it
    /// from the database.
    pub fn take(&self, store: &Store, key: &DocKey) -> Result<Option<Automerge>> {
        let Some(version) = store.document_version(key)? else {
            return Ok(None);
        };
        let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, doc)) = docs.remove(key)
            && cached == version
        {
            return Ok(Some(doc));
        }
        let bytes = store
            .document(key)?
            .ok_or_else(|| RecorderError::internal(format!("{key} vanished")))?;
        Ok(Some(Automerge::load(&bytes)?))
    }

    /// Keeps the document as it now is in the database.
    pub fn remember(&self, key: &DocKey, version: i64, doc: Automerge) {
        self.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone(), (version, doc));
    }

    /// The site register as stored now.
    pub fn site(&self, store: &Store) -> Result<Arc<SiteRegister>> {
        let version = store.document_version(&DocKey::Site)?.ok_or_else(no_site)?;
        let mut site = self.site.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, register)) = site.as_ref()
            && *cached == version
        {
            return Ok(register.clone());
        }
        let (_, doc) = self.document(store, &DocKey::Site)?.ok_or_else(no_site)?;
        let register: SiteRegister = autosurgeon::hydrate(&doc).map_err(custos_core::CoreError::from)?;
        let register = Arc::new(register);
        *site = Some((version, register.clone()));
        Ok(register)
    }

    /// Runs `f` with the site's history, for checking signatures against the
    /// site a signer saw.
    pub fn with_site_history<R>(&self, store: &Store, f: impl FnOnce(&SiteHistory) -> R) -> Result<R> {
        let version = store.document_version(&DocKey::Site)?.ok_or_else(no_site)?;
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if history.as_ref().is_none_or(|(cached, _)| *cached != version) {
            let (_, doc) = self.document(store, &DocKey::Site)?.ok_or_else(no_site)?;
            *history = Some((version, SiteHistory::new(doc)));
        }
        let (_, site) = history.as_ref().expect("filled above");
        Ok(f(site))
    }
}
