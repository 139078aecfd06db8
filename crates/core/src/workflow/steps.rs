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
    /// Each event's past, built from the pasts of the events it saw, those
    /// first (depth first, without recursion). An event whose past already
    /// holds a seen event already holds that event's past too, so it is
    /// skipped: with the app's `seen` lists (every event the signer had),
    /// the newest seen event brings the whole past and the rest cost a
    /// lookup each, so a chain of n events costs O(n²) instead of O(n³). A
    /// cycle of `seen` (forged; no device can make one) is cut where the
    /// walk meets it, the same way on every device.
    pub(super) fn new(valid: &BTreeMap<EntryId, &DecisionEvent>) -> Self {
        let mut past: BTreeMap<EntryId, BTreeSet<EntryId>> = BTreeMap::new();
        let mut on_path: BTreeSet<&EntryId> = BTreeSet::new();
        let seen_of = |id: &EntryId| -> Vec<&EntryId> {
            let mut seen: Vec<&EntryId> = valid[id]
                .seen
                .iter()
                .filter(|s| *s != id && valid.contains_key(*s))
                .collect();
            seen.sort();
            seen.dedup();
            seen
        };
        for root in valid.keys() {
            let mut stack: Vec<(&EntryId, bool)> = vec![(root, false)];
            while let Some((id, children_done)) = stack.pop() {
                if past.contains_key(id) {
                    continue;
                }
                if !children_done {
                    on_path.insert(id);
                    stack.push((id, true));
                    for s in seen_of(id) {
                        if !past.contains_key(s) && !on_path.contains(s) {
                            stack.push((s, false));
                        }
                    }
                    continue;
                }
                let mut seen: Vec<&EntryId> = seen_of(id).into_iter().filter(|s| past.contains_key(*s)).collect();
                // Largest past first; ties by id, so every device walks alike.
                seen.sort_by(|a, b| past[*b].len().cmp(&past[*a].len()).then(a.cmp(b)));
                let mut mine: BTreeSet<EntryId> = BTreeSet::new();
                for s in seen {
                    if mine.insert(s.clone()) {
                        mine.extend(past[s].iter().cloned());
                    }
                }
                on_path.remove(id);
                past.insert(id.clone(), mine);
            }
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
