//! This device, as the app holds it while it runs: its local store, its
//! key, its clock, and its sync with the recorder, which runs in the
//! background: at start, after every edit, when asked, and on a timer of
//! its clock; with growing pauses while the recorder cannot be reached (2 s
//! doubling to 2 min), so a tablet out of Wi-Fi spends nothing.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use custos_clock::{Clock, SystemClock};
use custos_core::ids::PersonId;
use custos_core::signing::DeviceKey;
use custos_core::time::Timestamp;

use crate::store::{LocalStore, StoreError};
use crate::sync::{SyncClient, SyncError, SyncEvent, SyncReport, enrollment};

/// The file of the local store in the app's data directory.
pub const STORE_FILE: &str = "custos.sqlite";
/// Between rounds while everything is in order.
const QUIET_INTERVAL: Duration = Duration::from_secs(60);
const FIRST_RETRY: Duration = Duration::from_secs(2);
const LONGEST_RETRY: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct ThisDevice {
    pub store: Arc<Mutex<LocalStore>>,
    pub key: Arc<DeviceKey>,
    /// The time and new entry ids.
    pub clock: Arc<dyn Clock>,
    /// Wakes the background sync (after an edit, or when the app returns to the foreground).
    pub wake: Arc<tokio::sync::Notify>,
    /// One round at a time; the client is kept between rounds (its token too).
    round: Arc<tokio::sync::Mutex<Option<SyncClient>>>,
    /// Playback's own connection to the recorder, so a sync round never
    /// holds up the frames of a viewing.
    playback: Arc<tokio::sync::Mutex<Option<SyncClient>>>,
    /// The last sync event, for a screen that opens after it was sent.
    pub last_event: Arc<Mutex<Option<SyncEvent>>>,
    /// Every sync event as it happens, for the UI (the shell forwards them).
    pub events: tokio::sync::broadcast::Sender<SyncEvent>,
}

impl ThisDevice {
    /// Who signs now: this device's key for `person`, the time and a new entry id.
    pub fn signer<'a>(&'a self, person: &'a custos_core::ids::PersonId) -> crate::registers::Signer<'a> {
        crate::registers::Signer {
            person,
            key: &self.key,
            now: self.clock.now(),
            id: self.clock.new_entry_id(),
        }
    }

    /// The session for the app's data directory: the device key made there
    /// on first use, and the local store.
    #[cfg(desktop)]
    pub fn open(dir: &Path) -> Result<ThisDevice, String> {
        let identity = crate::identity::DeviceIdentity::load_or_create(dir).map_err(|e| e.to_string())?;
        ThisDevice::with_key(dir, identity.into_key(), Arc::new(SystemClock)).map_err(|e| e.to_string())
    }

    /// On a phone the key belongs in the platform keystore (Android
    /// Keystore, iOS Keychain). That seam is not built: no mobile build can
    /// be made or checked on the machine this was written on, so it stops
    /// with a clear error rather than keep a key where it should not be.
    #[cfg(mobile)]
    pub fn open_mobile(_dir: &Path) -> Result<ThisDevice, String> {
        Err("this build has no keystore support yet; see mobile/README.md".into())
    }

