//! The derivation, in the steps `docs/workflow.md` lists.

use std::collections::{BTreeMap, BTreeSet};

use super::event::check_event;
use super::status::{Derivation, IgnoreReason, Ignored, Status, StepProgress};
use super::steps::{CausalPast, committee_progress};
use crate::application::{ApplicationCase, Decision, DecisionEvent};
use crate::history::SiteHistory;
use crate::ids::{EntryId, PersonId};
use crate::policy::{ApprovalStep, PolicyProfile, SignerUnit};
use crate::terms::AccessKind;

/// Derives the status of `case` from its events (keyed as stored), in the
/// steps `docs/workflow.md` lists.
pub fn derive_status(
    case: &ApplicationCase,
    events: &BTreeMap<String, DecisionEvent>,
    site: &SiteHistory,
    profile: &PolicyProfile,
) -> Derivation {
    let chain = profile.approval_chain(case.applicant_kind);
    // 1. Each event alone; 2. the causal past of those that pass.
    let mut d = Deriving::check_each_event(case, events, (chain, &profile.escort_roles), site);
    // 3. Final approvals with every earlier step met; 4. what came after a final.
    let finals = d.final_decisions();
    d.ignore_after_final(&finals);
    // 5. Concurrent finals: a rejection wins, then a withdrawal, then an approval.
    let (status, approvals) = d.resolve_concurrent_finals(&finals);
    // 6. The one viewing and the one export; 7. reply letters answer the counted decision.
    let exported = d.the_one_export(&status, &approvals);
    let status = d.the_one_viewing(status, &approvals);
    d.replies_answer_the_decision(&finals);
    d.conflicting_votes();
    d.finish(status, exported)
}

