//! The application form, for every profile and every kind of applicant:
//! what it asks, what it requires, the signature boxes its chain gives, and
//! that filing is checked against exactly that description.

mod common;

use common::*;
use custos_core::CoreError;
use custos_core::application::ApplicationCase;
use custos_core::application_form::{ApplicationForm, BoxSigner, CaseField};
use custos_core::documents as docs;
use custos_core::policy::{ApplicationPaper, ApprovalStep, PolicyProfile};
use custos_core::roles::Role;
use custos_core::seeds::{BUILTIN_PROFILES, KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};
use custos_core::terms::ApplicantKind;

const KINDS: [ApplicantKind; 4] = [
    ApplicantKind::Staff,
    ApplicantKind::GuardianOrStudent,
    ApplicantKind::Citizen,
    ApplicantKind::PublicAgency,
];

fn site(profile: &str) -> Fixture {
    let mut fx = Fixture::new(profile);
    fx.add("manager", &[Role::Manager], 1);
    fx
}

fn every_form() -> Vec<(String, PolicyProfile, ApplicantKind, Option<ApplicationForm>)> {
    let mut out = Vec::new();
    for id in BUILTIN_PROFILES {
        let profile = PolicyProfile::builtin(id).unwrap();
        for kind in KINDS {
            let form = profile.application_form(kind);
            out.push((id.to_string(), profile.clone(), kind, form));
        }
    }
    out
}

/// The field a case or its personal data holds, blanked.
fn blank(case: &mut ApplicationCase, personal: &mut custos_core::application::PersonalData, field: CaseField) {
    let letter = case.official_letter.as_mut();
    match field {
        CaseField::ApplicantName => case.applicant_name.clear(),
        CaseField::Relation => case.relation.clear(),
        CaseField::Unit => case.unit.clear(),
        CaseField::Viewer => case.viewer = None,
        CaseField::Reason => case.reason = "  ".into(),
        CaseField::LetterNumber => letter.unwrap().number.clear(),
        CaseField::LetterDate => letter.unwrap().date.clear(),
        CaseField::LegalBasis => letter.unwrap().legal_basis.clear(),
        CaseField::Purpose => letter.unwrap().purpose.clear(),
        CaseField::Scope => letter.unwrap().scope.clear(),
        CaseField::Use => letter.unwrap().intended_use.clear(),
        CaseField::NationalId => personal.national_id = None,
        CaseField::Phone => personal.phone = None,
        CaseField::Address => personal.address = None,
        CaseField::OfficerId => personal.officer_id = None,
        CaseField::Cameras => case.cameras.clear(),
        CaseField::Window | CaseField::Category => {}
    }
}

/// Where the error names the field, by its key.
fn names(err: &CoreError, field: CaseField) -> bool {
    matches!(err, CoreError::Invalid { what, .. } if *what == field.key() || (field == CaseField::Cameras && *what == "cameras"))
}

