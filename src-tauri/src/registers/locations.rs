//! 設置區位公告 (004 §5(2)(3)): the public list of camera locations as this
//! device has the site register, its CSV and web page, and the manager's
//! record of publishing and checking it in the month's inspection log.

use std::collections::BTreeMap;
use std::sync::Mutex;

use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::{EntryId, PersonId};
use custos_core::inspection::RecorderAlarm;
use custos_core::location_notice::{
    LocationNoticeReview, PublicLocation, ReviewKind, list_digest, public_locations, to_csv, to_html,
};
use custos_core::permissions::LOCATION_NOTICE_ROLES;
use custos_core::roles::Role;
use custos_core::time::{DAY_MS, Timestamp};
use serde::Serialize;

use super::common::{Result, site};
use super::inspections::month_of;
use crate::store::{LocalStore, lock};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ReviewView {
    pub id: String,
    pub review: LocationNoticeReview,
}

/// What the public notice screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct LocationNoticeView {
    /// The list as the site register has it now, and its digest (a review
    /// names the list it was made of).
    pub list: Vec<PublicLocation>,
    pub digest: String,
    /// The same list for the website's editors and for its page.
    pub csv: String,
    pub html: String,
    /// The reviews this device holds from the profile's period, newest first.
    pub reviews: Vec<ReviewView>,
    /// The recorder's notices about it, in the site register.
    pub notices: BTreeMap<String, RecorderAlarm>,
    /// The profile's period for checking it; `None`: the profile asks for no notice.
    pub check_every_days: Option<u32>,
    pub may_review: bool,
}

/// The recorder's notices in the site register.
pub fn site_notices(store: &Mutex<LocalStore>) -> Result<BTreeMap<String, RecorderAlarm>> {
    let doc = lock(store).document(&DocKey::Site)?;
    Ok(custos_core::inspection::alarms(&doc)?)
}

pub fn location_notice(store: &Mutex<LocalStore>, roles: &[Role], now: Timestamp) -> Result<LocationNoticeView> {
    let site = site(store)?;
    let profile = site.profile()?;
    let list = public_locations(&site);
    let held: Vec<String> = lock(store).document_keys()?;
    let mut reviews = Vec::new();
    let period = i64::from(profile.location_notice_check_days.unwrap_or(90));
    for key in DocKey::inspection_months(Timestamp(now.0 - (period + 31) * DAY_MS), now) {
        if !held.contains(&key.to_string()) {
            continue;
        }
        let doc = lock(store).document(&key)?;
        let found: BTreeMap<String, LocationNoticeReview> = docs::entries(&doc, docs::LOCATION_NOTICES)?;
        reviews.extend(found.into_iter().map(|(id, review)| ReviewView { id, review }));
    }
    reviews.sort_by(|a, b| b.review.reviewed_at.cmp(&a.review.reviewed_at).then(b.id.cmp(&a.id)));
    Ok(LocationNoticeView {
        digest: list_digest(&list),
        csv: to_csv(&list),
        html: to_html(&site.site.name, &list, now.taipei_date()),
        list,
        reviews,
        notices: site_notices(store)?,
        check_every_days: profile.location_notice_check_days,
        may_review: roles.iter().any(|r| LOCATION_NOTICE_ROLES.contains(r)),
    })
}

/// Records that `reviewer` published or checked the list their screen
/// showed (`seen`, its digest), in this month's log.
pub fn review_location_notice(
    store: &Mutex<LocalStore>,
    (reviewer, roles): (&PersonId, &[Role]),
    seen: &str,
    what: (ReviewKind, bool, &str),
    now: Timestamp,
    id: EntryId,
) -> Result<String> {
    if !roles.iter().any(|r| LOCATION_NOTICE_ROLES.contains(r)) {
        return Err(custos_core::CoreError::Policy(
            "the manager publishes and checks the public notice of camera locations (004 §5)".into(),
        )
        .into());
    }
    let site = site(store)?;
    let review = LocationNoticeReview::of_list(&site, seen, what, reviewer.clone(), now)?;
    let key = month_of(now);
    lock(store).edit(&key, "public notice", now.0, |doc| -> Result<()> {
        docs::extend(doc, &key)?;
        docs::put_entry(doc, docs::LOCATION_NOTICES, id.as_str(), &review)?;
        Ok(())
    })?;
    Ok(id.to_string())
}
