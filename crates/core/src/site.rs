//! 設置區位: the site register. The site, its policy profile, its people with
//! their roles, their enrolled devices, and its cameras. Written only by the
//! recorder (people are added and revoked on its console); every device reads it.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::ids::{CameraId, DeviceId, PersonId};
use crate::policy::PolicyProfile;
use crate::roles::Role;
use crate::time::Timestamp;

/// The whole site register as one value. It is small (tens of people and
/// cameras), so it is hydrated whole; it is still written entry by entry.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SiteRegister {
    pub site: SiteInfo,
    pub people: BTreeMap<String, Person>,
    pub devices: BTreeMap<String, Device>,
    pub cameras: BTreeMap<String, Camera>,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SiteInfo {
    /// The institution's name as on its forms (e.g. 高雄市某某幼兒園).
    #[autosurgeon(missing = "String::new")]
    pub name: String,
    /// The policy profile as JSON, so a custom profile travels with the site.
    #[autosurgeon(missing = "String::new")]
    pub profile_json: String,
    /// The site recorder's Ed25519 public key (hex): it signs audit checkpoints
    /// and the logbook entries it writes.
    #[autosurgeon(missing = "String::new")]
    pub recorder_public_key: String,
    /// 開放時間: when an outage is an alarm; none set means always.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub opening_hours: crate::hours::OpeningHours,
}

/// A person at the site. Removing someone is a revocation, never a deletion,
/// so every past signature can still be checked against who they were.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Person {
    pub name: String,
    pub roles: Vec<Role>,
    /// 所屬單位 (課室, 處室): where a step asks for the applicant's or the
    /// managing unit's supervisor (004 附件3). Added later: absent, none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Default::default")]
    pub unit: Option<String>,
    /// Set when the person left or was removed: from then on no device of
    /// theirs may act.
    pub revoked_at: Option<Timestamp>,
}

/// An enrolled device and the public key that signs for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Device {
    pub person: PersonId,
    /// Ed25519 public key, 32 bytes in hex.
    pub public_key: String,
    pub enrolled_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// 攝影機設置區位 (001 §3): the kind of place a camera watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// 戶外公共區域
    #[autosurgeon(rename = "outdoor_public")]
    OutdoorPublic,
    /// 室內公共區域
    #[autosurgeon(rename = "indoor_public")]
    IndoorPublic,
    /// 室內活動室
    #[autosurgeon(rename = "activity_room")]
    ActivityRoom,
}

impl Zone {
    /// As the forms and the public notice word it.
    pub fn title_zh(self) -> &'static str {
        match self {
            Zone::OutdoorPublic => "戶外公共區域",
            Zone::IndoorPublic => "室內公共區域",
            Zone::ActivityRoom => "室內活動室",
        }
    }
}

/// 監錄系統設備功能 (001 §3): what the camera is expected to provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CameraFeatures {
    /// 畫面為彩色、清晰可辨識
    pub colour: bool,
    /// 攝錄角度為全面
    pub full_angle: bool,
    /// 時間之年、月、日、時、分能準點呈現
    pub time_overlay: bool,
    /// 附加收音功能
    pub audio: bool,
}

/// A camera of the site, as every device receives it. Its stream address
/// (with the camera's password) is not here: it stays in the recorder's own
/// configuration, since a phone that held it could open the stream and
/// bypass who may see live pictures (004 §8(3)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Camera {
    pub name: String,
    /// Where it hangs, in words a visitor understands (published per 004 §5(2)).
    pub location: String,
    pub zone: Zone,
    pub features: CameraFeatures,
    /// 財產編號: property number in the asset register (001 §8(2)).
    pub property_number: Option<String>,
    /// Set when the camera was taken out of service; its footage stays under retention.
    pub removed_at: Option<Timestamp>,
}

/// Who acts: a device of a person, as the site register saw them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor<'a> {
    pub person_id: PersonId,
    pub person: &'a Person,
    pub device_id: DeviceId,
    pub device: &'a Device,
}

impl Actor<'_> {
    pub fn has_role(&self, role: Role) -> bool {
        self.person.roles.contains(&role)
    }
}

impl SiteRegister {
    pub fn profile(&self) -> Result<PolicyProfile, CoreError> {
        PolicyProfile::from_json(&self.site.profile_json)
    }

    pub fn person(&self, id: &PersonId) -> Option<&Person> {
        self.people.get(id.as_str())
    }

    pub fn device(&self, id: &DeviceId) -> Option<&Device> {
        self.devices.get(id.as_str())
    }

    pub fn camera(&self, id: &CameraId) -> Option<&Camera> {
        self.cameras.get(id.as_str())
    }

    /// The device and its person, if both are enrolled and neither is revoked.
    /// Anything else cannot act, whatever it signs.
    pub fn active_actor(&self, device_id: &DeviceId) -> Result<Actor<'_>, CoreError> {
        let device = self
            .device(device_id)
            .ok_or_else(|| CoreError::Policy(format!("device {device_id} is not enrolled at this site")))?;
        if device.revoked_at.is_some() {
            return Err(CoreError::Policy(format!("device {device_id} has been revoked")));
        }
        let person = self.person(&device.person).ok_or_else(|| {
            CoreError::Malformed(format!(
                "device {device_id} belongs to unknown person {}",
                device.person
            ))
        })?;
        if person.revoked_at.is_some() {
            return Err(CoreError::Policy(format!(
                "{} ({}) has been revoked",
                person.name, device.person
            )));
        }
        Ok(Actor {
            person_id: device.person.clone(),
            person,
            device_id: device_id.clone(),
            device,
        })
    }

    /// The active people holding a role (for example, to notify the ethics office).
    pub fn holders_of(&self, role: Role) -> impl Iterator<Item = (&str, &Person)> {
        self.people
            .iter()
            .filter(move |(_, p)| p.revoked_at.is_none() && p.roles.contains(&role))
            .map(|(id, p)| (id.as_str(), p))
    }

    /// Cameras in service.
    pub fn active_cameras(&self) -> impl Iterator<Item = (&str, &Camera)> {
        self.cameras
            .iter()
            .filter(|(_, c)| c.removed_at.is_none())
            .map(|(id, c)| (id.as_str(), c))
    }
}
