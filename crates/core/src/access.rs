//! Who may read and write what. The recorder calls [`check_upload`] on every
//! pushed batch of changes: automerge has no access control, so this is where
//! a change that the sender's role does not allow is refused, with the rule it
//! broke, before anything stored changes. [`may_read`] decides which documents
//! a device receives at all (need-to-know).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{Automerge, Change, ChangeHash, Prop, ReadDoc};
use autosurgeon::Hydrate;
use serde::{Deserialize, Serialize};

use crate::application::{ApplicationCase, PersonalData};
use crate::documents::{self as docs, DocKey};
use crate::history::SiteHistory;
use crate::holds::{Hold, HoldBasis, RELEASE_ROLES};
use crate::ids::{DeviceId, EntryId};
use crate::inspection::{InspectionEntry, Repair};
use crate::logbook::{LOGBOOK_SEAL_ROLES, LogbookEntry};
use crate::policy::PolicyProfile;
use crate::roles::Role;
use crate::seal::{Seal, SealPurpose};
use crate::site::{Actor, SiteRegister};
use crate::time::Timestamp;
use crate::workflow::{DecisionEvent, IgnoreReason, derive_status};

/// The key under which the single value of a case or personal-data document is stored.
pub const CURRENT: &str = "current";

/// Whether a person with `roles` may receive the document `key`.
/// `major_case`: for a case document, whether it is flagged major or abnormal.
pub fn may_read(key: &DocKey, roles: &[Role], profile: &PolicyProfile, major_case: bool) -> bool {
    let any = |allowed: &[Role]| roles.iter().any(|r| allowed.contains(r));
    match key {
        DocKey::Site => !roles.is_empty(),
        DocKey::Inspections { .. } => any(&crate::inspection::INSPECTION_LOG_ROLES),
        DocKey::ApplicationCase(_) => {
            let in_a_chain = profile
                .applicants
                .iter()
                .flat_map(|r| r.approval.iter())
                .any(|step| any(step.roles()));
            let notified = major_case && profile.notify_on_major.is_some_and(|r| roles.contains(&r));
            in_a_chain || notified || any(&[Role::Manager, Role::Auditor])
        }
        DocKey::ApplicationPersonal(_) => any(&profile.personal_data_roles),
        DocKey::Logbook { .. } => any(&[
            Role::Manager,
            Role::Supervisor,
            Role::Head,
            Role::Delegate,
            Role::Secretary,
            Role::Auditor,
        ]),
        DocKey::Holds => any(&[
            Role::Manager,
            Role::Supervisor,
            Role::Head,
            Role::Delegate,
            Role::Auditor,
        ]),
        DocKey::Audit => any(&crate::audit::COUNTERSIGN_ROLES),
    }
}

/// A refused upload: which change, which rule, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// The change that broke the rule, when one change can be named.
    pub change: Option<String>,
    /// A stable name of the rule, for programs.
    pub rule: String,
    /// What was wrong, for people.
    pub message: String,
    /// The entry the rule was checked on, as `collection/entry`, when the
    /// refusal is about one entry: the device sets aside every change to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

fn refuse(rule: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        change: None,
        rule: rule.into(),
        message: message.into(),
        entry: None,
    }
}

