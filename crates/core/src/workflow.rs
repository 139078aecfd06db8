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

use serde::{Deserialize, Serialize};

use crate::application::{ApplicationCase, Decision, DecisionEvent};
use crate::history::SiteHistory;
use crate::ids::{EntryId, PersonId};
use crate::permissions::{self, Access, Register};
use crate::policy::{ApprovalStep, PolicyProfile};
use crate::roles::Role;
use crate::signing::verify;

/// The state of an application, derived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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

/// Derives the status of `case` from its events (keyed as stored), in the
/// steps `docs/workflow.md` lists.
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
    // 1. Each event alone; 2. the causal past of those that pass.
    let mut d = Deriving::check_each_event(case, events, chain, site);
    // 3. Final approvals with every earlier step met; 4. what came after a final.
    let finals = d.final_decisions();
    d.ignore_after_final(&finals);
    // 5. Concurrent finals: a rejection wins, then a withdrawal, then an approval.
    let (status, approvals) = d.resolve_concurrent_finals(&finals);
    // 6. The one viewing.
    let status = d.the_one_viewing(status, &approvals);
    d.conflicting_votes();
    d.finish(status)
}

/// A derivation under way: the chain, the events that passed their own
/// checks with their causal past, and the events set aside so far.
struct Deriving<'a> {
    chain: &'a [ApprovalStep],
    valid: BTreeMap<EntryId, &'a DecisionEvent>,
    ignored: BTreeMap<EntryId, IgnoreReason>,
    past: CausalPast,
}

/// The final decisions that no other final preceded, by kind.
struct CountedFinals {
    rejections: Vec<EntryId>,
    withdrawals: Vec<EntryId>,
    approvals: Vec<EntryId>,
}

