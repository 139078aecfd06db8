//! What the app's commands do with the registers, without Tauri: read a
//! view, or make an edit through `custos-core` and make it durable in the
//! local store before returning. The durability test runs these same
//! functions in a child process it kills.

use std::collections::BTreeMap;
use std::sync::Mutex;

use custos_core::access::CURRENT;
use custos_core::application::{AccessKind, ApplicationCase, Attachment, Category, PersonalData};
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{CameraId, EntryId, PersonId};
use custos_core::inspection::{CameraCheck, InspectionEntry, RecorderAlarm, Repair, RepairClosure};
use custos_core::logbook::LogbookEntry;
use custos_core::policy::ApplicantKind;
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::signing::DeviceKey;
use custos_core::site::SiteRegister;
use custos_core::time::{MinuteWindow, Timestamp};
use custos_core::workflow::{Decision, DecisionDraft, DecisionEvent, derive_status};
use serde::{Deserialize, Serialize};

use crate::store::{LocalStore, StoreError, lock};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Core(#[from] custos_core::CoreError),
    #[error("this device has not received the site register yet: connect to the recorder once, then try again")]
    NoSite,
    #[error("{0}")]
    NotFound(String),
}

pub type Result<T> = std::result::Result<T, RegisterError>;

/// The site register as this device last received it.
pub fn site(store: &Mutex<LocalStore>) -> Result<SiteRegister> {
    let guard = lock(store);
    if !guard.document_keys()?.iter().any(|k| k == "site") {
        return Err(RegisterError::NoSite);
    }
    let doc = guard.document(&DocKey::Site)?;
    Ok(autosurgeon::hydrate(&doc).map_err(custos_core::CoreError::from)?)
}

/// What a person fills in on a walk-around check; who and when are added here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDraft {
    pub host_ok: bool,
    pub cameras: BTreeMap<String, CameraCheck>,
    #[serde(default)]
    pub maintenance: String,
    #[serde(default)]
    pub handling: String,
    #[serde(default)]
    pub remarks: String,
    #[serde(default)]
    pub photos: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedCheck {
    pub entry: String,
    /// A repair opened for each fault found.
    pub repairs: Vec<String>,
}

/// The inspection log's key for the month of `at` (Taipei).
pub fn month_of(at: Timestamp) -> DocKey {
    let d = at.taipei_date();
    DocKey::Inspections {
        year: d.year,
        month: d.month,
    }
}

/// Records a check by `inspector` at `now`, with a repair per fault, in one
/// change; refused here already if the recorder would refuse it for its
/// content (an unchecked camera, a fault without 處理情形).
pub fn record_check(
    store: &Mutex<LocalStore>,
    inspector: &PersonId,
    draft: CheckDraft,
    now: Timestamp,
    mut new_id: impl FnMut() -> EntryId,
) -> Result<RecordedCheck> {
    let site = site(store)?;
    let entry = InspectionEntry {
        checked_at: now,
        inspector: inspector.clone(),
        host_ok: draft.host_ok,
        cameras: draft.cameras,
        maintenance: draft.maintenance.trim().to_string(),
        handling: draft.handling.trim().to_string(),
        remarks: draft.remarks.trim().to_string(),
        photos: draft.photos,
    };
    entry.validate(&site)?;
    let entry_id = new_id();
    let repairs = entry.repairs_to_open(&entry_id, std::iter::repeat_with(&mut new_id));
    let key = month_of(now);
    let mut guard = lock(store);
    let mut doc = guard.document(&key)?;
    let before = doc.get_heads();
    docs::put_entry(&mut doc, docs::INSPECTION_ENTRIES, entry_id.as_str(), &entry)?;
    for (id, repair) in &repairs {
        docs::put_entry(&mut doc, docs::REPAIRS, id.as_str(), repair)?;
    }
    docs::commit(&mut doc, "check", now.0);
    guard.record_edit(&key, &mut doc, &before, now.0)?;
    Ok(RecordedCheck {
        entry: entry_id.to_string(),
        repairs: repairs.iter().map(|(id, _)| id.to_string()).collect(),
    })
}

/// A month of the inspection log, as this device has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthView {
    pub year: i32,
    pub month: u32,
    /// Checks by entry id (ULIDs sort by time).
    pub checks: BTreeMap<String, InspectionEntry>,
    pub repairs: BTreeMap<String, Repair>,
    /// 核章: the countersignatures, by seal id (each names its check).
    pub seals: BTreeMap<String, Seal>,
    /// 系統警示: what the recorder measured and wrote into the log (a camera
    /// down while open, a disk short of the retention floor).
    pub alarms: BTreeMap<String, RecorderAlarm>,
}

