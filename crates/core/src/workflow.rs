//! The application workflow as signed events. An approval, a rejection (with
//! its reason), a committee vote, a withdrawal or a viewing is an event signed
//! with the device key of the person who makes it, over the case's content
//! hash and the decision. The status is a pure function of the case and its
//! *valid* events; it is never stored, so no one can set it.
//!
//! Rules (DESIGN §3a): order comes from causal history (each event names the
//! events its signer had seen), never from clocks; a decision counts if its
//! signer held the role in the site document it was made on; concurrent final
//! decisions resolve to rejection; invalid signatures, signers without the
//! role, events on a changed case and decisions after a final one are ignored
//! and reported. The result does not depend on the order events arrived in.

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::application::ApplicationCase;
use crate::history::SiteHistory;
use crate::ids::{DeviceId, EntryId, PersonId};
use crate::policy::{ApprovalStep, PolicyProfile};
use crate::roles::Role;
use crate::signing::{Canonical, DeviceKey, verify};
use crate::time::Timestamp;

/// One signed event on an application. Stored in the case document's
/// `events` map under its own id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DecisionEvent {
    pub id: EntryId,
    pub application: EntryId,
    pub decision: Decision,
    /// The role the signer acts in.
    pub role: Role,
    pub signer: PersonId,
    pub device: DeviceId,
    /// [`ApplicationCase::content_hash`] of the case as the signer saw it.
    pub case_hash: String,
    /// Heads of the site document the signer had: their roles are checked there.
    pub site_heads: Vec<String>,
    /// Ids of the events the signer had seen: the causal order.
    pub seen: Vec<EntryId>,
    /// The device's clock: shown to people, never used for order.
    pub signed_at: Timestamp,
    /// Ed25519 over [`DecisionEvent::signing_bytes`], hex.
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Decision {
    /// 核准 / 同意 by one step of the approval chain.
    #[autosurgeon(rename = "approve")]
    Approve,
    /// 否准, with its reason (a rejection states why).
    #[autosurgeon(rename = "reject")]
    Reject { reason: String },
    /// A committee member's vote; a vote against states why.
    #[autosurgeon(rename = "vote")]
    Vote { in_favour: bool, reason: String },
    /// The applicant withdrew; entered by the staff member handling it.
    #[autosurgeon(rename = "withdraw")]
    Withdraw { reason: String },
    /// The one viewing an application allows (002 §11), signed by the escort.
    #[autosurgeon(rename = "viewing")]
    Viewing { session: String },
}

impl Decision {
    fn tag(&self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject { .. } => "reject",
            Decision::Vote { .. } => "vote",
            Decision::Withdraw { .. } => "withdraw",
            Decision::Viewing { .. } => "viewing",
        }
    }
}

/// What a signer decides, before it is signed.
#[derive(Clone, Debug)]
pub struct DecisionDraft {
    pub id: EntryId,
    pub decision: Decision,
    pub role: Role,
    pub signer: PersonId,
    pub signed_at: Timestamp,
}

impl DecisionEvent {
    /// Canonical bytes of everything but the signature.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new("custos/decision/v1");
        c.str("id", self.id.as_str())
            .str("application", self.application.as_str())
            .str("decision", self.decision.tag());
        match &self.decision {
            Decision::Approve => {}
            Decision::Reject { reason } | Decision::Withdraw { reason } => {
                c.str("reason", reason);
            }
            Decision::Vote { in_favour, reason } => {
                c.str("in_favour", if *in_favour { "yes" } else { "no" })
                    .str("reason", reason);
            }
            Decision::Viewing { session } => {
                c.str("session", session);
            }
        }
        c.str("role", self.role.as_str())
            .str("signer", self.signer.as_str())
            .str("device", self.device.as_str())
            .str("case_hash", &self.case_hash)
            .sorted_strs("site_heads", self.site_heads.iter().map(String::as_str))
            .sorted_strs("seen", self.seen.iter().map(EntryId::as_str))
            .str("signed_at", &self.signed_at.0.to_string());
        c.into_bytes()
    }

    /// Signs a decision on `case` as it is now, having seen `seen` and the
    /// site at `site_heads`.
    pub fn sign(
        draft: DecisionDraft,
        case: &ApplicationCase,
        site_heads: Vec<String>,
        seen: impl IntoIterator<Item = EntryId>,
        key: &DeviceKey,
    ) -> DecisionEvent {
        let mut seen: Vec<EntryId> = seen.into_iter().collect();
        seen.sort();
        seen.dedup();
        let mut event = DecisionEvent {
            id: draft.id,
            application: case.id.clone(),
            decision: draft.decision,
            role: draft.role,
            signer: draft.signer,
            device: key.device_id(),
            case_hash: case.content_hash(),
            site_heads,
            seen,
            signed_at: draft.signed_at,
            signature: String::new(),
        };
        event.signature = key.sign(&event.signing_bytes());
        event
    }
}

