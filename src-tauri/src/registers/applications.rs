//! 調閱申請單: filing and amending an application, deciding on it, and the
//! applications this device holds with their derived status.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use custos_core::application::{ApplicationCase, Attachment, OfficialLetter, PersonalData, ReplyLetter};
use custos_core::application::{Decision, DecisionDraft, DecisionEvent};
use custos_core::application_form::BoxSigner;
use custos_core::application_form::{ApplicationForm, CaseField};
use custos_core::documents::CURRENT;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{CameraId, EntryId, PersonId};
use custos_core::inspection::RecorderAlarm;
use custos_core::roles::Role;
use custos_core::terms::ApplicantKind;
use custos_core::terms::{AccessKind, Category};
use custos_core::time::{MinuteWindow, Timestamp};
use custos_core::workflow::{Derivation, IgnoreReason, Status, StepProgress, Turn, derive_status};
use serde::{Deserialize, Serialize};

use crate::store::{LocalStore, lock};

use super::common::{RegisterError, Result, Signer, site, site_history};

/// An application as the manager types it from the form; who filed it,
/// when, and the personal data's digest are added here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ApplicationDraft {
    pub applicant_kind: ApplicantKind,
    pub applicant_name: String,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub unit: String,
    pub cameras: Vec<CameraId>,
    /// Taipei wall-clock minutes, `YYYY-MM-DD HH:MM`, as the form asks.
    pub from: String,
    pub to: String,
    pub reason: String,
    pub category: Category,
    pub kinds: Vec<AccessKind>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub in_court: bool,
    #[serde(default)]
    pub major_or_abnormal: bool,
    /// 閱覽人, where the form asks (004 附件3).
    #[serde(default)]
    pub viewer: Option<String>,
    /// An agency's letter, where an agency applies.
    #[serde(default)]
    pub official_letter: Option<OfficialLetter>,
    #[serde(default)]
    pub national_id: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// The ID an agency's officer shows.
    #[serde(default)]
    pub officer_id: Option<String>,
    /// 申請人簽名: the SHA-256 of the applicant's drawn signature (taken
    /// as a photo), where the form has the applicant sign.
    #[serde(default)]
    pub signature: Option<String>,
}

/// A value as typed: trimmed, and none when blank.
fn typed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The case and the personal data a draft describes.
fn case_from_draft(
    draft: ApplicationDraft,
    id: EntryId,
    filed_by: PersonId,
    filed_at: Timestamp,
    salt: String,
) -> Result<(ApplicationCase, PersonalData)> {
    let personal = PersonalData {
        national_id: typed(draft.national_id).map(|id| id.to_ascii_uppercase()),
        phone: typed(draft.phone),
        address: typed(draft.address),
        officer_id: typed(draft.officer_id),
        signature: typed(draft.signature),
        salt,
    };
    personal.validate()?;
    let trim = |s: String| s.trim().to_string();
    let official_letter = draft.official_letter.map(|l| OfficialLetter {
        number: trim(l.number),
        date: trim(l.date),
        legal_basis: trim(l.legal_basis),
        purpose: trim(l.purpose),
        scope: trim(l.scope),
        intended_use: trim(l.intended_use),
    });
    let in_window = |e: custos_core::CoreError| e.in_field(CaseField::Window.key());
    let window = MinuteWindow::new(
        Timestamp::parse_taipei_minute(&draft.from).map_err(in_window)?,
        Timestamp::parse_taipei_minute(&draft.to).map_err(in_window)?,
    )
    .map_err(in_window)?;
    let case = ApplicationCase {
        id,
        filed_at,
        filed_by,
        applicant_kind: draft.applicant_kind,
        applicant_name: draft.applicant_name.trim().to_string(),
        relation: draft.relation.trim().to_string(),
        unit: draft.unit.trim().to_string(),
        cameras: draft.cameras,
        window,
        reason: draft.reason.trim().to_string(),
        category: draft.category,
        kinds: draft.kinds,
        attachments: draft.attachments,
        in_court: draft.in_court,
        major_or_abnormal: draft.major_or_abnormal,
        personal_data_digest: personal.digest(),
        viewer: typed(draft.viewer),
        official_letter,
    };
    Ok((case, personal))
}

