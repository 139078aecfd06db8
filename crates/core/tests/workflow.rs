//! The application workflow, rule by rule: what counts, what is ignored and why.

mod common;

use std::collections::BTreeMap;

use common::*;
use custos_core::application::Decision;
use custos_core::roles::Role;
use custos_core::seeds::{DAHU_OFFICE, KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};
use custos_core::terms::{AccessKind, ApplicantKind};
use custos_core::workflow::{IgnoreReason, Status, derive_status};

fn dahu() -> Fixture {
    let mut fx = Fixture::new(DAHU_OFFICE);
    fx.add("manager", &[Role::Manager], 1);
    fx.add("head", &[Role::Head], 2);
    fx.add("inspector", &[Role::Inspector], 3);
    fx.add("delegate", &[Role::Delegate], 4);
    fx
}

#[test]
fn approval_allows_exactly_one_viewing() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::InReview { next_step: 0 });
    assert!(!d.status.may_open_viewing());

    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Approved);
    assert!(d.status.may_open_viewing());

    fx.decide(&mut events, "manager", Role::Manager, viewing("s1"), &case);
    let second = fx.decide(&mut events, "manager", Role::Manager, viewing("s2"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Viewed);
    assert!(!d.status.may_open_viewing(), "one application, one viewing (002 §11)");
    assert_eq!(d.ignored_reason(&second.id), Some(&IgnoreReason::SecondViewing));
}

#[test]
fn the_delegate_may_decide_for_the_head() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Staff, "manager");
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "delegate", Role::Delegate, Decision::Approve, &case);
    assert_eq!(
        derive_status(&case, &events, &fx.history(), &fx.profile).status,
        Status::Approved
    );
}

#[test]
fn concurrent_viewings_count_once() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
    let a = fx.sign("manager", Role::Manager, viewing("a"), &case, &events);
    let b = fx.sign("manager", Role::Manager, viewing("b"), &case, &events);
    push(&mut events, a);
    push(&mut events, b);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Viewed);
    assert_eq!(
        d.ignored
            .iter()
            .filter(|i| i.reason == IgnoreReason::SecondViewing)
            .count(),
        1
    );
}

#[test]
fn a_viewing_without_approval_does_not_count() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    let v = fx.decide(&mut events, "manager", Role::Manager, viewing("s"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&v.id), Some(&IgnoreReason::ViewingWithoutApproval));
    assert_eq!(d.status, Status::InReview { next_step: 0 });
}

