//! Step 1 of the derivation: each event on its own.

use std::collections::BTreeMap;

use super::status::IgnoreReason;
use crate::application::{ApplicationCase, Decision, DecisionEvent};
use crate::history::SiteHistory;
use crate::ids::DeviceId;
use crate::permissions::{self, Access, Register};
use crate::policy::ApprovalStep;
use crate::roles::Role;
use crate::signing::verify;
use crate::site::SiteRegister;
use crate::viewing::ViewingOpening;

/// Checks one event on its own: form, signer, role, signature, case version.
pub(super) fn check_event(
    key: &str,
    e: &DecisionEvent,
    case: &ApplicationCase,
    case_hash: &str,
    (chain, escort_roles): (&[ApprovalStep], &[Role]),
    (site, current_site): (&SiteHistory, &SiteRegister),
    all: &BTreeMap<String, DecisionEvent>,
) -> Result<Option<String>, IgnoreReason> {
    if key != e.id.as_str() {
        return Err(IgnoreReason::StoredUnderOtherKey);
    }
    if e.application != case.id {
        return Err(IgnoreReason::OtherApplication);
    }
    if let Decision::Viewing { session, opening } = &e.decision {
        return check_viewing(e, session, opening, case_hash, escort_roles, (site, current_site));
    }
    if let Decision::Export { export, .. } = &e.decision {
        return check_export(e, export, case_hash, (site, current_site));
    }
    // The signature first, against the device's key (a device id is the
    // hash of its key, so the key is the same in every version of the
    // site): only a signed event makes the history fork its heads name.
    // A device is enrolled to one person for good, so that is checked here too.
    let enrolled = current_site
        .device(&e.device)
        .filter(|d| d.person == e.signer)
        .ok_or(IgnoreReason::DeviceNotTheSigners)?;
    let key = enrolled.public_key.as_str();
    if !verify(key, &e.signing_bytes(), &e.signature) {
        return Err(IgnoreReason::BadSignature);
    }
    let site_then = site.at(&e.site_heads).ok_or(IgnoreReason::SiteStateUnknown)?;
    // Each distinct site state the seen events name is compared once; most
    // name the state this event names (a site changes a few times a month).
    let mut compared: Vec<&Vec<String>> = Vec::new();
    for seen in &e.seen {
        if let Some(prior) = all.get(seen.as_str())
            && prior.id == *seen
            && prior.site_heads != e.site_heads
            && !compared.contains(&&prior.site_heads)
        {
            if !site.includes(&e.site_heads, &prior.site_heads) {
                return Err(IgnoreReason::SiteStateRegressed);
            }
            compared.push(&prior.site_heads);
        }
    }
    let device = site_then.device(&e.device).ok_or(IgnoreReason::DeviceNotTheSigners)?;
    if device.person != e.signer {
        return Err(IgnoreReason::DeviceNotTheSigners);
    }
    let person = site_then.person(&e.signer).ok_or(IgnoreReason::DeviceNotTheSigners)?;
    if device.revoked_at.is_some() || person.revoked_at.is_some() {
        return Err(IgnoreReason::Revoked);
    }
    if !person.roles.contains(&e.role) {
        return Err(IgnoreReason::RoleNotHeld);
    }
    if device.public_key != key {
        return Err(IgnoreReason::DeviceNotTheSigners);
    }
    let in_sign_step = chain
        .iter()
        .any(|s| matches!(s, ApprovalStep::Sign { roles, .. } if roles.contains(&e.role)));
    let in_committee = chain
        .iter()
        .any(|s| matches!(s, ApprovalStep::Committee { required } if required.contains(&e.role)));
    let role_ok = match &e.decision {
        Decision::Approve | Decision::Reject { .. } => in_sign_step,
        Decision::Vote { .. } => in_committee,
        Decision::Withdraw { .. } | Decision::Reply { .. } => {
            permissions::fixed_roles(Register::ApplicationCase, Access::Sign).contains(&e.role)
        }
        // Judged by `check_viewing` and `check_export`, before the device checks.
        Decision::Viewing { .. } | Decision::Export { .. } => false,
        Decision::SpotCheck { .. } => permissions::SPOT_CHECK_ROLES.contains(&e.role),
    };
    if !role_ok {
        return Err(IgnoreReason::RoleMayNotDecide);
    }
    let missing_reason = match &e.decision {
        Decision::Reject { reason } | Decision::Withdraw { reason } => reason.trim().is_empty(),
        Decision::Vote {
            in_favour: false,
            reason,
        } => reason.trim().is_empty(),
        _ => false,
    };
    if missing_reason {
        return Err(IgnoreReason::MissingReason);
    }
    if let Decision::Reply { letter } = &e.decision {
        if case.official_letter.is_none() {
            return Err(IgnoreReason::NoLetterToReply);
        }
        letter.check().map_err(|_| IgnoreReason::MalformedReply)?;
    }
    if e.case_hash != case_hash {
        return Err(IgnoreReason::CaseChanged);
    }
    Ok(person.unit.clone())
}

