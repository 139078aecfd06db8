//! Property tests: devices deciding offline and syncing in any order converge,
//! and no sequence of events breaks the rules of the workflow.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use automerge::AutoCommit;
use common::*;
use custos_core::application::ApplicationCase;
use custos_core::application::{Decision, DecisionEvent};
use custos_core::documents::CURRENT;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::EntryId;
use custos_core::inspection::InspectionEntry;
use custos_core::roles::Role;
use custos_core::seeds::{DAHU_OFFICE, KAOHSIUNG_KINDERGARTEN};
use custos_core::terms::ApplicantKind;
use custos_core::workflow::{Derivation, Status, derive_status};
use proptest::prelude::*;

const PEOPLE: [(&str, Role); 6] = [
    ("manager", Role::Manager),
    ("supervisor", Role::Supervisor),
    ("teacher rep", Role::CommitteeStaff),
    ("parent rep", Role::CommitteeParent),
    ("principal", Role::Head),
    ("second parent", Role::CommitteeParent),
];

#[derive(Clone, Debug)]
enum Op {
    /// Device `who` makes decision number `kind` on its own copy.
    Decide { who: usize, kind: u8 },
    /// Device `who` records a walk-around check in this month's log.
    Inspect { who: usize },
    /// Device `to` receives everything device `from` has.
    Sync { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PEOPLE.len(), 0u8..15).prop_map(|(who, kind)| Op::Decide { who, kind }),
        1 => (0..PEOPLE.len()).prop_map(|who| Op::Inspect { who }),
        2 => (0..PEOPLE.len(), 0..PEOPLE.len()).prop_map(|(from, to)| Op::Sync { from, to }),
    ]
}

fn decision(kind: u8, role: Role) -> Decision {
    // Weighted towards approvals so that runs reach every state, rejections included.
    match (kind, role) {
        (0..=8, Role::CommitteeStaff | Role::CommitteeParent) => vote(kind != 8),
        (0..=8, _) => Decision::Approve,
        (9, _) => reject("理由不足"),
        (10, _) => reject(""),
        (11, _) => vote(false),
        (12 | 13, _) => viewing("session"),
        _ => Decision::Withdraw {
            reason: "申請人撤回".into(),
        },
    }
}

fn kindergarten() -> (Fixture, ApplicationCase, AutoCommit) {
    let mut fx = Fixture::new(KAOHSIUNG_KINDERGARTEN);
    for (i, (name, role)) in PEOPLE.iter().enumerate() {
        fx.add(name, &[*role], i as u8 + 1);
    }
    let (case, _) = fx.case(ApplicantKind::GuardianOrStudent, "manager");
    let key = DocKey::ApplicationCase(case.id.clone());
    let mut base = docs::open(&key, None, &fx.members["manager"].key.device_id()).unwrap();
    docs::put_entry(&mut base, docs::CASE, CURRENT, &case).unwrap();
    docs::commit(&mut base, "filed", NOW.0);
    (fx, case, base)
}

fn events_of(doc: &AutoCommit) -> BTreeMap<String, DecisionEvent> {
    docs::entries(doc, docs::EVENTS).unwrap()
}

/// The transitive past of an event, recomputed here independently of the core.
fn past(events: &BTreeMap<String, DecisionEvent>, id: &EntryId) -> BTreeSet<EntryId> {
    let mut out = BTreeSet::new();
    let mut stack = vec![id.clone()];
    while let Some(next) = stack.pop() {
        if let Some(e) = events.get(next.as_str()) {
            for s in &e.seen {
                if out.insert(s.clone()) {
                    stack.push(s.clone());
                }
            }
        }
    }
    out
}