/// The case and its personal data against the profile's form for the
/// applicant: what the recorder will check of the case, and what only this
/// device sees together (the personal data is its own document).
fn check_against_the_form(
    site: &custos_core::site::SiteRegister,
    case: &ApplicationCase,
    personal: &PersonalData,
    now: Timestamp,
) -> Result<()> {
    let profile = site.profile()?;
    case.check_filing(site, &profile, now)?;
    if let Some(form) = profile.application_form(case.applicant_kind) {
        personal.check_against(&form)?;
    }
    Ok(())
}

/// The form an applicant of this kind fills in on this site.
pub fn application_form(store: &Mutex<LocalStore>, applicant: ApplicantKind) -> Result<ApplicationForm> {
    let profile = site(store)?.profile()?;
    profile.application_form(applicant).ok_or_else(|| {
        custos_core::CoreError::Policy(format!(
            "{} does not accept applications from {applicant:?}",
            profile.name_zh
        ))
        .into()
    })
}

/// Writes the case and its personal data: the personal data first, so a
/// case never waits without the data its digest names.
fn write_application(
    store: &Mutex<LocalStore>,
    case: &ApplicationCase,
    personal: &PersonalData,
    message: &str,
    now: Timestamp,
) -> Result<()> {
    // The case first: the outbox goes out in order, and the recorder takes
    // personal data only once it holds the case whose digest binds it.
    let mut guard = lock(store);
    guard.edit(&DocKey::ApplicationCase(case.id.clone()), message, now.0, |doc| {
        docs::put_entry(doc, docs::CASE, CURRENT, case).map_err(RegisterError::from)
    })?;
    guard.edit(&DocKey::ApplicationPersonal(case.id.clone()), message, now.0, |doc| {
        docs::put_entry(doc, docs::PERSONAL, CURRENT, personal).map_err(RegisterError::from)
    })?;
    Ok(())
}

/// Files an application (調閱申請): the case and, in a document of its own
/// that fewer roles receive, the applicant's personal data. Checked against
/// the profile first; nothing is stored if it fails.
pub fn file_application(
    store: &Mutex<LocalStore>,
    me: &PersonId,
    draft: ApplicationDraft,
    now: Timestamp,
    id: EntryId,
    salt: String,
) -> Result<String> {
    let site = site(store)?;
    let filed_at = Timestamp(now.0 / custos_core::time::MINUTE_MS * custos_core::time::MINUTE_MS);
    let (case, personal) = case_from_draft(draft, id.clone(), me.clone(), filed_at, salt)?;
    check_against_the_form(&site, &case, &personal, now)?;
    write_application(store, &case, &personal, "filed", now)?;
    Ok(id.to_string())
}

/// Amends an application still in review: the form's fields anew; who
/// filed it and when stay. Decisions signed on the old text stop counting
/// (they signed its hash), so the chain starts again.
pub fn amend_application(
    store: &Mutex<LocalStore>,
    me: &PersonId,
    application: &EntryId,
    draft: ApplicationDraft,
    now: Timestamp,
    salt: String,
) -> Result<ApplicationView> {
    let CaseReading { case: old, derived, .. } = Reading::new(store)?.case(store, application)?;
    if derived.status.is_final() {
        return Err(custos_core::CoreError::Policy(
            "the application has been decided and can no longer be amended".into(),
        )
        .into());
    }
    let site = site(store)?;
    let (case, personal) = case_from_draft(draft, old.id.clone(), old.filed_by, old.filed_at, salt)?;
    check_against_the_form(&site, &case, &personal, now)?;
    write_application(store, &case, &personal, "amended", now)?;
    application_view(store, me, application)
}

/// A decision on an application, as the UI asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionRequest {
    Approve,
    Reject {
        reason: String,
    },
    Vote {
        in_favour: bool,
        reason: String,
    },
    Withdraw {
        reason: String,
    },
    /// 函覆: the letter that answered an agency with the decision, and its
    /// scan (a photo taken through the photo pipeline), once decided.
    Reply {
        letter: ReplyLetter,
    },
    /// 不定期抽查 (002 §13): the ethics office records that it checked the
    /// case, and what it found.
    SpotCheck {
        note: String,
    },
}

