//! 設置區位公告 (004 §5(2)(3)): the public list of where the cameras are,
//! published on the site's website, updated at once when a location
//! changes, and checked from time to time against the register. The list is
//! made from the site register (locations and zones only: no names, no
//! property numbers); publishing and checking it are entries the manager's
//! device writes into the month's inspection log, each naming the list it
//! saw by its digest. The recorder raises a notice in the site register
//! while the published list is not the register's ([`location_notices`]).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::ids::PersonId;
use crate::inspection::AlarmKind;
use crate::notices::Due;
use crate::policy::PolicyProfile;
use crate::seal::content_hash;
use crate::site::{SiteRegister, Zone};
use crate::time::{CivilDate, Timestamp};

/// One line of the public list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PublicLocation {
    /// 編號: its place in the list, from 1.
    pub number: u32,
    /// 設置地點, as the register words it for visitors.
    pub location: String,
    pub zone: Zone,
}

/// The cameras in service, in the register's id order, as the public sees
/// them.
pub fn public_locations(site: &SiteRegister) -> Vec<PublicLocation> {
    site.active_cameras()
        .enumerate()
        .map(|(n, (_, camera))| PublicLocation {
            number: n as u32 + 1,
            location: camera.location.clone(),
            zone: camera.zone,
        })
        .collect()
}

/// The digest a review names: the list it saw, whatever its order of words.
pub fn list_digest(list: &[PublicLocation]) -> String {
    content_hash("custos/location-list/v1", &list)
}

/// The list as CSV for the website's editors: UTF-8 with a byte-order mark
/// (so a spreadsheet opens the Chinese as Chinese), CRLF, RFC 4180 quoting.
pub fn to_csv(list: &[PublicLocation]) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    };
    let mut out = String::from("\u{feff}編號,設置地點,區域\r\n");
    for line in list {
        out.push_str(&format!(
            "{},{},{}\r\n",
            line.number,
            quote(&line.location),
            line.zone.title_zh()
        ));
    }
    out
}

/// The list as a page for the website, printable as it is.
pub fn to_html(site_name: &str, list: &[PublicLocation], as_of: CivilDate) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let site = escape(site_name);
    let date = format!("民國{}年{}月{}日", as_of.roc_year(), as_of.month, as_of.day);
    let mut rows = String::new();
    for line in list {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            line.number,
            escape(&line.location),
            line.zone.title_zh()
        ));
    }
    if list.is_empty() {
        rows.push_str("<tr><td colspan=\"3\">本場所未設置錄影監視系統</td></tr>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"zh-Hant-TW\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>{site} 錄影監視系統設置區位</title>\n\
<style>body{{font-family:\"Noto Sans CJK TC\",\"Noto Sans TC\",sans-serif;margin:2rem;color:#111}}\
table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #333;padding:.4rem .6rem;text-align:left}}\
th{{background:#eee}}@media print{{body{{margin:1cm}}}}</style>\n</head>\n<body>\n\
<h1>{site} 錄影監視系統設置區位</h1>\n<p>公告日期：{date}　共 {count} 處</p>\n\
<table>\n<thead><tr><th>編號</th><th>設置地點</th><th>區域</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n\
<p>依「臺北市錄影監視系統設置管理自治條例」公告；設置區位如有調整，即時更新。</p>\n</body>\n</html>\n",
        count = list.len(),
    )
}

/// What a review of the public notice did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// 公告 / 更新公告: the list was put on the website.
    #[autosurgeon(rename = "published")]
    Published,
    /// 定期檢視: the website's list was compared with the register.
    #[autosurgeon(rename = "checked")]
    Checked,
}

/// A publication or a check of the public notice, written by the manager's
/// device into the month's inspection log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LocationNoticeReview {
    pub kind: ReviewKind,
    pub reviewed_at: Timestamp,
    pub reviewer: PersonId,
    /// [`list_digest`] of the list as the reviewer's device showed it.
    pub list_digest: String,
    /// For a check: the website's list was the one shown. A publication
    /// puts the list shown, so it always matches.
    pub matches: bool,
    /// 備考: what differed, where it is posted.
    pub note: String,
}

/// The longest note a review keeps.
pub const MAX_NOTE_CHARS: usize = 500;