/// The state of an application, derived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Status {
    /// Waiting for step `next_step` of the approval chain (0-based).
    InReview {
        next_step: usize,
    },
    /// Approved and not yet viewed: one viewing may be opened.
    Approved,
    /// 否准, with the reasons given.
    Rejected {
        reasons: Vec<String>,
    },
    Withdrawn,
    /// The one viewing has taken place; no other may.
    Viewed,
}

impl Status {
    /// One application allows one viewing (002 §11): only an approved,
    /// unused application may open a playback session.
    pub fn may_open_viewing(&self) -> bool {
        matches!(self, Status::Approved)
    }

    pub fn is_final(&self) -> bool {
        !matches!(self, Status::InReview { .. })
    }
}

/// Why an event does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum IgnoreReason {
    /// Stored under a key other than its own id (a copied event).
    StoredUnderOtherKey,
    /// Signed for another application.
    OtherApplication,
    /// The site history the signer named is not known here (yet).
    SiteStateUnknown,
    /// The signer claims to have seen less of the site than events it builds on.
    SiteStateRegressed,
    /// The device is not enrolled, or belongs to someone else.
    DeviceNotTheSigners,
    /// The device or the person had been revoked in the site the signer saw.
    Revoked,
    /// The signer did not hold the role.
    RoleNotHeld,
    /// The role may not make this decision under the site's profile.
    RoleMayNotDecide,
    BadSignature,
    /// Signed over another version of the case: the case was amended since.
    CaseChanged,
    /// A rejection, withdrawal or vote against without a reason.
    MissingReason,
    /// A final approval before the earlier steps of the chain were complete.
    StepsMissing {
        missing: Vec<usize>,
    },
    /// Made after the application was already decided.
    AfterFinalDecision,
    /// An approval that lost to a concurrent rejection or withdrawal.
    OverriddenByConcurrentDecision,
    /// A person voted twice without one vote having seen the other.
    ConflictingVotes,
    /// A viewing of an application that was not approved.
    ViewingWithoutApproval,
    /// One application allows one viewing.
    SecondViewing,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    pub event: EntryId,
    #[serde(flatten)]
    pub reason: IgnoreReason,
}

/// Progress on one step of the chain, for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProgress {
    pub roles: Vec<Role>,
    pub done: bool,
    /// Who signed (for a committee: who voted).
    pub signers: Vec<PersonId>,
    pub votes_for: usize,
    pub votes_against: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derivation {
    pub status: Status,
    /// The events that count, in id order.
    pub counted: Vec<EntryId>,
    /// The events that do not, with why, in id order.
    pub ignored: Vec<Ignored>,
    pub steps: Vec<StepProgress>,
}

impl Derivation {
    pub fn ignored_reason(&self, id: &EntryId) -> Option<&IgnoreReason> {
        self.ignored.iter().find(|i| &i.event == id).map(|i| &i.reason)
    }
}