/// Signs a decision (approve, reject with reason, vote, withdraw, a reply
/// letter, a spot check) on the case as this device has it, having seen every event it holds (named by
/// the newest of them, `workflow::frontier`).
pub fn decide(
    store: &Mutex<LocalStore>,
    application: &EntryId,
    request: DecisionRequest,
    role: Role,
    signer: Signer<'_>,
) -> Result<ApplicationView> {
    let Signer {
        person: me,
        key: device,
        now,
        id: event_id,
    } = signer;
    let needs_reason = |reason: &str, what: &str| {
        if reason.trim().is_empty() {
            Err(custos_core::CoreError::Policy(format!("{what} needs a reason")))
        } else {
            Ok(())
        }
    };
    let decision = match request {
        DecisionRequest::Approve => Decision::Approve,
        DecisionRequest::Reject { reason } => {
            needs_reason(&reason, "a rejection (否准)")?;
            Decision::Reject { reason }
        }
        DecisionRequest::Vote { in_favour, reason } => {
            if !in_favour {
                needs_reason(&reason, "a vote against")?;
            }
            Decision::Vote { in_favour, reason }
        }
        DecisionRequest::Withdraw { reason } => {
            needs_reason(&reason, "a withdrawal")?;
            Decision::Withdraw { reason }
        }
        DecisionRequest::SpotCheck { note } => Decision::SpotCheck {
            note: note.trim().to_string(),
        },
        DecisionRequest::Reply { letter } => {
            let letter = ReplyLetter {
                number: letter.number.trim().to_string(),
                date: letter.date.trim().to_string(),
                blob: typed(letter.blob),
            };
            letter.check()?;
            let CaseReading { case, derived, .. } = Reading::new(store)?.case(store, application)?;
            if case.official_letter.is_none() {
                return Err(custos_core::CoreError::Policy(
                    "a reply letter (函覆) answers an agency's letter, and this case has none".into(),
                )
                .into());
            }
            if !derived.status.is_final() {
                return Err(custos_core::CoreError::Policy(
                    "the application is not decided yet: a reply letter states the decision".into(),
                )
                .into());
            }
            Decision::Reply { letter }
        }
    };
    let (_, site_heads) = site_history(store)?;
    let key = DocKey::ApplicationCase(application.clone());
    lock(store).edit(&key, "decision", now.0, |doc| {
        let (case, events) = custos_core::application::read_case(doc)?.ok_or_else(|| no_application(application))?;
        let draft = DecisionDraft {
            id: event_id,
            decision,
            role,
            signer: me.clone(),
            signed_at: now,
        };
        let seen = custos_core::workflow::frontier(events.values());
        let event = DecisionEvent::sign(draft, &case, site_heads, seen, device);
        Ok::<_, RegisterError>(docs::put_entry(doc, docs::EVENTS, event.id.as_str(), &event)?)
    })?;
    application_view(store, me, application)
}

/// An application with its status derived from the signed decisions (never
/// stored), every decision that does not count with the reason, the
/// chain's steps as the form names them, and what it waits for from this
/// device's person.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ApplicationView {
    pub case: ApplicationCase,
    pub status: custos_core::workflow::Status,
    /// The application had its one export (複製), written by the recorder.
    pub exported: bool,
    pub decisions: BTreeMap<String, DecisionEvent>,
    /// Decision id → why it does not count.
    pub ignored: BTreeMap<String, IgnoreReason>,
    /// The approval chain's steps, in order, with their progress.
    pub steps: Vec<StepView>,
    /// The step this person may act on now, if the case waits for them.
    pub turn: Option<Turn>,
    /// This device holds changes to the case the recorder has not accepted
    /// yet: the status is this device's reading until it has.
    pub provisional: bool,
    /// 通知 the recorder raised in the case (a major case, the deadline
    /// passed), open and cleared, by id.
    pub notices: BTreeMap<String, RecorderAlarm>,
}

/// One step of the approval chain, named as the form's signature box.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct StepView {
    pub label_zh: String,
    pub label_en: String,
    /// 專案小組: members vote; the majority of the votes cast decides.
    pub committee: bool,
    pub progress: StepProgress,
}

fn no_application(application: &EntryId) -> RegisterError {
    RegisterError::NotFound(format!("no application {application} on this device"))
}

/// A case document as read: the case, its events, their derivation and the
/// recorder's notices in it.
struct CaseReading {
    case: ApplicationCase,
    decisions: BTreeMap<String, DecisionEvent>,
    derived: Derivation,
    notices: BTreeMap<String, RecorderAlarm>,
}

/// What every application's view is read against: the site as this
/// device has it, its profile and its history.
struct Reading {
    site: custos_core::site::SiteRegister,
    profile: custos_core::policy::PolicyProfile,
    history: custos_core::history::SiteHistory,
    /// The documents holding changes the recorder has not accepted yet.
    waiting: BTreeSet<String>,
}