pub fn month(store: &Mutex<LocalStore>, year: i32, month: u32) -> Result<MonthView> {
    let key = DocKey::Inspections { year, month };
    let doc = lock(store).document(&key)?;
    Ok(MonthView {
        year,
        month,
        checks: docs::entries(&doc, docs::INSPECTION_ENTRIES)?,
        repairs: docs::entries(&doc, docs::REPAIRS)?,
        seals: docs::entries(&doc, docs::SEALS)?,
        alarms: docs::alarms(&doc)?,
    })
}

/// Closes an open repair with a note (and photos), in the name of `who`.
pub fn close_repair(
    store: &Mutex<LocalStore>,
    key: &DocKey,
    repair_id: &str,
    who: &PersonId,
    note: &str,
    photos: Vec<String>,
    now: Timestamp,
) -> Result<()> {
    let mut guard = lock(store);
    let mut doc = guard.document(key)?;
    let before_repair: Repair = docs::get_entry(&doc, docs::REPAIRS, repair_id)?
        .ok_or_else(|| RegisterError::NotFound(format!("no repair {repair_id} in {key}")))?;
    let mut closed = before_repair.clone();
    closed.closed = Some(RepairClosure {
        closed_by: who.clone(),
        closed_at: now,
        note: note.trim().to_string(),
        photos,
    });
    Repair::check_update(&before_repair, &closed)?;
    let before = doc.get_heads();
    docs::put_entry(&mut doc, docs::REPAIRS, repair_id, &closed)?;
    docs::commit(&mut doc, "repair closed", now.0);
    guard.record_edit(key, &mut doc, &before, now.0)?;
    Ok(())
}

/// The site's history (for signatures: each names the site it saw).
fn site_history(store: &Mutex<LocalStore>) -> Result<(custos_core::history::SiteHistory, Vec<String>)> {
    let mut doc = lock(store).document(&DocKey::Site)?;
    let heads = custos_core::history::heads_to_hex(&doc.get_heads());
    Ok((custos_core::history::SiteHistory::new(doc.document().clone()), heads))
}

/// Who signs (a seal or a decision), with which device key, when, and the
/// new entry's id.
pub struct Signer<'a> {
    pub person: &'a PersonId,
    pub key: &'a DeviceKey,
    pub now: Timestamp,
    pub id: EntryId,
}

/// 核章: countersigns a recorded check, in the first of `my_roles` the
/// profile lets countersign (the supervisor always may).
pub fn countersign_check(
    store: &Mutex<LocalStore>,
    key: &DocKey,
    entry_id: &str,
    my_roles: &[Role],
    signer: Signer<'_>,
) -> Result<()> {
    let Signer {
        person: me,
        key: device,
        now,
        id: seal_id,
    } = signer;
    let site = site(store)?;
    let profile = site.profile()?;
    let allowed: Vec<Role> = profile
        .inspection
        .countersign_by
        .into_iter()
        .chain([Role::Supervisor])
        .collect();
    let role =
        my_roles.iter().copied().find(|r| allowed.contains(r)).ok_or_else(|| {
            custos_core::CoreError::Policy("countersigning checks (核章) is for the supervisor".into())
        })?;
    let (_, site_heads) = site_history(store)?;
    let mut guard = lock(store);
    let mut doc = guard.document(key)?;
    let entry: InspectionEntry = docs::get_entry(&doc, docs::INSPECTION_ENTRIES, entry_id)?
        .ok_or_else(|| RegisterError::NotFound(format!("no check {entry_id} in {key}")))?;
    let subject: EntryId = entry_id.parse()?;
    let seal = Seal::sign(
        seal_id,
        SealPurpose::Countersign,
        subject,
        entry.content_hash(),
        role,
        me.clone(),
        site_heads,
        now,
        String::new(),
        device,
    );
    let before = doc.get_heads();
    docs::put_entry(&mut doc, docs::SEALS, seal.id.as_str(), &seal)?;
    docs::commit(&mut doc, "countersigned", now.0);
    guard.record_edit(key, &mut doc, &before, now.0)?;
    Ok(())
}