#[test]
fn a_viewing_counts_only_as_the_recorder_recorded_the_escorts_opening() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);

    // Recorded by the recorder, but the opening was the inspector's: the
    // profile lets only the manager accompany a viewing.
    let by_inspector = fx.decide(&mut events, "inspector", Role::Inspector, viewing("s0"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&by_inspector.id), Some(&IgnoreReason::OpeningMismatch));
    assert_eq!(d.status, Status::Approved);

    // The recorder's event with the manager's opening for another case: refused.
    let (other, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut forged = fx.sign("manager", Role::Manager, viewing("s1"), &case, &events);
    if let Decision::Viewing { opening, .. } = &mut forged.decision {
        *opening = fx.opening("manager", Role::Manager, &other);
    }
    forged.signature = recorder_key().sign(&forged.signing_bytes());
    push(&mut events, forged.clone());
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&forged.id), Some(&IgnoreReason::OpeningMismatch));

    // An opening whose applicant was not checked in person does not count.
    let mut unchecked = fx.sign("manager", Role::Manager, viewing("s2"), &case, &events);
    if let Decision::Viewing { opening, .. } = &mut unchecked.decision {
        opening.applicant_checked = false;
        opening.signature = fx.members["manager"].key.sign(&opening.signing_bytes());
    }
    unchecked.signature = recorder_key().sign(&unchecked.signing_bytes());
    push(&mut events, unchecked.clone());
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&unchecked.id), Some(&IgnoreReason::OpeningMismatch));
    assert_eq!(d.status, Status::Approved);

    // The manager's own opening, recorded by the recorder: the one viewing.
    let good = fx.decide(&mut events, "manager", Role::Manager, viewing("s3"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert!(d.counted.contains(&good.id));
    assert_eq!(d.status, Status::Viewed);
}

#[test]
fn a_rejection_must_state_its_reason() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    let r = fx.decide(&mut events, "head", Role::Head, reject("  "), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&r.id), Some(&IgnoreReason::MissingReason));
    assert!(!d.status.is_final());

    fx.decide(&mut events, "head", Role::Head, reject("時段與事由不符"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(
        d.status,
        Status::Rejected {
            reasons: vec!["時段與事由不符".into()]
        }
    );
}

#[test]
fn forged_and_replayed_signatures_never_count() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let (other_case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();

    // Changed after signing: a rejection turned into an approval.
    let mut forged = fx.sign("head", Role::Head, reject("不符規定"), &case, &events);
    forged.decision = Decision::Approve;
    let forged = push(&mut events, forged);
    // Signed by the inspector's key but claiming to be the head.
    let mut impostor = fx.sign("inspector", Role::Head, Decision::Approve, &case, &events);
    impostor.signer = fx.members["head"].id.clone();
    let impostor = push(&mut events, impostor);
    // The head's genuine approval of another case, replayed here.
    let replayed = fx.sign("head", Role::Head, Decision::Approve, &other_case, &BTreeMap::new());
    let replayed = push(&mut events, replayed);
    // The same genuine event copied under a new key.
    let genuine = fx.sign("head", Role::Head, Decision::Approve, &other_case, &BTreeMap::new());
    events.insert(fx.id().to_string(), genuine.clone());

    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::InReview { next_step: 0 });
    assert!(d.counted.is_empty());
    assert_eq!(d.ignored_reason(&forged.id), Some(&IgnoreReason::BadSignature));
    assert_eq!(d.ignored_reason(&impostor.id), Some(&IgnoreReason::DeviceNotTheSigners));
    assert_eq!(d.ignored_reason(&replayed.id), Some(&IgnoreReason::OtherApplication));
    assert_eq!(d.ignored_reason(&genuine.id), Some(&IgnoreReason::StoredUnderOtherKey));
}

#[test]
fn only_roles_in_the_chain_decide() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    let not_held = fx.decide(&mut events, "inspector", Role::Head, Decision::Approve, &case);
    let not_in_chain = fx.decide(&mut events, "manager", Role::Manager, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&not_held.id), Some(&IgnoreReason::RoleNotHeld));
    assert_eq!(
        d.ignored_reason(&not_in_chain.id),
        Some(&IgnoreReason::RoleMayNotDecide)
    );
    assert_eq!(d.status, Status::InReview { next_step: 0 });
}

#[test]
fn a_revoked_signer_counts_only_for_what_it_signed_before() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let before_revocation = fx.heads();
    fx.revoke("head");
    let mut events = BTreeMap::new();

    // Signed on a site where the head was already revoked: never counts.
    let after = fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&after.id), Some(&IgnoreReason::Revoked));

    // Signed offline before the revocation was known: a later revocation does not undo it.
    let mut events = BTreeMap::new();
    fx.decide_at(
        &mut events,
        "head",
        Role::Head,
        Decision::Approve,
        &case,
        before_revocation.clone(),
    );
    assert_eq!(
        derive_status(&case, &events, &fx.history(), &fx.profile).status,
        Status::Approved
    );

    // But a signer cannot pretend to have seen less of the site than what it builds on.
    let mut events = BTreeMap::new();
    fx.decide(
        &mut events,
        "manager",
        Role::Manager,
        Decision::Withdraw {
            reason: "申請人撤回".into(),
        },
        &case,
    );
    let regressed = fx.decide_at(
        &mut events,
        "head",
        Role::Head,
        Decision::Approve,
        &case,
        before_revocation,
    );
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&regressed.id), Some(&IgnoreReason::SiteStateRegressed));
}

