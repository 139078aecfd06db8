//! Holds (the holds document): footage kept past retention for a case. The
//! recorder places the holds of applications itself (filing, 001 §6(3); the
//! viewed footage kept on record, 001 §6(4)); a manager places one for an
//! agency's letter or an investigation; the head releases one, on a device
//! or here on the console. The rules of a hold are the core's
//! (`custos_core::holds`); this is where the document is read and written.

use std::collections::BTreeMap;

use custos_core::application::{ApplicationCase, read_case};
use custos_core::documents::{self as docs, DocKey};
use custos_core::history::{SiteHistory, heads_to_hex};
use custos_core::holds::{DestructionRecord, Hold, HoldBasis};
use custos_core::ids::{DeviceId, EntryId};
use custos_core::permissions::{self, Access, Register};
use custos_core::policy::PolicyProfile;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::signing::verify;
use custos_core::site::SiteRegister;
use custos_core::time::Timestamp;
use custos_core::workflow::{Status, derive_status};
use serde_json::json;

use super::service::{Registers, Writing};
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use custos_clock::entry_id_at;

/// A hold, when it lapses, and whether it is still in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldState {
    pub id: String,
    pub hold: Hold,
    /// Its deadline (`Hold::lapses_at`), renewals counted.
    pub lapses_at: Timestamp,
    pub in_force: bool,
}

impl Registers {
    /// The destruction register: what retention destroyed, and why.
    pub fn destruction_records(&self) -> Result<Vec<DestructionRecord>> {
        let Some(doc) = self.document(&DocKey::Holds)? else {
            return Ok(Vec::new());
        };
        let records: BTreeMap<String, DestructionRecord> = docs::entries(&doc, docs::DESTRUCTIONS)?;
        Ok(records.into_values().collect())
    }

    /// Every hold with its id and whether it is still in force at `now`:
    /// placed, not released by a valid release seal, not ended by the
    /// outcome of the application it was placed for, and not past its
    /// deadline (renewals by the head counted).
    pub fn holds(&self, now: Timestamp) -> Result<Vec<HoldState>> {
        let Some(doc) = self.document(&DocKey::Holds)? else {
            return Ok(vec![]);
        };
        let holds: BTreeMap<String, Hold> = docs::entries(&doc, docs::HOLDS)?;
        let releases: BTreeMap<String, Seal> = docs::entries(&doc, docs::RELEASES)?;
        let renewals: BTreeMap<String, Seal> = docs::entries(&doc, docs::RENEWALS)?;
        let site = self.site()?;
        let profile = site.profile()?;
        let release_roles = permissions::roles(Register::Holds, Access::Sign, &profile);
        let mut out = Vec::with_capacity(holds.len());
        self.with_site_history(|history| -> Result<()> {
            for (id, hold) in holds {
                let released = releases.iter().any(|(key, seal)| {
                    seal.subject.as_str() == id
                        && (seal.verify(key, &hold.content_hash(), &release_roles, history).is_ok()
                            || is_console_seal(key, seal, &hold, &site, &release_roles))
                });
                let status = match (&hold.application, released) {
                    (Some(application), false) => self
                        .application_outcome(application, history, &profile)?
                        .map(|(_, status)| status),
                    _ => None,
                };
                let ended = status.as_ref().is_some_and(|s| hold.ended_by(s));
                let renewed = renewals
                    .iter()
                    .filter(|(key, seal)| {
                        seal.subject.as_str() == id
                            && seal.purpose == SealPurpose::RenewHold
                            && !seal.note.trim().is_empty()
                            && (seal.verify(key, &hold.content_hash(), &release_roles, history).is_ok()
                                || is_console_seal(key, seal, &hold, &site, &release_roles))
                    })
                    .map(|(_, seal)| seal.signed_at);
                let lapses_at = hold.lapses_at(status.as_ref(), renewed, &profile);
                out.push(HoldState {
                    id,
                    in_force: !released && !ended && now < lapses_at,
                    lapses_at,
                    hold,
                });
            }
            Ok(())
        })??;
        Ok(out)
    }

