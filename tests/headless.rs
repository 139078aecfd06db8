//! A person's device that acts through the app's Rust side, with no
//! window: enrolled on the site, syncing with the recorder as the app does
//! (its client and token kept between rounds), signing with its own key.

use std::sync::Mutex;

use custos_app::registers;
use custos_app::store::LocalStore;
use custos_app::sync::{SyncClient, enroll};
use custos_core::ids::{EntryId, PersonId};
use custos_core::signing::DeviceKey;
use custos_core::time::Timestamp;

use crate::Site;

pub struct Headless {
    pub store: Mutex<LocalStore>,
    pub key: DeviceKey,
    pub seed: u8,
    person: PersonId,
    /// Kept between rounds, as the app keeps it (and its token).
    pub client: tokio::sync::Mutex<SyncClient>,
    _dir: tempfile::TempDir,
}

/// The machine's clock, as the app reads it.
pub fn now() -> Timestamp {
    custos_clock::Clock::now(&custos_clock::SystemClock)
}

impl Headless {
    /// Enrolls `person`'s device (key from `seed`) and syncs once.
    pub async fn enroll(site: &Site, person: &str, seed: u8) -> Headless {
        let dir = tempfile::tempdir().unwrap();
        let key = DeviceKey::from_seed(&[seed; 32]);
        let store = Mutex::new(LocalStore::open(&dir.path().join("device.sqlite"), key.device_id()).unwrap());
        let enrolled = enroll(&store, &key, &site.enrollment_text(person)).await.unwrap();
        let client =
            SyncClient::for_enrollment(&enrolled, std::sync::Arc::new(DeviceKey::from_seed(&[seed; 32]))).unwrap();
        let person = crate::enrolled_person(&store);
        let device = Headless {
            store,
            key,
            seed,
            person,
            client: tokio::sync::Mutex::new(client),
            _dir: dir,
        };
        device.sync().await;
        device
    }

    /// One sync round; nothing of it may be refused.
    pub async fn sync(&self) {
        let report = self
            .client
            .lock()
            .await
            .sync_once(&self.store, now().0, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(report.changes_refused, 0, "{report:?}");
    }

    pub fn me(&self) -> PersonId {
        self.person.clone()
    }

    /// Who signs now on this device; `n` keeps its entry ids apart.
    pub fn signer(&self, n: u128) -> registers::Signer<'_> {
        registers::Signer {
            person: &self.person,
            key: &self.key,
            now: now(),
            id: EntryId::from_parts(now().0 as u64, u128::from(self.seed) * 100 + n),
        }
    }
}
