//! 設置區位: the site, its cameras and people, and the rules the screens
//! follow (which paper form, whether this person countersigns), as Rust
//! decides them.

use custos_core::permissions::{self, Access, Register};
use custos_core::policy::PaperForm;
use serde::Serialize;
use tauri::State;

use super::error::{CommandError, ErrorKind, Result};
use crate::device::ThisDevice;
use crate::registers;

/// A camera of the register (004 §5(2), 001 §3).
#[derive(Debug, Serialize, specta::Type)]
pub struct CameraView {
    pub id: String,
    pub name: String,
    pub location: String,
    pub zone: custos_core::site::Zone,
    pub features: custos_core::site::CameraFeatures,
    pub audio: bool,
    pub property_number: Option<String>,
}

#[derive(Debug, Serialize, specta::Type)]
pub struct SiteView {
    pub name: String,
    pub profile_id: String,
    /// The cameras in service, in id order: the walk-around checklist.
    pub cameras: Vec<CameraView>,
    /// Names by person id, to print who checked and who countersigned.
    pub people: std::collections::BTreeMap<String, String>,
    /// How often the profile asks for the walk-around check, in days
    /// (1: daily, 004 §6; 7: the Kaohsiung 定期 default); `None`: no schedule.
    pub check_every_days: Option<u32>,
    /// The paper form the month's checks print on (the profile decides).
    pub paper_form: PaperForm,
    /// Whether this device's person may countersign checks (核章): the
    /// profile's `countersign_by` and the supervisor.
    pub may_countersign: bool,
    /// Whether this person receives applications (the applications screens).
    pub reads_applications: bool,
    /// Whether this person files applications (the manager, 承辦人).
    pub may_file: bool,
    /// Whether this person may ask the recorder for an agency's copy (複製).
    pub may_export: bool,
    /// The site key's fingerprint, which a reply letter (函覆) states so the
    /// agency can check an export's signatures.
    pub site_key_fingerprint: String,
    /// Whether this person records spot checks of cases (政風室, 002 §13).
    pub may_spot_check: bool,
    /// Whether this person sees the holds on footage, and releases them (the head).
    pub reads_holds: bool,
    /// Whether this person's device holds the audit checkpoints and checks
    /// them itself (the head, a delegate, the ethics office).
    pub reads_audit: bool,
    pub may_release_holds: bool,
    /// What the recorder keeps: footage younger than the floor is never
    /// destroyed, older than the ceiling is unless a hold covers it.
    pub retention: Option<custos_core::policy::EffectiveRetention>,
    /// Above this many minutes, filing warns that the window is longer
    /// than an incident needs (the profile's value).
    pub window_warn_minutes: u32,
    /// The recorder's notices in the site register (the public notice of
    /// camera locations outdated or unchecked), by id.
    pub notices: std::collections::BTreeMap<String, custos_core::inspection::RecorderAlarm>,
    /// Whether this person publishes and checks the public list (004 §5).
    pub may_review_location_notice: bool,
    /// Whether this person reads the access logbook (調閱登記簿).
    pub reads_logbook: bool,
    /// The role in which this person accompanies a viewing and opens it on
    /// their tablet (the profile's `escort_roles`), if they may.
    pub escort_role: Option<custos_core::roles::Role>,
}

/// The site and its cameras, as this device last received them.
#[tauri::command]
#[specta::specta]
pub fn site(device: State<'_, ThisDevice>) -> Result<SiteView> {
    let site = registers::site(&device.store)?;
    let profile = site.profile().map_err(|e| CommandError::new(ErrorKind::Invalid, e))?;
    let roles = device.my_roles()?;
    Ok(SiteView {
        name: site.site.name.clone(),
        profile_id: profile.id.clone(),
        cameras: site
            .active_cameras()
            .map(|(id, c)| CameraView {
                id: id.to_string(),
                name: c.name.clone(),
                location: c.location.clone(),
                zone: c.zone,
                features: c.features,
                audio: c.features.audio,
                property_number: c.property_number.clone(),
            })
            .collect(),
        check_every_days: match profile.inspection.frequency {
            custos_core::policy::InspectionFrequency::Daily => Some(1),
            custos_core::policy::InspectionFrequency::EveryDays(n) => Some(n),
            custos_core::policy::InspectionFrequency::Anytime => None,
        },
        people: site.people.iter().map(|(id, p)| (id.clone(), p.name.clone())).collect(),
        paper_form: profile.inspection.paper_form(),
        may_countersign: permissions::allows(&roles, Register::Inspections, Access::Sign, &profile),
        reads_applications: permissions::allows(&roles, Register::ApplicationCase, Access::Read, &profile),
        may_file: permissions::allows(&roles, Register::ApplicationCase, Access::Write, &profile),
        may_export: roles.iter().any(|r| permissions::EXPORT_ROLES.contains(r)),
        site_key_fingerprint: hex::decode(&site.site.recorder_public_key)
            .map(|key| custos_core::export::site_key_fingerprint(&key))
            .unwrap_or_default(),
        may_spot_check: roles.iter().any(|r| permissions::SPOT_CHECK_ROLES.contains(r)),
        reads_holds: permissions::allows(&roles, Register::Holds, Access::Read, &profile),
        reads_audit: permissions::allows(&roles, Register::Audit, Access::Read, &profile),
        may_release_holds: permissions::allows(&roles, Register::Holds, Access::Sign, &profile),
        retention: profile.effective_retention().ok(),
        window_warn_minutes: profile.window_warn_minutes,
        notices: registers::site_notices(&device.store)?,
        may_review_location_notice: roles.iter().any(|r| permissions::LOCATION_NOTICE_ROLES.contains(r)),
        reads_logbook: permissions::allows(&roles, Register::Logbook, Access::Read, &profile),
        escort_role: roles.iter().copied().find(|r| profile.escort_roles.contains(r)),
    })
}

/// 設置區位公告: the public list of camera locations, its CSV and web page,
/// and its publications and checks.
#[tauri::command]
#[specta::specta]
pub fn location_notice(device: State<'_, ThisDevice>) -> Result<registers::LocationNoticeView> {
    let roles = device.my_roles()?;
    Ok(registers::location_notice(&device.store, &roles, device.clock.now())?)
}

/// Records that this device's person published (`matches` true) or checked
/// the list shown to them, named by its digest (`seen`).
#[tauri::command]
#[specta::specta]
pub fn review_location_notice(
    device: State<'_, ThisDevice>,
    seen: String,
    kind: custos_core::location_notice::ReviewKind,
    matches: bool,
    note: String,
) -> Result<String> {
    let me = device.me()?;
    let roles = device.my_roles()?;
    let id = registers::review_location_notice(
        &device.store,
        (&me, &roles),
        &seen,
        (kind, matches, &note),
        device.clock.now(),
        device.clock.new_entry_id(),
    )?;
    device.wake.notify_one();
    Ok(id)
}
