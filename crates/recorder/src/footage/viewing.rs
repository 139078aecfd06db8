//! Accompanied viewing sessions (001 §6(2), §7; 002 §8, §11; 004 §8(5)):
//! the recorder checks the escort's signed opening itself, consumes the
//! application by recording the viewing with the site key, opens the
//! logbook entry (調閱登記簿 / 影音應用紀錄簿) in the same transaction, and
//! keeps the entry true to what it served until the session ends
//! ([`super::sessions`]). This module says whether a session may serve.

use std::collections::BTreeMap;

use custos_api::footage::{CameraFootage, Span};
use custos_api::viewing::{ViewingClosed, ViewingNonce, ViewingSession};
use custos_core::application::{ApplicationCase, Decision, DecisionDraft, DecisionEvent};
use custos_core::documents::{self as docs, CURRENT, DocKey};
use custos_core::history::heads_to_hex;
use custos_core::ids::EntryId;
use custos_core::logbook::{LogbookEntry, SessionEnd};
use custos_core::policy::PolicyProfile;
use custos_core::terms::AccessKind;
use custos_core::time::Timestamp;
use custos_core::viewing::ViewingOpening;
use custos_core::workflow::{Status, derive_status, frontier};
use serde_json::json;

use super::sessions::{bring_entry_up_to_date, close, limit_reached};
use super::spans::camera_footage;
use crate::base::error::{RecorderError, Result};
use crate::db::audit::AuditEvent;
use crate::db::viewings::{NONCE_LIFETIME_MS, SessionRow, insert_session};
use crate::registers::{Registers, SignedIn, Writing};
use custos_clock::random_bytes;

/// Recorded sound is not played (docs/playback.md): the seeds let an
/// applicant see footage, and a viewing room cannot keep sound from being
/// recorded by a phone in a pocket.
pub const AUDIO_WITHHELD: bool = true;

/// A refusal, on record in the audit chain with its code, and returned.
pub fn refuse(registers: &Registers, who: &SignedIn, code: &str, subject: &str, error: RecorderError) -> RecorderError {
    let detail = json!({
        "code": code,
        "subject": subject,
        "device": who.device_id.as_str(),
        "why": error.to_string(),
    });
    registers.refusal_on_record("viewing_refused", who.person_id.as_str(), detail, error)
}

fn may_escort(profile: &PolicyProfile, who: &SignedIn) -> bool {
    who.person.roles.iter().any(|r| profile.escort_roles.contains(r))
}

/// A nonce for the escort's tablet to sign into one opening.
pub fn issue_nonce(registers: &Registers, who: &SignedIn) -> Result<ViewingNonce> {
    let profile = registers.profile()?;
    if !may_escort(&profile, who) {
        let error =
            RecorderError::forbidden("only the staff this site's rules name may accompany a viewing and open it");
        return Err(refuse(registers, who, "escort_role", "", error));
    }
    let now = registers.now();
    let nonce = hex::encode(random_bytes::<32>());
    registers
        .store
        .issue_viewing_nonce(&nonce, who.device_id.as_str(), now)?;
    Ok(ViewingNonce {
        nonce,
        expires_ms: now.0 + NONCE_LIFETIME_MS,
    })
}

/// An application as the recorder holds it: the case, its events, and
/// their derivation.
pub struct HeldCase {
    pub case: ApplicationCase,
    pub events: BTreeMap<String, DecisionEvent>,
    pub status: Status,
    /// The export that counts, if the application had its one (複製).
    pub exported: Option<EntryId>,
}

/// The case, its events and their derived status, as the recorder holds them.
pub fn case_and_status(
    registers: &Registers,
    application: &EntryId,
    profile: &PolicyProfile,
) -> Result<Option<HeldCase>> {
    let Some(doc) = registers.document(&DocKey::ApplicationCase(application.clone()))? else {
        return Ok(None);
    };
    let Some(case): Option<ApplicationCase> = docs::get_entry(&doc, docs::CASE, CURRENT)? else {
        return Ok(None);
    };
    let events: BTreeMap<String, DecisionEvent> = docs::entries(&doc, docs::EVENTS)?;
    let derived = registers.with_site_history(|site| derive_status(&case, &events, site, profile))?;
    Ok(Some(HeldCase {
        case,
        events,
        status: derived.status,
        exported: derived.exported,
    }))
}

