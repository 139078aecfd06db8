//! Holds and the destruction record. A hold keeps footage past retention for a
//! case: cameras, a minute-precise window, a legal basis, a reference and a
//! review date. Holds are counted: several cases may hold the same minute, and
//! the footage goes only when the last is released. Every destruction is recorded.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::application::ApplicationCase;
use crate::error::CoreError;
use crate::ids::{CameraId, EntryId, PersonId};
use crate::policy::{EffectiveRetention, PolicyProfile};
use crate::seal::content_hash;
use crate::time::{MinuteWindow, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Hold {
    pub cameras: Vec<CameraId>,
    pub window: MinuteWindow,
    pub basis: HoldBasis,
    /// The law or decision that requires keeping the footage, in words.
    pub legal_basis: String,
    /// Application id or official letter number (文號).
    pub reference: String,
    pub application: Option<EntryId>,
    pub placed_at: Timestamp,
    /// `None`: placed by the recorder itself.
    pub placed_by: Option<PersonId>,
    /// When someone must decide whether it is still needed.
    pub review_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum HoldBasis {
    /// An application was filed for this window: the footage must not expire
    /// while it waits (001 §6(3)).
    #[autosurgeon(rename = "application_filed")]
    ApplicationFiled,
    /// 001 §6(4): a copy of what was viewed is kept on record.
    #[autosurgeon(rename = "viewed_on_record")]
    ViewedOnRecord,
    /// An agency's official letter asks to keep it.
    #[autosurgeon(rename = "official_letter")]
    OfficialLetter,
    /// 因調查犯罪及其他違法行為，有繼續保存之必要.
    #[autosurgeon(rename = "investigation")]
    Investigation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DestructionRecord {
    pub camera: CameraId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub bytes: u64,
    pub destroyed_at: Timestamp,
    pub reason: DestructionReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum DestructionReason {
    /// Older than the ceiling and not held: must go (至遲應於一年內銷毀).
    #[autosurgeon(rename = "past_ceiling")]
    PastCeiling,
    /// Past the floor, oldest first, because the disk needed room.
    #[autosurgeon(rename = "space_needed")]
    SpaceNeeded,
    /// 004 §7(3): a copy made for a viewing, destroyed right after it.
    #[autosurgeon(rename = "temporary_copy_after_viewing")]
    TemporaryCopyAfterViewing,
}

/// A renewal keeps footage longer than its reason did: it states the
/// legal basis that requires it (the seal's note), in a few words at least.
pub fn check_renewal_basis(basis: &str) -> Result<(), CoreError> {
    if basis.trim().chars().count() < 4 {
        return Err(CoreError::invalid(
            "legal_basis",
            "a renewal keeps footage longer: state its legal basis",
        ));
    }
    Ok(())
}

impl Hold {
    pub fn content_hash(&self) -> String {
        content_hash("custos/hold/v1", self)
    }

    /// The hold the recorder places the moment an application is filed,
    /// until the decision deadline has passed.
    pub fn for_filed_application(case: &ApplicationCase, profile: &PolicyProfile, placed_at: Timestamp) -> Hold {
        let basis = format!("調閱申請審查中 (application under review, {})", profile.source);
        Hold::for_application(
            case,
            HoldBasis::ApplicationFiled,
            basis,
            placed_at,
            profile.decision_deadline_days,
        )
    }

    /// A hold the recorder places for an application: its cameras and window.
    fn for_application(
        case: &ApplicationCase,
        basis: HoldBasis,
        legal_basis: String,
        placed_at: Timestamp,
        review_in_days: u32,
    ) -> Hold {
        Hold {
            cameras: case.cameras.clone(),
            window: case.window,
            basis,
            legal_basis,
            reference: case.id.to_string(),
            application: Some(case.id.clone()),
            placed_at,
            placed_by: None,
            review_at: placed_at.plus_days(review_in_days),
        }
    }

    /// Whether the outcome of the application this hold was placed for has
    /// ended it: a filing hold keeps the window while the application is in
    /// review, and after approval until the viewing. A rejection or a
    /// withdrawal means no viewing will come, and after the viewing the
    /// profile's own hold takes over where it keeps viewed footage on record
    /// ([`Hold::for_viewed_application`]); either way the filing hold ends
    /// without a release. Other holds end only by a release.
    pub fn ended_by(&self, application: &crate::workflow::Status) -> bool {
        use crate::workflow::Status;
        self.basis == HoldBasis::ApplicationFiled
            && matches!(
                application,
                Status::Rejected { .. } | Status::Withdrawn | Status::Viewed
            )
    }

    /// The hold that keeps viewed footage on record after the viewing, where
    /// the profile says so (001 §6(4): 留存備查 until no longer needed): the
    /// application's cameras and window, reviewed by the head after
    /// the profile's `viewed_review_days`, released by them. `None` where the profile
    /// keeps nothing beyond ordinary retention.
    pub fn for_viewed_application(
        case: &ApplicationCase,
        profile: &PolicyProfile,
        placed_at: Timestamp,
    ) -> Option<Hold> {
        (profile.after_viewing == crate::policy::AfterViewing::KeepOnRecord).then(|| {
            let basis = format!("調閱影像留存備查 (viewed footage kept on record, {})", profile.source);
            Hold::for_application(
                case,
                HoldBasis::ViewedOnRecord,
                basis,
                placed_at,
                profile.viewed_review_days,
            )
        })
    }

    /// The hold on footage exported for an agency (001 §6(1)): the exported
    /// cameras and window, under basis `official_letter` with the letter's
    /// legal basis and 文號, placed in the name of the manager who asked
    /// for the export and reviewed by the head after the profile's
    /// `export_hold_days`. `None` for a case without a letter.
    pub fn for_exported_application(
        case: &ApplicationCase,
        (cameras, window): (Vec<CameraId>, crate::time::MinuteWindow),
        by: crate::ids::PersonId,
        profile: &PolicyProfile,
        placed_at: Timestamp,
    ) -> Option<Hold> {
        let letter = case.official_letter.as_ref()?;
        Some(Hold {
            cameras,
            window,
            basis: HoldBasis::OfficialLetter,
            legal_basis: letter.legal_basis.clone(),
            reference: letter.number.clone(),
            application: Some(case.id.clone()),
            placed_at,
            placed_by: Some(by),
            review_at: placed_at.plus_days(profile.export_hold_days),
        })
    }

    /// When the hold stops keeping footage, so that no hold outlives its
    /// reason: its review date (a filing hold's is the decision deadline,
    /// a viewed-on-record hold's the profile's review, a letter's or an
    /// investigation's what the manager set); for the filing hold of an
    /// approved application, the profile's viewing deadline after that;
    /// and each renewal by the head (`renewed`: when each valid renewal was
    /// signed) keeps it `hold_renewal_days` from the renewal.
    pub fn lapses_at(
        &self,
        application: Option<&crate::workflow::Status>,
        renewed: impl IntoIterator<Item = Timestamp>,
        profile: &PolicyProfile,
    ) -> Timestamp {
        let approved = matches!(application, Some(crate::workflow::Status::Approved));
        let base = if self.basis == HoldBasis::ApplicationFiled && approved {
            self.review_at.plus_days(profile.viewing_deadline_days)
        } else {
            self.review_at
        };
        renewed
            .into_iter()
            .map(|at| at.plus_days(profile.hold_renewal_days))
            .fold(base, Timestamp::max)
    }

    /// Whether this hold keeps `camera`'s footage in `[start, end)`.
    pub fn covers(&self, camera: &CameraId, start: Timestamp, end: Timestamp) -> bool {
        self.cameras.contains(camera) && self.window.overlaps(start, end)
    }

    /// A hold names cameras and a valid window, is reviewed after it is placed,
    /// and states its legal basis when it keeps footage past the ceiling.
    pub fn validate(&self, retention: &EffectiveRetention) -> Result<(), CoreError> {
        self.window.validate()?;
        if self.cameras.is_empty() {
            return Err(CoreError::invalid("hold", "name at least one camera"));
        }
        if self.reference.trim().is_empty() {
            return Err(CoreError::invalid(
                "hold",
                "a reference (application or 文號) is required",
            ));
        }
        if self.review_at <= self.placed_at {
            return Err(CoreError::invalid(
                "hold",
                "the review date must be after the hold is placed",
            ));
        }
        let past_ceiling = self.review_at > self.window.start.plus_days(retention.ceiling_days);
        if past_ceiling && self.legal_basis.trim().is_empty() {
            return Err(CoreError::Policy(
                "this hold keeps footage past the one-year ceiling: state its legal basis".into(),
            ));
        }
        Ok(())
    }
}
