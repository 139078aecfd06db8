//! 調閱登記簿 (001 附件2) / 影音應用紀錄簿 (004 附件4): the access logbook as
//! this device has it. The recorder writes the entries from what it served;
//! the manager and the supervisor countersign (核章) a completed one.

use std::collections::BTreeMap;
use std::sync::Mutex;

use custos_core::documents::{self as docs, DocKey};
use custos_core::logbook::LogbookEntry;
use custos_core::permissions::{self, Access, Register};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use serde::Serialize;

use crate::store::{LocalStore, lock};

use super::common::{Result, Signer, countersign, site};

/// 調閱登記簿 for a year, as this device has it.
pub fn logbook(store: &Mutex<LocalStore>, year: i32) -> Result<BTreeMap<String, LogbookEntry>> {
    let doc = lock(store).document(&DocKey::Logbook { year })?;
    Ok(docs::entries(&doc, docs::LOGBOOK_ENTRIES)?)
}

/// One countersignature (核章) of an entry.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LogbookSeal {
    pub signer: custos_core::ids::PersonId,
    pub role: Role,
    pub signed_at: custos_core::time::Timestamp,
}

/// The year's logbook for its screen: the entries, who countersigned
/// each, and the role in which this person countersigns, if any.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LogbookView {
    pub year: i32,
    pub entries: BTreeMap<String, LogbookEntry>,
    /// By entry: the countersignatures of its current text (a seal over an
    /// older text of an entry, before its session ended, is not listed).
    pub countersigned: BTreeMap<String, Vec<LogbookSeal>>,
    pub countersign_role: Option<Role>,
    /// Whose forms the site keeps (the same seed as its inspection form):
    /// 001 附件2 調閱登記簿 or 004 附件4 影音應用紀錄簿.
    pub paper_form: custos_core::policy::PaperForm,
}

pub fn logbook_view(store: &Mutex<LocalStore>, year: i32, my_roles: &[Role]) -> Result<LogbookView> {
    let profile = site(store)?.profile()?;
    let doc = lock(store).document(&DocKey::Logbook { year })?;
    let entries: BTreeMap<String, LogbookEntry> = docs::entries(&doc, docs::LOGBOOK_ENTRIES)?;
    let seals: BTreeMap<String, Seal> = docs::entries(&doc, docs::SEALS)?;
    let mut countersigned: BTreeMap<String, Vec<LogbookSeal>> = BTreeMap::new();
    for seal in seals.values() {
        let Some(entry) = entries.get(seal.subject.as_str()) else {
            continue;
        };
        if seal.purpose == SealPurpose::Countersign && seal.subject_hash == entry.content_hash() {
            countersigned
                .entry(seal.subject.to_string())
                .or_default()
                .push(LogbookSeal {
                    signer: seal.signer.clone(),
                    role: seal.role,
                    signed_at: seal.signed_at,
                });
        }
    }
    let allowed = permissions::roles(Register::Logbook, Access::Sign, &profile);
    Ok(LogbookView {
        year,
        entries,
        countersigned,
        countersign_role: my_roles.iter().copied().find(|r| allowed.contains(r)),
        paper_form: profile.inspection.paper_form(),
    })
}

/// 核章: the manager or the supervisor countersigns a completed entry.
pub fn countersign_logbook(
    store: &Mutex<LocalStore>,
    year: i32,
    entry_id: &str,
    my_roles: &[Role],
    signer: Signer<'_>,
) -> Result<()> {
    countersign(
        store,
        (&DocKey::Logbook { year }, docs::LOGBOOK_ENTRIES, entry_id),
        (Register::Logbook, "the logbook"),
        my_roles,
        signer,
        |entry: &LogbookEntry| {
            if entry.is_complete() {
                Ok(entry.content_hash())
            } else {
                Err(custos_core::CoreError::Policy(
                    "the viewing session is still open: countersign once it has ended".into(),
                )
                .into())
            }
        },
    )
}
