//! Filing an application: what each profile accepts, and the hold that filing places.

mod common;

use common::*;
use custos_core::holds::{Hold, HoldBasis};
use custos_core::roles::Role;
use custos_core::seeds::{DAHU_OFFICE, KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};
use custos_core::terms::ApplicantKind;
use custos_core::terms::{AccessKind, Category};
use custos_core::time::Timestamp;

fn site(profile: &str) -> Fixture {
    let mut fx = Fixture::new(profile);
    fx.add("manager", &[Role::Manager], 1);
    fx
}

#[test]
fn a_well_formed_application_is_accepted_by_each_profile() {
    for (profile, kind) in [
        (KAOHSIUNG_KINDERGARTEN, ApplicantKind::GuardianOrStudent),
        (DAHU_OFFICE, ApplicantKind::Citizen),
        (WANHUA_HOUSEHOLD, ApplicantKind::Citizen),
        (WANHUA_HOUSEHOLD, ApplicantKind::PublicAgency),
    ] {
        let mut fx = site(profile);
        let (case, personal) = fx.case(kind, "manager");
        personal.validate().unwrap();
        let site = fx.history().current().unwrap();
        case.check_filing(&site, &fx.profile, NOW)
            .unwrap_or_else(|e| panic!("{profile} {kind:?}: {e}"));
    }
}

#[test]
fn wanhua_citizens_need_a_police_report_and_may_not_copy() {
    let mut fx = site(WANHUA_HOUSEHOLD);
    let site_now = fx.history().current().unwrap();
    let (mut case, _) = fx.case(ApplicantKind::Citizen, "manager");
    case.attachments.clear();
    let err = case.check_filing(&site_now, &fx.profile, NOW).unwrap_err();
    assert!(err.to_string().contains("PoliceReport"), "{err}");

    let (mut case, _) = fx.case(ApplicantKind::Citizen, "manager");
    case.kinds.push(AccessKind::Copy);
    assert!(case.check_filing(&site_now, &fx.profile, NOW).is_err());
    assert!(fx.profile.applicant_rule(ApplicantKind::GuardianOrStudent).is_none());
}

#[test]
fn wanhua_staff_in_court_must_come_through_an_agency() {
    let mut fx = site(WANHUA_HOUSEHOLD);
    let site_now = fx.history().current().unwrap();
    let (mut case, _) = fx.case(ApplicantKind::Staff, "manager");
    case.in_court = true;
    let err = case.check_filing(&site_now, &fx.profile, NOW).unwrap_err();
    assert!(err.to_string().contains("official letter"), "{err}");
}

#[test]
fn kindergarten_members_cite_a_listed_reason_and_never_copy() {
    let mut fx = site(KAOHSIUNG_KINDERGARTEN);
    let site_now = fx.history().current().unwrap();
    let (mut case, _) = fx.case(ApplicantKind::Staff, "manager");
    case.category = Category::CounterDispute;
    assert!(case.check_filing(&site_now, &fx.profile, NOW).is_err());
    let (mut case, _) = fx.case(ApplicantKind::GuardianOrStudent, "manager");
    case.kinds = vec![AccessKind::View, AccessKind::Photograph];
    assert!(
        case.check_filing(&site_now, &fx.profile, NOW).is_err(),
        "不得翻攝及複製"
    );
    assert!(fx.profile.applicant_rule(ApplicantKind::Citizen).is_none());
}

type Mutation = dyn Fn(&mut custos_core::application::ApplicationCase);

#[test]
fn bad_cases_get_errors_a_person_can_act_on() {
    let mut fx = site(DAHU_OFFICE);
    let site_now = fx.history().current().unwrap();
    let (good, _) = fx.case(ApplicantKind::Citizen, "manager");
    let cases: Vec<(&str, Box<Mutation>)> = vec![
        ("reason", Box::new(|c| c.reason = " ".into())),
        ("camera", Box::new(|c| c.cameras.clear())),
        ("cam-99", Box::new(|c| c.cameras = vec!["cam-99".parse().unwrap()])),
        ("passed", Box::new(|c| c.window.end = Timestamp(NOW.0 + 60_000))),
        ("end must be after", Box::new(|c| c.window.end = c.window.start)),
        ("digest", Box::new(|c| c.personal_data_digest = "x".into())),
    ];
    for (needle, mutate) in cases {
        let mut case = good.clone();
        mutate(&mut case);
        let err = case.check_filing(&site_now, &fx.profile, NOW).unwrap_err().to_string();
        assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    }
}

#[test]
fn filing_holds_the_requested_window_until_the_deadline() {
    let mut fx = site(KAOHSIUNG_KINDERGARTEN);
    let (case, _) = fx.case(ApplicantKind::Staff, "manager");
    let hold = Hold::for_filed_application(&case, &fx.profile, NOW);
    assert_eq!(hold.basis, HoldBasis::ApplicationFiled);
    assert_eq!(hold.window, case.window);
    assert_eq!(hold.cameras, case.cameras);
    assert_eq!(hold.review_at, NOW.plus_days(fx.profile.decision_deadline_days));
    hold.validate(&fx.profile.effective_retention().unwrap()).unwrap();
    assert!(hold.covers(&case.cameras[0], case.window.start, case.window.end));
    assert!(!hold.covers(&"cam-02".parse().unwrap(), case.window.start, case.window.end));
}

