//! The write rules the recorder applies to every pushed batch: each entry
//! the batch touches is checked by the rules of its register (one function
//! per register below), against the site register as it is now and the
//! site's profile. All or nothing.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use autosurgeon::Hydrate;

use super::operations::addressed_entries;
use super::refusal::{Refusal, refuse};
use crate::application::{ApplicationCase, DecisionEvent, PersonalData};
use crate::audit::PublishedCheckpoint;
use crate::documents::{self as docs, CURRENT, DocKey};
use crate::history::SiteHistory;
use crate::holds::{Hold, HoldBasis};
use crate::ids::{DeviceId, EntryId};
use crate::logbook::LogbookEntry;
use crate::permissions::{self, Access, Register};
use crate::policy::PolicyProfile;
use crate::seal::{Seal, SealPurpose};
use crate::site::{Actor, SiteRegister};
use crate::time::Timestamp;
use crate::workflow::{Derivation, IgnoreReason, MAX_EVENTS_PER_CASE, MAX_SEEN, Status, derive_status};

mod inspections;

/// What the recorder knows when it checks an upload.
pub struct UploadContext<'a> {
    pub site: &'a SiteHistory,
    pub profile: &'a PolicyProfile,
    /// The recorder's clock.
    pub now: Timestamp,
    /// For a personal-data document: the case of its application as the
    /// recorder holds it (its digest binds the personal data).
    pub case: Option<&'a ApplicationCase>,
}

/// Checks a batch of changes pushed by `sender` to document `key`, whose
/// recorder copy is `doc`. All or nothing: on success returns the document
/// with the batch applied. The document is taken by value so that the batch
/// is applied without copying it; on refusal it is dropped, and the caller
/// keeps using its stored copy, which nothing here has touched.
pub fn check_upload(
    key: &DocKey,
    doc: Automerge,
    changes: &[Change],
    sender: &DeviceId,
    ctx: &UploadContext<'_>,
) -> Result<Automerge, Refusal> {
    let sender_actor = sender.actor_id();
    let genesis = docs::genesis_hash(key);
    // The genesis and the extension are the same change whoever made it.
    let structural = docs::structural_hashes(key);
    let mut includes_genesis = false;
    for change in changes {
        if change.hash() == genesis {
            includes_genesis = true;
        } else if structural.contains(&change.hash()) {
        } else if change.actor_id() != &sender_actor {
            return Err(Refusal {
                change: Some(change.hash().to_string()),
                ..refuse(
                    "foreign_actor",
                    format!(
                        "change {} was made by another device; only the recorder relays changes",
                        change.hash()
                    ),
                )
            });
        }
    }
    let site = ctx
        .site
        .current()
        .map_err(|e| refuse("site_unreadable", e.to_string()))?;
    let actor = site
        .active_actor(sender)
        .map_err(|e| refuse("not_active", e.to_string()))?;
    let site_now = &site;

    let before_heads = doc.get_heads();
    let mut after = doc;
    after
        .apply_changes(changes.iter().cloned())
        .map_err(|e| refuse("malformed_change", e.to_string()))?;
    let missing = after.get_missing_deps(&[]);
    if !missing.is_empty() {
        return Err(refuse(
            "missing_dependencies",
            format!(
                "the batch depends on {} change(s) the recorder does not have; sync first",
                missing.len()
            ),
        ));
    }
    // A document is created only whole: from its genesis (which makes its
    // collections) and with a first entry its sender may write. An empty
    // push once made a holds document with no collections, and retention
    // failed on it for good.
    if before_heads.is_empty() && !includes_genesis {
        return Err(refuse(
            "no_genesis",
            format!("{key} must start from its genesis change"),
        ));
    }
    if after.get_heads() == before_heads {
        return Ok(after);
    }

    let touched = addressed_entries(&after, changes, &structural)?;
    if before_heads.is_empty() && touched.is_empty() {
        return Err(refuse(
            "empty_document",
            format!("{key} is created with its first entry, not empty"),
        ));
    }
    let rules = Rules {
        key,
        before_heads: &before_heads,
        before_doc: OnceCell::new(),
        derivation: OnceCell::new(),
        existed: Default::default(),
        after: &after,
        actor: &actor,
        sender,
        ctx,
        site_now,
    };
    for ((collection, entry), last_change) in &touched {
        rules.check(collection, entry).map_err(|mut r| {
            if r.change.is_none() {
                r.change = Some(last_change.to_string());
            }
            r.entry = Some(format!("{collection}/{entry}"));
            r.message = format!("{key} {collection}/{entry}: {}", r.message);
            r
        })?;
    }
    Ok(after)
}