/// Derives the status of `case` from its events (keyed as stored).
pub fn derive_status(
    case: &ApplicationCase,
    events: &BTreeMap<String, DecisionEvent>,
    site: &SiteHistory,
    profile: &PolicyProfile,
) -> Derivation {
    let chain: &[ApprovalStep] = profile
        .applicant_rule(case.applicant_kind)
        .map(|r| r.approval.as_slice())
        .unwrap_or(&[]);
    let case_hash = case.content_hash();
    let mut ignored: BTreeMap<EntryId, IgnoreReason> = BTreeMap::new();
    let mut valid: BTreeMap<EntryId, &DecisionEvent> = BTreeMap::new();
    for (key, event) in events {
        match check_event(key, event, case, &case_hash, chain, site, events) {
            Ok(()) => {
                valid.insert(event.id.clone(), event);
            }
            Err(reason) => {
                ignored.insert(event.id.clone(), reason);
            }
        }
    }

    let past = CausalPast::new(&valid);
    let last = chain.len().saturating_sub(1);
    let is_final_approval = |e: &DecisionEvent| {
        matches!(e.decision, Decision::Approve) && chain.get(last).is_some_and(|s| s.roles().contains(&e.role))
    };

    // Steps before the last are met by the non-final events a final approval has seen.
    let step_progress = |ids: &BTreeSet<EntryId>| -> Vec<StepProgress> {
        let evs: Vec<&DecisionEvent> = ids.iter().filter_map(|id| valid.get(id).copied()).collect();
        chain.iter().map(|step| progress(step, &evs, &past)).collect()
    };

    let mut finals: BTreeSet<EntryId> = BTreeSet::new();
    for (id, e) in &valid {
        match &e.decision {
            Decision::Reject { .. } | Decision::Withdraw { .. } => {
                finals.insert(id.clone());
            }
            Decision::Approve if is_final_approval(e) => {
                let seen = past.of(id);
                let missing: Vec<usize> = step_progress(&seen)
                    .iter()
                    .enumerate()
                    .take(last)
                    .filter(|(_, p)| !p.done)
                    .map(|(i, _)| i)
                    .collect();
                if missing.is_empty() {
                    finals.insert(id.clone());
                } else {
                    ignored.insert(id.clone(), IgnoreReason::StepsMissing { missing });
                }
            }
            _ => {}
        }
    }
    let after_final = |id: &EntryId| past.of(id).iter().any(|p| finals.contains(p));
    let counted_finals: Vec<EntryId> = finals.iter().filter(|id| !after_final(id)).cloned().collect();

    // Decisions after a counted final do not count (viewings are judged below).
    for (id, e) in &valid {
        let is_viewing = matches!(e.decision, Decision::Viewing { .. });
        let steps_missing = matches!(ignored.get(id), Some(IgnoreReason::StepsMissing { .. }));
        if !is_viewing && !steps_missing && after_final(id) {
            ignored.insert(id.clone(), IgnoreReason::AfterFinalDecision);
        }
    }

    let of_kind = |pred: fn(&Decision) -> bool| -> Vec<&EntryId> {
        counted_finals.iter().filter(|id| pred(&valid[*id].decision)).collect()
    };
    let rejections = of_kind(|d| matches!(d, Decision::Reject { .. }));
    let withdrawals = of_kind(|d| matches!(d, Decision::Withdraw { .. }));
    let approvals = of_kind(|d| matches!(d, Decision::Approve));

    let mut status = if !rejections.is_empty() {
        let reasons = rejections
            .iter()
            .filter_map(|id| match &valid[*id].decision {
                Decision::Reject { reason } => Some(reason.clone()),
                _ => None,
            })
            .collect();
        Status::Rejected { reasons }
    } else if !withdrawals.is_empty() {
        Status::Withdrawn
    } else if !approvals.is_empty() {
        Status::Approved
    } else {
        let all: BTreeSet<EntryId> = valid.keys().filter(|id| !ignored.contains_key(*id)).cloned().collect();
        let next_step = step_progress(&all).iter().position(|p| !p.done).unwrap_or(last);
        Status::InReview { next_step }
    };
    if !matches!(status, Status::Approved) {
        for id in approvals.iter().chain(if rejections.is_empty() {
            &[][..]
        } else {
            &withdrawals[..]
        }) {
            ignored.insert((*id).clone(), IgnoreReason::OverriddenByConcurrentDecision);
        }
    }

    // The one viewing: after the counted approval, the first in causal order
    // (ties between concurrent viewings broken by id). Any other is refused.
    let mut eligible: Vec<&EntryId> = Vec::new();
    for (id, e) in &valid {
        if !matches!(e.decision, Decision::Viewing { .. }) {
            continue;
        }
        if matches!(status, Status::Approved) && approvals.iter().any(|a| past.of(id).contains(*a)) {
            eligible.push(id);
        } else {
            ignored.insert(id.clone(), IgnoreReason::ViewingWithoutApproval);
        }
    }
    let first = eligible
        .iter()
        .copied()
        .filter(|id| !eligible.iter().any(|o| past.of(id).contains(*o)))
        .min();
    if let Some(first) = first {
        status = Status::Viewed;
        for id in eligible.into_iter().filter(|id| *id != first) {
            ignored.insert(id.clone(), IgnoreReason::SecondViewing);
        }
    }

    // A member's two votes where neither saw the other: both are reported.
    let mut conflicting = Vec::new();
    for (id, v) in &valid {
        if !matches!(v.decision, Decision::Vote { .. }) || ignored.contains_key(id) {
            continue;
        }
        let rival = valid.iter().any(|(other, w)| {
            other != id
                && w.signer == v.signer
                && matches!(w.decision, Decision::Vote { .. })
                && !ignored.contains_key(other)
                && !past.of(id).contains(other)
                && !past.of(other).contains(id)
        });
        let superseded = valid.iter().any(|(other, w)| {
            w.signer == v.signer && matches!(w.decision, Decision::Vote { .. }) && past.of(other).contains(id)
        });
        if rival && !superseded {
            conflicting.push(id.clone());
        }
    }
    for id in conflicting {
        ignored.insert(id, IgnoreReason::ConflictingVotes);
    }

    let counted: Vec<EntryId> = valid.keys().filter(|id| !ignored.contains_key(*id)).cloned().collect();
    let counted_set: BTreeSet<EntryId> = counted.iter().cloned().collect();
    Derivation {
        status,
        counted,
        ignored: ignored
            .into_iter()
            .map(|(event, reason)| Ignored { event, reason })
            .collect(),
        steps: step_progress(&counted_set),
    }
}

