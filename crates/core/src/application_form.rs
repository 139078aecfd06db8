//! 申請單: what filing an application asks for, per profile and kind of
//! applicant. The paper form the profile names (001 附件1, 004 附件2 and
//! 附件3, 002's 申請表, or an agency's 公文) decides which fields there are,
//! what each is called on paper and which must be filled; the profile's
//! applicant rule adds the attachments, the kinds of access and the
//! categories; its approval chain gives the signature boxes. The filing
//! screen is built from this description and the recorder checks a filed
//! case against the same one ([`crate::application::ApplicationCase::check_filing`]).

use serde::{Deserialize, Serialize};

use crate::policy::{ApplicantRule, ApplicationPaper, ApprovalStep, PolicyProfile};
use crate::roles::Role;
use crate::terms::{AccessKind, ApplicantKind, AttachmentKind, Category};

/// A field of an application, by what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CaseField {
    /// 申請人 (for an agency: its name).
    ApplicantName,
    /// 身分證號: in the personal-data document.
    NationalId,
    /// 聯絡電話: in the personal-data document.
    Phone,
    /// 地址: in the personal-data document.
    Address,
    /// 與當事人關係.
    Relation,
    /// 調閱單位 / 申請課室.
    Unit,
    /// 閱覽人 (004 附件3).
    Viewer,
    /// 監錄系統地點: the cameras.
    Cameras,
    /// 調閱監視畫面時段.
    Window,
    /// 申請事由 / 申請原因 / 案由.
    Reason,
    /// The seed's category of incident.
    Category,
    /// 公文 文號 (001 §6(1), 002 §9, 004 §8(5)3).
    LetterNumber,
    /// 公文 發文日期.
    LetterDate,
    /// 法令依據.
    LegalBasis,
    /// 調閱目的.
    Purpose,
    /// 範圍.
    Scope,
    /// 用途.
    Use,
    /// 到場公務人員之身分證明文件 (004 §8(5)3(1)): in the personal-data document.
    OfficerId,
}

impl CaseField {
    /// The field's name in the API and in errors (as serde spells it).
    pub fn key(self) -> &'static str {
        match self {
            ApplicantName => "applicant_name",
            NationalId => "national_id",
            Phone => "phone",
            Address => "address",
            Relation => "relation",
            Unit => "unit",
            Viewer => "viewer",
            Cameras => "cameras",
            Window => "window",
            Reason => "reason",
            CaseField::Category => "category",
            LetterNumber => "letter_number",
            LetterDate => "letter_date",
            LegalBasis => "legal_basis",
            Purpose => "purpose",
            Scope => "scope",
            Use => "use",
            OfficerId => "officer_id",
        }
    }

    /// Whether the field is kept in the personal-data document, which fewer
    /// roles receive, rather than in the case.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            CaseField::NationalId | CaseField::Phone | CaseField::Address | CaseField::OfficerId
        )
    }
}

/// One field as the paper form has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FormField {
    pub field: CaseField,
    /// Its name on the form.
    pub label_zh: String,
    pub label_en: String,
    pub required: bool,
}

/// Who signs a box of the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "kind", content = "step")]
pub enum BoxSigner {
    /// The applicant, undertaking what the form's note says.
    Applicant,
    /// A step of the profile's approval chain, by its index.
    Step(u32),
}

/// A signature box of the form, in the order the form prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SignatureBox {
    pub signer: BoxSigner,
    pub label_zh: String,
    pub label_en: String,
    /// The roles that may sign it (empty for the applicant).
    pub roles: Vec<Role>,
    /// 專案小組: a vote of several members, printed as an annex.
    pub committee: bool,
}

/// What filing asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ApplicationForm {
    pub applicant: ApplicantKind,
    pub paper: ApplicationPaper,
    /// The form's title, as printed.
    pub title_zh: String,
    pub title_en: String,
    /// The fields the form has, in its order; a field not listed is not asked.
    pub fields: Vec<FormField>,
    /// Attachments that must come with it, each with its number.
    pub required_attachments: Vec<AttachmentKind>,
    /// What may be asked for: viewing always; copying or photographing where allowed.
    pub kinds: Vec<AccessKind>,
    /// The categories this applicant may cite; empty means any.
    pub categories: Vec<Category>,
    /// What the applicant undertakes by signing, as the form's note says it.
    pub undertaking_zh: Option<String>,
    pub signatures: Vec<SignatureBox>,
}

impl ApplicationForm {
    /// The field as this form has it, if it has it.
    pub fn field(&self, field: CaseField) -> Option<&FormField> {
        self.fields.iter().find(|f| f.field == field)
    }
}