struct Rules<'a> {
    key: &'a DocKey,
    /// The document before the batch, as heads; forked from `after` only
    /// when an entry that already existed has to be read as it was.
    before_heads: &'a [ChangeHash],
    before_doc: OnceCell<Automerge>,
    /// The case's derivation after the batch, made once for all its events.
    derivation: OnceCell<Derivation>,
    /// Per collection, the entry keys that existed before the batch.
    existed: RefCell<HashMap<String, HashSet<String>>>,
    after: &'a Automerge,
    actor: &'a Actor<'a>,
    sender: &'a DeviceId,
    ctx: &'a UploadContext<'a>,
    /// The site register as it is now, read once per upload.
    site_now: &'a SiteRegister,
}

/// The refusal of a collection that is not part of the register.
fn unknown(collection: &str, entry: &str) -> Refusal {
    refuse(
        "unknown_collection",
        format!("{collection}/{entry} is not part of this register"),
    )
}

impl Rules<'_> {
    /// Checks one entry by the rules of its register.
    fn check(&self, collection: &str, entry: &str) -> Result<(), Refusal> {
        match self.key {
            DocKey::Site => Err(refuse(
                "site_readonly",
                "the site register is changed on the recorder only",
            )),
            DocKey::Inspections { year, month } => self.inspections((*year, *month), collection, entry),
            DocKey::ApplicationCase(id) => self.application_case(id, collection, entry),
            DocKey::ApplicationPersonal(_) => self.application_personal(collection, entry),
            DocKey::Logbook { .. } => self.logbook(collection, entry),
            DocKey::Holds => self.holds(collection, entry),
            DocKey::Audit => self.audit(collection, entry),
        }
    }

    /// 調閱申請單: the case, filed and amended by the staff who receive
    /// applications until it is decided; decisions that count.
    fn application_case(&self, id: &EntryId, collection: &str, entry: &str) -> Result<(), Refusal> {
        match collection {
            docs::CASE if entry == CURRENT => {
                self.require(Register::ApplicationCase, Access::Write, "file or amend an application")?;
                let (before, case): (Option<ApplicationCase>, ApplicationCase) =
                    self.before_after(collection, entry)?;
                if &case.id != id {
                    return Err(refuse("wrong_document", "the case carries another application's id"));
                }
                if let Some(before) = &before {
                    if before.id != case.id || before.filed_by != case.filed_by || before.filed_at != case.filed_at {
                        return Err(refuse(
                            "immutable",
                            "an amendment cannot change who filed the application or when",
                        ));
                    }
                    let (status, _) = self.case_status(self.before())?;
                    if status.is_final() {
                        return Err(refuse(
                            "decided",
                            "the application has been decided and can no longer be amended",
                        ));
                    }
                } else if case.filed_by != self.actor.person_id {
                    return Err(refuse(
                        "author",
                        "an application is filed in the name of the person entering it",
                    ));
                }
                case.check_filing(self.site_now, self.ctx.profile, self.ctx.now)
                    .map(|_| ())
                    .map_err(|e| refuse("invalid_application", e.to_string()))
            }
            docs::EVENTS => {
                self.require_ulid(entry)?;
                let (before, event): (_, DecisionEvent) = self.before_after(collection, entry)?;
                self.require_new(&before)?;
                if matches!(event.decision, crate::application::Decision::Viewing { .. }) {
                    return Err(refuse(
                        "recorder_only",
                        "a viewing is recorded by the recorder when the escort opens the playback session",
                    ));
                }
                if matches!(event.decision, crate::application::Decision::Export { .. }) {
                    return Err(refuse(
                        "recorder_only",
                        "an export is recorded by the recorder once the archive it wrote has verified",
                    ));
                }
                if &event.device != self.sender || event.signer != self.actor.person_id {
                    return Err(refuse("author", "a decision is uploaded by the device that signed it"));
                }
                if event.seen.len() > MAX_SEEN {
                    return Err(refuse(
                        "too_many_events",
                        format!("a decision names at most {MAX_SEEN} decisions it has seen"),
                    ));
                }
                // Derived once per push, however many events it carries.
                let derivation = match self.derivation.get() {
                    Some(d) => d,
                    None => {
                        let (_, d) = self.case_status(self.after)?;
                        self.derivation.get_or_init(|| d)
                    }
                };
                match derivation.ignored_reason(&event.id) {
                    None | Some(IgnoreReason::OverriddenByConcurrentDecision) => Ok(()),
                    Some(reason) => Err(refuse("decision", format!("the decision does not count: {reason:?}"))),
                }
            }
            docs::ALARMS => Err(refuse(
                "recorder_only",
                "a case's notices are raised and cleared by the recorder",
            )),
            _ => Err(unknown(collection, entry)),
        }
    }

    /// The applicant's personal data: entered by the staff who receive
    /// applications, and well formed.
    fn application_personal(&self, collection: &str, entry: &str) -> Result<(), Refusal> {
        if collection != docs::PERSONAL || entry != CURRENT {
            return Err(unknown(collection, entry));
        }
        self.require(
            Register::ApplicationPersonal,
            Access::Write,
            "enter an applicant's personal data",
        )?;
        let (_, data): (Option<PersonalData>, PersonalData) = self.before_after(collection, entry)?;
        // Bound to its case: what the case's signers saw the digest of, and
        // nothing else; a change after a decision cannot match, since the
        // case can no longer be amended.
        let case = self.ctx.case.ok_or_else(|| {
            refuse(
                "no_case",
                "the personal data follows its case: the recorder has no case for this application yet",
            )
        })?;
        if data.digest() != case.personal_data_digest {
            return Err(refuse(
                "personal_data_mismatch",
                "the personal data is not what its case was filed with; amend the case and its personal data together",
            ));
        }
        let form = self.ctx.profile.application_form(case.applicant_kind).ok_or_else(|| {
            refuse(
                "invalid_personal_data",
                "this site no longer takes applications of this kind",
            )
        })?;
        data.check_against(&form)
            .map_err(|e| refuse("invalid_personal_data", e.to_string()))
    }

    /// 調閱登記簿: written by the recorder from what it served; people sign.
    fn logbook(&self, collection: &str, entry: &str) -> Result<(), Refusal> {
        match collection {
            docs::LOGBOOK_ENTRIES => Err(refuse(
                "recorder_only",
                "logbook entries are written by the recorder from what it served",
            )),
            docs::SEALS => {
                self.check_seal::<LogbookEntry>(
                    (Register::Logbook, collection, entry),
                    docs::LOGBOOK_ENTRIES,
                    SealPurpose::Countersign,
                    |e| e.content_hash(),
                )?;
                let (_, seal): (_, Seal) = self.before_after(collection, entry)?;
                let subject: Option<LogbookEntry> =
                    self.get(self.after, docs::LOGBOOK_ENTRIES, seal.subject.as_str())?;
                if !subject.is_some_and(|e| e.is_complete()) {
                    return Err(refuse(
                        "session_open",
                        "an entry is countersigned once its viewing session has ended",
                    ));
                }
                Ok(())
            }
            _ => Err(unknown(collection, entry)),
        }
    }

    /// Holds: a manager places one for a letter or an investigation (the
    /// recorder places those for applications); the head releases one, or
    /// renews one with its legal basis; the recorder alone records destructions.
    fn holds(&self, collection: &str, entry: &str) -> Result<(), Refusal> {
        match collection {
            docs::HOLDS => {
                self.require_ulid(entry)?;
                self.require(Register::Holds, Access::Write, "place a hold")?;
                let (before, hold): (_, Hold) = self.before_after(collection, entry)?;
                self.require_new(&before)?;
                if !matches!(hold.basis, HoldBasis::OfficialLetter | HoldBasis::Investigation) {
                    return Err(refuse(
                        "recorder_only",
                        "holds for applications and viewings are placed by the recorder",
                    ));
                }
                if hold.placed_by.as_ref() != Some(&self.actor.person_id) {
                    return Err(refuse(
                        "author",
                        "a hold is placed in the name of the person placing it",
                    ));
                }
                let retention = self
                    .ctx
                    .profile
                    .effective_retention()
                    .map_err(|e| refuse("profile", e.to_string()))?;
                hold.validate(&retention)
                    .map_err(|e| refuse("invalid_hold", e.to_string()))
            }
            docs::RELEASES => self.check_seal::<Hold>(
                (Register::Holds, collection, entry),
                docs::HOLDS,
                SealPurpose::ReleaseHold,
                |h| h.content_hash(),
            ),
            docs::RENEWALS => {
                self.check_seal::<Hold>(
                    (Register::Holds, collection, entry),
                    docs::HOLDS,
                    SealPurpose::RenewHold,
                    |h| h.content_hash(),
                )?;
                let (_, renewal): (Option<Seal>, Seal) = self.before_after(collection, entry)?;
                crate::holds::check_renewal_basis(&renewal.note).map_err(|e| refuse("legal_basis", e.to_string()))
            }
            docs::DESTRUCTIONS => Err(refuse(
                "recorder_only",
                "the destruction record is written by the recorder",
            )),
            _ => Err(unknown(collection, entry)),
        }
    }

    /// The audit chain: the recorder signs checkpoints; the head's and the
    /// ethics office's devices countersign them.
    fn audit(&self, collection: &str, entry: &str) -> Result<(), Refusal> {
        match collection {
            docs::CHECKPOINTS => Err(refuse(
                "recorder_only",
                "audit checkpoints are made and signed by the recorder",
            )),
            docs::COUNTERSIGNATURES => self.check_seal::<PublishedCheckpoint>(
                (Register::Audit, collection, entry),
                docs::CHECKPOINTS,
                SealPurpose::AuditCheckpoint,
                |c| c.content_hash(),
            ),
            docs::FOOTAGE_CHECKPOINTS | docs::FOOTAGE_FINDINGS => Err(refuse(
                "recorder_only",
                "the footage log's checkpoints and findings are written by the recorder",
            )),
            _ => Err(unknown(collection, entry)),
        }
    }

    fn get<T: Hydrate>(&self, doc: &Automerge, collection: &str, entry: &str) -> Result<Option<T>, Refusal> {
        // Before its genesis a document has no collections, and so no entries.
        if doc.get(automerge::ROOT, collection).ok().flatten().is_none() {
            return Ok(None);
        }
        docs::get_entry(doc, collection, entry).map_err(|e| refuse("malformed_entry", e.to_string()))
    }

    fn before_after<T: Hydrate>(&self, collection: &str, entry: &str) -> Result<(Option<T>, T), Refusal> {
        let before = self.get_before(collection, entry)?;
        let after = self
            .get(self.after, collection, entry)?
            .ok_or_else(|| refuse("deletion", "entries of a register are never deleted"))?;
        Ok((before, after))
    }

    /// The document as it was before the batch.
    fn before(&self) -> &Automerge {
        self.before_doc.get_or_init(|| {
            self.after
                .fork_at(self.before_heads)
                .expect("heads of this very document")
        })
    }

    /// An entry as it was before the batch; new entries (the common case)
    /// are told apart without forking the document.
    fn get_before<T: Hydrate>(&self, collection: &str, entry: &str) -> Result<Option<T>, Refusal> {
        if self.before_heads.is_empty() {
            return Ok(None);
        }
        let Some((_, obj)) = self.after.get(automerge::ROOT, collection).ok().flatten() else {
            return Ok(None);
        };
        // The keys as of the old heads, read once per collection: asking
        // key by key would rebuild the old clock for every entry.
        let existed = self
            .existed
            .borrow_mut()
            .entry(collection.to_string())
            .or_insert_with(|| self.after.keys_at(&obj, self.before_heads).collect())
            .contains(entry);
        if existed {
            self.get(self.before(), collection, entry)
        } else {
            Ok(None)
        }
    }

    /// The sender's person may do `access` with `register` (the permission table).
    fn require(&self, register: Register, access: Access, what: &str) -> Result<(), Refusal> {
        let allowed = permissions::roles(register, access, self.ctx.profile);
        if allowed.iter().any(|r| self.actor.has_role(*r)) {
            Ok(())
        } else {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            Err(refuse(
                "role",
                format!(
                    "{} may not {what}: it needs the role {}",
                    self.actor.person.name,
                    names.join(" or ")
                ),
            ))
        }
    }

    fn require_new<T>(&self, before: &Option<T>) -> Result<(), Refusal> {
        match before {
            None => Ok(()),
            Some(_) => Err(refuse(
                "immutable",
                "this entry is already recorded and cannot be changed",
            )),
        }
    }

    fn require_ulid(&self, entry: &str) -> Result<EntryId, Refusal> {
        entry
            .parse()
            .map_err(|e: crate::CoreError| refuse("key", e.to_string()))
    }

    /// A seal by the sending device, for its purpose, over an entry that
    /// exists, by a role that may sign in `register`.
    fn check_seal<T: Hydrate>(
        &self,
        (register, seal_collection, entry): (Register, &str, &str),
        subject_collection: &str,
        purpose: SealPurpose,
        hash: impl Fn(&T) -> String,
    ) -> Result<(), Refusal> {
        self.require_ulid(entry)?;
        let (before, seal): (_, Seal) = self.before_after(seal_collection, entry)?;
        self.require_new(&before)?;
        if seal.purpose != purpose || &seal.device != self.sender || seal.signer != self.actor.person_id {
            return Err(refuse(
                "author",
                "a seal is uploaded by the device that signed it, for its purpose",
            ));
        }
        let subject: T = self
            .get(self.after, subject_collection, seal.subject.as_str())?
            .ok_or_else(|| refuse("dangling", "the sealed entry does not exist"))?;
        let roles = permissions::roles(register, Access::Sign, self.ctx.profile);
        seal.verify(entry, &hash(&subject), &roles, self.ctx.site)
            .map_err(|e| refuse("seal", e.to_string()))
    }

    fn case_status(&self, doc: &Automerge) -> Result<(Status, Derivation), Refusal> {
        let case: ApplicationCase = self
            .get(doc, docs::CASE, CURRENT)?
            .ok_or_else(|| refuse("no_case", "the application has no case yet"))?;
        let events: BTreeMap<String, DecisionEvent> =
            docs::entries(doc, docs::EVENTS).map_err(|e| refuse("malformed_entry", e.to_string()))?;
        if events.len() > MAX_EVENTS_PER_CASE {
            return Err(refuse(
                "too_many_events",
                format!("an application holds at most {MAX_EVENTS_PER_CASE} decisions"),
            ));
        }
        let d = derive_status(&case, &events, self.ctx.site, self.ctx.profile);
        Ok((d.status.clone(), d))
    }
}