/// An application as the manager types it from the form; who filed it,
/// when, and the personal data's digest are added here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub national_id: String,
    pub phone: String,
    #[serde(default)]
    pub address: Option<String>,
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
        national_id: draft.national_id.trim().to_ascii_uppercase(),
        phone: draft.phone.trim().to_string(),
        address: draft.address.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
        salt,
    };
    personal.validate()?;
    let window = MinuteWindow::new(
        Timestamp::parse_taipei_minute(&draft.from)?,
        Timestamp::parse_taipei_minute(&draft.to)?,
    )?;
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
    };
    Ok((case, personal))
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
    let mut guard = lock(store);
    let personal_key = DocKey::ApplicationPersonal(case.id.clone());
    let mut personal_doc = guard.document(&personal_key)?;
    let before = personal_doc.get_heads();
    docs::put_entry(&mut personal_doc, docs::PERSONAL, CURRENT, personal)?;
    docs::commit(&mut personal_doc, message, now.0);
    guard.record_edit(&personal_key, &mut personal_doc, &before, now.0)?;
    let case_key = DocKey::ApplicationCase(case.id.clone());
    let mut case_doc = guard.document(&case_key)?;
    let before = case_doc.get_heads();
    docs::put_entry(&mut case_doc, docs::CASE, CURRENT, case)?;
    docs::commit(&mut case_doc, message, now.0);
    guard.record_edit(&case_key, &mut case_doc, &before, now.0)?;
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
    case.check_filing(&site, &site.profile()?, now)?;
    write_application(store, &case, &personal, "filed", now)?;
    Ok(id.to_string())
}

/// Amends an application still in review: the form's fields anew; who
/// filed it and when stay. Decisions signed on the old text stop counting
/// (they signed its hash), so the chain starts again.
pub fn amend_application(
    store: &Mutex<LocalStore>,
    application: &EntryId,
    draft: ApplicationDraft,
    now: Timestamp,
    salt: String,
) -> Result<ApplicationView> {
    let current = application_view(store, application)?;
    if current.status.is_final() {
        return Err(custos_core::CoreError::Policy(
            "the application has been decided and can no longer be amended".into(),
        )
        .into());
    }
    let site = site(store)?;
    let old = current.case;
    let (case, personal) = case_from_draft(draft, old.id.clone(), old.filed_by, old.filed_at, salt)?;
    case.check_filing(&site, &site.profile()?, now)?;
    write_application(store, &case, &personal, "amended", now)?;
    application_view(store, application)
}

/// A decision on an application, as the UI asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The escort records the application's one viewing (002 §11), naming
    /// the recorder's playback session.
    Viewing {
        session: String,
    },
}

/// Signs a decision (approve, reject with reason, vote, withdraw, the
/// viewing) on the
/// case as this device has it, having seen every event it holds.
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
        DecisionRequest::Viewing { session } => {
            if session.trim().is_empty() {
                return Err(custos_core::CoreError::Policy("a viewing names its playback session".into()).into());
            }
            Decision::Viewing { session }
        }
    };
    let (_, site_heads) = site_history(store)?;
    {
        let mut guard = lock(store);
        let key = DocKey::ApplicationCase(application.clone());
        let mut doc = guard.document(&key)?;
        let (case, events) = docs::application_case(&doc)?.ok_or_else(|| no_application(application))?;
        let draft = DecisionDraft {
            id: event_id,
            decision,
            role,
            signer: me.clone(),
            signed_at: now,
        };
        let seen = events.values().map(|e| e.id.clone());
        let event = DecisionEvent::sign(draft, &case, site_heads, seen, device);
        let before = doc.get_heads();
        docs::put_entry(&mut doc, docs::EVENTS, event.id.as_str(), &event)?;
        docs::commit(&mut doc, "decision", now.0);
        guard.record_edit(&key, &mut doc, &before, now.0)?;
    }
    application_view(store, application)
}

/// An application with its status derived from the signed decisions (never
/// stored), and every decision that does not count, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub case: ApplicationCase,
    pub status: custos_core::workflow::Status,
    pub decisions: BTreeMap<String, DecisionEvent>,
    /// Decision id → why it does not count.
    pub ignored: BTreeMap<String, String>,
}

fn no_application(application: &EntryId) -> RegisterError {
    RegisterError::NotFound(format!("no application {application} on this device"))
}

