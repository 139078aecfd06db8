//! Holds on footage: which are in force, and their release by the head.

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
    let role = my_roles
        .iter()
        .copied()
        .find(|r| {
            use custos_core::permissions::{Access, Register, fixed_roles};
            fixed_roles(Register::Holds, Access::Sign).contains(r)
        })
        .ok_or_else(|| custos_core::CoreError::Policy("only the head or the delegate releases a hold".into()))?;
    let (_, site_heads) = site_history(store)?;
    lock(store).edit(&DocKey::Holds, "hold released", signer.now.0, |doc| {
        let hold: custos_core::holds::Hold = docs::get_entry(doc, docs::HOLDS, hold_id)?
            .ok_or_else(|| RegisterError::NotFound(format!("no hold {hold_id} on this device")))?;
        let seal = Seal::sign(
            signer.id,
            SealPurpose::ReleaseHold,
            hold_id.parse()?,
            hold.content_hash(),
            role,
            signer.person.clone(),
            site_heads,
            signer.now,
            reason.trim().to_string(),
            signer.key,
        );
        Ok(docs::put_entry(doc, docs::RELEASES, seal.id.as_str(), &seal)?)
    })
}