/// A viewing is the recorder's record of an opened session: signed with the
/// site key (the site register names the recorder's public key), naming the
/// escort's signed opening, which is checked against the site the recorder
/// saw when it opened the session. A device's key never counts here.
fn check_viewing(
    e: &DecisionEvent,
    session: &str,
    opening: &ViewingOpening,
    case_hash: &str,
    escort_roles: &[Role],
    (site, current_site): (&SiteHistory, &SiteRegister),
) -> Result<Option<String>, IgnoreReason> {
    signed_by_the_recorder(e, current_site)?;
    if session.trim().is_empty() {
        return Err(IgnoreReason::MissingReason);
    }
    if opening.application != e.application || opening.escort != e.signer || opening.role != e.role {
        return Err(IgnoreReason::OpeningMismatch);
    }
    let site_then = site.at(&e.site_heads).ok_or(IgnoreReason::SiteStateUnknown)?;
    opening
        .check(&site_then, escort_roles)
        .map_err(|_| IgnoreReason::OpeningMismatch)?;
    if e.case_hash != case_hash || opening.case_hash != case_hash {
        return Err(IgnoreReason::CaseChanged);
    }
    Ok(site_then.person(&e.signer).and_then(|p| p.unit.clone()))
}

/// Signed with the site key by the recorder, not by any device.
fn signed_by_the_recorder(e: &DecisionEvent, current_site: &SiteRegister) -> Result<(), IgnoreReason> {
    let recorder_key = current_site.site.recorder_public_key.as_str();
    let recorder = hex::decode(recorder_key)
        .map(|k| DeviceId::for_public_key(&k))
        .map_err(|_| IgnoreReason::NotTheRecorders)?;
    if e.device != recorder || !verify(recorder_key, &e.signing_bytes(), &e.signature) {
        return Err(IgnoreReason::NotTheRecorders);
    }
    Ok(())
}

/// An export is the recorder's record of an archive it wrote and verified,
/// signed with the site key, in the name of the manager who asked for it:
/// they held an export role, unrevoked, in the site the recorder saw.
fn check_export(
    e: &DecisionEvent,
    export: &str,
    case_hash: &str,
    (site, current_site): (&SiteHistory, &SiteRegister),
) -> Result<Option<String>, IgnoreReason> {
    signed_by_the_recorder(e, current_site)?;
    if export.trim().is_empty() {
        return Err(IgnoreReason::MissingReason);
    }
    let site_then = site.at(&e.site_heads).ok_or(IgnoreReason::SiteStateUnknown)?;
    let person = site_then.person(&e.signer).ok_or(IgnoreReason::DeviceNotTheSigners)?;
    if person.revoked_at.is_some() {
        return Err(IgnoreReason::Revoked);
    }
    if !person.roles.contains(&e.role) {
        return Err(IgnoreReason::RoleNotHeld);
    }
    if !permissions::EXPORT_ROLES.contains(&e.role) {
        return Err(IgnoreReason::RoleMayNotDecide);
    }
    if e.case_hash != case_hash {
        return Err(IgnoreReason::CaseChanged);
    }
    Ok(person.unit.clone())
}
