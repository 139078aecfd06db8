//! The site register (設置區位) as the recorder keeps it: the recorder writes
//! the site document with its own actor; people, roles and devices change
//! only here, from the console or an enrollment.

use automerge::AutoCommit;
use custos_core::documents::{self as docs, DocKey};
use custos_core::hours::OpeningHours;
use custos_core::ids::{CameraId, DeviceId, PersonId};
use custos_core::policy::PolicyProfile;
use custos_core::roles::Role;
use custos_core::site::{Camera, Device, Person, SiteInfo};
use custos_core::time::Timestamp;
use serde_json::json;

use super::service::{Registers, Writing};
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use custos_clock::entry_id_at;

impl Registers {
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
}

impl Writing<'_> {
    /// Changes the site register and appends that change alone: serve
    /// (enrolling a device) and the console (people, cameras, hours) write
    /// it from two processes, and a whole save by one would drop what the
    /// other wrote in between. A change that changes nothing (the same hours
    /// set again) is on record all the same.
    fn change_site(
        &self,
        message: &str,
        now: Timestamp,
        audit: AuditEvent<'_>,
        change: impl FnOnce(&mut AutoCommit) -> Result<()>,
    ) -> Result<()> {
        self.append_change(&DocKey::Site, message, now, Some(audit), change)?;
        Ok(())
    }

    fn put_site_info(doc: &mut AutoCommit, info: &SiteInfo) -> Result<()> {
        autosurgeon::reconcile_prop(doc, automerge::ROOT, "site", info)
            .map_err(|e| RecorderError::internal(e.to_string()))
    }

    /// Creates the site document at `init`.
    pub fn create_site(&self, name: &str, profile: &PolicyProfile, now: Timestamp) -> Result<()> {
        if name.trim().is_empty() {
            return Err(RecorderError::Usage("the site needs a name (--site)".into()));
        }
        let info = SiteInfo {
            name: name.trim().into(),
            profile_json: profile.to_json(),
            recorder_public_key: self.site_key.public_key_hex(),
            opening_hours: Default::default(),
        };
        let detail = json!({ "site": info.name, "profile": profile.id });
        let audit = AuditEvent {
            kind: "site_created",
            actor: "console",
            detail,
        };
        self.change_site("site created", now, audit, |doc| Self::put_site_info(doc, &info))
    }

    /// Sets the site's opening hours (when an outage is an alarm).
    pub fn set_opening_hours(&self, hours: &OpeningHours, now: Timestamp) -> Result<()> {
        let mut info = self.site()?.site.clone();
        info.opening_hours = hours.clone();
        let detail = json!({ "opening_hours": hours.describe() });
        let audit = AuditEvent {
            kind: "opening_hours_set",
            actor: "console",
            detail,
        };
        self.change_site("opening hours set", now, audit, |doc| Self::put_site_info(doc, &info))
    }

    pub fn add_person(&self, name: &str, roles: &[Role], now: Timestamp) -> Result<PersonId> {
        self.add_person_of(name, roles, None, now)
    }

    /// Adds a person of a unit (課室, 處室), which a profile's chain may ask
    /// for (004 附件3: 申請單位主管, 管理單位主管).
    pub fn add_person_of(&self, name: &str, roles: &[Role], unit: Option<&str>, now: Timestamp) -> Result<PersonId> {
        let unit = unit.map(str::trim).filter(|u| !u.is_empty());
        if unit.is_some_and(|u| u.chars().count() > 40 || u.chars().any(char::is_control)) {
            return Err(RecorderError::Usage(
                "a unit is a name of at most 40 characters (--unit)".into(),
            ));
        }
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
        let id: PersonId = entry_id_at(now).into();
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let person = Person {
            name: name.into(),
            roles: roles.clone(),
            unit: unit.map(str::to_string),
            revoked_at: None,
        };
        let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let detail = json!({ "person": id.as_str(), "name": name, "roles": role_names, "unit": unit });
        let audit = AuditEvent {
            kind: "person_added",
            actor: "console",
            detail,
        };
        self.change_site("person added", now, audit, |doc| {
            Ok(docs::put_entry(doc, "people", id.as_str(), &person)?)
        })?;
        Ok(id)
    }

    /// Revokes a person and every device of theirs, at once.
    pub fn revoke_person(&self, name: &str, now: Timestamp) -> Result<(PersonId, Vec<DeviceId>)> {
        let (id, mut person) = self.find_person(name)?;
        let site = self.site()?;
        person.revoked_at = Some(now);
        let mut revoked: Vec<(DeviceId, Device)> = Vec::new();
        for (device_id, device) in site
            .devices
            .iter()
            .filter(|(_, d)| d.person == id && d.revoked_at.is_none())
        {
            let mut device = device.clone();
            device.revoked_at = Some(now);
            revoked.push((device_id.parse()?, device));
        }
        let devices: Vec<&str> = revoked.iter().map(|(d, _)| d.as_str()).collect();
        let detail = json!({ "person": id.as_str(), "name": person.name, "devices": devices });
        let audit = AuditEvent {
            kind: "revocation",
            actor: "console",
            detail,
        };
        // Their tokens stay until they expire, but every request reads the
        // site register, so the next one is refused, naming the revocation.
        self.change_site("person revoked", now, audit, |doc| {
            docs::put_entry(doc, "people", id.as_str(), &person)?;
            for (device_id, device) in &revoked {
                docs::put_entry(doc, "devices", device_id.as_str(), device)?;
            }
            Ok(())
        })?;
        Ok((id, revoked.into_iter().map(|(d, _)| d).collect()))
    }

    /// Adds a camera to the site register (設置區位), and its stream address
    /// to the recorder's own configuration (never to the register).
    pub fn add_camera(&self, id: &CameraId, camera: Camera, stream_url: &str, now: Timestamp) -> Result<()> {
        if camera.name.trim().is_empty() || camera.location.trim().is_empty() {
            return Err(RecorderError::Usage("a camera needs a name and a location".into()));
        }
        let url = stream_url.trim();
        if !(url.starts_with("rtsp://") || url.starts_with("rtsps://")) {
            return Err(RecorderError::Usage(format!(
                "{url:?} is not an RTSP address (rtsp://host:port/path)"
            )));
        }
        if self.site()?.camera(id).is_some() {
            return Err(RecorderError::Usage(format!(
                "camera {id} already exists; camera ids are never reused"
            )));
        }
        let detail = json!({ "camera": id.as_str(), "name": camera.name, "location": camera.location });
        let audit = AuditEvent {
            kind: "camera_added",
            actor: "console",
            detail,
        };
        self.store.set_camera_stream(id.as_str(), url)?;
        self.change_site("camera added", now, audit, |doc| {
            Ok(docs::put_entry(doc, "cameras", id.as_str(), &camera)?)
        })
    }

    /// Changes what the register says of a camera in service (its name,
    /// where it hangs, its zone, its features, its property number). A
    /// changed location or zone changes the public list (004 §5(3)): the
    /// caller settles the site's notices after.
    pub fn edit_camera(&self, id: &CameraId, edit: impl FnOnce(&mut Camera), now: Timestamp) -> Result<Camera> {
        let before = self
            .site()?
            .camera(id)
            .filter(|c| c.removed_at.is_none())
            .cloned()
            .ok_or_else(|| RecorderError::Usage(format!("no camera {id} in service")))?;
        let mut camera = before.clone();
        edit(&mut camera);
        if camera.name.trim().is_empty() || camera.location.trim().is_empty() {
            return Err(RecorderError::Usage("a camera needs a name and a location".into()));
        }
        if camera == before {
            return Err(RecorderError::Usage(format!(
                "camera {id} already reads so; nothing to change"
            )));
        }
        let detail = json!({
            "camera": id.as_str(),
            "before": { "name": before.name, "location": before.location, "zone": before.zone, "property_number": before.property_number },
            "after": { "name": camera.name, "location": camera.location, "zone": camera.zone, "property_number": camera.property_number },
        });
        let audit = AuditEvent {
            kind: "camera_edited",
            actor: "console",
            detail,
        };
        self.change_site("camera edited", now, audit, |doc| {
            Ok(docs::put_entry(doc, "cameras", id.as_str(), &camera)?)
        })?;
        Ok(camera)
    }

    /// Takes a camera out of service; its footage stays under retention.
    pub fn remove_camera(&self, id: &CameraId, now: Timestamp) -> Result<()> {
        let mut camera = self
            .site()?
            .camera(id)
            .filter(|c| c.removed_at.is_none())
            .cloned()
            .ok_or_else(|| RecorderError::Usage(format!("no camera {id} in service")))?;
        camera.removed_at = Some(now);
        let detail = json!({ "camera": id.as_str() });
        let audit = AuditEvent {
            kind: "camera_removed",
            actor: "console",
            detail,
        };
        self.change_site("camera removed", now, audit, |doc| {
            Ok(docs::put_entry(doc, "cameras", id.as_str(), &camera)?)
        })
    }

    /// Binds a device's public key to a person (enrollment).
    pub fn enroll_device(&self, person: &PersonId, public_key_hex: &str, now: Timestamp) -> Result<DeviceId> {
        let key = hex::decode(public_key_hex)
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| RecorderError::BadRequest("the public key must be 32 bytes of Ed25519, in hex".into()))?;
        let device_id = DeviceId::for_public_key(&key);
        if self.site()?.device(&device_id).is_some() {
            return Err(RecorderError::conflict(
                "Device already enrolled",
                format!("device {device_id} is already enrolled; make a new key"),
            ));
        }
        let device = Device {
            person: person.clone(),
            public_key: hex::encode(&key),
            enrolled_at: now,
            revoked_at: None,
        };
        let detail = json!({ "person": person.as_str(), "device": device_id.as_str() });
        let audit = AuditEvent {
            kind: "enrollment",
            actor: person.as_str(),
            detail,
        };
        self.change_site("device enrolled", now, audit, |doc| {
            Ok(docs::put_entry(doc, "devices", device_id.as_str(), &device)?)
        })?;
        Ok(device_id)
    }
}

impl Registers {
    /// Refuses a site whose register holds a camera's stream address
    /// anywhere in its history: a site made before addresses moved to the
    /// recorder's own configuration. Every enrolled device has received
    /// them, passwords included, and deleting them now would not take them
    /// out of the history devices hold.
    pub fn refuse_addresses_in_the_site_register(&self) -> Result<()> {
        let Some(doc) = self.document(&DocKey::Site)? else {
            return Ok(());
        };
        let holds_address = doc.get_changes(&[]).iter().any(|change| {
            let bytes = change.raw_bytes();
            [&b"rtsp://"[..], b"rtsps://"]
                .iter()
                .any(|scheme| bytes.windows(scheme.len()).any(|w| w == *scheme))
        });
        if holds_address {
            return Err(RecorderError::Usage(
                "this site's register holds the cameras' stream addresses, with their passwords, and every \
                 enrolled device has received them. Make the site anew (custos-recorder init in a new data \
                 directory, then add the people and cameras again) and change every camera's password: the \
                 devices keep the old ones."
                    .into(),
            ));
        }
        Ok(())
    }
}
