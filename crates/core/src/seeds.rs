//! The three seed regulations as built-in profiles: 高雄市教保服務機構
//! (seed 001), 大湖鄉公所 (seed 002) and 臺北市萬華區戶政事務所 (seed 004).
//! Every number comes from the seed it names; where a seed is silent the
//! comment says what was chosen and why.

use crate::policy::{
    AfterViewing, ApplicantRule, ApplicationPaper, ApprovalStep, InspectionFrequency, InspectionRule, PolicyProfile,
    RetentionRule, SignerUnit,
};
use crate::roles::Role;
use crate::terms::{AccessKind, ApplicantKind, AttachmentKind, Category};

pub const KAOHSIUNG_KINDERGARTEN: &str = "kaohsiung-kindergarten";
pub const DAHU_OFFICE: &str = "dahu-office";
pub const WANHUA_HOUSEHOLD: &str = "wanhua-household";
pub const BUILTIN_PROFILES: [&str; 3] = [KAOHSIUNG_KINDERGARTEN, DAHU_OFFICE, WANHUA_HOUSEHOLD];

impl PolicyProfile {
    /// A built-in profile by id.
    pub fn builtin(id: &str) -> Option<PolicyProfile> {
        match id {
            KAOHSIUNG_KINDERGARTEN => Some(kaohsiung()),
            DAHU_OFFICE => Some(dahu()),
            WANHUA_HOUSEHOLD => Some(wanhua()),
            _ => None,
        }
    }
}

/// 高雄市教保服務機構監視錄影系統設置管理及運用實施要點 (seed 001).
fn kaohsiung() -> PolicyProfile {
    use Category::*;
    let kindergarten_categories = vec![
        SuspectedImproperTreatment,
        GenderIncident,
        WorkplaceBullying,
        UnlawfulHarmAtWork,
        Accident,
        PersonalRights,
    ];
    // 附件1 lists 承辦人, 處室主管, 校(園)長; §6(2) adds the 專案小組 review.
    let member_chain = vec![
        ApprovalStep::sign(&[Role::Manager]),
        ApprovalStep::sign(&[Role::Supervisor]),
        ApprovalStep::Committee {
            required: vec![Role::CommitteeStaff, Role::CommitteeParent],
        },
        ApprovalStep::sign(&[Role::Head]),
    ];
    let member = |applicant| ApplicantRule {
        applicant,
        required_attachments: vec![],
        refuse_if_in_court: false,
        // §6(2): 不得翻攝及複製.
        allowed_kinds: vec![AccessKind::View],
        categories: kindergarten_categories.clone(),
        approval: member_chain.clone(),
        form: ApplicationPaper::Kaohsiung001Annex1,
    };
    PolicyProfile {
        id: KAOHSIUNG_KINDERGARTEN.into(),
        name_zh: "高雄市教保服務機構".into(),
        name_en: "Kaohsiung kindergarten".into(),
        source: "高雄市政府教育局 教保服務機構監視錄影系統設置管理及運用實施要點".into(),
        retention: RetentionRule {
            floor_days: Some(14),
            ceiling_days: 365,
        },
        // §8(1) says 定期 without a period: weekly unless the site decides otherwise.
        inspection: InspectionRule {
            frequency: InspectionFrequency::EveryDays(7),
            countersign_by: None,
        },
        live_view_roles: vec![Role::Manager, Role::Head],
        extra_roles: vec![Role::CommitteeStaff, Role::CommitteeParent],
        applicants: vec![
            member(ApplicantKind::Staff),
            member(ApplicantKind::GuardianOrStudent),
            ApplicantRule {
                applicant: ApplicantKind::PublicAgency,
                // §6(1): 以公文載明法令依據、調閱目的、範圍及用途; 得複製、利用.
                required_attachments: vec![AttachmentKind::OfficialLetter],
                refuse_if_in_court: false,
                allowed_kinds: vec![AccessKind::View, AccessKind::Copy],
                categories: vec![],
                approval: vec![ApprovalStep::sign(&[Role::Head])],
                form: ApplicationPaper::OfficialLetter,
            },
        ],
        after_viewing: AfterViewing::KeepOnRecord,
        decision_deadline_days: 30,
        window_warn_minutes: 120,
        viewing_deadline_days: 30,
        escort_roles: vec![Role::Manager],
        viewing_session_minutes: 60,
        viewing_idle_minutes: 10,
        viewed_review_days: 180,
        export_hold_days: 180,
        hold_renewal_days: 90,
        hold_lapse_warning_days: 7,
        location_notice_check_days: None,
        notify_on_major: None,
        personal_data_roles: vec![Role::Manager, Role::Head],
        registers_kept_days: 365,
    }
}