#[test]
fn every_profile_and_kind_of_applicant_has_the_form_its_rule_describes() {
    let mut forms = 0;
    for (id, profile, kind, form) in every_form() {
        let rule = profile.applicant_rule(kind);
        assert_eq!(
            form.is_some(),
            rule.is_some(),
            "{id} {kind:?}: a form exactly where the profile accepts"
        );
        let (Some(form), Some(rule)) = (form, rule) else {
            continue;
        };
        forms += 1;
        let at = format!("{id} {kind:?} ({:?})", form.paper);
        assert_eq!(form.applicant, kind);
        assert_eq!(form.required_attachments, rule.required_attachments, "{at}");
        assert_eq!(form.kinds, rule.allowed_kinds, "{at}");
        assert_eq!(form.categories, rule.categories, "{at}");
        assert!(!form.title_zh.is_empty() && !form.title_en.is_empty(), "{at}");

        // Every field once, named in both languages; the essentials required everywhere.
        let mut seen = std::collections::BTreeSet::new();
        for f in &form.fields {
            assert!(seen.insert(f.field.key()), "{at}: {:?} twice", f.field);
            assert!(!f.label_zh.is_empty() && !f.label_en.is_empty(), "{at}: {:?}", f.field);
        }
        for essential in [
            CaseField::ApplicantName,
            CaseField::Cameras,
            CaseField::Window,
            CaseField::Reason,
        ] {
            assert!(
                form.field(essential).is_some_and(|f| f.required),
                "{at}: {essential:?} required"
            );
        }
        assert_eq!(
            form.field(CaseField::Category).is_some(),
            !rule.categories.is_empty(),
            "{at}: the category is asked where the profile limits it"
        );

        // An agency states its letter's particulars and gives no national ID.
        let agency = kind == ApplicantKind::PublicAgency;
        assert_eq!(form.paper == ApplicationPaper::OfficialLetter, agency, "{at}");
        for part in [
            CaseField::LetterNumber,
            CaseField::LetterDate,
            CaseField::LegalBasis,
            CaseField::Purpose,
            CaseField::Scope,
            CaseField::Use,
        ] {
            assert_eq!(form.field(part).is_some_and(|f| f.required), agency, "{at}: {part:?}");
        }
        if agency {
            assert!(form.field(CaseField::NationalId).is_none(), "{at}");
        }

        // One box per step of the chain, with its roles; the applicant signs
        // our forms, not an agency's letter.
        let steps: Vec<_> = form
            .signatures
            .iter()
            .filter_map(|b| match b.signer {
                BoxSigner::Step(i) => Some((i as usize, b)),
                BoxSigner::Applicant => None,
            })
            .collect();
        assert_eq!(steps.len(), rule.approval.len(), "{at}");
        for (i, (index, sbox)) in steps.iter().enumerate() {
            assert_eq!(*index, i, "{at}: boxes in the chain's order");
            assert_eq!(sbox.roles, rule.approval[i].roles(), "{at}");
            assert_eq!(
                sbox.committee,
                matches!(rule.approval[i], ApprovalStep::Committee { .. }),
                "{at}"
            );
            assert!(!sbox.label_zh.is_empty(), "{at}");
        }
        let applicant_box = form.signatures.iter().any(|b| b.signer == BoxSigner::Applicant);
        assert_eq!(applicant_box, !agency, "{at}");
    }
    assert_eq!(forms, 9, "three applicant kinds on each of the three seeds");
}

#[test]
fn the_forms_say_what_the_seeds_paper_says() {
    let kaohsiung = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
    let annex1 = kaohsiung.application_form(ApplicantKind::GuardianOrStudent).unwrap();
    assert_eq!(annex1.paper, ApplicationPaper::Kaohsiung001Annex1);
    assert_eq!(annex1.title_zh, "監視錄影系統監錄資料調閱申請單");
    for (field, label) in [
        (CaseField::NationalId, "身份證號"),
        (CaseField::Relation, "與當事人關係"),
        (CaseField::Unit, "調閱單位"),
        (CaseField::Cameras, "監錄系統地點"),
        (CaseField::Window, "調閱監視畫面時段"),
    ] {
        let f = annex1.field(field).unwrap();
        assert!(f.required && f.label_zh == label, "{field:?}: {f:?}");
    }
    let boxes: Vec<&str> = annex1.signatures.iter().map(|b| b.label_zh.as_str()).collect();
    assert_eq!(
        boxes,
        [
            "申請人",
            "監錄系統管理承辦人",
            "監錄系統管理處室主管",
            "專案小組",
            "校（園）長／負責人"
        ]
    );
    assert!(
        annex1
            .undertaking_zh
            .as_deref()
            .unwrap()
            .contains("不得另行複製傳閱散佈播放")
    );

    let wanhua = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
    let annex3 = wanhua.application_form(ApplicantKind::Staff).unwrap();
    assert_eq!(annex3.paper, ApplicationPaper::Wanhua004Annex3);
    assert!(
        annex3
            .field(CaseField::Viewer)
            .is_some_and(|f| f.required && f.label_zh == "閱覽人")
    );
    assert_eq!(annex3.field(CaseField::Unit).unwrap().label_zh, "申請課室");
    assert!(annex3.field(CaseField::NationalId).is_none() && annex3.field(CaseField::Phone).is_none());
    let boxes: Vec<&str> = annex3.signatures.iter().map(|b| b.label_zh.as_str()).collect();
    assert_eq!(
        boxes,
        [
            "申請人",
            "申請單位主管",
            "管理單位管理人",
            "管理單位主管",
            "秘書",
            "主任"
        ]
    );
    let annex2 = wanhua.application_form(ApplicantKind::Citizen).unwrap();
    assert!(annex2.field(CaseField::Relation).is_some_and(|f| f.required));
    let letter = wanhua.application_form(ApplicantKind::PublicAgency).unwrap();
    assert!(letter.field(CaseField::OfficerId).is_some_and(|f| !f.required));
}

