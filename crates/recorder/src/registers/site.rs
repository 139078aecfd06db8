//! The site register (設置區位) as the recorder keeps it: the recorder writes
//! the site document with its own actor; people, roles and devices change
//! only here, from the console or an enrollment.

use automerge::AutoCommit;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{CameraId, DeviceId, EntryId, PersonId};
use custos_core::policy::PolicyProfile;
use custos_core::roles::Role;
use custos_core::signing::DeviceKey;
use custos_core::site::{Camera, Device, Person, SiteInfo, SiteRegister};
use custos_core::time::Timestamp;
use serde_json::json;

use crate::error::{RecorderError, Result};
use crate::own_changes::RegisterLock;
use crate::store::{AuditEvent, Store};

const SITE: &str = "site";

/// A new ULID from the machine's randomness.
pub fn new_id(now: Timestamp) -> EntryId {
    let random = u128::from_le_bytes(random_bytes::<16>());
    EntryId::from_parts(now.0.max(0) as u64, random)
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("system randomness");
    bytes
}

/// The site register being changed, with the register lock held.
struct Editing {
    doc: AutoCommit,
    _lock: RegisterLock,
}

impl std::ops::Deref for Editing {
    type Target = AutoCommit;
    fn deref(&self) -> &AutoCommit {
        &self.doc
    }
}

impl std::ops::DerefMut for Editing {
    fn deref_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

pub struct Registry<'a> {
    pub store: &'a Store,
    pub site_key: &'a DeviceKey,
}

