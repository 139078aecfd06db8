//! The recorder's registers as one service: the store, the site key, the
//! document cache, the sync states and the one write lock. Reads go through
//! [`Registers`]; every write (a device's push, the recorder's own, the
//! console's) goes through a [`Writing`], which only [`Registers::write`]
//! and [`Registers::write_blocking`] hand out, with the lock held.

use std::path::Path;
use std::sync::Arc;

use automerge::Automerge;
use custos_core::documents::DocKey;
use custos_core::history::SiteHistory;
use custos_core::policy::PolicyProfile;
use custos_core::signing::DeviceKey;
use custos_core::site::SiteRegister;

use custos_core::time::Timestamp;

use super::sync_states::SyncStates;
use crate::base::error::{RecorderError, Result};
use crate::base::keys::load_site_key;
use crate::db::Store;
use crate::db::cache::Cache;
use custos_clock::Clock;

/// Runs document work (decoding, checking, applying, generating sync
/// messages: CPU-bound, milliseconds to seconds) without holding an async
/// worker: on the multi-threaded runtime the worker's other tasks move to
/// another thread meanwhile. Elsewhere (the console, single-threaded tests)
/// it simply runs.
pub fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// The registers of one data directory. Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct Registers {
    pub store: Arc<Store>,
    /// Signs what the recorder writes itself (its automerge actor too).
    pub site_key: Arc<DeviceKey>,
    pub cache: Arc<Cache>,
    /// Per device and document, the recorder's side of the sync protocol.
    pub sync_states: Arc<SyncStates>,
    /// The recorder's own time: it stamps receipt, devices' clocks are not trusted.
    pub clock: Arc<dyn Clock>,
    /// Failed sign-ins and enrollments, per source and claimed device.
    pub sign_in_limits: Arc<super::attempts::AttemptLimits>,
    /// Challenges asked for, per source and claimed device.
    pub challenge_limits: Arc<super::attempts::AttemptLimits>,
    /// Refused pushes, per device.
    pub refusal_limits: Arc<super::attempts::AttemptLimits>,
    /// One writer at a time within this process.
    lock: Arc<tokio::sync::Mutex<()>>,
}

/// The register lock held: the one way to change a register document.
///
/// serve and the console are two processes that sign their changes as one
/// automerge actor (the site key): two changes made from the same stored
/// copy would carry the same sequence number, and no document holding both
/// can be loaded (`DuplicateSeqNumber`). So a writer holds this process's
/// lock (a push and a sweep in serve never build on one copy) and then an
/// exclusive lock on `registers.lock` beside the database (serve and the
/// console never do either). The in-process lock comes first so that
/// writers in serve queue on it without blocking a thread on the file.
pub struct Writing<'a> {
    registers: &'a Registers,
    _in_process: tokio::sync::MutexGuard<'a, ()>,
    _across_processes: FileLock,
}

impl std::ops::Deref for Writing<'_> {
    type Target = Registers;
    fn deref(&self) -> &Registers {
        self.registers
    }
}

/// An exclusive lock on a file beside the database, released on drop.
struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    fn acquire(store: &Store) -> Result<FileLock> {
        let path = store.path().with_file_name("registers.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| RecorderError::file(&path, e))?;
        file.lock().map_err(|e| RecorderError::file(&path, e))?;
        Ok(FileLock { _file: file })
    }
}

impl Registers {
    pub fn new(store: Arc<Store>, site_key: Arc<DeviceKey>, clock: Arc<dyn Clock>) -> Registers {
        Registers {
            store,
            site_key,
            clock,
            cache: Default::default(),
            sync_states: Default::default(),
            sign_in_limits: Default::default(),
            challenge_limits: Arc::new(super::attempts::AttemptLimits::new(
                super::attempts::CHALLENGES_PER_WINDOW,
                "sign-in challenges",
            )),
            refusal_limits: Arc::new(super::attempts::AttemptLimits::new(
                super::attempts::REFUSALS_PER_WINDOW,
                "refused changes",
            )),
            lock: Default::default(),
        }
    }

    /// The registers of an initialised data directory.
    pub fn open(data: &Path, clock: Arc<dyn Clock>) -> Result<Registers> {
        let store = Store::open(data)?;
        let key = load_site_key(data)?;
        Ok(Registers::new(Arc::new(store), Arc::new(key), clock))
    }

    /// The recorder's time now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Puts a refusal on record in the audit chain (`kind`, `actor`, what
    /// was refused and why in `detail`) and returns `error` to answer with,
    /// or the error of recording it.
    pub fn refusal_on_record(
        &self,
        kind: &'static str,
        actor: &str,
        detail: serde_json::Value,
        error: RecorderError,
    ) -> RecorderError {
        match self
            .store
            .append_audit(self.now(), crate::db::audit::AuditEvent { kind, actor, detail })
        {
            Ok(_) => error,
            Err(e) => e,
        }
    }

    /// Waits for the write lock (in serve).
    pub async fn write(&self) -> Result<Writing<'_>> {
        let in_process = self.lock.lock().await;
        Ok(Writing {
            registers: self,
            _in_process: in_process,
            _across_processes: FileLock::acquire(&self.store)?,
        })
    }

    /// Waits for the write lock outside an async runtime (the console, a
    /// test, the blocking part of a background job).
    pub fn write_blocking(&self) -> Result<Writing<'_>> {
        let in_process = self.lock.blocking_lock();
        Ok(Writing {
            registers: self,
            _in_process: in_process,
            _across_processes: FileLock::acquire(&self.store)?,
        })
    }

    /// The site register as stored now.
    pub fn site(&self) -> Result<Arc<SiteRegister>> {
        self.cache.site(&self.store)
    }

    /// The site's policy profile.
    pub fn profile(&self) -> Result<PolicyProfile> {
        Ok(self.site()?.profile()?)
    }

    /// Runs `f` with the site's history, for checking signatures against
    /// the site a signer saw.
    pub fn with_site_history<R>(&self, f: impl FnOnce(&SiteHistory) -> R) -> Result<R> {
        self.cache.with_site_history(&self.store, f)
    }

    /// A copy of a stored document, or `None`.
    pub fn document(&self, key: &DocKey) -> Result<Option<Automerge>> {
        Ok(self.cache.document(&self.store, key)?.map(|(_, doc)| doc))
    }
}