/// Per approved camera, what of the window is recorded and what is gone.
pub fn footage_of(registers: &Registers, case: &ApplicationCase) -> Result<Vec<CameraFootage>> {
    let window = Span {
        from_ms: case.window.start.0,
        to_ms: case.window.end.0,
    };
    case.cameras
        .iter()
        .map(|c| camera_footage(registers, c, window))
        .collect()
}

fn session_view(
    row: &SessionRow,
    case: &ApplicationCase,
    cameras: Vec<CameraFootage>,
    profile: &PolicyProfile,
) -> ViewingSession {
    ViewingSession {
        session: row.id.clone(),
        application: row.application.clone(),
        window: Span {
            from_ms: case.window.start.0,
            to_ms: case.window.end.0,
        },
        cameras,
        opened_ms: row.opened_ms,
        ends_ms: row.ends_ms,
        idle_minutes: profile.viewing_idle_minutes,
        audio_withheld: AUDIO_WITHHELD,
    }
}

/// The reason a session cannot be opened for an application in `status`.
fn not_openable(status: &Status) -> Option<(&'static str, RecorderError)> {
    let conflict = |code, title, detail: &str| Some((code, RecorderError::conflict(title, detail.to_string())));
    match status {
        Status::Approved => None,
        Status::Viewed => conflict(
            "already_viewed",
            "Already viewed",
            "this application has had its one viewing (002 §11); a new viewing needs a new application",
        ),
        Status::Rejected { .. } => conflict(
            "rejected",
            "Rejected",
            "this application was rejected (否准): nothing may be shown",
        ),
        Status::Withdrawn => conflict("withdrawn", "Withdrawn", "the applicant withdrew this application"),
        _ => conflict(
            "not_approved",
            "Not approved",
            "this application is not approved, or was amended after its approval and must be approved again",
        ),
    }
}