/// Checks one event on its own: form, signer, role, signature, case version.
fn check_event(
    key: &str,
    e: &DecisionEvent,
    case: &ApplicationCase,
    case_hash: &str,
    chain: &[ApprovalStep],
    site: &SiteHistory,
    all: &BTreeMap<String, DecisionEvent>,
) -> Result<(), IgnoreReason> {
    if key != e.id.as_str() {
        return Err(IgnoreReason::StoredUnderOtherKey);
    }
    if e.application != case.id {
        return Err(IgnoreReason::OtherApplication);
    }
    let site_then = site.at(&e.site_heads).ok_or(IgnoreReason::SiteStateUnknown)?;
    for seen in &e.seen {
        if let Some(prior) = all.get(seen.as_str())
            && prior.id == *seen
            && !site.includes(&e.site_heads, &prior.site_heads)
        {
            return Err(IgnoreReason::SiteStateRegressed);
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
    if !verify(&device.public_key, &e.signing_bytes(), &e.signature) {
        return Err(IgnoreReason::BadSignature);
    }
    let in_sign_step = chain
        .iter()
        .any(|s| matches!(s, ApprovalStep::Sign { roles } if roles.contains(&e.role)));
    let in_committee = chain
        .iter()
        .any(|s| matches!(s, ApprovalStep::Committee { required } if required.contains(&e.role)));
    let role_ok = match &e.decision {
        Decision::Approve | Decision::Reject { .. } => in_sign_step,
        Decision::Vote { .. } => in_committee,
        Decision::Withdraw { .. } | Decision::Viewing { .. } => e.role == Role::Manager,
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
        Decision::Viewing { session } => session.trim().is_empty(),
        _ => false,
    };
    if missing_reason {
        return Err(IgnoreReason::MissingReason);
    }
    if e.case_hash != case_hash {
        return Err(IgnoreReason::CaseChanged);
    }
    Ok(())
}

fn progress(step: &ApprovalStep, events: &[&DecisionEvent], past: &CausalPast) -> StepProgress {
    match step {
        ApprovalStep::Sign { roles } => {
            let signers: Vec<PersonId> = events
                .iter()
                .filter(|e| matches!(e.decision, Decision::Approve) && roles.contains(&e.role))
                .map(|e| e.signer.clone())
                .collect();
            StepProgress {
                roles: roles.clone(),
                done: !signers.is_empty(),
                signers,
                votes_for: 0,
                votes_against: 0,
            }
        }
        ApprovalStep::Committee { required } => {
            // Each member's latest vote counts; two concurrent votes by one
            // member cancel each other (neither saw the other).
            let votes: Vec<&DecisionEvent> = events
                .iter()
                .copied()
                .filter(|e| matches!(e.decision, Decision::Vote { .. }) && required.contains(&e.role))
                .collect();
            let mut latest: BTreeMap<&PersonId, Vec<&DecisionEvent>> = BTreeMap::new();
            for v in &votes {
                let superseded = votes
                    .iter()
                    .any(|w| w.signer == v.signer && past.of(&w.id).contains(&v.id));
                if !superseded {
                    latest.entry(&v.signer).or_default().push(v);
                }
            }
            let (mut yes, mut no) = (0, 0);
            let mut roles_voted: BTreeSet<Role> = BTreeSet::new();
            let mut signers = Vec::new();
            for (person, vs) in latest {
                let [v] = vs.as_slice() else { continue };
                signers.push(person.clone());
                roles_voted.insert(v.role);
                match v.decision {
                    Decision::Vote { in_favour: true, .. } => yes += 1,
                    _ => no += 1,
                }
            }
            let done = required.iter().all(|r| roles_voted.contains(r)) && yes > no;
            StepProgress {
                roles: required.clone(),
                done,
                signers,
                votes_for: yes,
                votes_against: no,
            }
        }
    }
}

/// The transitive `seen` relation among valid events.
struct CausalPast {
    past: BTreeMap<EntryId, BTreeSet<EntryId>>,
}

impl CausalPast {
    fn new(valid: &BTreeMap<EntryId, &DecisionEvent>) -> Self {
        let mut past = BTreeMap::new();
        for id in valid.keys() {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&EntryId> = valid[id].seen.iter().collect();
            while let Some(next) = stack.pop() {
                if next != id && valid.contains_key(next) && seen.insert(next.clone()) {
                    stack.extend(valid[next].seen.iter());
                }
            }
            past.insert(id.clone(), seen);
        }
        CausalPast { past }
    }

    fn of(&self, id: &EntryId) -> BTreeSet<EntryId> {
        self.past.get(id).cloned().unwrap_or_default()
    }
}
