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
    let mut by_member: BTreeMap<&PersonId, Vec<&DecisionEvent>> = BTreeMap::new();
    for v in &votes {
        by_member.entry(&v.signer).or_default().push(v);
    }
    // A vote another of the member's votes saw is superseded by it.
    let mut latest: BTreeMap<&PersonId, Vec<&DecisionEvent>> = BTreeMap::new();
    for (member, theirs) in by_member {
        let seen_by_another = past.union_of_pasts(theirs.iter().map(|v| &v.id));
        let standing: Vec<&DecisionEvent> = theirs
            .into_iter()
            .filter(|v| !seen_by_another.contains(&v.id))
            .collect();
        latest.insert(member, standing);
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

/// The transitive `seen` relation among the events: each event's past as
/// a bit set over the events in id order, built from the pasts of the
/// events it saw (a union of words, not a copy of sets), so a chain of n
/// votes costs O(n²/64) and deciding whether one event saw another is a
/// lookup and a bit test.
pub(super) struct CausalPast {
    /// The valid events, in id order: bit `i` of a past is `ids[i]`.
    ids: Vec<EntryId>,
    past: Vec<Vec<u64>>,
}

/// One event's causal past, borrowed.
#[derive(Clone, Copy)]
pub(super) struct Past<'a> {
    ids: &'a [EntryId],
    bits: &'a [u64],
}

impl<'a> Past<'a> {
    pub(super) fn contains(&self, id: &EntryId) -> bool {
        self.ids
            .binary_search(id)
            .is_ok_and(|i| self.bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0))
    }

    /// The events of the past, in id order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &'a EntryId> + 'a {
        let (ids, bits) = (self.ids, self.bits);
        (0..ids.len())
            .filter(move |i| bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0))
            .map(move |i| &ids[i])
    }
}

/// A set of the events, as bits: to ask of many events at once.
pub(super) struct Set<'a> {
    ids: &'a [EntryId],
    bits: Vec<u64>,
}

impl Set<'_> {
    pub(super) fn contains(&self, id: &EntryId) -> bool {
        self.ids
            .binary_search(id)
            .is_ok_and(|i| self.bits[i / 64] & (1 << (i % 64)) != 0)
    }

    /// How many of this set's events are in `past`.
    pub(super) fn count_in(&self, past: Past<'_>) -> usize {
        self.bits
            .iter()
            .zip(past.bits)
            .map(|(a, b)| (a & b).count_ones() as usize)
            .sum()
    }
}

impl CausalPast {
    /// The set of `ids` (those among the events).
    pub(super) fn set_of<'e>(&self, ids: impl IntoIterator<Item = &'e EntryId>) -> Set<'_> {
        let mut bits = vec![0u64; self.ids.len().div_ceil(64)];
        for i in ids.into_iter().filter_map(|id| self.ids.binary_search(id).ok()) {
            bits[i / 64] |= 1 << (i % 64);
        }
        Set { ids: &self.ids, bits }
    }

    /// The events in the past of any of `ids`: those one of them saw.
    pub(super) fn union_of_pasts<'e>(&self, ids: impl IntoIterator<Item = &'e EntryId>) -> Set<'_> {
        let mut bits = vec![0u64; self.ids.len().div_ceil(64)];
        for id in ids {
            for (b, p) in bits.iter_mut().zip(self.of(id).bits) {
                *b |= p;
            }
        }
        Set { ids: &self.ids, bits }
    }

    /// Each event's past, built from the pasts of the events it saw, those
    /// first (depth first, without recursion). `seen` may name the signer's
    /// whole past or only its newest events (what the app signs): the union
    /// is the same. A cycle of `seen` (forged; no device can make one) is
    /// cut where the walk meets it, the same way on every device.
    pub(super) fn new(valid: &BTreeMap<EntryId, &DecisionEvent>) -> Self {
        let ids: Vec<EntryId> = valid.keys().cloned().collect();
        let words = ids.len().div_ceil(64);
        let position = |id: &EntryId| ids.binary_search(id).ok();
        let seen_of = |i: usize| -> Vec<usize> {
            let mut seen: Vec<usize> = valid[&ids[i]]
                .seen
                .iter()
                .filter_map(position)
                .filter(|s| *s != i)
                .collect();
            seen.sort_unstable();
            seen.dedup();
            seen
        };
        let mut past: Vec<Option<Vec<u64>>> = vec![None; ids.len()];
        let mut on_path = vec![false; ids.len()];
        for root in 0..ids.len() {
            let mut stack: Vec<(usize, bool)> = vec![(root, false)];
            while let Some((i, children_done)) = stack.pop() {
                if past[i].is_some() {
                    continue;
                }
                if !children_done {
                    on_path[i] = true;
                    stack.push((i, true));
                    for s in seen_of(i) {
                        if past[s].is_none() && !on_path[s] {
                            stack.push((s, false));
                        }
                    }
                    continue;
                }
                let mut mine = vec![0u64; words];
                // Newest first: a seen event already in the past brings nothing new.
                for s in seen_of(i).into_iter().rev() {
                    let Some(theirs) = past[s].as_ref() else { continue };
                    if mine[s / 64] & (1 << (s % 64)) != 0 {
                        continue;
                    }
                    mine[s / 64] |= 1 << (s % 64);
                    for (m, t) in mine.iter_mut().zip(theirs) {
                        *m |= t;
                    }
                }
                on_path[i] = false;
                past[i] = Some(mine);
            }
        }
        CausalPast {
            ids,
            past: past.into_iter().map(Option::unwrap_or_default).collect(),
        }
    }

    /// The events in `id`'s causal past, borrowed.
    pub(super) fn of(&self, id: &EntryId) -> Past<'_> {
        let bits = self.ids.binary_search(id).map_or(&[][..], |i| self.past[i].as_slice());
        Past { ids: &self.ids, bits }
    }
}

/// What a new event names as seen: the newest of the events its signer
/// has, those no other of them names. Their pasts bring the rest (the
/// derivation takes `seen` transitively), so a chain of votes signs one id
/// each rather than every vote before it.
pub fn frontier<'a>(events: impl IntoIterator<Item = &'a DecisionEvent> + Clone) -> Vec<EntryId> {
    let named: BTreeSet<&EntryId> = events.clone().into_iter().flat_map(|e| e.seen.iter()).collect();
    let mut newest: Vec<EntryId> = events
        .into_iter()
        .filter(|e| !named.contains(&e.id))
        .map(|e| e.id.clone())
        .collect();
    newest.sort();
    newest.dedup();
    newest
}