/// Opens the session the escort's `opening` asks for, or resumes it when
/// the same tablet asks again within its limits (a reconnection).
pub async fn open(registers: &Registers, who: &SignedIn, opening: ViewingOpening) -> Result<ViewingSession> {
    let subject = opening.application.to_string();
    let refused = |code: &str, e: RecorderError| refuse(registers, who, code, &subject, e);
    let profile = registers.profile()?;
    if !may_escort(&profile, who) {
        return Err(refused(
            "escort_role",
            RecorderError::forbidden("only the staff this site's rules name may accompany a viewing and open it"),
        ));
    }
    if opening.device != who.device_id || opening.escort != who.person_id {
        return Err(refused(
            "other_device",
            RecorderError::forbidden("an opening is signed on the escort's own tablet and sent from it"),
        ));
    }
    let writing = registers.write().await?;
    let now = registers.now();
    if let Some(row) = registers.store.viewing_session_of(&subject)? {
        return resume(&writing, who, row, &profile, now);
    }
    if !registers
        .store
        .viewing_nonce_valid(&opening.nonce, who.device_id.as_str(), now)?
    {
        return Err(refused(
            "nonce",
            RecorderError::conflict(
                "Opening expired",
                "this opening was already used or has expired; confirm the applicant again to open the viewing",
            ),
        ));
    }
    let Some(HeldCase {
        case, events, status, ..
    }) = case_and_status(registers, &opening.application, &profile)?
    else {
        return Err(refused(
            "no_application",
            RecorderError::not_found("No application", "no such application"),
        ));
    };
    if let Some((code, e)) = not_openable(&status) {
        return Err(refused(code, e));
    }
    if !case.kinds.contains(&AccessKind::View) {
        return Err(refused(
            "not_asked",
            RecorderError::conflict(
                "Viewing not asked",
                "this application asks for a copy (複製), not a viewing (調閱): the footage is exported for the agency instead",
            ),
        ));
    }
    let case_hash = case.content_hash();
    if opening.case_hash != case_hash {
        return Err(refused(
            "case_changed",
            RecorderError::conflict(
                "Application changed",
                "the application changed after your screen showed it; look at it again before opening the viewing",
            ),
        ));
    }
    let site = registers.site()?;
    if let Err(e) = opening.check(&site, &profile.escort_roles) {
        return Err(refused("opening", RecorderError::forbidden(e.to_string())));
    }
    let cameras = footage_of(registers, &case)?;
    if cameras.iter().all(|c| c.recorded.is_empty()) {
        return Err(refused(
            "no_footage",
            RecorderError::Gone {
                title: "No footage",
                detail: "none of the approved cameras' footage of this window exists any more (001 §6(3)); the applicant is told so in writing".into(),
            },
        ));
    }
    let session = EntryId::from_parts(now.0 as u64, u128::from_le_bytes(random_bytes::<16>()));
    let site_doc = registers
        .document(&DocKey::Site)?
        .ok_or_else(|| RecorderError::internal("the site register is missing"))?;
    let viewing = DecisionEvent::sign(
        DecisionDraft {
            id: EntryId::from_parts(now.0 as u64, u128::from_le_bytes(random_bytes::<16>())),
            decision: Decision::Viewing {
                session: session.to_string(),
                opening: opening.clone(),
            },
            role: opening.role,
            signer: who.person_id.clone(),
            signed_at: now,
        },
        &case,
        heads_to_hex(&site_doc.get_heads()),
        frontier(events.values()),
        &registers.site_key,
    );
    let mut with_viewing = events.clone();
    with_viewing.insert(viewing.id.to_string(), viewing.clone());
    let counted = registers.with_site_history(|s| derive_status(&case, &with_viewing, s, &profile).status)?;
    if counted != Status::Viewed {
        return Err(RecorderError::internal(format!(
            "the recorder's own viewing does not count ({counted:?})"
        )));
    }
    let year = now.taipei_date().year;
    let entry = LogbookEntry {
        application: case.id.clone(),
        session: session.to_string(),
        opened_at: now,
        closed_at: None,
        applicant_name: case.applicant_name.clone(),
        unit: case.unit.clone(),
        cameras: case.cameras.clone(),
        window: case.window,
        reason_summary: case.reason.chars().take(200).collect(),
        escort: who.person_id.clone(),
        handling: vec![AccessKind::View],
        served: Vec::new(),
        ended_by: None,
        after_viewing: None,
    };
    let case_key = DocKey::ApplicationCase(case.id.clone());
    let logbook_key = DocKey::Logbook { year };
    let writes = [
        writing.prepare_change(&case_key, "viewing opened", now, |doc| {
            Ok(docs::put_entry(doc, docs::EVENTS, viewing.id.as_str(), &viewing)?)
        })?,
        writing.prepare_change(&logbook_key, "logbook entry opened", now, |doc| {
            Ok(docs::put_entry(doc, docs::LOGBOOK_ENTRIES, session.as_str(), &entry)?)
        })?,
    ];
    let writes: Vec<_> = writes.into_iter().flatten().collect();
    let row = SessionRow {
        id: session.to_string(),
        application: subject.clone(),
        device_id: who.device_id.to_string(),
        escort: who.person_id.to_string(),
        year,
        opened_ms: now.0,
        ends_ms: now.0 + i64::from(profile.viewing_session_minutes) * 60_000,
        active_ms: now.0,
        logged_ms: now.0,
        closed_ms: None,
        ended_by: None,
    };
    let actor = who.person_id.to_string();
    let audit = AuditEvent {
        kind: "viewing_opened",
        actor: &actor,
        detail: json!({
            "application": subject,
            "session": row.id,
            "viewing": viewing.id.as_str(),
            "device": who.device_id.as_str(),
            "cameras": case.cameras.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "window": [case.window.start.0, case.window.end.0],
            "applicant_signed": opening.applicant_signature.is_some(),
        }),
    };
    let mut consumed = true;
    registers.store.write_documents(&writes, now, Some(audit), |tx| {
        consumed = insert_session(tx, &row, &opening.nonce)?;
        if consumed {
            Ok(())
        } else {
            Err(RecorderError::conflict(
                "Opening expired",
                "this opening was already used",
            ))
        }
    })?;
    writing.keep_viewed_on_record(Some(&case.id), now)?;
    Ok(session_view(&row, &case, cameras, &profile))
}