/// 大湖鄉公所內部監視系統管理作業要點 (seed 002).
fn dahu() -> PolicyProfile {
    let head = || vec![ApprovalStep::sign(&[Role::Head, Role::Delegate])];
    // §8: 同仁或一般民眾 ... 調閱 (view) after the head or delegate approves.
    let person = |applicant| ApplicantRule {
        applicant,
        required_attachments: vec![],
        refuse_if_in_court: false,
        allowed_kinds: vec![AccessKind::View],
        categories: vec![],
        approval: head(),
        form: ApplicationPaper::Dahu002Table,
    };
    PolicyProfile {
        id: DAHU_OFFICE.into(),
        name_zh: "大湖鄉公所".into(),
        name_en: "Dahu township office".into(),
        source: "大湖鄉公所內部監視系統管理作業要點".into(),
        // The rules name no floor: the site sets one at init.
        retention: RetentionRule {
            floor_days: None,
            ceiling_days: 365,
        },
        inspection: InspectionRule {
            frequency: InspectionFrequency::Anytime,
            countersign_by: None,
        },
        live_view_roles: vec![Role::Manager, Role::Head],
        extra_roles: vec![Role::Delegate, Role::Auditor],
        applicants: vec![
            person(ApplicantKind::Staff),
            person(ApplicantKind::Citizen),
            ApplicantRule {
                applicant: ApplicantKind::PublicAgency,
                // §9: 正式公文附具申請表; §2(3) 保存 = copy or photograph.
                required_attachments: vec![AttachmentKind::OfficialLetter],
                refuse_if_in_court: false,
                allowed_kinds: vec![AccessKind::View, AccessKind::Copy, AccessKind::Photograph],
                categories: vec![],
                approval: head(),
                form: ApplicationPaper::OfficialLetter,
            },
        ],
        after_viewing: AfterViewing::Nothing,
        decision_deadline_days: 30,
        window_warn_minutes: 120,
        viewing_deadline_days: 30,
        escort_roles: vec![Role::Manager],
        viewing_session_minutes: 60,
        viewing_idle_minutes: 10,
        viewed_review_days: 180,
        export_hold_days: 180,
        hold_renewal_days: 90,
        hold_lapse_warning_days: 7,
        location_notice_check_days: None,
        notify_on_major: Some(Role::Auditor),
        personal_data_roles: vec![Role::Manager, Role::Head, Role::Delegate],
        registers_kept_days: 365,
    }
}