impl PolicyProfile {
    /// The application form for one kind of applicant, or `None` where the
    /// profile does not accept applications from it.
    pub fn application_form(&self, applicant: ApplicantKind) -> Option<ApplicationForm> {
        let rule = self.applicant_rule(applicant)?;
        Some(form(rule))
    }
}

use CaseField::*;

/// The fields of each paper form: (field, 中文, English, required).
fn paper_fields(paper: ApplicationPaper) -> &'static [(CaseField, &'static str, &'static str, bool)] {
    match paper {
        // 001 附件1 監視錄影系統監錄資料調閱申請單; the category is §6(2)'s list.
        ApplicationPaper::Kaohsiung001Annex1 => &[
            (ApplicantName, "申請人", "Applicant", true),
            (NationalId, "身份證號", "National ID", true),
            (Phone, "聯絡電話", "Phone", true),
            (Relation, "與當事人關係", "Relation to the person concerned", true),
            (Unit, "調閱單位", "Unit", true),
            (Cameras, "監錄系統地點", "Cameras", true),
            (Window, "調閱監視畫面時段", "Time window", true),
            (CaseField::Category, "事件類別", "Kind of incident", true),
            (Reason, "申請事由", "Reason", true),
        ],
        // 004 附件2 調閱申請書 (民眾): the seed names it without its layout; §8(5)1(1)
        // asks for 當事人或利害關係人 with a police report.
        ApplicationPaper::Wanhua004Annex2 => &[
            (ApplicantName, "申請人", "Applicant", true),
            (NationalId, "身分證統一編號", "National ID", true),
            (Phone, "聯絡電話", "Phone", true),
            (Address, "地址", "Address", false),
            (Relation, "與當事人關係", "Relation to the person concerned", true),
            (Cameras, "監視器位置", "Cameras", true),
            (Window, "申請調閱日期/畫面", "Time window", true),
            (Reason, "申請原因", "Reason", true),
        ],
        // 004 附件3 調閱申請書(所內): no personal data on it.
        ApplicationPaper::Wanhua004Annex3 => &[
            (ApplicantName, "申請人", "Applicant", true),
            (Unit, "申請課室", "Section", true),
            (Viewer, "閱覽人", "Viewer", true),
            (Reason, "申請原因", "Reason", true),
            (Cameras, "監視器位置", "Cameras", true),
            (Window, "申請調閱日期/畫面", "Time window", true),
        ],
        // 002 §8 申請表 (如附表), 敘明具體事由: the seed names it without its layout.
        ApplicationPaper::Dahu002Table => &[
            (ApplicantName, "申請人", "Applicant", true),
            (NationalId, "身分證字號", "National ID", true),
            (Phone, "聯絡電話", "Phone", true),
            (Unit, "單位", "Unit", false),
            (Relation, "與當事人關係", "Relation to the person concerned", false),
            (Cameras, "監視器位置", "Cameras", true),
            (Window, "調閱時段", "Time window", true),
            (Reason, "具體事由", "Reason", true),
        ],
        // 001 §6(1): 以公文載明法令依據、調閱目的、範圍及用途; 004 §8(5)3(1): an
        // officer who comes shows an ID.
        ApplicationPaper::OfficialLetter => &[
            (ApplicantName, "申請機關", "Agency", true),
            (LetterNumber, "文號", "Letter number", true),
            (LetterDate, "發文日期", "Letter date", true),
            (LegalBasis, "法令依據", "Legal basis", true),
            (Purpose, "調閱目的", "Purpose", true),
            (Scope, "範圍", "Scope", true),
            (Use, "用途", "Use", true),
            (Unit, "承辦單位", "Handling unit", false),
            (Phone, "聯絡電話", "Phone", false),
            (OfficerId, "到場人員身分證明文件字號", "Officer's ID number", false),
            (Cameras, "監視器位置", "Cameras", true),
            (Window, "調閱時段", "Time window", true),
            (Reason, "案由", "Matter", true),
        ],
        // A site's own profile: what every seed's form asks.
        ApplicationPaper::Generic => &[
            (ApplicantName, "申請人", "Applicant", true),
            (NationalId, "身分證號", "National ID", true),
            (Phone, "聯絡電話", "Phone", true),
            (Relation, "與當事人關係", "Relation to the person concerned", false),
            (Unit, "單位", "Unit", false),
            (Cameras, "監視器位置", "Cameras", true),
            (Window, "調閱時段", "Time window", true),
            (Reason, "申請事由", "Reason", true),
        ],
    }
}