pub fn application_view(store: &Mutex<LocalStore>, application: &EntryId) -> Result<ApplicationView> {
    let site = site(store)?;
    let profile = site.profile()?;
    let (history, _) = site_history(store)?;
    let doc = lock(store).document(&DocKey::ApplicationCase(application.clone()))?;
    let (case, decisions) = docs::application_case(&doc)?.ok_or_else(|| no_application(application))?;
    let derived = derive_status(&case, &decisions, &history, &profile);
    let ignored = decisions
        .values()
        .filter_map(|e| {
            derived
                .ignored_reason(&e.id)
                .map(|r| (e.id.to_string(), format!("{r:?}")))
        })
        .collect();
    Ok(ApplicationView {
        status: derived.status.clone(),
        case,
        decisions,
        ignored,
    })
}

/// Every application this device holds (its roles decide which), newest first.
pub fn applications(store: &Mutex<LocalStore>) -> Result<Vec<ApplicationView>> {
    let keys = lock(store).document_keys()?;
    let mut views = Vec::new();
    for key in keys {
        if let Ok(DocKey::ApplicationCase(id)) = key.parse::<DocKey>() {
            views.push(application_view(store, &id)?);
        }
    }
    views.sort_by_key(|v| std::cmp::Reverse(v.case.filed_at));
    Ok(views)
}

/// 調閱登記簿 for a year, as this device has it.
pub fn logbook(store: &Mutex<LocalStore>, year: i32) -> Result<BTreeMap<String, LogbookEntry>> {
    let doc = lock(store).document(&DocKey::Logbook { year })?;
    Ok(docs::entries(&doc, docs::LOGBOOK_ENTRIES)?)
}

/// The holds on footage and which of them are released, as this device has them.
#[derive(Debug, Clone, Serialize)]
pub struct HoldsView {
    pub holds: BTreeMap<String, custos_core::holds::Hold>,
    /// Hold id → the seal that released it.
    pub released: BTreeMap<String, Seal>,
    /// Holds placed for an application that was since rejected or
    /// withdrawn (as far as this device knows the application): ended
    /// without a release.
    pub ended_by_application: Vec<String>,
}

pub fn holds(store: &Mutex<LocalStore>) -> Result<HoldsView> {
    let doc = lock(store).document(&DocKey::Holds)?;
    let holds: BTreeMap<String, custos_core::holds::Hold> = docs::entries(&doc, docs::HOLDS)?;
    let seals: BTreeMap<String, Seal> = docs::entries(&doc, docs::RELEASES)?;
    let released = seals
        .into_values()
        .filter(|s| s.purpose == SealPurpose::ReleaseHold)
        .map(|s| (s.subject.to_string(), s))
        .collect();
    let mut ended_by_application = Vec::new();
    for (id, hold) in &holds {
        let Some(application) = &hold.application else { continue };
        // Only applications this device may read are known here.
        if let Ok(view) = application_view(store, application)
            && hold.ended_by(&view.status)
        {
            ended_by_application.push(id.clone());
        }
    }
    Ok(HoldsView {
        holds,
        released,
        ended_by_application,
    })
}

/// The head (or the profile's delegate) releases a hold: the footage then
/// follows ordinary retention again. Signed; the reason is the seal's note.
pub fn release_hold(
    store: &Mutex<LocalStore>,
    hold_id: &str,
    reason: &str,
    my_roles: &[Role],
    signer: Signer<'_>,
) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(custos_core::CoreError::Policy("releasing a hold needs a reason".into()).into());
    }
    let role = my_roles
        .iter()
        .copied()
        .find(|r| custos_core::holds::RELEASE_ROLES.contains(r))
        .ok_or_else(|| custos_core::CoreError::Policy("only the head or the delegate releases a hold".into()))?;
    let (_, site_heads) = site_history(store)?;
    let mut guard = lock(store);
    let mut doc = guard.document(&DocKey::Holds)?;
    let hold: custos_core::holds::Hold = docs::get_entry(&doc, docs::HOLDS, hold_id)?
        .ok_or_else(|| RegisterError::NotFound(format!("no hold {hold_id} on this device")))?;
    let seal = Seal::sign(
        signer.id,
        SealPurpose::ReleaseHold,
        hold_id.parse()?,
        hold.content_hash(),
        role,
        signer.person.clone(),
        site_heads,
        signer.now,
        reason.trim().to_string(),
        signer.key,
    );
    let before = doc.get_heads();
    docs::put_entry(&mut doc, docs::RELEASES, seal.id.as_str(), &seal)?;
    docs::commit(&mut doc, "hold released", signer.now.0);
    guard.record_edit(&DocKey::Holds, &mut doc, &before, signer.now.0)?;
    Ok(())
}