#[test]
fn unknown_site_history_is_reported_not_trusted() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    let e = fx.decide_at(
        &mut events,
        "head",
        Role::Head,
        Decision::Approve,
        &case,
        vec!["00".repeat(32)],
    );
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&e.id), Some(&IgnoreReason::SiteStateUnknown));
}

#[test]
fn concurrent_final_decisions_resolve_to_rejection() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let none = BTreeMap::new();
    let approve = fx.sign("head", Role::Head, Decision::Approve, &case, &none);
    let rejection = fx.sign("delegate", Role::Delegate, reject("涉及他人隱私"), &case, &none);
    for order in [[&approve, &rejection], [&rejection, &approve]] {
        let mut events = BTreeMap::new();
        for e in order {
            push(&mut events, e.clone());
        }
        let d = derive_status(&case, &events, &fx.history(), &fx.profile);
        assert_eq!(
            d.status,
            Status::Rejected {
                reasons: vec!["涉及他人隱私".into()]
            }
        );
        assert_eq!(
            d.ignored_reason(&approve.id),
            Some(&IgnoreReason::OverriddenByConcurrentDecision)
        );
    }
}

#[test]
fn decisions_after_a_final_one_are_ignored() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "head", Role::Head, reject("非屬調閱事由"), &case);
    let late = fx.decide(&mut events, "delegate", Role::Delegate, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert!(matches!(d.status, Status::Rejected { .. }));
    assert_eq!(d.ignored_reason(&late.id), Some(&IgnoreReason::AfterFinalDecision));
}

#[test]
fn amending_the_case_voids_earlier_decisions() {
    let mut fx = Fixture::new(WANHUA_HOUSEHOLD);
    fx.add("manager", &[Role::Manager], 1);
    fx.add("supervisor", &[Role::Supervisor], 2);
    let (mut case, _) = fx.case(ApplicantKind::Staff, "manager");
    let mut events = BTreeMap::new();
    let old = fx.decide(&mut events, "supervisor", Role::Supervisor, Decision::Approve, &case);
    case.reason = "櫃檯爭議，需確認經過".into();
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&old.id), Some(&IgnoreReason::CaseChanged));
    assert_eq!(d.status, Status::InReview { next_step: 0 });
}

/// 004 附件3: 申請單位 (申請人, 主管) → 管理單位 (管理人, 主管) → 秘書 → 主任.
/// The applicant's section is 戶籍課; the 管理人 is of 行政課.
fn wanhua_office() -> Fixture {
    let mut fx = Fixture::new(WANHUA_HOUSEHOLD);
    fx.add_in("manager", &[Role::Manager], Some("行政課"), 1);
    fx.add_in("registry head", &[Role::Supervisor], Some("戶籍課"), 2);
    fx.add_in("admin head", &[Role::Supervisor], Some("行政課"), 5);
    fx.add_in("other head", &[Role::Supervisor], Some("人事室"), 6);
    fx.add("secretary", &[Role::Secretary], 3);
    fx.add("director", &[Role::Head], 4);
    fx
}