/// What the kindergarten profile requires of an approval, checked from scratch.
fn approval_is_backed(events: &BTreeMap<String, DecisionEvent>, d: &Derivation) -> bool {
    let counted: BTreeSet<&EntryId> = d.counted.iter().collect();
    let head_approvals = events
        .values()
        .filter(|e| counted.contains(&e.id) && e.role == Role::Head && e.decision == Decision::Approve);
    head_approvals.into_iter().any(|a| {
        let before: Vec<&DecisionEvent> = past(events, &a.id)
            .iter()
            .filter_map(|id| events.get(id.as_str()))
            .collect();
        let approved_by = |role| before.iter().any(|e| e.role == role && e.decision == Decision::Approve);
        // Latest vote per member within the approval's past.
        let mut latest: BTreeMap<&str, &DecisionEvent> = BTreeMap::new();
        let committee = [Role::CommitteeStaff, Role::CommitteeParent];
        let votes: Vec<&&DecisionEvent> = before
            .iter()
            .filter(|e| matches!(e.decision, Decision::Vote { .. }) && committee.contains(&e.role))
            .collect();
        for v in &votes {
            let superseded = votes
                .iter()
                .any(|w| w.signer == v.signer && past(events, &w.id).contains(&v.id));
            if !superseded {
                latest.insert(v.signer.as_str(), v);
            }
        }
        let yes = latest
            .values()
            .filter(|v| matches!(v.decision, Decision::Vote { in_favour: true, .. }))
            .count();
        let no = latest.len() - yes;
        let voted = |role| latest.values().any(|v| v.role == role);
        approved_by(Role::Manager)
            && approved_by(Role::Supervisor)
            && voted(Role::CommitteeStaff)
            && voted(Role::CommitteeParent)
            && yes > no
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Six devices record checks and decide offline and sync in a random order; once everyone
    /// has everything, every device holds the same document and derives the
    /// same status, and that status keeps every rule.
    #[test]
    fn offline_decisions_converge_and_keep_the_rules(ops in prop::collection::vec(op(), 1..60)) {
        let (mut fx, case, mut base) = kindergarten();
        let mut devices: Vec<AutoCommit> = PEOPLE
            .iter()
            .map(|(name, _)| base.fork().with_actor(fx.members[*name].key.device_id().actor_id()))
            .collect();
        let month = DocKey::Inspections { year: 2026, month: 11 };
        let mut logs: Vec<AutoCommit> = PEOPLE
            .iter()
            .map(|(name, _)| docs::open(&month, None, &fx.members[*name].key.device_id()).unwrap())
            .collect();
        let mut checks_made = 0;
        for op in &ops {
            match *op {
                Op::Decide { who, kind } => {
                    let (name, role) = PEOPLE[who];
                    let mut seen = events_of(&devices[who]);
                    let e = fx.decide(&mut seen, name, role, decision(kind, role), &case);
                    docs::put_entry(&mut devices[who], docs::EVENTS, e.id.as_str(), &e).unwrap();
                    docs::commit(&mut devices[who], "decide", NOW.0);
                }
                Op::Inspect { who } => {
                    let id = fx.id();
                    let entry = InspectionEntry {
                        checked_at: NOW,
                        inspector: fx.members[PEOPLE[who].0].id.clone(),
                        host_ok: true,
                        cameras: Default::default(),
                        maintenance: String::new(),
                        handling: String::new(),
                        remarks: format!("check {checks_made}"),
                        photos: vec![],
                    };
                    docs::put_entry(&mut logs[who], docs::INSPECTION_ENTRIES, id.as_str(), &entry).unwrap();
                    docs::commit(&mut logs[who], "check", NOW.0);
                    checks_made += 1;
                }
                Op::Sync { from, to } if from != to => {
                    let mut source = devices[from].clone();
                    devices[to].merge(&mut source).unwrap();
                    let mut source = logs[from].clone();
                    logs[to].merge(&mut source).unwrap();
                }
                Op::Sync { .. } => {}
            }
        }
        // Everyone gets everything: gather on the first device, then hand it out.
        for i in 1..devices.len() {
            let mut other = devices[i].clone();
            devices[0].merge(&mut other).unwrap();
        }
        for i in 1..devices.len() {
            let mut all = devices[0].clone();
            devices[i].merge(&mut all).unwrap();
        }
        for i in 1..logs.len() {
            let mut other = logs[i].clone();
            logs[0].merge(&mut other).unwrap();
        }
        for i in 1..logs.len() {
            let mut all = logs[0].clone();
            logs[i].merge(&mut all).unwrap();
        }
        let log0: BTreeMap<String, InspectionEntry> = docs::entries(&logs[0], docs::INSPECTION_ENTRIES).unwrap();
        prop_assert_eq!(log0.len(), checks_made, "every offline check survives the merge");
        for log in &logs {
            let entries: BTreeMap<String, InspectionEntry> = docs::entries(log, docs::INSPECTION_ENTRIES).unwrap();
            prop_assert_eq!(&entries, &log0);
        }
        let history = fx.history();
        let derived: Vec<Derivation> = devices
            .iter()
            .map(|d| derive_status(&case, &events_of(d), &history, &fx.profile))
            .collect();
        let heads0 = devices[0].get_heads();
        for (d, der) in devices.iter_mut().zip(&derived) {
            prop_assert_eq!(d.get_heads(), heads0.clone());
            prop_assert_eq!(der, &derived[0]);
        }

        let events = events_of(&devices[0]);
        let d = &derived[0];
        if std::env::var_os("CUSTOS_PROBE").is_some() {
            eprintln!("PROBE {:?}", d.status);
        }
        if matches!(d.status, Status::Approved | Status::Viewed) {
            prop_assert!(approval_is_backed(&events, d), "approved without the required signatures: {:?}", d);
        }
        let counted: BTreeSet<&EntryId> = d.counted.iter().collect();
        let viewings = events
            .values()
            .filter(|e| counted.contains(&e.id) && matches!(e.decision, Decision::Viewing { .. }))
            .count();
        prop_assert!(viewings <= 1, "a second viewing counted");
        prop_assert_eq!(viewings == 1, d.status == Status::Viewed);
        for e in events.values().filter(|e| counted.contains(&e.id)) {
            let reasonless = matches!(&e.decision, Decision::Reject { reason } if reason.trim().is_empty());
            prop_assert!(!reasonless, "a rejection without a reason counted");
        }
        if let Status::Rejected { reasons } = &d.status {
            prop_assert!(reasons.iter().all(|r| !r.trim().is_empty()));
        }
    }

    /// Any change to a signed event after signing, or a signature moved to
    /// another event, makes it not count.
    #[test]
    fn a_forged_or_replayed_event_never_counts(field in 0u8..9, byte in 0usize..64) {
        let mut fx = Fixture::new(DAHU_OFFICE);
        fx.add("manager", &[Role::Manager], 1);
        fx.add("head", &[Role::Head], 2);
        fx.add("other head", &[Role::Head], 3);
        let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
        let (other_case, _) = fx.case(ApplicantKind::Citizen, "manager");
        let mut events = BTreeMap::new();
        let genuine = fx.sign("head", Role::Head, reject("不符規定"), &case, &events);
        let mut forged = genuine.clone();
        match field {
            0 => {
                let mut sig = hex::decode(&forged.signature).unwrap();
                let at = byte % sig.len();
                sig[at] ^= 1;
                forged.signature = hex::encode(sig);
            }
            1 => forged.decision = Decision::Approve,
            2 => forged.decision = reject("另一個理由"),
            3 => forged.signer = fx.members["other head"].id.clone(),
            4 => forged.application = other_case.id.clone(),
            5 => forged.case_hash = other_case.content_hash(),
            6 => forged.seen.push(fx.id()),
            7 => forged.signed_at = NOW.plus_days(1),
            // The signature of another event pasted onto this one.
            _ => forged.signature = fx.sign("head", Role::Head, Decision::Approve, &other_case, &BTreeMap::new()).signature,
        }
        let forged = push(&mut events, forged);
        let d = derive_status(&case, &events, &fx.history(), &fx.profile);
        prop_assert!(!d.counted.contains(&forged.id), "forged field {} counted", field);
        prop_assert_eq!(d.status, Status::InReview { next_step: 0 });
    }

    /// A head revoked in the site history a decision was made on never
    /// decides, whatever else happens around it.
    #[test]
    fn a_revoked_signer_never_counts(edits_after in 0usize..4, others in prop::collection::vec(0u8..3, 0..6)) {
        let mut fx = Fixture::new(DAHU_OFFICE);
        fx.add("manager", &[Role::Manager], 1);
        fx.add("head", &[Role::Head], 2);
        fx.add("inspector", &[Role::Inspector], 3);
        let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
        fx.revoke("head");
        for i in 0..edits_after {
            fx.add(["a", "b", "c", "d"][i], &[Role::Inspector], 10 + i as u8);
        }
        let mut events = BTreeMap::new();
        let revoked = fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
        for kind in others {
            let (who, role, decision) = match kind {
                0 => ("inspector", Role::Head, Decision::Approve),
                1 => ("manager", Role::Manager, viewing("s")),
                _ => ("head", Role::Head, reject("撤銷後")),
            };
            fx.decide(&mut events, who, role, decision, &case);
        }
        let d = derive_status(&case, &events, &fx.history(), &fx.profile);
        prop_assert!(!d.counted.contains(&revoked.id));
        prop_assert_eq!(d.status, Status::InReview { next_step: 0 });
    }
}
