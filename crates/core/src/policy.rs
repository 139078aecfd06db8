//! Policy profiles: the rules that differ between institutions. One site runs
//! one profile; every number a rule needs lives here, never as a literal in code.
//! The three seeds are built in (`seeds`); a site may also load a custom
//! profile (JSON).

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::roles::Role;
use crate::terms::{AccessKind, ApplicantKind, AttachmentKind, Category};

/// The first field of `given` (as a path) that `known`, the same value
/// read and written back by this build, does not have.
fn unknown_field(given: &serde_json::Value, known: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(name, value)| {
            let path = if at.is_empty() {
                name.clone()
            } else {
                format!("{at}.{name}")
            };
            match k.get(name) {
                None => Some(path),
                Some(known) => unknown_field(value, known, &path),
            }
        }),
        (Value::Array(g), Value::Array(k)) => g
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (g, k))| unknown_field(g, k, &format!("{at}[{i}]"))),
        _ => None,
    }
}

/// Roles every profile has; the others must be named in `extra_roles`.
pub const COMMON_ROLES: [Role; 4] = [Role::Manager, Role::Inspector, Role::Supervisor, Role::Head];

/// A site's rules. Profiles evolve: a value added later carries a serde
/// default equal to the seeds' (where the seeds agree), so an older site's
/// stored profile still reads; a field this build does not know is passed
/// over when a site's profile is read (a newer recorder's site on an older
/// phone), and refused only where a person writes a profile by hand
/// ([`PolicyProfile::from_json_strict`]: `init`, `profile check`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyProfile {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// The regulation the profile follows, for the record.
    pub source: String,
    pub retention: RetentionRule,
    pub inspection: InspectionRule,
    /// Who may see live pictures (004 §8(3)); never an applicant.
    pub live_view_roles: Vec<Role>,
    /// Roles this profile uses beyond [`COMMON_ROLES`].
    pub extra_roles: Vec<Role>,
    /// One rule per kind of applicant; a kind without a rule may not apply.
    pub applicants: Vec<ApplicantRule>,
    /// What happens to the footage shown in a viewing.
    pub after_viewing: AfterViewing,
    /// Days within which an application should be decided. No seed fixes
    /// one; 30 days is what other Taiwanese offices use.
    #[serde(default = "thirty_days")]
    pub decision_deadline_days: u32,
    /// Above this many minutes the filing screen warns that a window is
    /// longer than an incident needs (001 §6(3): 以事件發生時段為限). No seed
    /// fixes one; two hours covers an incident and its approach.
    #[serde(default = "two_hours")]
    pub window_warn_minutes: u32,
    /// 004 §5(3): the public list of camera locations is checked against the
    /// register at least every this many days (定期檢視; the seed fixes no
    /// period). `None`: the profile asks for no public notice, and nothing
    /// about one is raised.
    #[serde(default)]
    pub location_notice_check_days: Option<u32>,
    /// An approved application's filing hold keeps its window this many
    /// days past the decision deadline, for the viewing; then it lapses
    /// unless the head renews it. No seed fixes one.
    #[serde(default = "thirty_days")]
    pub viewing_deadline_days: u32,
    /// Viewed footage kept on record (001 §6(4)) is reviewed after this many
    /// days; then its hold lapses unless the head renews it.
    #[serde(default = "half_a_year")]
    pub viewed_review_days: u32,
    /// Footage exported for an agency's letter is held (basis
    /// `official_letter`, the letter's 文號) this many days, then reviewed
    /// by the head. No seed fixes one; half a year covers an investigation's
    /// first steps.
    #[serde(default = "half_a_year")]
    pub export_hold_days: u32,
    /// A renewal by the head keeps a hold this many days from the renewal.
    #[serde(default = "a_quarter")]
    pub hold_renewal_days: u32,
    /// The recorder raises a notice this many days before a hold lapses.
    #[serde(default = "a_week")]
    pub hold_lapse_warning_days: u32,
    /// Who may accompany an applicant's viewing and open it on their
    /// tablet (001 §6(2) 陪同; 002 §8: the unit's staff). The seeds name the
    /// staff handling the system: the manager.
    #[serde(default = "managers")]
    pub escort_roles: Vec<Role>,
    /// A viewing session ends this many minutes after it opened, and after
    /// this many minutes without a frame asked for. No seed fixes either;
    /// an hour covers a two-hour window scrubbed, ten minutes a pause.
    #[serde(default = "an_hour")]
    pub viewing_session_minutes: u32,
    #[serde(default = "ten_minutes")]
    pub viewing_idle_minutes: u32,
    /// Who must be told at once of a major or abnormal case (大湖 §10: 政風室).
    #[serde(default)]
    pub notify_on_major: Option<Role>,
    /// Who may read an application's personal data (national ID, phone).
    pub personal_data_roles: Vec<Role>,
    /// Registers (applications, logbook, inspections) are kept at least this
    /// many days (every seed: one year).
    #[serde(default = "one_year")]
    pub registers_kept_days: u32,
}