#[test]
fn wanhua_internal_chain_runs_in_full() {
    let mut fx = wanhua_office();
    let (mut case, _) = fx.case(ApplicantKind::Staff, "manager");
    case.unit = "戶籍課".into();
    let mut events = BTreeMap::new();
    let early = fx.decide(&mut events, "director", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(
        d.ignored_reason(&early.id),
        Some(&IgnoreReason::StepsMissing {
            missing: vec![0, 1, 2, 3]
        })
    );
    // A supervisor of another section counts for neither unit's step.
    fx.decide(&mut events, "other head", Role::Supervisor, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert!(!d.steps[0].done && !d.steps[2].done, "{:?}", d.steps);
    for (who, role, step) in [
        ("registry head", Role::Supervisor, 0),
        ("manager", Role::Manager, 1),
        ("admin head", Role::Supervisor, 2),
        ("secretary", Role::Secretary, 3),
    ] {
        fx.decide(&mut events, who, role, Decision::Approve, &case);
        let d = derive_status(&case, &events, &fx.history(), &fx.profile);
        assert!(matches!(d.status, Status::InReview { .. }), "{who}: {:?}", d.status);
        assert!(d.steps[..=step].iter().all(|s| s.done), "{who}: {:?}", d.steps);
        assert_eq!(
            d.steps[step].signers,
            [fx.members[who].id.clone()],
            "{who} signs step {step}"
        );
    }
    fx.decide(&mut events, "director", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Approved);
    assert!(d.steps.iter().all(|s| s.done));
}

/// No person signs two steps: the 行政課 supervisor applying for their own
/// section signs as 申請單位主管 and cannot be 管理單位主管 too; a director
/// who is also the secretary cannot give the final approval after signing
/// as secretary.
#[test]
fn no_person_signs_two_steps_of_one_application() {
    let mut fx = wanhua_office();
    fx.add("secretary director", &[Role::Secretary, Role::Head], 7);
    let (mut case, _) = fx.case(ApplicantKind::Staff, "manager");
    case.unit = "行政課".into();
    let mut events = BTreeMap::new();
    for (who, role) in [
        ("admin head", Role::Supervisor),
        ("manager", Role::Manager),
        ("secretary director", Role::Secretary),
    ] {
        fx.decide(&mut events, who, role, Decision::Approve, &case);
    }
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert!(d.steps[0].done && d.steps[1].done && d.steps[3].done, "{:?}", d.steps);
    assert!(!d.steps[2].done, "the admin head signed step 0 already: {:?}", d.steps);
    let early = fx.decide(&mut events, "director", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(
        d.ignored_reason(&early.id),
        Some(&IgnoreReason::StepsMissing { missing: vec![2] })
    );

    // Another 行政課 supervisor completes step 2; the secretary-director's
    // own final approval is set aside, the director's counts.
    fx.add_in("second admin head", &[Role::Supervisor], Some("行政課"), 8);
    fx.decide(
        &mut events,
        "second admin head",
        Role::Supervisor,
        Decision::Approve,
        &case,
    );
    let twice = fx.decide(&mut events, "secretary director", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&twice.id), Some(&IgnoreReason::SignedAnotherStep));
    assert!(matches!(d.status, Status::InReview { .. }), "{:?}", d.status);
    fx.decide(&mut events, "director", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Approved);
}

fn kindergarten() -> Fixture {
    let mut fx = Fixture::new(KAOHSIUNG_KINDERGARTEN);
    fx.add("manager", &[Role::Manager], 1);
    fx.add("supervisor", &[Role::Supervisor], 2);
    fx.add("teacher rep", &[Role::CommitteeStaff], 3);
    fx.add("parent rep", &[Role::CommitteeParent], 4);
    fx.add("principal", &[Role::Head], 5);
    fx.add("second parent", &[Role::CommitteeParent], 6);
    fx
}

#[test]
fn the_kindergarten_committee_must_vote_in_favour_before_the_head_approves() {
    let mut fx = kindergarten();
    let (case, _) = fx.case(ApplicantKind::GuardianOrStudent, "manager");
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "manager", Role::Manager, Decision::Approve, &case);
    fx.decide(&mut events, "supervisor", Role::Supervisor, Decision::Approve, &case);
    fx.decide(&mut events, "teacher rep", Role::CommitteeStaff, vote(true), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(
        d.status,
        Status::InReview { next_step: 2 },
        "the parent representative has not voted"
    );

    // Staff for, parent against: no majority of votes cast.
    fx.decide(&mut events, "parent rep", Role::CommitteeParent, vote(false), &case);
    let too_early = fx.decide(&mut events, "principal", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(
        d.ignored_reason(&too_early.id),
        Some(&IgnoreReason::StepsMissing { missing: vec![2] })
    );
    assert_eq!((d.steps[2].votes_for, d.steps[2].votes_against), (1, 1));

    // A second parent votes for: 2 to 1, the committee agrees, the head approves.
    fx.decide(&mut events, "second parent", Role::CommitteeParent, vote(true), &case);
    fx.decide(&mut events, "principal", Role::Head, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Approved);
}

#[test]
fn a_member_who_changes_their_vote_counts_once() {
    let mut fx = kindergarten();
    let (case, _) = fx.case(ApplicantKind::Staff, "manager");
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "teacher rep", Role::CommitteeStaff, vote(true), &case);
    fx.decide(&mut events, "parent rep", Role::CommitteeParent, vote(false), &case);
    fx.decide(&mut events, "parent rep", Role::CommitteeParent, vote(true), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!((d.steps[2].votes_for, d.steps[2].votes_against), (2, 0));
    assert!(d.steps[2].done);
}

#[test]
fn a_vote_against_must_say_why() {
    let mut fx = kindergarten();
    let (case, _) = fx.case(ApplicantKind::Staff, "manager");
    let mut events = BTreeMap::new();
    let silent = fx.decide(
        &mut events,
        "parent rep",
        Role::CommitteeParent,
        Decision::Vote {
            in_favour: false,
            reason: "".into(),
        },
        &case,
    );
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&silent.id), Some(&IgnoreReason::MissingReason));
}

#[test]
fn two_concurrent_votes_by_one_member_are_reported_and_neither_counts() {
    let mut fx = kindergarten();
    let (case, _) = fx.case(ApplicantKind::Staff, "manager");
    let none = BTreeMap::new();
    let yes = fx.sign("parent rep", Role::CommitteeParent, vote(true), &case, &none);
    let no = fx.sign("parent rep", Role::CommitteeParent, vote(false), &case, &none);
    let mut events = BTreeMap::new();
    push(&mut events, yes.clone());
    push(&mut events, no.clone());
    fx.decide(&mut events, "teacher rep", Role::CommitteeStaff, vote(true), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&yes.id), Some(&IgnoreReason::ConflictingVotes));
    assert_eq!(d.ignored_reason(&no.id), Some(&IgnoreReason::ConflictingVotes));
    assert!(!d.steps[2].done, "the parent representative's vote is unclear");
}