fn titles(paper: ApplicationPaper) -> (&'static str, &'static str) {
    match paper {
        ApplicationPaper::Kaohsiung001Annex1 => {
            ("監視錄影系統監錄資料調閱申請單", "Application to access CCTV footage")
        }
        ApplicationPaper::Wanhua004Annex2 => ("錄影監視系統調閱申請書", "Application to access CCTV footage"),
        ApplicationPaper::Wanhua004Annex3 => (
            "錄影監視系統調閱申請書(所內)",
            "Internal application to access CCTV footage",
        ),
        ApplicationPaper::Dahu002Table => ("監視錄影調閱申請表", "Application to access CCTV footage"),
        ApplicationPaper::OfficialLetter => ("機關調閱 (公文)", "Agency request (official letter)"),
        ApplicationPaper::Generic => ("監視錄影調閱申請", "Application to access CCTV footage"),
    }
}

/// What the applicant undertakes, as the form's note (or the seed) says it.
fn undertaking(paper: ApplicationPaper) -> Option<&'static str> {
    match paper {
        // 001 附件1, note 1.
        ApplicationPaper::Kaohsiung001Annex1 => Some(
            "影像資料僅供申請目的之使用，不得另行複製傳閱散佈播放，並應遵守「個人資料保護法」之規定，以維護當事人之隱私權益。若未遵守相關法律而衍生之爭議，由申請人自行負責。",
        ),
        // 004 §8(5)1(2).
        ApplicationPaper::Wanhua004Annex2 => Some("申請人於閱覽時不得拍攝及申請複製影音資料。"),
        // 002 §12.
        ApplicationPaper::Dahu002Table => Some(
            "申請人對所調閱之監視錄影內容，應予保密，嚴禁私自拷貝複製或任意公開散布，並應遵守「個人資料保護法」等相關規定，以維護當事人之隱私權益。",
        ),
        ApplicationPaper::Wanhua004Annex3 | ApplicationPaper::OfficialLetter | ApplicationPaper::Generic => None,
    }
}

/// The boxes of the approval chain as the form names them, where the
/// form's boxes and the profile's chain have the same steps.
fn step_labels(paper: ApplicationPaper) -> &'static [(&'static str, &'static str)] {
    match paper {
        ApplicationPaper::Kaohsiung001Annex1 => &[
            ("監錄系統管理承辦人", "Officer in charge"),
            ("監錄系統管理處室主管", "Head of the managing office"),
            ("專案小組", "Review committee"),
            ("校（園）長／負責人", "Principal"),
        ],
        ApplicationPaper::Wanhua004Annex3 => &[
            ("申請單位主管", "Head of the applicant's section"),
            ("管理單位管理人", "Officer of the managing section"),
            ("管理單位主管", "Head of the managing section"),
            ("秘書", "Secretary"),
            ("主任", "Director"),
        ],
        _ => &[],
    }
}

fn form(rule: &ApplicantRule) -> ApplicationForm {
    let paper = rule.form;
    let (title_zh, title_en) = titles(paper);
    let fields = paper_fields(paper)
        .iter()
        // The category is asked wherever the profile limits it.
        .filter(|(field, ..)| *field != CaseField::Category || !rule.categories.is_empty())
        .map(|&(field, zh, en, required)| FormField {
            field,
            label_zh: zh.into(),
            label_en: en.into(),
            required,
        })
        .collect();
    let undertaking_zh = undertaking(paper).map(str::to_string);
    let mut signatures = Vec::new();
    // An agency's letter is signed by its own hand, not on our form.
    if paper != ApplicationPaper::OfficialLetter {
        signatures.push(SignatureBox {
            signer: BoxSigner::Applicant,
            label_zh: "申請人".into(),
            label_en: "Applicant".into(),
            roles: vec![],
            committee: false,
        });
    }
    let labels = step_labels(paper);
    let named = labels.len() == rule.approval.len();
    for (i, step) in rule.approval.iter().enumerate() {
        let (label_zh, label_en) = if named {
            (labels[i].0.to_string(), labels[i].1.to_string())
        } else {
            let roles = step.roles();
            (
                roles.iter().map(|r| r.title_zh()).collect::<Vec<_>>().join("／"),
                roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" / "),
            )
        };
        signatures.push(SignatureBox {
            signer: BoxSigner::Step(i as u32),
            label_zh,
            label_en,
            roles: step.roles().to_vec(),
            committee: matches!(step, ApprovalStep::Committee { .. }),
        });
    }
    ApplicationForm {
        applicant: rule.applicant,
        paper,
        title_zh: title_zh.into(),
        title_en: title_en.into(),
        fields,
        required_attachments: rule.required_attachments.clone(),
        kinds: rule.allowed_kinds.clone(),
        categories: rule.categories.clone(),
        undertaking_zh,
        signatures,
    }
}