fn managers() -> Vec<Role> {
    vec![Role::Manager]
}

fn an_hour() -> u32 {
    60
}

fn ten_minutes() -> u32 {
    10
}

fn thirty_days() -> u32 {
    30
}

fn two_hours() -> u32 {
    120
}

fn half_a_year() -> u32 {
    180
}

fn a_quarter() -> u32 {
    90
}

fn a_week() -> u32 {
    7
}

fn one_year() -> u32 {
    365
}

/// Two-sided retention of footage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    /// Footage younger than this is never deleted (001 §5(3): 14 days;
    /// 004 §7(1): one month, kept as 31 days). `None`: the regulation names no
    /// floor and the site must set one (大湖).
    pub floor_days: Option<u32>,
    /// Footage older than this is destroyed unless a hold covers it
    /// (001 §5(4), 004 §7(2): within one year).
    pub ceiling_days: u32,
}

/// A profile's retention with the floor known: what the recorder enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EffectiveRetention {
    pub floor_days: u32,
    pub ceiling_days: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionRule {
    pub frequency: InspectionFrequency,
    /// The role that countersigns each check (萬華 檢查日誌: 單位主管核章).
    pub countersign_by: Option<Role>,
}

/// The paper form a month's checks are printed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PaperForm {
    /// 001 附件3 監視錄影系統檢查及保養紀錄.
    Kaohsiung001,
    /// 004 附件1 檢查日誌, with a column for the supervisor's 核章.
    Wanhua004,
}

impl InspectionRule {
    /// Where checks are countersigned, the form with the column for it
    /// (004 附件1); otherwise 001 附件3, which the other seeds can use.
    pub fn paper_form(&self) -> PaperForm {
        match self.countersign_by {
            Some(_) => PaperForm::Wanhua004,
            None => PaperForm::Kaohsiung001,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "days")]
pub enum InspectionFrequency {
    /// 每日巡檢 (004 §6).
    Daily,
    /// 定期檢查 (001 §8(1)) every so many days.
    EveryDays(u32),
    /// 隨時檢查 (002 §6(2)): no fixed schedule.
    Anytime,
}

/// Who may apply, with what, through which approvals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantRule {
    pub applicant: ApplicantKind,
    /// Attachments that must be present (報案證明, 公文).
    pub required_attachments: Vec<AttachmentKind>,
    /// 004 §8(5)2(2): staff whose matter has gone to court must come through
    /// an agency's letter instead.
    pub refuse_if_in_court: bool,
    /// What may be asked for: view always; copy or photograph where allowed.
    pub allowed_kinds: Vec<AccessKind>,
    /// The categories this applicant may cite; empty means any.
    pub categories: Vec<Category>,
    /// The approvals, in the order the form lists them; the last step is the
    /// final decision.
    pub approval: Vec<ApprovalStep>,
    /// The paper form the application is made on (`application_form`).
    #[serde(default)]
    pub form: ApplicationPaper,
}

/// The paper forms applications are made on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ApplicationPaper {
    /// 001 附件1 監視錄影系統監錄資料調閱申請單.
    Kaohsiung001Annex1,
    /// 004 附件2 錄影監視系統調閱申請書 (民眾).
    Wanhua004Annex2,
    /// 004 附件3 錄影監視系統調閱申請書(所內).
    Wanhua004Annex3,
    /// 002 §8 申請表.
    Dahu002Table,
    /// An agency's official letter (公文).
    OfficialLetter,
    /// A site's own profile that names no form.
    #[default]
    Generic,
}