/// What the recorder knows when it checks an upload.
pub struct UploadContext<'a> {
    pub site: &'a SiteHistory,
    pub profile: &'a PolicyProfile,
    /// The recorder's clock.
    pub now: Timestamp,
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
    let mut includes_genesis = false;
    for change in changes {
        if change.hash() == genesis {
            includes_genesis = true;
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
    if after.get_heads() == before_heads {
        return Ok(after);
    }
    if before_heads.is_empty() && !includes_genesis {
        return Err(refuse(
            "no_genesis",
            format!("{key} must start from its genesis change"),
        ));
    }

    let touched = addressed_entries(&after, changes, &genesis)?;
    let rules = Rules {
        key,
        before_heads: &before_heads,
        before_doc: std::cell::OnceCell::new(),
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

/// The (collection, entry key) pairs the batch's operations address, each
/// with the last change that addressed it. Every operation counts, including one that loses a conflict and never shows:
/// the entry it aims at is checked all the same. Operations on the root
/// itself are refused, except in the genesis that creates the collections.
///
/// Read from the changes' own operations rather than from a patch log: for
/// a week's upload of checks that is a third of the time.
fn addressed_entries(
    after: &Automerge,
    changes: &[Change],
    genesis: &ChangeHash,
) -> Result<BTreeMap<(String, String), ChangeHash>, Refusal> {
    use automerge::legacy::{Key, ObjectId, OpId, OpType};
    let structure = || refuse("structure", "the batch changes the document's structure");
    let legacy_id = |id: &automerge::ObjId| match id {
        automerge::ObjId::Root => ObjectId::Root,
        automerge::ObjId::Id(counter, actor, _) => ObjectId::Id(OpId(*counter, actor.clone())),
    };
    // The collections' map objects, by id.
    let collections: HashMap<ObjectId, String> = after
        .map_range(automerge::ROOT, ..)
        .map(|item| (legacy_id(&item.id()), item.key.to_string()))
        .collect();
    let decoded: Vec<(ChangeHash, automerge::ExpandedChange)> = changes
        .iter()
        .filter(|c| c.hash() != *genesis)
        .map(|c| (c.hash(), c.decode()))
        .collect();
    // Objects made in this batch, and where each one hangs.
    let mut made: HashMap<ObjectId, (ObjectId, Key)> = HashMap::new();
    for (_, change) in &decoded {
        for (i, op) in change.operations.iter().enumerate() {
            if let OpType::Make(_) = op.action {
                let id = OpId(change.start_op.get() + i as u64, change.actor_id.clone());
                made.insert(ObjectId::Id(id), (op.obj.clone(), op.key.clone()));
            }
        }
    }
    // Which entry an operation on (object, key) belongs to.
    let mut resolved: HashMap<ObjectId, (String, String)> = HashMap::new();
    let mut entry_of = |obj: &ObjectId, key: &Key| -> Result<(String, String), Refusal> {
        if let Some(collection) = collections.get(obj) {
            return match key {
                Key::Map(entry) => Ok((collection.clone(), entry.to_string())),
                Key::Seq(_) => Err(refuse("structure", "collections are maps of entries")),
            };
        }
        if let Some(found) = resolved.get(obj) {
            return Ok(found.clone());
        }
        // Climb through the objects this batch made to one that existed.
        let mut obj_up = obj.clone();
        while let Some((parent, key)) = made.get(&obj_up) {
            if let Some(collection) = collections.get(parent) {
                let Key::Map(entry) = key else {
                    return Err(refuse("structure", "collections are maps of entries"));
                };
                let found = (collection.clone(), entry.to_string());
                resolved.insert(obj.clone(), found.clone());
                return Ok(found);
            }
            obj_up = parent.clone();
        }
        let ObjectId::Id(OpId(counter, actor)) = &obj_up else {
            return Err(structure());
        };
        // The index is only a hint; automerge looks the actor up when it is wrong.
        let exid = automerge::ObjId::Id(*counter, actor.clone(), usize::MAX);
        let path = after.parents(&exid).map_err(|_| structure())?.path();
        let found = match path.as_slice() {
            [(_, Prop::Map(collection)), (_, Prop::Map(entry)), ..] => (collection.clone(), entry.clone()),
            _ => return Err(structure()),
        };
        resolved.insert(obj.clone(), found.clone());
        Ok(found)
    };
    let mut touched = BTreeMap::new();
    for (hash, change) in &decoded {
        let mut last: Option<&ObjectId> = None;
        for op in &change.operations {
            if op.obj == ObjectId::Root {
                return Err(structure());
            }
            // Consecutive operations on one object (the fields of a new
            // entry) resolve once, except on a collection, where each
            // operation is its own entry.
            if last == Some(&op.obj) && !collections.contains_key(&op.obj) {
                continue;
            }
            last = Some(&op.obj);
            touched.insert(entry_of(&op.obj, &op.key)?, *hash);
        }
    }
    Ok(touched)
}

/// The entries (`collection/entry`) one change in `doc` writes: a device
/// uses it to tell which of its waiting changes a refusal of an entry
/// concerns, and which entries to write again after rebuilding.
pub fn entries_written_by(doc: &Automerge, change: &Change) -> Result<BTreeSet<String>, Refusal> {
    // No genesis to set aside: a genesis change writes no entry and is
    // refused as structure, which is not what the device asks here.
    if change.actor_id() == &docs::genesis_actor() {
        return Ok(BTreeSet::new());
    }
    let no_genesis = ChangeHash([0; 32]);
    Ok(addressed_entries(doc, std::slice::from_ref(change), &no_genesis)?
        .into_keys()
        .map(|(collection, entry)| format!("{collection}/{entry}"))
        .collect())
}

struct Rules<'a> {
    key: &'a DocKey,
    /// The document before the batch, as heads; forked from `after` only
    /// when an entry that already existed has to be read as it was.
    before_heads: &'a [ChangeHash],
    before_doc: std::cell::OnceCell<Automerge>,
    /// Per collection, the entry keys that existed before the batch.
    existed: std::cell::RefCell<std::collections::HashMap<String, std::collections::HashSet<String>>>,
    after: &'a Automerge,
    actor: &'a Actor<'a>,
    sender: &'a DeviceId,
    ctx: &'a UploadContext<'a>,
    /// The site register as it is now, read once per upload.
    site_now: &'a SiteRegister,
}

impl Rules<'_> {
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

    fn require_role(&self, allowed: &[Role], what: &str) -> Result<(), Refusal> {
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

    fn check(&self, collection: &str, entry: &str) -> Result<(), Refusal> {
        let me = &self.actor.person_id;
        match (self.key, collection) {
            (DocKey::Site, _) => Err(refuse(
                "site_readonly",
                "the site register is changed on the recorder only",
            )),

            (DocKey::Inspections { year, month }, docs::INSPECTION_ENTRIES) => {
                self.require_ulid(entry)?;
                let (before, e): (_, InspectionEntry) = self.before_after(collection, entry)?;
                self.require_new(&before)?;
                self.require_role(&[Role::Inspector, Role::Manager], "record an inspection")?;
                if &e.inspector != me {
                    return Err(refuse(
                        "author",
                        "an inspection is recorded by the inspector who made it",
                    ));
                }
                let date = e.checked_at.taipei_date();
                if (date.year, date.month) != (*year, *month) {
                    return Err(refuse(
                        "wrong_month",
                        format!("a check of {}-{:02} belongs in that month's log", date.year, date.month),
                    ));
                }
                let site_now = self.site_now;
                e.validate(site_now).map_err(|e| refuse("invalid_entry", e.to_string()))
            }
            (DocKey::Inspections { .. }, docs::REPAIRS) => {
                self.require_ulid(entry)?;
                self.require_role(&[Role::Inspector, Role::Manager], "open or close a repair")?;
                let (before, r): (Option<Repair>, Repair) = self.before_after(collection, entry)?;
                match before {
                    None => {
                        if &r.opened_by != me {
                            return Err(refuse("author", "a repair is opened by the person recording it"));
                        }
                        // Found and fixed while offline: it arrives opened and
                        // closed at once, and the closing must hold as if it
                        // had come later.
                        if let Some(closing) = &r.closed {
                            let opened = Repair {
                                closed: None,
                                ..r.clone()
                            };
                            Repair::check_update(&opened, &r).map_err(|e| refuse("repair_update", e.to_string()))?;
                            if &closing.closed_by != me {
                                return Err(refuse("author", "a repair is closed in the name of who closes it"));
                            }
                        }
                        let found: Option<InspectionEntry> =
                            self.get(self.after, docs::INSPECTION_ENTRIES, r.found_in.as_str())?;
                        found
                            .map(|_| ())
                            .ok_or_else(|| refuse("dangling", "a repair must name the check that found it"))
                    }
                    Some(before) => {
                        Repair::check_update(&before, &r).map_err(|e| refuse("repair_update", e.to_string()))?;
                        match &r.closed {
                            Some(c) if &c.closed_by == me => Ok(()),
                            _ => Err(refuse("author", "a repair is closed in the name of who closes it")),
                        }
                    }
                }
            }
            (DocKey::Inspections { .. }, docs::ALARMS) => Err(refuse(
                "recorder_only",
                "alarms are written by the recorder from what it measures",
            )),
            (DocKey::Inspections { .. }, docs::SEALS) => {
                let roles: Vec<Role> = self
                    .ctx
                    .profile
                    .inspection
                    .countersign_by
                    .into_iter()
                    .chain([Role::Supervisor])
                    .collect();
                self.check_seal::<InspectionEntry>(
                    (collection, entry),
                    docs::INSPECTION_ENTRIES,
                    SealPurpose::Countersign,
                    &roles,
                    |e| e.content_hash(),
                )
            }

            (DocKey::ApplicationCase(id), docs::CASE) if entry == CURRENT => {
                self.require_role(&[Role::Manager], "file or amend an application")?;
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
                } else if &case.filed_by != me {
                    return Err(refuse(
                        "author",
                        "an application is filed in the name of the person entering it",
                    ));
                }
                let site_now = self.site_now;
                case.check_filing(site_now, self.ctx.profile, self.ctx.now)
                    .map(|_| ())
                    .map_err(|e| refuse("invalid_application", e.to_string()))
            }
            (DocKey::ApplicationCase(_), docs::EVENTS) => {
                self.require_ulid(entry)?;
                let (before, event): (_, DecisionEvent) = self.before_after(collection, entry)?;
                self.require_new(&before)?;
                if &event.device != self.sender || &event.signer != me {
                    return Err(refuse("author", "a decision is uploaded by the device that signed it"));
                }
                let (_, derivation) = self.case_status(self.after)?;
                match derivation.ignored_reason(&event.id) {
                    None | Some(IgnoreReason::OverriddenByConcurrentDecision) => Ok(()),
                    Some(reason) => Err(refuse("decision", format!("the decision does not count: {reason:?}"))),
                }
            }
            (DocKey::ApplicationPersonal(_), docs::PERSONAL) if entry == CURRENT => {
                self.require_role(&[Role::Manager], "enter an applicant's personal data")?;
                let (_, data): (Option<PersonalData>, PersonalData) = self.before_after(collection, entry)?;
                data.validate()
                    .map_err(|e| refuse("invalid_personal_data", e.to_string()))
            }

            (DocKey::Logbook { .. }, docs::LOGBOOK_ENTRIES) => Err(refuse(
                "recorder_only",
                "logbook entries are written by the recorder from what it served",
            )),
            (DocKey::Logbook { .. }, docs::SEALS) => self.check_seal::<LogbookEntry>(
                (collection, entry),
                docs::LOGBOOK_ENTRIES,
                SealPurpose::Countersign,
                &LOGBOOK_SEAL_ROLES,
                |e| e.content_hash(),
            ),

            (DocKey::Holds, docs::HOLDS) => {
                self.require_ulid(entry)?;
                self.require_role(&[Role::Manager], "place a hold")?;
                let (before, hold): (_, Hold) = self.before_after(collection, entry)?;
                self.require_new(&before)?;
                if !matches!(hold.basis, HoldBasis::OfficialLetter | HoldBasis::Investigation) {
                    return Err(refuse(
                        "recorder_only",
                        "holds for applications and viewings are placed by the recorder",
                    ));
                }
                if hold.placed_by.as_ref() != Some(me) {
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
            (DocKey::Holds, docs::RELEASES) => self.check_seal::<Hold>(
                (collection, entry),
                docs::HOLDS,
                SealPurpose::ReleaseHold,
                &RELEASE_ROLES,
                |h| h.content_hash(),
            ),
            (DocKey::Audit, docs::CHECKPOINTS) => Err(refuse(
                "recorder_only",
                "audit checkpoints are made and signed by the recorder",
            )),
            (DocKey::Audit, docs::COUNTERSIGNATURES) => self.check_seal::<crate::audit::PublishedCheckpoint>(
                (collection, entry),
                docs::CHECKPOINTS,
                SealPurpose::AuditCheckpoint,
                &crate::audit::COUNTERSIGN_ROLES,
                |c| c.content_hash(),
            ),
            (DocKey::Holds, docs::DESTRUCTIONS) => Err(refuse(
                "recorder_only",
                "the destruction record is written by the recorder",
            )),
            _ => Err(refuse(
                "unknown_collection",
                format!("{collection}/{entry} is not part of this register"),
            )),
        }
    }

    fn check_seal<T: Hydrate>(
        &self,
        (seal_collection, entry): (&str, &str),
        subject_collection: &str,
        purpose: SealPurpose,
        roles: &[Role],
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
        seal.verify(entry, &hash(&subject), roles, self.ctx.site)
            .map_err(|e| refuse("seal", e.to_string()))
    }

    fn case_status(&self, doc: &Automerge) -> Result<(crate::workflow::Status, crate::workflow::Derivation), Refusal> {
        let case: ApplicationCase = self
            .get(doc, docs::CASE, CURRENT)?
            .ok_or_else(|| refuse("no_case", "the application has no case yet"))?;
        let events: std::collections::BTreeMap<String, DecisionEvent> =
            docs::entries(doc, docs::EVENTS).map_err(|e| refuse("malformed_entry", e.to_string()))?;
        let d = derive_status(&case, &events, self.ctx.site, self.ctx.profile);
        Ok((d.status.clone(), d))
    }
}