/// A derivation under way: the chain, the events that passed their own
/// checks with their causal past, and the events set aside so far.
struct Deriving<'a> {
    chain: &'a [ApprovalStep],
    /// The unit the case names for the applicant.
    applicant_unit: &'a str,
    /// What the application asks: viewing (調閱), copy (複製), or both.
    kinds: &'a [AccessKind],
    valid: BTreeMap<EntryId, &'a DecisionEvent>,
    /// Each valid event's signer's unit, as the site they saw had it.
    units: BTreeMap<EntryId, Option<String>>,
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
        case: &'a ApplicationCase,
        events: &'a BTreeMap<String, DecisionEvent>,
        (chain, escort_roles): (&'a [ApprovalStep], &[crate::roles::Role]),
        site: &SiteHistory,
    ) -> Deriving<'a> {
        let case_hash = case.content_hash();
        let current = site.current().unwrap_or_default();
        let mut ignored = BTreeMap::new();
        let mut valid = BTreeMap::new();
        let mut units = BTreeMap::new();
        for (key, event) in events {
            match check_event(
                key,
                event,
                case,
                &case_hash,
                (chain, escort_roles),
                (site, &current),
                events,
            ) {
                Ok(unit) => {
                    valid.insert(event.id.clone(), event);
                    units.insert(event.id.clone(), unit);
                }
                Err(reason) => {
                    ignored.insert(event.id.clone(), reason);
                }
            }
        }
        // The past runs through every event stored under its own id, valid
        // or not: naming an id proves it existed, so a chain of pasts stays
        // whole where one link is ignored (a reply by a role that may not
        // sign still carries what its signer had seen). Only valid events
        // are ever counted from it.
        let linked: BTreeMap<EntryId, &DecisionEvent> = events
            .iter()
            .filter(|(key, e)| key.as_str() == e.id.as_str())
            .map(|(_, e)| (e.id.clone(), e))
            .collect();
        let past = CausalPast::new(&linked);
        Deriving {
            chain,
            applicant_unit: case.unit.trim(),
            kinds: &case.kinds,
            valid,
            units,
            ignored,
            past,
        }
    }

    fn last_step(&self) -> usize {
        self.chain.len().saturating_sub(1)
    }

    /// Progress on each step of the chain, counting the events `ids`, in
    /// the chain's order: an approval counts for a signed step when its
    /// role and unit fit and its signer signed no earlier step.
    fn steps(&self, ids: &BTreeSet<EntryId>) -> Vec<StepProgress> {
        self.steps_with_units(ids.iter()).0
    }

    /// [`Self::steps`], with the unit of each step's first signer.
    fn steps_with_units<'e>(
        &self,
        ids: impl IntoIterator<Item = &'e EntryId>,
    ) -> (Vec<StepProgress>, Vec<Option<&str>>) {
        let events: Vec<&DecisionEvent> = ids.into_iter().filter_map(|id| self.valid.get(id).copied()).collect();
        let mut done: Vec<StepProgress> = Vec::new();
        // The unit of each step's first signer, for a step that names it.
        let mut step_units: Vec<Option<&str>> = Vec::new();
        for (i, step) in self.chain.iter().enumerate() {
            let progress = match step {
                ApprovalStep::Sign { roles, .. } => {
                    // One signature completes the step: the first that fits
                    // (in id order), so a second one of the same role and
                    // unit is left for a later step it may fit.
                    let counted: Vec<&DecisionEvent> = events
                        .iter()
                        .copied()
                        .find(|e| self.may_sign(i, e, &done, &step_units).is_ok())
                        .into_iter()
                        .collect();
                    step_units.push(counted.first().and_then(|e| self.unit_of(e)));
                    StepProgress {
                        roles: roles.clone(),
                        done: !counted.is_empty(),
                        signers: counted.iter().map(|e| e.signer.clone()).collect(),
                        votes_for: 0,
                        votes_against: 0,
                    }
                }
                ApprovalStep::Committee { required } => {
                    step_units.push(None);
                    committee_progress(required, &events, &self.past)
                }
            };
            done.push(progress);
        }
        (done, step_units)
    }

    fn unit_of(&self, e: &DecisionEvent) -> Option<&str> {
        self.units.get(&e.id).and_then(|u| u.as_deref()).map(str::trim)
    }

    /// Whether `e` counts for signed step `i`, given the steps before it.
    fn may_sign(
        &self,
        i: usize,
        e: &DecisionEvent,
        earlier: &[StepProgress],
        earlier_units: &[Option<&str>],
    ) -> Result<(), IgnoreReason> {
        let Some(ApprovalStep::Sign { roles, unit }) = self.chain.get(i) else {
            return Err(IgnoreReason::RoleMayNotDecide);
        };
        if !matches!(e.decision, Decision::Approve) || !roles.contains(&e.role) {
            return Err(IgnoreReason::RoleMayNotDecide);
        }
        if earlier.iter().any(|p| p.signers.contains(&e.signer)) {
            return Err(IgnoreReason::SignedAnotherStep);
        }
        let wanted = match unit {
            SignerUnit::Any => return Ok(()),
            SignerUnit::Applicants => Some(self.applicant_unit).filter(|u| !u.is_empty()),
            SignerUnit::SameAsStep(k) => earlier_units.get(*k as usize).copied().flatten(),
        };
        match (wanted, self.unit_of(e)) {
            (Some(wanted), Some(theirs)) if wanted == theirs => Ok(()),
            _ => Err(IgnoreReason::NotOfTheStepsUnit),
        }
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
                    let (earlier, units) = self.steps_with_units(self.past.of(id).iter());
                    let missing: Vec<usize> = earlier
                        .iter()
                        .enumerate()
                        .take(last)
                        .filter(|(_, p)| !p.done)
                        .map(|(i, _)| i)
                        .collect();
                    if !missing.is_empty() {
                        lacking.push((id.clone(), IgnoreReason::StepsMissing { missing }));
                    } else if let Err(reason) = self.may_sign(last, e, &earlier[..last], &units[..last]) {
                        lacking.push((id.clone(), reason));
                    } else {
                        finals.insert(id.clone());
                    }
                }
                _ => {}
            }
        }
        for (id, reason) in lacking {
            self.ignored.insert(id, reason);
        }
        finals
    }

    fn after_final(&self, finals: &BTreeSet<EntryId>, id: &EntryId) -> bool {
        self.past.of(id).iter().any(|p| finals.contains(p))
    }

    /// Step 4: a decision with a final one in its past does not count
    /// (viewings and exports are judged in step 6, reply letters in step 7; a spot
    /// check may come at any time).
    fn ignore_after_final(&mut self, finals: &BTreeSet<EntryId>) {
        let late: Vec<EntryId> = self
            .valid
            .iter()
            .filter(|(id, e)| {
                !matches!(
                    e.decision,
                    Decision::Viewing { .. }
                        | Decision::Export { .. }
                        | Decision::Reply { .. }
                        | Decision::SpotCheck { .. }
                ) && !matches!(self.ignored.get(*id), Some(IgnoreReason::StepsMissing { .. }))
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
            let next_step = self
                .steps(&self.not_ignored())
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
        let is_viewing = |d: &Decision| matches!(d, Decision::Viewing { .. });
        let reasons = (IgnoreReason::ViewingWithoutApproval, IgnoreReason::SecondViewing);
        match self.the_one(is_viewing, AccessKind::View, &status, approvals, reasons) {
            Some(_) => Status::Viewed,
            None => status,
        }
    }

    /// Step 6 too: an export counts the same way, apart from the viewing
    /// (an application asking for both allows one of each). Returns it.
    fn the_one_export(&mut self, status: &Status, approvals: &[EntryId]) -> Option<EntryId> {
        let is_export = |d: &Decision| matches!(d, Decision::Export { .. });
        let reasons = (IgnoreReason::ExportWithoutApproval, IgnoreReason::SecondExport);
        self.the_one(is_export, AccessKind::Copy, status, approvals, reasons)
    }

    /// The first event of a kind (`is_kind`) made after the counted
    /// approval of an application asking for `asked`, in causal order
    /// (concurrent ones: the lowest id); the others are set aside with
    /// `(without_approval, second)`.
    fn the_one(
        &mut self,
        is_kind: impl Fn(&Decision) -> bool,
        asked: AccessKind,
        status: &Status,
        approvals: &[EntryId],
        (without_approval, second): (IgnoreReason, IgnoreReason),
    ) -> Option<EntryId> {
        let mut eligible: Vec<EntryId> = Vec::new();
        let mut set_aside = Vec::new();
        for (id, e) in &self.valid {
            if !is_kind(&e.decision) {
                continue;
            }
            if !self.kinds.contains(&asked) {
                set_aside.push((id.clone(), IgnoreReason::KindNotAsked));
            } else if *status == Status::Approved && approvals.iter().any(|a| self.past.of(id).contains(a)) {
                eligible.push(id.clone());
            } else {
                set_aside.push((id.clone(), without_approval.clone()));
            }
        }
        self.ignored.extend(set_aside);
        let first = eligible
            .iter()
            .filter(|id| !eligible.iter().any(|o| self.past.of(id).contains(o)))
            .min()
            .cloned()?;
        for id in eligible.into_iter().filter(|id| *id != first) {
            self.ignored.insert(id, second.clone());
        }
        Some(first)
    }

    /// Step 7: a reply letter (函覆) counts only when its signer had seen
    /// the final decision that counts: the letter states the result.
    fn replies_answer_the_decision(&mut self, finals: &BTreeSet<EntryId>) {
        let counted: Vec<&EntryId> = finals.iter().filter(|f| !self.ignored.contains_key(*f)).collect();
        let unanswered: Vec<EntryId> = self
            .valid
            .iter()
            .filter(|(id, e)| {
                matches!(e.decision, Decision::Reply { .. }) && !counted.iter().any(|f| self.past.of(id).contains(f))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in unanswered {
            self.ignored.insert(id, IgnoreReason::ReplyWithoutDecision);
        }
    }

    /// A member's two votes where neither saw the other (and no later vote
    /// of theirs settles it): both are reported.
    fn conflicting_votes(&mut self) {
        let is_vote = |e: &DecisionEvent| matches!(e.decision, Decision::Vote { .. });
        // Per member: all their votes (any of which may settle one), and
        // those not set aside (which may conflict).
        let mut members: BTreeMap<&PersonId, (Vec<&EntryId>, Vec<&EntryId>)> = BTreeMap::new();
        for (id, v) in self.valid.iter().filter(|(_, v)| is_vote(v)) {
            let (all, standing) = members.entry(&v.signer).or_default();
            all.push(id);
            if !self.ignored.contains_key(id) {
                standing.push(id);
            }
        }
        let mut conflicting = Vec::new();
        for (all, standing) in members.values() {
            let settled = self.past.union_of_pasts(all.iter().copied());
            let standing_set = self.past.set_of(standing.iter().copied());
            for id in standing {
                // Not seen by a later vote of theirs, and one of their other
                // standing votes is not in its past: neither saw the other.
                if !settled.contains(id) && standing_set.count_in(self.past.of(id)) + 1 < standing.len() {
                    conflicting.push((*id).clone());
                }
            }
        }
        conflicting.sort();
        for id in conflicting {
            self.ignored.insert(id, IgnoreReason::ConflictingVotes);
        }
    }

    /// The valid events not set aside (so far), in id order.
    fn not_ignored(&self) -> BTreeSet<EntryId> {
        self.valid
            .keys()
            .filter(|id| !self.ignored.contains_key(*id))
            .cloned()
            .collect()
    }

    fn finish(self, status: Status, exported: Option<EntryId>) -> Derivation {
        let counted = self.not_ignored();
        let steps = self.steps(&counted);
        Derivation {
            status,
            exported,
            counted: counted.into_iter().collect(),
            ignored: self
                .ignored
                .into_iter()
                .map(|(event, reason)| Ignored { event, reason })
                .collect(),
            steps,
        }
    }
}