    /// This device with a given key and clock (tests, and the mobile keystore seam).
    pub fn with_key(dir: &Path, key: DeviceKey, clock: Arc<dyn Clock>) -> Result<ThisDevice, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(format!("{}: {e}", dir.display())))?;
        let store = LocalStore::open(&dir.join(STORE_FILE), key.device_id())?;
        Ok(ThisDevice {
            store: Arc::new(Mutex::new(store)),
            key: Arc::new(key),
            clock,
            wake: Default::default(),
            round: Default::default(),
            playback: Default::default(),
            last_event: Default::default(),
            events: tokio::sync::broadcast::channel(64).0,
        })
    }

    /// How the last sync round ended (or where it is), if one ran.
    pub fn last_event(&self) -> Option<SyncEvent> {
        self.last_event.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The person this device is enrolled for.
    pub fn me(&self) -> Result<PersonId, SyncError> {
        let enrolled = enrollment(&self.store)?.ok_or(SyncError::NotEnrolled)?;
        enrolled
            .enrolled
            .person_id
            .parse()
            .map_err(|e: custos_core::CoreError| SyncError::Core(e))
    }

    /// The roles of the person this device is enrolled for.
    pub fn my_roles(&self) -> Result<Vec<custos_core::roles::Role>, SyncError> {
        let enrolled = enrollment(&self.store)?.ok_or(SyncError::NotEnrolled)?;
        Ok(enrolled.enrolled.roles.iter().filter_map(|r| r.parse().ok()).collect())
    }

    /// One sync round now (waiting for one already under way to finish
    /// first); its events go to [`ThisDevice::events`].
    pub async fn sync_round(&self) -> Result<SyncReport, SyncError> {
        let mut client = self.client().await?;
        let last = self.last_event.clone();
        let events = self.events.clone();
        let mut remember = |event: SyncEvent| {
            *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(event.clone());
            // Nobody listening (no window yet, a test) is fine.
            let _ = events.send(event);
        };
        client.sync_once(&self.store, self.clock.now().0, &mut remember).await
    }

    /// The client for the enrolled recorder, made once and kept (with its
    /// token), for requests that need the recorder now.
    pub async fn client(&self) -> Result<tokio::sync::MappedMutexGuard<'_, SyncClient>, SyncError> {
        let enrolled = enrollment(&self.store)?.ok_or(SyncError::NotEnrolled)?;
        let mut slot = self.round.lock().await;
        if slot.is_none() {
            *slot = Some(SyncClient::for_enrollment(&enrolled, self.key.clone())?);
        }
        Ok(tokio::sync::MutexGuard::map(slot, |s| s.as_mut().expect("set above")))
    }

    /// The connection playback uses (its own token), made on first use.
    pub async fn playback_client(&self) -> Result<tokio::sync::MappedMutexGuard<'_, SyncClient>, SyncError> {
        let enrolled = enrollment(&self.store)?.ok_or(SyncError::NotEnrolled)?;
        let mut slot = self.playback.lock().await;
        if slot.is_none() {
            *slot = Some(SyncClient::for_enrollment(&enrolled, self.key.clone())?);
        }
        Ok(tokio::sync::MutexGuard::map(slot, |s| s.as_mut().expect("set above")))
    }

    /// Syncs in the background for as long as the app runs.
    pub fn spawn_background(&self) {
        tauri::async_runtime::spawn(self.clone().sync_in_background());
    }

    /// The background sync: a round, then a pause on the device's clock
    /// (the quiet interval, or the growing back-off after a failure), cut
    /// short by an edit, by the app coming back to the foreground, or by the
    /// recorder's change stream.
    pub async fn sync_in_background(self) {
        let mut timer = self.clock.timer("sync");
        let mut pause = FIRST_RETRY;
        let mut stream = crate::sync::ChangeStream::default();
        loop {
            let wait = match self.sync_round().await {
                Ok(_) => {
                    pause = FIRST_RETRY;
                    QUIET_INTERVAL
                }
                Err(SyncError::NotEnrolled) => QUIET_INTERVAL,
                Err(_) => {
                    let now = pause;
                    pause = (pause * 2).min(LONGEST_RETRY);
                    now
                }
            };
            // While all is well, the recorder's change stream wakes the
            // next round as soon as another device's work arrives.
            let listening = wait == QUIET_INTERVAL;
            let due = Timestamp(self.clock.now().0 + wait.as_millis() as i64);
            tokio::select! {
                _ = self.wake.notified() => pause = FIRST_RETRY,
                _ = timer.sleep_until(due) => {}
                Ok(_) = stream.wait(&self.store, &self.key, wait, self.clock.now().0), if listening => {}
            }
        }
    }
}
