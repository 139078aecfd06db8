//! Documents kept in memory between requests, checked against their version
//! in the database so a change by another process (the console) is seen:
//! loading a month of checks from bytes on every push would cost more than
//! everything else the push does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::Automerge;
use custos_core::history::SiteHistory;
use custos_core::site::SiteRegister;

use super::problem::Problem;
use crate::store::Store;

/// Chunks appended to a document before it is saved whole again.
pub const COMPACT_AFTER_CHUNKS: i64 = 64;

#[derive(Default)]
pub struct Cache {
    docs: Mutex<HashMap<String, (i64, Automerge)>>,
    site: Mutex<Option<(i64, Arc<SiteRegister>)>>,
    /// The site's history, with the forks at heads it has built; kept while
    /// the site does not change, so signature checks reuse them.
    history: Mutex<Option<(i64, SiteHistory)>>,
}

impl Cache {
    /// A copy of the stored document and its version, or `None` if there is none.
    pub fn document(&self, store: &Store, key: &str) -> Result<Option<(i64, Automerge)>, Problem> {
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
            .ok_or_else(|| Problem::internal(format!("{key} vanished")))?;
        let doc = Automerge::load(&bytes).map_err(Problem::internal)?;
        docs.insert(key.to_string(), (version, doc.clone()));
        Ok(Some((version, doc)))
    }

    /// Takes the stored document out of the cache to change it without a
    /// copy; `remember` puts the result back. Until then, readers load it
    /// from the database.
    pub fn take(&self, store: &Store, key: &str) -> Result<Option<Automerge>, Problem> {
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
            .ok_or_else(|| Problem::internal(format!("{key} vanished")))?;
        Ok(Some(Automerge::load(&bytes).map_err(Problem::internal)?))
    }

    /// Keeps the document as it now is in the database.
    pub fn remember(&self, key: &str, version: i64, doc: Automerge) {
        self.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), (version, doc));
    }

    /// The site register as stored now.
    pub fn site(&self, store: &Store) -> Result<Arc<SiteRegister>, Problem> {
        let version = store
            .document_version("site")?
            .ok_or_else(|| Problem::internal("no site document"))?;
        let mut site = self.site.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, register)) = site.as_ref()
            && *cached == version
        {
            return Ok(register.clone());
        }
        let (_, doc) = self
            .document(store, "site")?
            .ok_or_else(|| Problem::internal("no site document"))?;
        let register: SiteRegister = autosurgeon::hydrate(&doc).map_err(Problem::internal)?;
        let register = Arc::new(register);
        *site = Some((version, register.clone()));
        Ok(register)
    }

    /// Runs `f` with the site's history, for checking signatures against the
    /// site a signer saw.
    pub fn with_site_history<R>(&self, store: &Store, f: impl FnOnce(&SiteHistory) -> R) -> Result<R, Problem> {
        let version = store
            .document_version("site")?
            .ok_or_else(|| Problem::internal("no site document"))?;
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if history.as_ref().is_none_or(|(cached, _)| *cached != version) {
            let (_, doc) = self
                .document(store, "site")?
                .ok_or_else(|| Problem::internal("no site document"))?;
            *history = Some((version, SiteHistory::new(doc)));
        }
        let (_, site) = history.as_ref().expect("filled above");
        Ok(f(site))
    }
}
