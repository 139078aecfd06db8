//! 調閱登記簿: the access logbook as this device has it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use custos_core::documents::{self as docs, DocKey};
use custos_core::logbook::LogbookEntry;

use crate::store::{LocalStore, lock};

use super::common::Result;

/// 調閱登記簿 for a year, as this device has it.
pub fn logbook(store: &Mutex<LocalStore>, year: i32) -> Result<BTreeMap<String, LogbookEntry>> {
    let doc = lock(store).document(&DocKey::Logbook { year })?;
    Ok(docs::entries(&doc, docs::LOGBOOK_ENTRIES)?)
}