fn reply(number: &str) -> Decision {
    Decision::Reply {
        letter: custos_core::application::ReplyLetter {
            number: number.into(),
            date: "2026-11-25".into(),
            blob: Some("ab".repeat(32)),
        },
    }
}

#[test]
fn a_reply_letter_answers_the_counted_decision_and_voids_nothing() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::PublicAgency, "manager");
    let mut events = BTreeMap::new();
    let early = fx.decide(&mut events, "manager", Role::Manager, reply("府授字第1號"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&early.id), Some(&IgnoreReason::ReplyWithoutDecision));
    assert_eq!(d.status, Status::InReview { next_step: 0 }, "a reply decides nothing");

    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
    let answer = fx.decide(&mut events, "manager", Role::Manager, reply("府授字第2號"), &case);
    let blank = fx.decide(&mut events, "manager", Role::Manager, reply("  "), &case);
    let by_inspector = fx.decide(&mut events, "inspector", Role::Inspector, reply("府授字第3號"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Approved, "the reply leaves the approval standing");
    assert!(d.counted.contains(&answer.id));
    assert_eq!(d.ignored_reason(&blank.id), Some(&IgnoreReason::MalformedReply));
    assert_eq!(
        d.ignored_reason(&by_inspector.id),
        Some(&IgnoreReason::RoleMayNotDecide)
    );

    // The viewing the approval allows is still open after the reply.
    fx.decide(&mut events, "manager", Role::Manager, viewing("s1"), &case);
    assert_eq!(
        derive_status(&case, &events, &fx.history(), &fx.profile).status,
        Status::Viewed
    );

    // A citizen's case has no letter to answer.
    let (citizen, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "head", Role::Head, reject("非屬調閱範圍"), &citizen);
    let stray = fx.decide(&mut events, "manager", Role::Manager, reply("府授字第4號"), &citizen);
    let d = derive_status(&citizen, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&stray.id), Some(&IgnoreReason::NoLetterToReply));
}