impl Registry<'_> {
    /// The site register as stored, to change and [`Registry::save`], under
    /// the register lock until then.
    fn open(&self) -> Result<Editing> {
        let lock = RegisterLock::acquire(self.store)?;
        let bytes = self.store.document(SITE)?;
        let doc = docs::open(&DocKey::Site, bytes.as_deref(), &self.site_key.device_id())?;
        Ok(Editing { doc, _lock: lock })
    }

    /// Commits the change made since [`Registry::open`] and appends it alone:
    /// serve (enrolling a device) and the console (people, cameras, hours)
    /// write the site register from two processes, and a whole save by one
    /// would drop what the other wrote in between.
    fn save(&self, mut editing: Editing, message: &str, now: Timestamp, audit: AuditEvent<'_>) -> Result<()> {
        let doc = &mut editing.doc;
        let Some(made) = docs::commit(doc, message, now.0) else {
            // Nothing changed (the same hours set again): on record all the same.
            self.store.append_audit(now, audit)?;
            return Ok(());
        };
        if self.store.document_version(SITE)?.is_none() {
            return if self.store.insert_document(SITE, &doc.save(), now, Some(audit))? {
                Ok(())
            } else {
                Err(RecorderError::Usage(
                    "the site register was created meanwhile; run the command again".into(),
                ))
            };
        }
        let change = doc
            .get_change_by_hash(&made)
            .ok_or_else(|| RecorderError::Usage(format!("the change for {message} is not in the document")))?;
        self.store
            .append_document_changes(SITE, change.raw_bytes(), now, Some(audit))?;
        Ok(())
    }

    /// Creates the site document at `init`.
    pub fn create_site(&self, name: &str, profile: &PolicyProfile, now: Timestamp) -> Result<()> {
        if name.trim().is_empty() {
            return Err(RecorderError::Usage("the site needs a name (--site)".into()));
        }
        let mut doc = self.open()?;
        let info = SiteInfo {
            name: name.trim().into(),
            profile_json: profile.to_json(),
            recorder_public_key: self.site_key.public_key_hex(),
            opening_hours: Default::default(),
        };
        autosurgeon::reconcile_prop(&mut *doc, automerge::ROOT, "site", &info)
            .map_err(|e| RecorderError::Usage(e.to_string()))?;
        let detail = json!({ "site": info.name, "profile": profile.id });
        self.save(
            doc,
            "site created",
            now,
            AuditEvent {
                kind: "site_created",
                actor: "console",
                detail,
            },
        )
    }

    /// Sets the site's opening hours (when an outage is an alarm).
    pub fn set_opening_hours(&self, hours: &custos_core::hours::OpeningHours, now: Timestamp) -> Result<()> {
        let mut info = self.site()?.site;
        info.opening_hours = hours.clone();
        let mut doc = self.open()?;
        autosurgeon::reconcile_prop(&mut *doc, automerge::ROOT, "site", &info)
            .map_err(|e| RecorderError::Usage(e.to_string()))?;
        let detail = json!({ "opening_hours": hours.describe() });
        self.save(
            doc,
            "opening hours set",
            now,
            AuditEvent {
                kind: "opening_hours_set",
                actor: "console",
                detail,
            },
        )
    }

    pub fn site(&self) -> Result<SiteRegister> {
        site_register(self.store)
    }

    pub fn add_person(&self, name: &str, roles: &[Role], now: Timestamp) -> Result<PersonId> {
        let name = name.trim();
        if name.is_empty() {
            return Err(RecorderError::Usage("a person needs a name (--name)".into()));
        }
        if roles.is_empty() {
            return Err(RecorderError::Usage("give at least one --role".into()));
        }
        let site = self.site()?;
        let profile = site.profile()?;
        if let Some(role) = roles.iter().find(|r| !profile.uses_role(**r)) {
            let known: Vec<&str> = profile.roles().map(|r| r.as_str()).collect();
            return Err(RecorderError::Usage(format!(
                "the {} profile has no role {}; its roles are {}",
                profile.id,
                role.as_str(),
                known.join(", ")
            )));
        }
        if site.people.values().any(|p| p.revoked_at.is_none() && p.name == name) {
            return Err(RecorderError::Usage(format!(
                "{name} is already a person at this site; names must be unique"
            )));
        }
        let id: PersonId = new_id(now).into();
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let person = Person {
            name: name.into(),
            roles: roles.clone(),
            revoked_at: None,
        };
        let mut doc = self.open()?;
        docs::put_entry(&mut doc, "people", id.as_str(), &person)?;
        let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let detail = json!({ "person": id.as_str(), "name": name, "roles": role_names });
        self.save(
            doc,
            "person added",
            now,
            AuditEvent {
                kind: "person_added",
                actor: "console",
                detail,
            },
        )?;
        Ok(id)
    }

    /// The active person with this name, or an error listing who there is.
    pub fn find_person(&self, name: &str) -> Result<(PersonId, Person)> {
        let site = self.site()?;
        let found = site
            .people
            .iter()
            .find(|(_, p)| p.revoked_at.is_none() && p.name == name.trim());
        match found {
            Some((id, p)) => Ok((id.parse()?, p.clone())),
            None => {
                let names: Vec<&str> = site
                    .people
                    .values()
                    .filter(|p| p.revoked_at.is_none())
                    .map(|p| p.name.as_str())
                    .collect();
                Err(RecorderError::Usage(format!(
                    "no active person named {name:?}; the people are: {}",
                    if names.is_empty() {
                        "(none yet)".to_string()
                    } else {
                        names.join(", ")
                    }
                )))
            }
        }
    }

    /// Revokes a person and every device of theirs, at once.
    pub fn revoke_person(&self, name: &str, now: Timestamp) -> Result<(PersonId, Vec<DeviceId>)> {
        let (id, mut person) = self.find_person(name)?;
        let site = self.site()?;
        let mut doc = self.open()?;
        person.revoked_at = Some(now);
        docs::put_entry(&mut doc, "people", id.as_str(), &person)?;
        let mut revoked = Vec::new();
        for (device_id, device) in site
            .devices
            .iter()
            .filter(|(_, d)| d.person == id && d.revoked_at.is_none())
        {
            let mut device = device.clone();
            device.revoked_at = Some(now);
            docs::put_entry(&mut doc, "devices", device_id, &device)?;
            revoked.push(device_id.parse::<DeviceId>()?);
        }
        let devices: Vec<&str> = revoked.iter().map(|d| d.as_str()).collect();
        let detail = json!({ "person": id.as_str(), "name": person.name, "devices": devices });
        // Their tokens stay until they expire, but every request reads the
        // site register, so the next one is refused, naming the revocation.
        self.save(
            doc,
            "person revoked",
            now,
            AuditEvent {
                kind: "revocation",
                actor: "console",
                detail,
            },
        )?;
        Ok((id, revoked))
    }

    /// Adds a camera to the site register (設置區位).
    pub fn add_camera(&self, id: &CameraId, camera: Camera, now: Timestamp) -> Result<()> {
        if camera.name.trim().is_empty() || camera.location.trim().is_empty() {
            return Err(RecorderError::Usage("a camera needs a name and a location".into()));
        }
        let url = camera.stream_url.trim();
        if !(url.starts_with("rtsp://") || url.starts_with("rtsps://")) {
            return Err(RecorderError::Usage(format!(
                "{url:?} is not an RTSP address (rtsp://host:port/path)"
            )));
        }
        let site = self.site()?;
        if site.camera(id).is_some() {
            return Err(RecorderError::Usage(format!(
                "camera {id} already exists; camera ids are never reused"
            )));
        }
        let mut doc = self.open()?;
        docs::put_entry(&mut doc, "cameras", id.as_str(), &camera)?;
        let detail = json!({ "camera": id.as_str(), "name": camera.name, "location": camera.location });
        self.save(
            doc,
            "camera added",
            now,
            AuditEvent {
                kind: "camera_added",
                actor: "console",
                detail,
            },
        )
    }

    /// Takes a camera out of service; its footage stays under retention.
    pub fn remove_camera(&self, id: &CameraId, now: Timestamp) -> Result<()> {
        let site = self.site()?;
        let mut camera = site
            .camera(id)
            .filter(|c| c.removed_at.is_none())
            .cloned()
            .ok_or_else(|| RecorderError::Usage(format!("no camera {id} in service")))?;
        camera.removed_at = Some(now);
        let mut doc = self.open()?;
        docs::put_entry(&mut doc, "cameras", id.as_str(), &camera)?;
        let detail = json!({ "camera": id.as_str() });
        self.save(
            doc,
            "camera removed",
            now,
            AuditEvent {
                kind: "camera_removed",
                actor: "console",
                detail,
            },
        )
    }

    /// Binds a device's public key to a person (enrollment).
    pub fn enroll_device(&self, person: &PersonId, public_key_hex: &str, now: Timestamp) -> Result<DeviceId> {
        let key = hex::decode(public_key_hex)
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| RecorderError::Usage("the public key must be 32 bytes of Ed25519, in hex".into()))?;
        let device_id = DeviceId::for_public_key(&key);
        let site = self.site()?;
        if site.device(&device_id).is_some() {
            return Err(RecorderError::Usage(format!(
                "device {device_id} is already enrolled; make a new key"
            )));
        }
        let device = Device {
            person: person.clone(),
            public_key: hex::encode(&key),
            enrolled_at: now,
            revoked_at: None,
        };
        let mut doc = self.open()?;
        docs::put_entry(&mut doc, "devices", device_id.as_str(), &device)?;
        let detail = json!({ "person": person.as_str(), "device": device_id.as_str() });
        self.save(
            doc,
            "device enrolled",
            now,
            AuditEvent {
                kind: "enrollment",
                actor: person.as_str(),
                detail,
            },
        )?;
        Ok(device_id)
    }
}

/// The site register as stored now.
pub fn site_register(store: &Store) -> Result<SiteRegister> {
    let bytes = store
        .document(SITE)?
        .ok_or_else(|| RecorderError::Usage("the site document is missing; was `init` completed?".into()))?;
    let doc = automerge::Automerge::load(&bytes)?;
    Ok(autosurgeon::hydrate(&doc).map_err(custos_core::CoreError::from)?)
}