impl Reading {
    fn new(store: &Mutex<LocalStore>) -> Result<Reading> {
        let site = site(store)?;
        let profile = site.profile()?;
        let (history, _) = site_history(store)?;
        let waiting = lock(store).keys_with_waiting()?.into_iter().collect();
        Ok(Reading {
            site,
            profile,
            history,
            waiting,
        })
    }

    fn case(&self, store: &Mutex<LocalStore>, application: &EntryId) -> Result<CaseReading> {
        let doc = lock(store).document(&DocKey::ApplicationCase(application.clone()))?;
        let (case, decisions) =
            custos_core::application::read_case(&doc)?.ok_or_else(|| no_application(application))?;
        let derived = derive_status(&case, &decisions, &self.history, &self.profile);
        Ok(CaseReading {
            notices: custos_core::inspection::alarms(&doc)?,
            case,
            decisions,
            derived,
        })
    }

    fn view(&self, store: &Mutex<LocalStore>, me: &PersonId, application: &EntryId) -> Result<ApplicationView> {
        let CaseReading {
            case,
            decisions,
            derived,
            notices,
        } = self.case(store, application)?;
        let chain = self.profile.approval_chain(case.applicant_kind);
        let my_roles = self.site.person(me).map(|p| p.roles.clone()).unwrap_or_default();
        let boxes = self
            .profile
            .application_form(case.applicant_kind)
            .map(|f| f.signatures)
            .unwrap_or_default();
        // Each step as its box on the form names it (a form and a chain
        // come from the same applicant rule, box for step).
        let steps = derived
            .steps
            .iter()
            .enumerate()
            .map(|(i, progress)| {
                let b = boxes.iter().find(|b| b.signer == BoxSigner::Step(i as u32));
                StepView {
                    label_zh: b.map(|b| b.label_zh.clone()).unwrap_or_default(),
                    label_en: b.map(|b| b.label_en.clone()).unwrap_or_default(),
                    committee: b.is_some_and(|b| b.committee),
                    progress: progress.clone(),
                }
            })
            .collect();
        let ignored = derived
            .ignored
            .iter()
            .map(|i| (i.event.to_string(), i.reason.clone()))
            .collect();
        let provisional = self
            .waiting
            .contains(&DocKey::ApplicationCase(application.clone()).to_string());
        Ok(ApplicationView {
            turn: derived.turn(chain, me, &my_roles),
            exported: derived.exported.is_some(),
            status: derived.status,
            case,
            decisions,
            ignored,
            steps,
            provisional,
            notices,
        })
    }
}

/// 申請人個人資料 of an application, where this device holds it (only the
/// roles that read personal data receive it); `None` elsewhere.
pub fn application_personal(store: &Mutex<LocalStore>, application: &EntryId) -> Result<Option<PersonalData>> {
    let key = DocKey::ApplicationPersonal(application.clone());
    let guard = lock(store);
    if !guard.document_keys()?.contains(&key.to_string()) {
        return Ok(None);
    }
    let doc = guard.document(&key)?;
    Ok(docs::get_entry(&doc, docs::PERSONAL, CURRENT)?)
}

/// The derived status of each of these applications this device holds
/// (one reading of the site for all; those it cannot read are left out).
pub fn application_statuses<'a>(
    store: &Mutex<LocalStore>,
    applications: impl IntoIterator<Item = &'a EntryId>,
) -> Result<BTreeMap<EntryId, Status>> {
    let reading = Reading::new(store)?;
    Ok(applications
        .into_iter()
        .filter_map(|id| Some((id.clone(), reading.case(store, id).ok()?.derived.status)))
        .collect())
}

/// One application as `me` sees it.
pub fn application_view(store: &Mutex<LocalStore>, me: &PersonId, application: &EntryId) -> Result<ApplicationView> {
    Reading::new(store)?.view(store, me, application)
}

/// Every application this device holds (its roles decide which), newest first.
pub fn applications(store: &Mutex<LocalStore>, me: &PersonId) -> Result<Vec<ApplicationView>> {
    let keys = lock(store).document_keys()?;
    let reading = Reading::new(store)?;
    let mut views = Vec::new();
    for key in keys {
        if let Ok(DocKey::ApplicationCase(id)) = key.parse::<DocKey>() {
            views.push(reading.view(store, me, &id)?);
        }
    }
    views.sort_by_key(|v| std::cmp::Reverse(v.case.filed_at));
    Ok(views)
}