/// Each approver's list holds what awaits their own step: the kindergarten
/// chain passes from the officer to the supervisor, to both committee
/// representatives (each until they have voted), to the principal, and
/// then to no one.
#[test]
fn an_application_waits_on_the_desk_of_whoever_signs_its_next_step() {
    let mut fx = kindergarten();
    let (case, _) = fx.case(ApplicantKind::GuardianOrStudent, "manager");
    let chain = fx.profile.approval_chain(case.applicant_kind).to_vec();
    let mut events = BTreeMap::new();
    let awaiting = |fx: &mut Fixture, events: &BTreeMap<_, _>| -> Vec<(&'static str, usize, Role, bool)> {
        let d = derive_status(&case, events, &fx.history(), &fx.profile);
        let mut on_desk: Vec<_> = fx
            .members
            .iter()
            .filter_map(|(name, m)| {
                d.turn(&chain, &m.id, &m.roles)
                    .map(|t| (*name, t.step, t.role, t.committee))
            })
            .collect();
        on_desk.sort();
        on_desk
    };
    assert_eq!(awaiting(&mut fx, &events), [("manager", 0, Role::Manager, false)]);
    fx.decide(&mut events, "manager", Role::Manager, Decision::Approve, &case);
    assert_eq!(awaiting(&mut fx, &events), [("supervisor", 1, Role::Supervisor, false)]);
    fx.decide(&mut events, "supervisor", Role::Supervisor, Decision::Approve, &case);
    assert_eq!(
        awaiting(&mut fx, &events),
        [
            ("parent rep", 2, Role::CommitteeParent, true),
            ("second parent", 2, Role::CommitteeParent, true),
            ("teacher rep", 2, Role::CommitteeStaff, true),
        ]
    );
    fx.decide(&mut events, "teacher rep", Role::CommitteeStaff, vote(true), &case);
    assert_eq!(
        awaiting(&mut fx, &events),
        [
            ("parent rep", 2, Role::CommitteeParent, true),
            ("second parent", 2, Role::CommitteeParent, true),
        ],
        "a member who voted is not asked again"
    );
    fx.decide(&mut events, "parent rep", Role::CommitteeParent, vote(true), &case);
    assert_eq!(awaiting(&mut fx, &events), [("principal", 3, Role::Head, false)]);
    fx.decide(&mut events, "principal", Role::Head, Decision::Approve, &case);
    assert_eq!(awaiting(&mut fx, &events), [], "decided: no one's turn");
}

/// A person who signed an earlier step is not asked for a later one that
/// names their role: the 行政課 supervisor who signed as 申請單位主管
/// leaves 管理單位主管 to another.
#[test]
fn a_signer_of_an_earlier_step_is_not_asked_for_a_later_one() {
    let mut fx = wanhua_office();
    fx.add_in("second admin head", &[Role::Supervisor], Some("行政課"), 8);
    let (mut case, _) = fx.case(ApplicantKind::Staff, "manager");
    case.unit = "行政課".into();
    let chain = fx.profile.approval_chain(case.applicant_kind).to_vec();
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "admin head", Role::Supervisor, Decision::Approve, &case);
    fx.decide(&mut events, "manager", Role::Manager, Decision::Approve, &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::InReview { next_step: 2 });
    let turn = |who: &str| d.turn(&chain, &fx.members[who].id, &fx.members[who].roles);
    assert_eq!(turn("admin head"), None);
    assert_eq!(turn("second admin head").map(|t| t.step), Some(2));
    assert_eq!(turn("secretary"), None, "the secretary's step comes after");
}

