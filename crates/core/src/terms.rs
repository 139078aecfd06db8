//! The shared words of the forms: who applies (申請人), what for (調閱事由),
//! what is asked (調閱 / 複製 / 翻攝) and what is attached. The profiles, the
//! application register and the logbook all speak them, so they sit below
//! all three.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// 申請人: the kinds of applicant the seeds name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// 編制內之教職員工 / 本所同仁: staff.
    #[autosurgeon(rename = "staff")]
    Staff,
    /// 學生、監護人及法定代理人: students, guardians and legal representatives.
    #[autosurgeon(rename = "guardian_or_student")]
    GuardianOrStudent,
    /// 一般民眾 / 當事人或利害關係人: citizens.
    #[autosurgeon(rename = "citizen")]
    Citizen,
    /// 公務機關 (by official letter, 公文).
    #[autosurgeon(rename = "public_agency")]
    PublicAgency,
}

/// 調閱事由: kindergarten categories from 001 §6(2), office ones from 002 §7 and 004 §8(5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 疑似不當對待事件
    #[autosurgeon(rename = "suspected_improper_treatment")]
    SuspectedImproperTreatment,
    /// 性別事件
    #[autosurgeon(rename = "gender_incident")]
    GenderIncident,
    /// 職場霸凌事件
    #[autosurgeon(rename = "workplace_bullying")]
    WorkplaceBullying,
    /// 執行職務遭受不法侵害事件
    #[autosurgeon(rename = "unlawful_harm_at_work")]
    UnlawfulHarmAtWork,
    /// 意外事故
    #[autosurgeon(rename = "accident")]
    Accident,
    /// 涉及個人權益維護必要之事項
    #[autosurgeon(rename = "personal_rights")]
    PersonalRights,
    /// 財物遺失、損害
    #[autosurgeon(rename = "loss_or_damage")]
    LossOrDamage,
    /// 櫃檯爭議
    #[autosurgeon(rename = "counter_dispute")]
    CounterDispute,
    /// 人員安全、危安事件
    #[autosurgeon(rename = "safety")]
    Safety,
    /// 犯罪嫌疑或其他違法行為、民刑事案件
    #[autosurgeon(rename = "crime_or_lawsuit")]
    CrimeOrLawsuit,
    /// 公務需要
    #[autosurgeon(rename = "official_duty")]
    OfficialDuty,
    /// 其他
    #[autosurgeon(rename = "other")]
    Other,
}

/// 資料處理方式: 調閱 (view), 複製 (copy), 翻攝 (photograph).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    #[autosurgeon(rename = "view")]
    View,
    #[autosurgeon(rename = "copy")]
    Copy,
    #[autosurgeon(rename = "photograph")]
    Photograph,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// 報案證明文件 (004 §8(5)1(1)).
    #[autosurgeon(rename = "police_report")]
    PoliceReport,
    /// 公文, with its 文號 (001 §6(1), 002 §9, 004 §8(5)3).
    #[autosurgeon(rename = "official_letter")]
    OfficialLetter,
    #[autosurgeon(rename = "other")]
    Other,
}
