//! Progress on a committee step, and the causal past the steps are judged in.

use std::collections::{BTreeMap, BTreeSet};

use super::status::StepProgress;
use crate::application::{Decision, DecisionEvent};
use crate::ids::{EntryId, PersonId};
use crate::roles::Role;

/// A committee step: each member's latest vote counts.
pub(super) fn committee_progress(required: &[Role], events: &[&DecisionEvent], past: &CausalPast) -> StepProgress {
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
        roles: required.to_vec(),
        done,
        signers,
        votes_for: yes,
        votes_against: no,
    }
}

/// The transitive `seen` relation among valid events.
pub(super) struct CausalPast {
    past: BTreeMap<EntryId, BTreeSet<EntryId>>,
}

impl CausalPast {
    pub(super) fn new(valid: &BTreeMap<EntryId, &DecisionEvent>) -> Self {
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

    /// The events in `id`'s causal past, borrowed: the derivation asks this
    /// inside loops over events, and a copy per question made a chain of
    /// votes cost O(n³).
    pub(super) fn of(&self, id: &EntryId) -> &BTreeSet<EntryId> {
        static NONE: BTreeSet<EntryId> = BTreeSet::new();
        self.past.get(id).unwrap_or(&NONE)
    }
}
