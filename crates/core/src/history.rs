//! The site register as it stood at a point of history. A decision counts if
//! its signer held the role in the site document it was made on (DESIGN §3a),
//! so signatures are checked against the site at the heads the signer saw,
//! not against today's site.

use std::cell::RefCell;
use std::collections::HashMap;

use automerge::{Automerge, ChangeHash, ReadDoc};

use crate::documents::DocKey;
use crate::error::CoreError;
use crate::site::SiteRegister;

/// Heads in the text form stored in events: sorted lower-case hex.
pub fn heads_to_hex(heads: &[ChangeHash]) -> Vec<String> {
    let mut v: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    v.sort();
    v
}

pub fn heads_from_hex(heads: &[String]) -> Option<Vec<ChangeHash>> {
    heads.iter().map(|h| h.parse().ok()).collect()
}

/// The site document forked at some heads, and the register read from it;
/// `None` where that history is not known here.
type ForkCache = HashMap<Vec<String>, Option<(Automerge, SiteRegister)>>;

/// Most site forks kept at once: a site changes a few times a month, so
/// the events of a case name a handful of distinct heads.
const MAX_FORKS: usize = 64;

/// Resolves site registers at given heads, caching each one it builds (at
/// most [`MAX_FORKS`]).
pub struct SiteHistory {
    doc: Automerge,
    cache: RefCell<ForkCache>,
    current: std::cell::OnceCell<SiteRegister>,
}

impl SiteHistory {
    pub fn new(doc: Automerge) -> Self {
        SiteHistory {
            doc,
            cache: RefCell::new(HashMap::new()),
            current: std::cell::OnceCell::new(),
        }
    }

    pub fn load(bytes: &[u8]) -> Result<Self, CoreError> {
        Ok(Self::new(Automerge::load(bytes)?))
    }

    pub fn document(&self) -> &Automerge {
        &self.doc
    }

    /// The site as it is now, on this copy.
    pub fn current(&self) -> Result<SiteRegister, CoreError> {
        if let Some(site) = self.current.get() {
            return Ok(site.clone());
        }
        let site: SiteRegister = autosurgeon::hydrate(&self.doc)?;
        Ok(self.current.get_or_init(|| site).clone())
    }

    pub fn current_heads_hex(&self) -> Vec<String> {
        heads_to_hex(&self.doc.get_heads())
    }

    /// The site at `heads`, or `None` if this copy does not have that history
    /// (yet) or it does not hold a readable site register.
    pub fn at(&self, heads: &[String]) -> Option<SiteRegister> {
        self.with_fork(heads, |_, site| site.clone())
    }

    /// Whether the history at `later` includes everything at `earlier`: a
    /// signer cannot claim to have seen less of the site than the events it
    /// builds on had seen (else a revoked signer could pick old heads).
    pub fn includes(&self, later: &[String], earlier: &[String]) -> bool {
        let Some(earlier) = heads_from_hex(earlier) else {
            return false;
        };
        self.with_fork(later, |fork, _| {
            earlier.iter().all(|h| fork.get_change_by_hash(h).is_some())
        })
        .unwrap_or(false)
    }

    fn with_fork<T>(&self, heads: &[String], f: impl FnOnce(&Automerge, &SiteRegister) -> T) -> Option<T> {
        let mut key = heads.to_vec();
        key.sort();
        if !self.cache.borrow().contains_key(&key) {
            // Each entry is a whole copy of the site document: a flood of
            // events naming different heads must not fill memory with them.
            if self.cache.borrow().len() >= MAX_FORKS {
                self.cache.borrow_mut().clear();
            }
            let built = heads_from_hex(&key)
                .filter(|h| !h.is_empty() && h.iter().all(|h| self.doc.get_change_by_hash(h).is_some()))
                .and_then(|h| self.doc.fork_at(&h).ok())
                .and_then(|fork| {
                    let site = autosurgeon::hydrate::<_, SiteRegister>(&fork).ok()?;
                    Some((fork, site))
                });
            self.cache.borrow_mut().insert(key.clone(), built);
        }
        let cache = self.cache.borrow();
        let (fork, site) = cache.get(&key)?.as_ref()?;
        Some(f(fork, site))
    }
}

/// A site document that does not exist yet, for tests and first start.
pub fn empty_site() -> Automerge {
    let mut doc = crate::documents::genesis(&DocKey::Site);
    doc.document().clone()
}