    /// The holds in force at `now`.
    pub fn active_holds(&self, now: Timestamp) -> Result<Vec<Hold>> {
        Ok(self
            .holds(now)?
            .into_iter()
            .filter(|h| h.in_force)
            .map(|h| h.hold)
            .collect())
    }

    /// An application the recorder holds and its derived status, if it does.
    fn application_outcome(
        &self,
        application: &EntryId,
        site: &SiteHistory,
        profile: &PolicyProfile,
    ) -> Result<Option<(ApplicationCase, Status)>> {
        let Some(doc) = self.document(&DocKey::ApplicationCase(application.clone()))? else {
            return Ok(None);
        };
        let Some((case, events)) = read_case(&doc)? else {
            return Ok(None);
        };
        let status = derive_status(&case, &events, site, profile).status;
        Ok(Some((case, status)))
    }
}

/// A release or renewal made on the recorder's console, naming the head:
/// signed with the site key, for a signer who holds a releasing role now.
fn is_console_seal(
    key: &str,
    seal: &Seal,
    hold: &Hold,
    site: &SiteRegister,
    roles: &[custos_core::roles::Role],
) -> bool {
    let recorder = hex::decode(&site.site.recorder_public_key)
        .map(|k| DeviceId::for_public_key(&k))
        .ok();
    key == seal.id.as_str()
        && recorder.as_ref() == Some(&seal.device)
        && seal.subject_hash == hold.content_hash()
        && roles.contains(&seal.role)
        && site
            .person(&seal.signer)
            .is_some_and(|p| p.revoked_at.is_none() && p.roles.contains(&seal.role))
        && verify(&site.site.recorder_public_key, &seal.signing_bytes(), &seal.signature)
}