/// The same tablet asks to open a session it has open: it resumes, within
/// its limits; any other asking is a second viewing.
fn resume(
    writing: &Writing<'_>,
    who: &SignedIn,
    row: SessionRow,
    profile: &PolicyProfile,
    now: Timestamp,
) -> Result<ViewingSession> {
    let second = || {
        refuse(
            writing,
            who,
            "already_viewed",
            &row.application,
            RecorderError::conflict(
                "Already viewed",
                "this application has had its one viewing (002 §11); a new viewing needs a new application",
            ),
        )
    };
    if row.closed_ms.is_some() || row.device_id != who.device_id.as_str() {
        return Err(second());
    }
    if let Some(end) = limit_reached(&row, profile, now) {
        close(writing, &row, end, now)?;
        return Err(second());
    }
    let application: EntryId = row.application.parse().map_err(|_| second())?;
    let held = case_and_status(writing, &application, profile)?.ok_or_else(second)?;
    let cameras = footage_of(writing, &held.case)?;
    // An entry marked interrupted by a restart is open again.
    bring_entry_up_to_date(writing, &row, None, now)?;
    Ok(session_view(&row, &held.case, cameras, profile))
}

/// The session `id` for a frame or a close by `who`: theirs, on the tablet
/// that opened it, open and within its limits (a session past them is
/// closed here, as the sweep would).
pub async fn usable_session(registers: &Registers, who: &SignedIn, id: &str) -> Result<SessionRow> {
    let refused = |code: &str, e: RecorderError| refuse(registers, who, code, id, e);
    let Some(row) = registers.store.viewing_session(id)? else {
        return Err(refused(
            "no_session",
            RecorderError::not_found("No session", "no such viewing session"),
        ));
    };
    if row.device_id != who.device_id.as_str() {
        return Err(refused(
            "other_device",
            RecorderError::forbidden("a viewing session is shown only on the escort's tablet that opened it"),
        ));
    }
    if row.closed_ms.is_some() {
        return Err(refused(
            "session_ended",
            RecorderError::Gone {
                title: "Session ended",
                detail: "this viewing session has ended; the application has had its one viewing".into(),
            },
        ));
    }
    let profile = registers.profile()?;
    let now = registers.now();
    if let Some(end) = limit_reached(&row, &profile, now) {
        let writing = registers.write().await?;
        close(&writing, &row, end, now)?;
        let why = match end {
            SessionEnd::Idle => "nothing was shown for longer than the idle limit, so the session ended",
            _ => "the session's time limit has passed, so it ended",
        };
        return Err(refused(
            "session_ended",
            RecorderError::Gone {
                title: "Session ended",
                detail: why.into(),
            },
        ));
    }
    Ok(row)
}

/// The escort ends the session.
pub async fn close_by_escort(registers: &Registers, who: &SignedIn, id: &str) -> Result<ViewingClosed> {
    let row = usable_session(registers, who, id).await?;
    let writing = registers.write().await?;
    let now = registers.now();
    close(&writing, &row, SessionEnd::Escort, now)?;
    let frames = registers
        .store
        .viewing_served_seconds(id)?
        .iter()
        .map(|(_, _, n)| u64::from(*n))
        .sum();
    Ok(ViewingClosed {
        session: id.to_string(),
        frames,
        ended_by: SessionEnd::Escort.as_str().into(),
    })
}
