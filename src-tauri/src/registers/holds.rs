//! Holds on footage: which are in force and until when, their release by
//! the head, and their renewal with a legal basis.

use std::collections::BTreeMap;
use std::sync::Mutex;

use custos_core::documents::{self as docs, DocKey};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use serde::Serialize;

use crate::store::{LocalStore, lock};

use super::applications::application_statuses;
use super::common::{RegisterError, Result, Signer, site_history};

/// The holds on footage and which of them are released, as this device has them.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct HoldsView {
    pub holds: BTreeMap<String, custos_core::holds::Hold>,
    /// Hold id → the seal that released it.
    pub released: BTreeMap<String, Seal>,
    /// Holds placed for an application that was since rejected or
    /// withdrawn (as far as this device knows the application): ended
    /// without a release.
    pub ended_by_application: Vec<String>,
    /// Hold id → when it lapses (`Hold::lapses_at`: its deadline, renewals
    /// counted), as far as this device knows the application.
    pub lapses_at: BTreeMap<String, custos_core::time::Timestamp>,
    /// The head's renewals, by seal id (each names its hold).
    pub renewals: BTreeMap<String, Seal>,
    /// The recorder's notices in the holds document (a hold about to lapse).
    pub notices: BTreeMap<String, custos_core::inspection::RecorderAlarm>,
    /// How long a renewal keeps a hold, in days (the profile's).
    pub renewal_days: u32,
}

pub fn holds(store: &Mutex<LocalStore>) -> Result<HoldsView> {
    let doc = lock(store).document(&DocKey::Holds)?;
    let holds: BTreeMap<String, custos_core::holds::Hold> = docs::entries(&doc, docs::HOLDS)?;
    let seals: BTreeMap<String, Seal> = docs::entries(&doc, docs::RELEASES)?;
    let released = seals
        .into_values()
        .filter(|s| s.purpose == SealPurpose::ReleaseHold)
        .map(|s| (s.subject.to_string(), s))
        .collect();
    // Only applications this device may read are known here.
    let statuses =
        application_statuses(store, holds.values().filter_map(|h| h.application.as_ref())).unwrap_or_default();
    let renewals: BTreeMap<String, Seal> = docs::entries(&doc, docs::RENEWALS)?;
    let profile = super::common::site(store)?.profile()?;
    let lapses_at = holds
        .iter()
        .map(|(id, h)| {
            let status = h.application.as_ref().and_then(|a| statuses.get(a));
            let renewed = renewals
                .values()
                .filter(|s| s.purpose == SealPurpose::RenewHold && s.subject.as_str() == id)
                .map(|s| s.signed_at);
            (id.clone(), h.lapses_at(status, renewed, &profile))
        })
        .collect();
    let ended_by_application = holds
        .iter()
        .filter(|(_, h)| {
            h.application
                .as_ref()
                .and_then(|a| statuses.get(a))
                .is_some_and(|status| h.ended_by(status))
        })
        .map(|(id, _)| id.clone())
        .collect();
    Ok(HoldsView {
        holds,
        released,
        ended_by_application,
        lapses_at,
        renewals,
        notices: custos_core::inspection::alarms(&doc)?,
        renewal_days: profile.hold_renewal_days,
    })
}

/// The head (or the profile's delegate) releases a hold: the footage then
/// follows ordinary retention again. Signed; the reason is the seal's note.
pub fn release_hold(
    store: &Mutex<LocalStore>,
    hold_id: &str,
    reason: &str,
    my_roles: &[Role],
    signer: Signer<'_>,
) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(custos_core::CoreError::Policy("releasing a hold needs a reason".into()).into());
    }
    seal_hold(store, (hold_id, SealPurpose::ReleaseHold), reason, my_roles, signer)
}

/// The head (or delegate) renews a hold before it lapses, with the legal
/// basis that requires keeping the footage: it is kept the profile's
/// `hold_renewal_days` from now.
pub fn renew_hold(
    store: &Mutex<LocalStore>,
    hold_id: &str,
    legal_basis: &str,
    my_roles: &[Role],
    signer: Signer<'_>,
) -> Result<()> {
    custos_core::holds::check_renewal_basis(legal_basis)?;
    seal_hold(store, (hold_id, SealPurpose::RenewHold), legal_basis, my_roles, signer)
}

/// A seal of the head on a hold (a release or a renewal), with its note.
fn seal_hold(
    store: &Mutex<LocalStore>,
    (hold_id, purpose): (&str, SealPurpose),
    note: &str,
    my_roles: &[Role],
    signer: Signer<'_>,
) -> Result<()> {
    let role = my_roles
        .iter()
        .copied()
        .find(|r| {
            use custos_core::permissions::{Access, Register, fixed_roles};
            fixed_roles(Register::Holds, Access::Sign).contains(r)
        })
        .ok_or_else(|| {
            custos_core::CoreError::Policy("only the head or the delegate releases or renews a hold".into())
        })?;
    let (_, site_heads) = site_history(store)?;
    let collection = if purpose == SealPurpose::RenewHold {
        docs::RENEWALS
    } else {
        docs::RELEASES
    };
    lock(store).edit(&DocKey::Holds, "hold sealed", signer.now.0, |doc| {
        let hold: custos_core::holds::Hold = docs::get_entry(doc, docs::HOLDS, hold_id)?
            .ok_or_else(|| RegisterError::NotFound(format!("no hold {hold_id} on this device")))?;
        docs::extend(doc, &DocKey::Holds)?;
        let seal = Seal::sign(
            signer.id,
            purpose,
            hold_id.parse()?,
            hold.content_hash(),
            role,
            signer.person.clone(),
            site_heads,
            signer.now,
            note.trim().to_string(),
            signer.key,
        );
        Ok(docs::put_entry(doc, collection, seal.id.as_str(), &seal)?)
    })
}