impl LocationNoticeReview {
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.list_digest.len() != 64 || hex::decode(&self.list_digest).is_err() {
            return Err(CoreError::invalid("list_digest", "names the list by its SHA-256"));
        }
        if self.kind == ReviewKind::Published && !self.matches {
            return Err(CoreError::invalid(
                "matches",
                "a publication puts the register's list: it matches",
            ));
        }
        if self.kind == ReviewKind::Checked && !self.matches && self.note.trim().is_empty() {
            return Err(CoreError::invalid(
                "note",
                "say what differs between the website and the register",
            ));
        }
        if self.note.chars().count() > MAX_NOTE_CHARS || self.note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(CoreError::invalid(
                "note",
                format!("a note is plain text of at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        Ok(())
    }

    /// The review a person makes of the list their screen showed
    /// (`seen`, its digest), if it is still the register's list.
    pub fn of_list(
        site: &SiteRegister,
        seen: &str,
        (kind, matches, note): (ReviewKind, bool, &str),
        reviewer: PersonId,
        now: Timestamp,
    ) -> Result<LocationNoticeReview, CoreError> {
        let digest = list_digest(&public_locations(site));
        if seen != digest {
            return Err(CoreError::invalid(
                "list_digest",
                "the register's list changed since it was shown: look at it again",
            ));
        }
        let review = LocationNoticeReview {
            kind,
            reviewed_at: now,
            reviewer,
            list_digest: digest,
            matches: kind == ReviewKind::Published || matches,
            note: note.trim().to_string(),
        };
        review.validate()?;
        Ok(review)
    }

    /// Whether, as this review found it, the website shows `digest`'s list.
    fn confirms(&self, digest: &str) -> bool {
        self.matches && self.list_digest == digest
    }
}

/// The public notice's notices now, for a profile that asks for one
/// (`location_notice_check_days`): the website's list is not the
/// register's (never published, a camera moved, added or removed since, or
/// a check found it differs; the subject is the register's digest, so each
/// new list is a notice of its own), and no review for the profile's
/// period (the subject is the day it fell due).
pub fn location_notices(
    profile: &PolicyProfile,
    site: &SiteRegister,
    reviews: &[&LocationNoticeReview],
    now: Timestamp,
) -> Vec<Due> {
    let Some(period) = profile.location_notice_check_days else {
        return Vec::new();
    };
    let list = public_locations(site);
    let digest = list_digest(&list);
    let latest = reviews.iter().max_by_key(|r| r.reviewed_at);
    let mut due = Vec::new();
    if latest.is_none_or(|r| !r.confirms(&digest)) && !(list.is_empty() && latest.is_none()) {
        due.push(Due {
            kind: AlarmKind::LocationNoticeOutdated,
            subject: Some(digest),
            detail: format!(
                "網站公告的設置區位與登記不符，請更新公告（共 {} 處）/ the published camera locations are not the register's: update the public notice",
                list.len()
            ),
        });
    }
    if let Some(latest) = latest {
        let due_at = latest.reviewed_at.plus_days(period);
        if now >= due_at {
            let date = due_at.taipei_date().to_string();
            due.push(Due {
                kind: AlarmKind::LocationNoticeUnchecked,
                subject: Some(date.clone()),
                detail: format!(
                    "設置區位公告逾 {period} 日未檢視（{date} 到期）/ the public notice of camera locations was not checked within {period} days (due {date})"
                ),
            });
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::{KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};
    use crate::site::{Camera, CameraFeatures};
    use crate::time::DAY_MS;

    const NOW: Timestamp = Timestamp(1_795_485_600_000);

    fn site(locations: &[&str]) -> SiteRegister {
        let mut site = SiteRegister::default();
        for (n, location) in locations.iter().enumerate() {
            site.cameras.insert(
                format!("cam-{n:02}"),
                Camera {
                    name: format!("camera {n}"),
                    location: location.to_string(),
                    zone: Zone::IndoorPublic,
                    features: CameraFeatures::default(),
                    property_number: Some("3140101-03-0001".into()),
                    removed_at: None,
                },
            );
        }
        site
    }

    fn review(kind: ReviewKind, site: &SiteRegister, at: Timestamp, matches: bool) -> LocationNoticeReview {
        LocationNoticeReview {
            kind,
            reviewed_at: at,
            reviewer: "01JD0000000000000000000000".parse().unwrap(),
            list_digest: list_digest(&public_locations(site)),
            matches,
            note: if matches {
                String::new()
            } else {
                "門口那支未列".into()
            },
        }
    }

    fn kinds(due: &[Due]) -> Vec<AlarmKind> {
        due.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn the_list_shows_locations_and_zones_only_quoted_and_escaped() {
        let site = site(&["一樓大廳, 櫃台前", "<b>後門</b>"]);
        let list = public_locations(&site);
        let csv = to_csv(&list);
        assert!(csv.starts_with("\u{feff}編號,設置地點,區域\r\n"));
        assert!(csv.contains("1,\"一樓大廳, 櫃台前\",室內公共區域\r\n"), "{csv}");
        assert!(!csv.contains("3140101"), "no property numbers in public");
        let html = to_html("萬華區戶政事務所", &list, NOW.taipei_date());
        assert!(html.contains("&lt;b&gt;後門&lt;/b&gt;") && !html.contains("<b>後門"));
        assert!(html.contains("民國115年11月24日") && html.contains("共 2 處"), "{html}");
        assert!(!html.contains("camera 0"), "no camera names in public");
    }

    #[test]
    fn a_moved_camera_outdates_the_notice_until_it_is_published_again() {
        let profile = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        let before = site(&["大廳", "後門"]);
        assert_eq!(
            kinds(&location_notices(&profile, &before, &[], NOW)),
            [AlarmKind::LocationNoticeOutdated],
            "never published"
        );
        let published = review(ReviewKind::Published, &before, NOW, true);
        assert!(location_notices(&profile, &before, &[&published], NOW).is_empty());
        let after = site(&["大廳", "側門"]);
        let due = location_notices(&profile, &after, &[&published], NOW);
        assert_eq!(kinds(&due), [AlarmKind::LocationNoticeOutdated]);
        assert_eq!(
            due[0].subject.as_deref(),
            Some(list_digest(&public_locations(&after)).as_str())
        );
        let again = review(ReviewKind::Published, &after, Timestamp(NOW.0 + 1), true);
        assert!(location_notices(&profile, &after, &[&published, &again], NOW).is_empty());
        // A check that finds the website differs outdates it too.
        let differs = review(ReviewKind::Checked, &after, Timestamp(NOW.0 + 2), false);
        assert_eq!(
            kinds(&location_notices(
                &profile,
                &after,
                &[&published, &again, &differs],
                NOW
            )),
            [AlarmKind::LocationNoticeOutdated]
        );
    }

    #[test]
    fn the_notice_falls_due_for_a_check_after_the_profiles_period() {
        let profile = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        let period = i64::from(profile.location_notice_check_days.unwrap());
        let site = site(&["大廳"]);
        let published = review(ReviewKind::Published, &site, NOW, true);
        let just_before = Timestamp(NOW.0 + period * DAY_MS - 1);
        assert!(location_notices(&profile, &site, &[&published], just_before).is_empty());
        let due = location_notices(&profile, &site, &[&published], Timestamp(NOW.0 + period * DAY_MS));
        assert_eq!(kinds(&due), [AlarmKind::LocationNoticeUnchecked]);
        let checked = review(ReviewKind::Checked, &site, Timestamp(NOW.0 + period * DAY_MS), true);
        assert!(
            location_notices(
                &profile,
                &site,
                &[&published, &checked],
                Timestamp(NOW.0 + period * DAY_MS)
            )
            .is_empty()
        );
    }

    #[test]
    fn a_profile_without_a_public_notice_raises_nothing() {
        let profile = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
        assert!(location_notices(&profile, &site(&["大廳"]), &[], NOW).is_empty());
    }

    #[test]
    fn a_review_names_its_list_and_says_what_differs() {
        let site = site(&["大廳"]);
        assert!(review(ReviewKind::Checked, &site, NOW, false).validate().is_ok());
        let mut silent = review(ReviewKind::Checked, &site, NOW, false);
        silent.note.clear();
        assert!(silent.validate().is_err());
        let mut unnamed = review(ReviewKind::Published, &site, NOW, true);
        unnamed.list_digest = "abc".into();
        assert!(unnamed.validate().is_err());
        assert!(review(ReviewKind::Published, &site, NOW, false).validate().is_err());
    }
}