impl Writing<'_> {
    /// The holds an accepted push calls for. Filing holds the requested
    /// window at once, so the footage cannot expire while the application
    /// waits (001 §6(3)). A viewing keeps the viewed footage on record where
    /// the profile says so, before the filing hold it ends stops counting;
    /// only a case this push left viewed reads the holds document.
    pub fn holds_after_push(
        &self,
        key: &DocKey,
        after: &automerge::Automerge,
        is_new: bool,
        profile: &PolicyProfile,
        now: Timestamp,
    ) -> Result<()> {
        let DocKey::ApplicationCase(application) = key else {
            return Ok(());
        };
        let Some((case, events)) = read_case(after)? else {
            return Ok(());
        };
        // Every filing holds its window, whether this push created the case
        // or a retry after a lost answer brings it again.
        let filing_held = !is_new
            && self
                .document(&DocKey::Holds)?
                .map(|doc| docs::entries::<_, Hold>(&doc, docs::HOLDS))
                .transpose()?
                .is_some_and(|holds| {
                    holds
                        .values()
                        .any(|h| h.basis == HoldBasis::ApplicationFiled && h.application.as_ref() == Some(application))
                });
        if !filing_held {
            self.place_hold(&Hold::for_filed_application(&case, profile, now), now)?;
        } else if self
            .with_site_history(|site| derive_status(&case, &events, site, profile).status == Status::Viewed)?
        {
            self.keep_viewed_on_record(Some(application), now)?;
        }
        Ok(())
    }

    /// Adds a hold to the holds document, as the recorder; returns its id.
    /// The recorder's own holds meet the rules every device's must.
    pub fn place_hold(&self, hold: &Hold, now: Timestamp) -> Result<String> {
        hold.validate(&self.profile()?.effective_retention()?)?;
        let id = entry_id_at(now);
        let detail = json!({ "hold": id.as_str(), "reference": hold.reference, "basis": hold.basis,
            "cameras": hold.cameras, "from": hold.window.start.0, "to": hold.window.end.0 });
        let actor = hold
            .placed_by
            .as_ref()
            .map_or("recorder".to_string(), |p| p.to_string());
        let audit = AuditEvent {
            kind: "hold_placed",
            actor: &actor,
            detail,
        };
        self.append_change(&DocKey::Holds, "hold placed", now, Some(audit), |doc| {
            Ok(docs::put_entry(doc, docs::HOLDS, id.as_str(), hold)?)
        })?;
        Ok(id.to_string())
    }

    /// After a viewing, keeps the viewed footage on record where the profile
    /// says so (001 §6(4)): places the application's `ViewedOnRecord` hold,
    /// once, before its filing hold ends (which the viewing also does). Run
    /// when a push is accepted and at every sweep, so a stop in between
    /// cannot leave the footage unheld; `only` one application (a push) or
    /// all of them (a sweep). Returns the holds placed.
    pub fn keep_viewed_on_record(&self, only: Option<&EntryId>, now: Timestamp) -> Result<usize> {
        let Some(doc) = self.document(&DocKey::Holds)? else {
            return Ok(0);
        };
        let holds: BTreeMap<String, Hold> = docs::entries(&doc, docs::HOLDS)?;
        let profile = self.profile()?;
        let mut placed = 0;
        for hold in holds.values().filter(|h| h.basis == HoldBasis::ApplicationFiled) {
            let Some(application) = &hold.application else { continue };
            if only.is_some_and(|o| o != application) {
                continue;
            }
            let already = holds
                .values()
                .any(|h| h.basis == HoldBasis::ViewedOnRecord && h.application.as_ref() == Some(application));
            if already {
                continue;
            }
            let outcome = self.with_site_history(|site| self.application_outcome(application, site, &profile))??;
            if let Some((case, Status::Viewed)) = outcome
                && let Some(kept) = Hold::for_viewed_application(&case, &profile, now)
            {
                self.place_hold(&kept, now)?;
                placed += 1;
            }
        }
        Ok(placed)
    }

    /// Releases a hold on the console in the name of the head (or delegate).
    pub fn release_on_console(&self, hold_id: &str, head_name: &str, note: &str, now: Timestamp) -> Result<()> {
        let site = self.site()?;
        let roles = permissions::roles(Register::Holds, Access::Sign, &site.profile()?);
        let (person_id, person) = site
            .people
            .iter()
            .find(|(_, p)| p.name == head_name && p.revoked_at.is_none())
            .ok_or_else(|| RecorderError::Usage(format!("no active person named {head_name:?}")))?;
        let role = roles
            .iter()
            .copied()
            .find(|r| person.roles.contains(r))
            .ok_or_else(|| {
                RecorderError::Usage(format!(
                    "{head_name} is not the head or a delegate: only they release holds"
                ))
            })?;
        if note.trim().is_empty() {
            return Err(RecorderError::Usage("say why the hold is released (--note)".into()));
        }
        let state = self
            .holds(now)?
            .into_iter()
            .find(|h| h.id == hold_id)
            .ok_or_else(|| RecorderError::Usage(format!("no hold {hold_id}; see `hold list`")))?;
        if !state.in_force {
            return Err(RecorderError::Usage(format!("hold {hold_id} is already released")));
        }
        let detail = json!({ "hold": hold_id, "released_by": person_id, "role": role.as_str(), "note": note.trim(), "on": "console" });
        let audit = AuditEvent {
            kind: "hold_released",
            actor: "console",
            detail,
        };
        self.append_change(&DocKey::Holds, "hold released", now, Some(audit), |doc| {
            let seal = Seal::sign(
                entry_id_at(now),
                SealPurpose::ReleaseHold,
                hold_id.parse()?,
                state.hold.content_hash(),
                role,
                person_id.parse()?,
                heads_to_hex(&doc.get_heads()),
                now,
                note.trim().into(),
                &self.site_key,
            );
            Ok(docs::put_entry(doc, docs::RELEASES, seal.id.as_str(), &seal)?)
        })?;
        Ok(())
    }
}