#[test]
fn filing_is_checked_against_the_form_field_by_field() {
    for (id, profile, kind, form) in every_form() {
        let Some(form) = form else { continue };
        let mut fx = site(&id);
        let site_now = fx.history().current().unwrap();
        let (case, personal) = fx.case(kind, "manager");
        case.check_filing(&site_now, &profile, NOW)
            .unwrap_or_else(|e| panic!("{id} {kind:?}: the filled form: {e}"));
        personal.check_against(&form).unwrap();

        // Each required field left blank is refused, naming that field.
        for f in form.fields.iter().filter(|f| f.required) {
            if matches!(f.field, CaseField::Window | CaseField::Category) {
                continue; // always present in a case: checked by their own rules
            }
            let (mut case, mut personal) = (case.clone(), personal.clone());
            blank(&mut case, &mut personal, f.field);
            let err = if f.field.is_personal() {
                personal.check_against(&form).unwrap_err()
            } else {
                case.check_filing(&site_now, &profile, NOW).unwrap_err()
            };
            assert!(names(&err, f.field), "{id} {kind:?} {:?}: {err}", f.field);
            if !matches!(f.field, CaseField::Cameras) {
                assert!(
                    err.to_string().contains(&f.label_zh),
                    "{id} {kind:?}: says it as the form does: {err}"
                );
            }
        }

        // What the form does not ask is not kept.
        if form.field(CaseField::Viewer).is_none() {
            let mut extra = case.clone();
            extra.viewer = Some("某人".into());
            let err = extra.check_filing(&site_now, &profile, NOW).unwrap_err();
            assert!(names(&err, CaseField::Viewer), "{id} {kind:?}: {err}");
        }
        if form.field(CaseField::NationalId).is_none() {
            let mut extra = personal.clone();
            extra.national_id = Some("A123456789".into());
            let err = extra.check_against(&form).unwrap_err();
            assert!(names(&err, CaseField::NationalId), "{id} {kind:?}: {err}");
        }

        // The applicant signs wherever the form has their box (an agency
        // signs its own letter): unsigned, or signed where no one asks, is refused.
        let signs = form.signatures.iter().any(|b| b.signer == BoxSigner::Applicant);
        assert_eq!(signs, kind != ApplicantKind::PublicAgency, "{id} {kind:?}");
        let mut other = personal.clone();
        other.signature = if signs { None } else { Some("5c".repeat(32)) };
        let err = other.check_against(&form).unwrap_err();
        assert!(
            matches!(err, CoreError::Invalid { what: "signature", .. }),
            "{id} {kind:?}: {err}"
        );
    }
}

#[test]
fn a_letter_dated_after_today_or_on_no_real_day_is_refused() {
    let mut fx = site(WANHUA_HOUSEHOLD);
    let site_now = fx.history().current().unwrap();
    let (case, _) = fx.case(ApplicantKind::PublicAgency, "manager");
    for date in ["2099-01-01", "2024-02-30", "24-09-27", "2024-13-01", "民國113年"] {
        let mut bad = case.clone();
        bad.official_letter.as_mut().unwrap().date = date.into();
        let err = bad.check_filing(&site_now, &fx.profile, NOW).unwrap_err();
        assert!(names(&err, CaseField::LetterDate), "{date}: {err}");
    }
}

/// Cases filed before the viewer and the letter existed read as they were:
/// the fields are absent, and the hash the decisions signed is unchanged.
#[test]
fn a_case_stored_before_the_new_fields_reads_and_hashes_as_it_did() {
    let mut fx = site(KAOHSIUNG_KINDERGARTEN);
    let (case, _) = fx.case(ApplicantKind::GuardianOrStudent, "manager");
    assert!(case.viewer.is_none() && case.official_letter.is_none());
    let json = serde_json::to_value(&case).unwrap();
    assert!(json.get("viewer").is_none() && json.get("official_letter").is_none());

    // A document written as the earlier build wrote it: no such keys.
    let key = docs::DocKey::ApplicationCase(case.id.clone());
    let device = custos_core::signing::DeviceKey::from_seed(&[7; 32]).device_id();
    let mut doc = docs::open(&key, None, &device).unwrap();
    docs::put_entry(&mut doc, docs::CASE, docs::CURRENT, &case).unwrap();
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let (_, cases) = doc.get(automerge::ROOT, docs::CASE).unwrap().unwrap();
    let (_, stored) = doc.get(&cases, docs::CURRENT).unwrap().unwrap();
    for field in ["viewer", "official_letter"] {
        if doc.get(&stored, field).unwrap().is_some() {
            doc.delete(&stored, field).unwrap();
        }
    }
    let read: ApplicationCase = docs::get_entry(&doc, docs::CASE, docs::CURRENT).unwrap().unwrap();
    assert_eq!(read, case);
    assert_eq!(read.content_hash(), case.content_hash());
}