#[test]
fn a_filing_hold_lasts_through_review_and_approval_and_ends_with_the_outcome_and_a_viewing_may_keep_its_own() {
    use custos_core::workflow::Status;
    let mut fx = site(KAOHSIUNG_KINDERGARTEN);
    let (case, _) = fx.case(ApplicantKind::Staff, "manager");
    let hold = Hold::for_filed_application(&case, &fx.profile, NOW);
    for kept in [Status::InReview { next_step: 0 }, Status::Approved] {
        assert!(!hold.ended_by(&kept), "{kept:?}");
    }
    let rejected = Status::Rejected {
        reasons: vec!["非屬得調閱之事由".into()],
    };
    assert!(hold.ended_by(&rejected) && hold.ended_by(&Status::Withdrawn) && hold.ended_by(&Status::Viewed));

    // After the viewing the kindergarten keeps the viewed footage on record
    // (001 §6(4)) by a hold of its own, which no outcome ends; the household
    // office keeps nothing beyond ordinary retention.
    let kept = Hold::for_viewed_application(&case, &fx.profile, NOW).expect("kept on record");
    assert_eq!(
        (kept.basis, kept.window, &kept.cameras),
        (HoldBasis::ViewedOnRecord, case.window, &case.cameras)
    );
    kept.validate(&fx.profile.effective_retention().unwrap()).unwrap();
    assert!(!kept.ended_by(&Status::Viewed));
    let wanhua = site(WANHUA_HOUSEHOLD);
    assert!(Hold::for_viewed_application(&case, &wanhua.profile, NOW).is_none());
    // A hold for an official letter ends by a release only.
    let letter = Hold {
        basis: HoldBasis::OfficialLetter,
        ..hold
    };
    assert!(!letter.ended_by(&rejected));
}

#[test]
fn every_hold_lapses_at_a_deadline_of_the_profile_unless_the_head_renews_it() {
    use custos_core::notices::hold_notices;
    use custos_core::workflow::Status;
    let mut fx = site(KAOHSIUNG_KINDERGARTEN);
    let p = fx.profile.clone();
    let (case, _) = fx.case(ApplicantKind::Staff, "manager");
    let filing = Hold::for_filed_application(&case, &p, NOW);
    let deadline = NOW.plus_days(p.decision_deadline_days);
    // In review: the decision deadline; approved: the viewing deadline after it.
    let in_review = Status::InReview { next_step: 0 };
    assert_eq!(filing.lapses_at(Some(&in_review), [], &p), deadline);
    assert_eq!(filing.lapses_at(None, [], &p), deadline);
    assert_eq!(
        filing.lapses_at(Some(&Status::Approved), [], &p),
        deadline.plus_days(p.viewing_deadline_days)
    );
    // Viewed footage kept on record: the profile's review.
    let kept = Hold::for_viewed_application(&case, &p, NOW).unwrap();
    assert_eq!(kept.lapses_at(None, [], &p), NOW.plus_days(p.viewed_review_days));
    // A renewal keeps it from the renewal, never shortens it.
    let renewed_at = deadline.plus_days(1);
    assert_eq!(
        filing.lapses_at(Some(&in_review), [renewed_at, NOW], &p),
        renewed_at.plus_days(p.hold_renewal_days)
    );
    // The head is told a week before.
    let lapses = filing.lapses_at(None, [], &p);
    let early = Timestamp(lapses.0 - (i64::from(p.hold_lapse_warning_days) + 1) * 86_400_000);
    let late = Timestamp(lapses.0 - 86_400_000);
    assert!(hold_notices(&[("h1", &filing, lapses)], &p, early).is_empty());
    let due = hold_notices(&[("h1", &filing, lapses)], &p, late);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].subject.as_deref(), Some("h1"));
    assert!(
        hold_notices(&[("h1", &filing, lapses)], &p, lapses).is_empty(),
        "lapsed: nothing to renew"
    );
}

#[test]
fn a_hold_past_the_ceiling_needs_a_legal_basis() {
    let mut fx = site(WANHUA_HOUSEHOLD);
    let (case, _) = fx.case(ApplicantKind::Citizen, "manager");
    let retention = fx.profile.effective_retention().unwrap();
    let mut hold = Hold::for_filed_application(&case, &fx.profile, NOW);
    hold.review_at = NOW.plus_days(400);
    hold.legal_basis = String::new();
    assert!(
        hold.validate(&retention)
            .unwrap_err()
            .to_string()
            .contains("legal basis")
    );
    hold.legal_basis = "刑事訴訟法第133條扣押".into();
    hold.validate(&retention).unwrap();
}