/// One step of an approval chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ApprovalStep {
    /// One signature by a person holding any of these roles, of the unit
    /// the step names.
    Sign {
        roles: Vec<Role>,
        #[serde(default, skip_serializing_if = "SignerUnit::is_any")]
        unit: SignerUnit,
    },
    /// 專案小組: every required role casts at least one vote, and the
    /// majority of the votes cast decides (001 §6(2) and its last paragraph).
    Committee { required: Vec<Role> },
}

/// Whose unit the signer of a step belongs to, as the site register says
/// (004 附件3: 申請單位主管, 管理單位主管).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "of", content = "step")]
pub enum SignerUnit {
    /// Any unit.
    #[default]
    Any,
    /// The unit the case names for the applicant (申請單位).
    Applicants,
    /// The unit of whoever signed that earlier step (管理單位: the 管理人's).
    SameAsStep(u32),
}

impl SignerUnit {
    pub fn is_any(&self) -> bool {
        *self == SignerUnit::Any
    }
}

impl ApprovalStep {
    /// A signature by any of `roles`, of any unit.
    pub fn sign(roles: &[Role]) -> ApprovalStep {
        ApprovalStep::Sign {
            roles: roles.to_vec(),
            unit: SignerUnit::Any,
        }
    }

    pub fn roles(&self) -> &[Role] {
        match self {
            ApprovalStep::Sign { roles, .. } => roles,
            ApprovalStep::Committee { required } => required,
        }
    }