/// 臺北市萬華區戶政事務所錄影監視系統管理暨影音資料處理利用作業規範 (seed 004).
fn wanhua() -> PolicyProfile {
    let head = || vec![ApprovalStep::sign(&[Role::Head, Role::Delegate])];
    PolicyProfile {
        id: WANHUA_HOUSEHOLD.into(),
        name_zh: "臺北市萬華區戶政事務所".into(),
        name_en: "Wanhua household registration office".into(),
        source: "臺北市萬華區戶政事務所錄影監視系統管理暨影音資料處理利用作業規範".into(),
        retention: RetentionRule {
            floor_days: Some(31),
            ceiling_days: 365,
        },
        inspection: InspectionRule {
            frequency: InspectionFrequency::Daily,
            countersign_by: Some(Role::Supervisor),
        },
        live_view_roles: vec![Role::Head, Role::Delegate, Role::Manager],
        extra_roles: vec![Role::Delegate, Role::Secretary],
        applicants: vec![
            ApplicantRule {
                applicant: ApplicantKind::Citizen,
                // §8(5)1(1): 持憑報案證明文件; (2): 不得拍攝及申請複製.
                required_attachments: vec![AttachmentKind::PoliceReport],
                refuse_if_in_court: false,
                allowed_kinds: vec![AccessKind::View],
                categories: vec![],
                approval: head(),
                form: ApplicationPaper::Wanhua004Annex2,
            },
            ApplicantRule {
                applicant: ApplicantKind::Staff,
                // 附件3 (所內): 申請單位 (申請人, 主管) → 管理單位 (管理人, 主管) → 秘書 → 主任.
                required_attachments: vec![],
                refuse_if_in_court: true,
                allowed_kinds: vec![AccessKind::View],
                categories: vec![],
                approval: vec![
                    // 申請單位主管: a supervisor of the applicant's section.
                    ApprovalStep::Sign {
                        roles: vec![Role::Supervisor],
                        unit: SignerUnit::Applicants,
                    },
                    // 管理單位 管理人, then its 主管: a supervisor of the 管理人's section.
                    ApprovalStep::sign(&[Role::Manager]),
                    ApprovalStep::Sign {
                        roles: vec![Role::Supervisor],
                        unit: SignerUnit::SameAsStep(1),
                    },
                    ApprovalStep::sign(&[Role::Secretary]),
                    ApprovalStep::sign(&[Role::Head]),
                ],
                form: ApplicationPaper::Wanhua004Annex3,
            },
            ApplicantRule {
                applicant: ApplicantKind::PublicAgency,
                // §8(4), §8(5)3: copies only for public agencies, with reasons, once approved.
                required_attachments: vec![AttachmentKind::OfficialLetter],
                refuse_if_in_court: false,
                allowed_kinds: vec![AccessKind::View, AccessKind::Copy],
                categories: vec![],
                approval: head(),
                form: ApplicationPaper::OfficialLetter,
            },
        ],
        after_viewing: AfterViewing::DestroyTemporaryCopies,
        decision_deadline_days: 30,
        window_warn_minutes: 120,
        viewing_deadline_days: 30,
        escort_roles: vec![Role::Manager],
        viewing_session_minutes: 60,
        viewing_idle_minutes: 10,
        viewed_review_days: 180,
        export_hold_days: 180,
        hold_renewal_days: 90,
        hold_lapse_warning_days: 7,
        // 004 §5(3) 定期檢視: no period in the seed; once a quarter.
        location_notice_check_days: Some(90),
        notify_on_major: None,
        personal_data_roles: vec![Role::Manager, Role::Head, Role::Delegate],
        registers_kept_days: 365,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::EffectiveRetention;

    #[test]
    fn builtins_are_valid_and_round_trip_through_json() {
        for id in BUILTIN_PROFILES {
            let p = PolicyProfile::builtin(id).unwrap();
            p.validate().unwrap();
            assert_eq!(PolicyProfile::from_json(&p.to_json()).unwrap(), p);
        }
    }

    #[test]
    fn seed_numbers_are_in_the_profiles() {
        let k = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
        assert_eq!(
            k.effective_retention().unwrap(),
            EffectiveRetention {
                floor_days: 14,
                ceiling_days: 365
            }
        );
        let w = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        assert_eq!(w.effective_retention().unwrap().floor_days, 31);
        assert_eq!(w.inspection.frequency, InspectionFrequency::Daily);
        assert!(!w.live_view_roles.is_empty());
        assert!(w.applicant_rule(ApplicantKind::GuardianOrStudent).is_none());
        let d = PolicyProfile::builtin(DAHU_OFFICE).unwrap();
        assert_eq!(d.notify_on_major, Some(Role::Auditor));
    }

    #[test]
    fn dahu_needs_a_floor_set_by_the_site() {
        let d = PolicyProfile::builtin(DAHU_OFFICE).unwrap();
        let err = d.effective_retention().unwrap_err();
        assert!(err.to_string().contains("--floor-days"), "{err}");
        let set = d.with_floor(Some(30)).unwrap();
        assert_eq!(set.effective_retention().unwrap().floor_days, 30);
    }

    #[test]
    fn a_site_cannot_lower_a_regulated_floor_or_set_zero() {
        let w = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        assert!(w.clone().with_floor(Some(14)).is_err());
        assert!(w.with_floor(Some(60)).is_ok());
        let d = PolicyProfile::builtin(DAHU_OFFICE).unwrap();
        assert!(d.clone().with_floor(Some(0)).is_err());
        assert!(d.with_floor(Some(400)).is_err(), "a floor above the one-year ceiling");
    }
}