/// 002 §13: the ethics office spot-checks a case at any time of its life;
/// the check is on record, signed, and changes nothing of the status. No
/// other role records one.
#[test]
fn the_ethics_office_spot_checks_a_case_at_any_time_and_changes_nothing() {
    let mut fx = dahu();
    fx.add("ethics", &[Role::Auditor], 9);
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let mut events = BTreeMap::new();
    let spot = |note: &str| Decision::SpotCheck { note: note.into() };
    let early = fx.decide(&mut events, "ethics", Role::Auditor, spot("申請內容完整"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::InReview { next_step: 0 });
    assert!(d.counted.contains(&early.id), "{:?}", d.ignored);

    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
    let late = fx.decide(&mut events, "ethics", Role::Auditor, spot("核准程序無誤"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(
        d.status,
        Status::Approved,
        "a spot check after the decision changes nothing"
    );
    assert!(d.counted.contains(&late.id), "{:?}", d.ignored);

    let manager = fx.decide(&mut events, "manager", Role::Manager, spot("自行抽查"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&manager.id), Some(&IgnoreReason::RoleMayNotDecide));
}

#[test]
fn an_application_asking_for_both_allows_one_viewing_and_one_export() {
    let mut fx = dahu();
    let (mut case, _) = fx.case(ApplicantKind::Citizen, "manager");
    case.kinds = vec![AccessKind::View, AccessKind::Copy];
    let mut events = BTreeMap::new();
    let early = fx.decide(&mut events, "manager", Role::Manager, export("e0"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&early.id), Some(&IgnoreReason::ExportWithoutApproval));
    assert_eq!(d.exported, None);

    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
    // Signed by a device, not the recorder; in an inspector's name.
    let mut by_device = fx.sign("manager", Role::Manager, export("e1"), &case, &events);
    by_device.device = fx.members["manager"].key.device_id();
    by_device.signature = fx.members["manager"].key.sign(&by_device.signing_bytes());
    push(&mut events, by_device.clone());
    let by_inspector = fx.decide(&mut events, "inspector", Role::Inspector, export("e2"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&by_device.id), Some(&IgnoreReason::NotTheRecorders));
    assert_eq!(
        d.ignored_reason(&by_inspector.id),
        Some(&IgnoreReason::RoleMayNotDecide)
    );
    assert_eq!(d.exported, None);

    let exported = fx.decide(&mut events, "manager", Role::Manager, export("e3"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.exported, Some(exported.id.clone()));
    assert_eq!(d.status, Status::Approved, "the export leaves the viewing to come");
    let viewed = fx.decide(&mut events, "manager", Role::Manager, viewing("s"), &case);
    let again = fx.decide(&mut events, "manager", Role::Manager, export("e4"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.status, Status::Viewed);
    assert!(d.counted.contains(&viewed.id));
    assert_eq!(d.exported, Some(exported.id));
    assert_eq!(d.ignored_reason(&again.id), Some(&IgnoreReason::SecondExport));
}

#[test]
fn a_viewing_or_export_the_application_did_not_ask_for_does_not_count() {
    let mut fx = dahu();
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    assert_eq!(case.kinds, vec![AccessKind::View]);
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &case);
    let copy = fx.decide(&mut events, "manager", Role::Manager, export("e"), &case);
    let d = derive_status(&case, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&copy.id), Some(&IgnoreReason::KindNotAsked));

    let (mut copy_only, _) = fx.case(ApplicantKind::Citizen, "manager");
    copy_only.kinds = vec![AccessKind::Copy];
    let mut events = BTreeMap::new();
    fx.decide(&mut events, "head", Role::Head, Decision::Approve, &copy_only);
    let v = fx.decide(&mut events, "manager", Role::Manager, viewing("s"), &copy_only);
    let d = derive_status(&copy_only, &events, &fx.history(), &fx.profile);
    assert_eq!(d.ignored_reason(&v.id), Some(&IgnoreReason::KindNotAsked));
    assert_eq!(d.status, Status::Approved);
}