    /// The unit the signer must belong to (any, for a committee).
    pub fn unit(&self) -> SignerUnit {
        match self {
            ApprovalStep::Sign { unit, .. } => *unit,
            ApprovalStep::Committee { .. } => SignerUnit::Any,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterViewing {
    /// 001 §6(4): keep a copy of the viewed footage on record (a hold) until
    /// it is no longer needed.
    KeepOnRecord,
    /// 004 §7(3): copies made for the viewing are destroyed right after.
    DestroyTemporaryCopies,
    /// Nothing beyond ordinary retention.
    Nothing,
}

impl PolicyProfile {
    /// A site's profile as stored (the site register): fields this build
    /// does not know are passed over, values it lacks take their defaults.
    pub fn from_json(text: &str) -> Result<PolicyProfile, CoreError> {
        let profile: PolicyProfile =
            serde_json::from_str(text).map_err(|e| CoreError::invalid("policy profile", e.to_string()))?;
        profile.validate()?;
        Ok(profile)
    }

    /// A profile a person wrote (`init --profile FILE`, `profile check`):
    /// as [`PolicyProfile::from_json`], and a field this build does not
    /// know is refused, naming it, so a misspelt rule is not silently lost.
    pub fn from_json_strict(text: &str) -> Result<PolicyProfile, CoreError> {
        let given: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CoreError::invalid("policy profile", e.to_string()))?;
        let profile = PolicyProfile::from_json(text)?;
        let known = serde_json::to_value(&profile).expect("profile serialises");
        if let Some(path) = unknown_field(&given, &known, "") {
            return Err(CoreError::invalid(
                "policy profile",
                format!("{path} is not a field of a profile (misspelt, or for a newer Custos)"),
            ));
        }
        Ok(profile)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("profile serialises")
    }

    /// The profile a site runs, with the floor it set where the profile has none.
    pub fn with_floor(mut self, floor_days: Option<u32>) -> Result<PolicyProfile, CoreError> {
        if let Some(days) = floor_days {
            if let Some(fixed) = self.retention.floor_days
                && days < fixed
            {
                return Err(CoreError::Policy(format!(
                    "the {} profile keeps footage at least {fixed} days; a floor of {days} days would break it",
                    self.id
                )));
            }
            self.retention.floor_days = Some(days);
        }
        self.validate()?;
        Ok(self)
    }

    /// Retention with its floor known, or an error a site can act on.
    pub fn effective_retention(&self) -> Result<EffectiveRetention, CoreError> {
        match self.retention.floor_days {
            Some(floor_days) => Ok(EffectiveRetention {
                floor_days,
                ceiling_days: self.retention.ceiling_days,
            }),
            None => Err(CoreError::Policy(format!(
                "the {} profile names no retention floor: the site must set one (for example --floor-days 30)",
                self.id
            ))),
        }
    }

    pub fn roles(&self) -> impl Iterator<Item = Role> + '_ {
        COMMON_ROLES.into_iter().chain(self.extra_roles.iter().copied())
    }

    pub fn uses_role(&self, role: Role) -> bool {
        self.roles().any(|r| r == role)
    }

    pub fn applicant_rule(&self, kind: ApplicantKind) -> Option<&ApplicantRule> {
        self.applicants.iter().find(|r| r.applicant == kind)
    }

    /// The approvals an application of this applicant goes through, in
    /// order (none where the profile accepts no such applicant).
    pub fn approval_chain(&self, kind: ApplicantKind) -> &[ApprovalStep] {
        self.applicant_rule(kind).map(|r| r.approval.as_slice()).unwrap_or(&[])
    }

    /// Rejects profiles that could not be enforced: no floor of zero, a
    /// ceiling past one year or below the floor, chains without a final
    /// signature, roles the profile does not use.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |why: String| Err(CoreError::invalid("policy profile", format!("{}: {why}", self.id)));
        if self.id.trim().is_empty() {
            return bad("the id is empty".into());
        }
        let r = self.retention;
        if r.floor_days == Some(0) {
            return bad("a retention floor of 0 days would allow deleting everything; set at least 1".into());
        }
        if r.ceiling_days == 0 || r.ceiling_days > 366 {
            return bad(format!(
                "ceiling of {} days: footage must be destroyed within one year",
                r.ceiling_days
            ));
        }
        if let Some(floor) = r.floor_days
            && floor > r.ceiling_days
        {
            return bad(format!(
                "floor {floor} days is above the ceiling {} days",
                r.ceiling_days
            ));
        }
        if let InspectionFrequency::EveryDays(0) = self.inspection.frequency {
            return bad("inspection every 0 days".into());
        }
        if self.decision_deadline_days == 0 {
            return bad("a decision deadline of 0 days".into());
        }
        let hold_days = [
            self.viewing_deadline_days,
            self.viewed_review_days,
            self.hold_renewal_days,
            self.export_hold_days,
        ];
        if hold_days.iter().any(|d| !(1..=366).contains(d)) {
            return bad("hold periods (viewing deadline, viewed review, renewal, export) of 1 to 366 days".into());
        }
        if self.location_notice_check_days.is_some_and(|d| !(1..=366).contains(&d)) {
            return bad("the public notice is checked every 1 to 366 days".into());
        }
        if self.registers_kept_days < 365 {
            return bad("registers must be kept at least one year".into());
        }
        if self.escort_roles.is_empty() {
            return bad("someone must be able to accompany a viewing (escort_roles)".into());
        }
        if self.viewing_idle_minutes == 0 || self.viewing_idle_minutes > self.viewing_session_minutes {
            return bad("a viewing's idle limit is between 1 minute and its time limit".into());
        }
        if self.viewing_session_minutes > 8 * 60 {
            return bad("a viewing session lasts at most 8 hours".into());
        }
        let mut used: Vec<Role> = self.live_view_roles.clone();
        used.extend(self.escort_roles.iter().copied());
        used.extend(self.inspection.countersign_by);
        used.extend(self.notify_on_major);
        used.extend(self.personal_data_roles.iter().copied());
        for (i, rule) in self.applicants.iter().enumerate() {
            if self.applicants[..i].iter().any(|r| r.applicant == rule.applicant) {
                return bad(format!("two rules for {:?}", rule.applicant));
            }
            let Some(ApprovalStep::Sign { .. }) = rule.approval.last() else {
                return bad(format!(
                    "the {:?} chain must end with a signed final decision",
                    rule.applicant
                ));
            };
            if !rule.allowed_kinds.contains(&AccessKind::View) {
                return bad(format!("{:?} may not even view", rule.applicant));
            }
            // A role in two steps is told apart by the unit each names.
            let mut seen: Vec<(Role, SignerUnit)> = Vec::new();
            for (i, step) in rule.approval.iter().enumerate() {
                if step.roles().is_empty() {
                    return bad(format!("a step of the {:?} chain names no role", rule.applicant));
                }
                if let SignerUnit::SameAsStep(k) = step.unit()
                    && !matches!(rule.approval.get(k as usize), Some(ApprovalStep::Sign { .. }) if (k as usize) < i)
                {
                    return bad(format!(
                        "step {i} of the {:?} chain names the unit of step {k}, which is not a signed step before it",
                        rule.applicant
                    ));
                }
                for role in step.roles() {
                    if seen
                        .iter()
                        .any(|(r, u)| r == role && (u.is_any() || step.unit().is_any()))
                    {
                        return bad(format!(
                            "{} appears in two steps of the {:?} chain that no unit tells apart",
                            role.as_str(),
                            rule.applicant
                        ));
                    }
                    seen.push((*role, step.unit()));
                }
            }
            let seen: Vec<Role> = seen.into_iter().map(|(r, _)| r).collect();
            used.extend(seen);
        }
        if let Some(role) = used.into_iter().find(|r| !self.uses_role(*r)) {
            return bad(format!("role {} is used but not listed in extra_roles", role.as_str()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::{DAHU_OFFICE, KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};

    #[test]
    fn unenforceable_custom_profiles_are_refused() {
        let mut p = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        p.retention.ceiling_days = 800;
        assert!(p.validate().is_err());
        let mut p = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
        p.extra_roles.clear();
        assert!(p.validate().unwrap_err().to_string().contains("committee_staff"));
        let mut p = PolicyProfile::builtin(DAHU_OFFICE).unwrap();
        p.applicants[0].approval = vec![ApprovalStep::Committee {
            required: vec![Role::Head],
        }];
        assert!(p.validate().is_err());
        assert!(PolicyProfile::from_json("{\"id\": \"x\"}").is_err());
    }

    /// A role may sign two steps of a chain only where each names a unit
    /// (004 附件3's two supervisors); a unit may only point back.
    #[test]
    fn a_role_in_two_steps_needs_a_unit_to_tell_them_apart() {
        let wanhua = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        wanhua.validate().unwrap();
        let staff = wanhua
            .applicants
            .iter()
            .position(|r| r.applicant == ApplicantKind::Staff)
            .unwrap();
        let mut p = wanhua.clone();
        p.applicants[staff].approval[2] = ApprovalStep::sign(&[Role::Supervisor]);
        assert!(p.validate().unwrap_err().to_string().contains("no unit tells apart"));
        let mut p = wanhua.clone();
        p.applicants[staff].approval[2] = ApprovalStep::Sign {
            roles: vec![Role::Supervisor],
            unit: SignerUnit::SameAsStep(3),
        };
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("not a signed step before it")
        );
        // Written out and read back, the units stay; a step without one says nothing of it.
        let json = serde_json::to_value(&wanhua).unwrap();
        let chain = &json["applicants"][staff]["approval"];
        assert_eq!(chain[0]["unit"], serde_json::json!({ "of": "applicants" }));
        assert_eq!(chain[2]["unit"], serde_json::json!({ "of": "same_as_step", "step": 1 }));
        assert!(chain[1].get("unit").is_none());
        assert_eq!(PolicyProfile::from_json(&json.to_string()).unwrap(), wanhua);
    }

    #[test]
    fn a_site_reads_a_newer_profile_and_only_a_hand_written_one_is_held_to_known_fields() {
        let seed = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        let mut newer: serde_json::Value = serde_json::to_value(&seed).unwrap();
        newer["future_rule"] = serde_json::json!({ "days": 3 });
        newer["inspection"]["photo_required"] = serde_json::json!(true);
        let text = newer.to_string();
        assert_eq!(PolicyProfile::from_json(&text).unwrap(), seed, "a site's profile reads");
        let err = PolicyProfile::from_json_strict(&text).unwrap_err().to_string();
        assert!(err.contains("future_rule"), "{err}");
        let mut nested = serde_json::to_value(&seed).unwrap();
        nested["applicants"][1]["approvel"] = serde_json::json!([]);
        let err = PolicyProfile::from_json_strict(&nested.to_string())
            .unwrap_err()
            .to_string();
        assert!(err.contains("applicants[1].approvel"), "{err}");
        PolicyProfile::from_json_strict(&seed.to_json()).unwrap();
    }

    #[test]
    fn an_older_profile_without_the_later_values_takes_the_seeds_defaults() {
        let seed = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
        let mut older = serde_json::to_value(&seed).unwrap();
        for later in ["decision_deadline_days", "registers_kept_days", "notify_on_major"] {
            older.as_object_mut().unwrap().remove(later);
        }
        assert_eq!(PolicyProfile::from_json(&older.to_string()).unwrap(), seed);
    }
}