impl<'a> Deriving<'a> {
    /// Step 1: each event on its own ([`check_event`]); step 2: the causal
    /// past of the events that pass.
    fn check_each_event(
        case: &ApplicationCase,
        events: &'a BTreeMap<String, DecisionEvent>,
        chain: &'a [ApprovalStep],
        site: &SiteHistory,
    ) -> Deriving<'a> {
        let case_hash = case.content_hash();
        let mut ignored = BTreeMap::new();
        let mut valid = BTreeMap::new();
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
        Deriving {
            chain,
            valid,
            ignored,
            past,
        }
    }

    fn last_step(&self) -> usize {
        self.chain.len().saturating_sub(1)
    }

    /// Progress on each step of the chain, counting the events `ids`.
    fn steps(&self, ids: &BTreeSet<EntryId>) -> Vec<StepProgress> {
        let events: Vec<&DecisionEvent> = ids.iter().filter_map(|id| self.valid.get(id).copied()).collect();
        self.chain
            .iter()
            .map(|step| progress(step, &events, &self.past))
            .collect()
    }

    /// Step 3: rejections, withdrawals, and final approvals (by the last
    /// step's role) whose causal past meets every earlier step; a final
    /// approval that does not is set aside with the steps it lacks.
    fn final_decisions(&mut self) -> BTreeSet<EntryId> {
        let last = self.last_step();
        let mut finals = BTreeSet::new();
        let mut lacking = Vec::new();
        for (id, e) in &self.valid {
            match &e.decision {
                Decision::Reject { .. } | Decision::Withdraw { .. } => {
                    finals.insert(id.clone());
                }
                Decision::Approve if self.chain.get(last).is_some_and(|s| s.roles().contains(&e.role)) => {
                    let missing: Vec<usize> = self
                        .steps(&self.past.of(id))
                        .iter()
                        .enumerate()
                        .take(last)
                        .filter(|(_, p)| !p.done)
                        .map(|(i, _)| i)
                        .collect();
                    if missing.is_empty() {
                        finals.insert(id.clone());
                    } else {
                        lacking.push((id.clone(), missing));
                    }
                }
                _ => {}
            }
        }
        for (id, missing) in lacking {
            self.ignored.insert(id, IgnoreReason::StepsMissing { missing });
        }
        finals
    }

    fn after_final(&self, finals: &BTreeSet<EntryId>, id: &EntryId) -> bool {
        self.past.of(id).iter().any(|p| finals.contains(p))
    }

    /// Step 4: a decision with a final one in its past does not count
    /// (viewings are judged in step 6).
    fn ignore_after_final(&mut self, finals: &BTreeSet<EntryId>) {
        let late: Vec<EntryId> = self
            .valid
            .iter()
            .filter(|(id, e)| {
                !matches!(e.decision, Decision::Viewing { .. })
                    && !matches!(self.ignored.get(*id), Some(IgnoreReason::StepsMissing { .. }))
                    && self.after_final(finals, id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in late {
            self.ignored.insert(id, IgnoreReason::AfterFinalDecision);
        }
    }

    /// Step 5: of the finals no other final preceded, a rejection wins over
    /// a withdrawal, and either over an approval; the losers are reported.
    /// Returns the status and the counted approvals.
    fn resolve_concurrent_finals(&mut self, finals: &BTreeSet<EntryId>) -> (Status, Vec<EntryId>) {
        let counted: Vec<&EntryId> = finals.iter().filter(|id| !self.after_final(finals, id)).collect();
        let of_kind = |pred: fn(&Decision) -> bool| -> Vec<EntryId> {
            counted
                .iter()
                .filter(|id| pred(&self.valid[**id].decision))
                .map(|id| (*id).clone())
                .collect()
        };
        let finals = CountedFinals {
            rejections: of_kind(|d| matches!(d, Decision::Reject { .. })),
            withdrawals: of_kind(|d| matches!(d, Decision::Withdraw { .. })),
            approvals: of_kind(|d| matches!(d, Decision::Approve)),
        };
        let status = if !finals.rejections.is_empty() {
            let reasons = finals
                .rejections
                .iter()
                .filter_map(|id| match &self.valid[id].decision {
                    Decision::Reject { reason } => Some(reason.clone()),
                    _ => None,
                })
                .collect();
            Status::Rejected { reasons }
        } else if !finals.withdrawals.is_empty() {
            Status::Withdrawn
        } else if !finals.approvals.is_empty() {
            Status::Approved
        } else {
            let all: BTreeSet<EntryId> = self
                .valid
                .keys()
                .filter(|id| !self.ignored.contains_key(*id))
                .cloned()
                .collect();
            let next_step = self
                .steps(&all)
                .iter()
                .position(|p| !p.done)
                .unwrap_or(self.last_step());
            Status::InReview { next_step }
        };
        if status != Status::Approved {
            let overridden_withdrawals = if finals.rejections.is_empty() {
                &[][..]
            } else {
                &finals.withdrawals[..]
            };
            for id in finals.approvals.iter().chain(overridden_withdrawals) {
                self.ignored
                    .insert(id.clone(), IgnoreReason::OverriddenByConcurrentDecision);
            }
        }
        (status, finals.approvals)
    }

    /// Step 6: a viewing counts only after the counted approval, and only
    /// the first in causal order (concurrent ones: the lowest id); any
    /// other is a second viewing.
    fn the_one_viewing(&mut self, status: Status, approvals: &[EntryId]) -> Status {
        let mut eligible: Vec<EntryId> = Vec::new();
        let mut without_approval = Vec::new();
        for (id, e) in &self.valid {
            if !matches!(e.decision, Decision::Viewing { .. }) {
                continue;
            }
            if status == Status::Approved && approvals.iter().any(|a| self.past.of(id).contains(a)) {
                eligible.push(id.clone());
            } else {
                without_approval.push(id.clone());
            }
        }
        for id in without_approval {
            self.ignored.insert(id, IgnoreReason::ViewingWithoutApproval);
        }
        let first = eligible
            .iter()
            .filter(|id| !eligible.iter().any(|o| self.past.of(id).contains(o)))
            .min()
            .cloned();
        let Some(first) = first else {
            return status;
        };
        for id in eligible.into_iter().filter(|id| *id != first) {
            self.ignored.insert(id, IgnoreReason::SecondViewing);
        }
        Status::Viewed
    }

    /// A member's two votes where neither saw the other (and no later vote
    /// of theirs settles it): both are reported.
    fn conflicting_votes(&mut self) {
        let is_vote = |e: &DecisionEvent| matches!(e.decision, Decision::Vote { .. });
        let mut conflicting = Vec::new();
        for (id, v) in &self.valid {
            if !is_vote(v) || self.ignored.contains_key(id) {
                continue;
            }
            let rival = self.valid.iter().any(|(other, w)| {
                other != id
                    && w.signer == v.signer
                    && is_vote(w)
                    && !self.ignored.contains_key(other)
                    && !self.past.of(id).contains(other)
                    && !self.past.of(other).contains(id)
            });
            let superseded = self
                .valid
                .iter()
                .any(|(other, w)| w.signer == v.signer && is_vote(w) && self.past.of(other).contains(id));
            if rival && !superseded {
                conflicting.push(id.clone());
            }
        }
        for id in conflicting {
            self.ignored.insert(id, IgnoreReason::ConflictingVotes);
        }
    }

    fn finish(self, status: Status) -> Derivation {
        let counted: Vec<EntryId> = self
            .valid
            .keys()
            .filter(|id| !self.ignored.contains_key(*id))
            .cloned()
            .collect();
        let steps = self.steps(&counted.iter().cloned().collect());
        Derivation {
            status,
            counted,
            ignored: self
                .ignored
                .into_iter()
                .map(|(event, reason)| Ignored { event, reason })
                .collect(),
            steps,
        }
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
        Decision::Withdraw { .. } | Decision::Viewing { .. } => {
            permissions::fixed_roles(Register::ApplicationCase, Access::Sign).contains(&e.role)
        }
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
