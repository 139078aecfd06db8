//! What a derivation yields: the status, why an event does not count, and
//! the progress on each step of the chain.

use serde::{Deserialize, Serialize};

use crate::ids::{EntryId, PersonId};
use crate::roles::Role;

/// The state of an application, derived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Status {
    /// Waiting for step `next_step` of the approval chain (0-based).
    InReview {
        next_step: usize,
    },
    /// Approved and not yet viewed: one viewing may be opened.
    Approved,
    /// 否准, with the reasons given.
    Rejected {
        reasons: Vec<String>,
    },
    Withdrawn,
    /// The one viewing has taken place; no other may.
    Viewed,
}

impl Status {
    /// One application allows one viewing (002 §11): only an approved,
    /// unused application may open a playback session.
    pub fn may_open_viewing(&self) -> bool {
        matches!(self, Status::Approved)
    }

    pub fn is_final(&self) -> bool {
        !matches!(self, Status::InReview { .. })
    }
}

/// Why an event does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum IgnoreReason {
    /// Stored under a key other than its own id (a copied event).
    StoredUnderOtherKey,
    /// Signed for another application.
    OtherApplication,
    /// The site history the signer named is not known here (yet).
    SiteStateUnknown,
    /// The signer claims to have seen less of the site than events it builds on.
    SiteStateRegressed,
    /// The device is not enrolled, or belongs to someone else.
    DeviceNotTheSigners,
    /// The device or the person had been revoked in the site the signer saw.
    Revoked,
    /// The signer did not hold the role.
    RoleNotHeld,
    /// The role may not make this decision under the site's profile.
    RoleMayNotDecide,
    BadSignature,
    /// Signed over another version of the case: the case was amended since.
    CaseChanged,
    /// A rejection, withdrawal or vote against without a reason.
    MissingReason,
    /// A final approval by someone who signed an earlier step: no person
    /// signs two steps of one application.
    SignedAnotherStep,
    /// A final approval by someone not of the unit its step names.
    NotOfTheStepsUnit,
    /// A final approval before the earlier steps of the chain were complete.
    StepsMissing {
        missing: Vec<usize>,
    },
    /// Made after the application was already decided.
    AfterFinalDecision,
    /// An approval that lost to a concurrent rejection or withdrawal.
    OverriddenByConcurrentDecision,
    /// A person voted twice without one vote having seen the other.
    ConflictingVotes,
    /// A viewing of an application that was not approved.
    ViewingWithoutApproval,
    /// One application allows one viewing.
    SecondViewing,
    /// A viewing not signed with the site key: only the recorder records
    /// one, when it opens the session.
    NotTheRecorders,
    /// A viewing whose escort's opening is not for this application, not
    /// the escort's, or not one the site's rules allowed when it was opened.
    OpeningMismatch,
    /// A viewing or an export of an application that did not ask for it
    /// (資料處理方式: 調閱, 複製).
    KindNotAsked,
    /// An export of an application that was not approved.
    ExportWithoutApproval,
    /// One application of kind copy allows one export.
    SecondExport,
    /// A reply letter (函覆) on a case no agency's letter asked.
    NoLetterToReply,
    /// A reply letter without its number, with a date that does not parse,
    /// or a scan that is not named by its SHA-256.
    MalformedReply,
    /// A reply letter made before its signer had seen the decision that counts.
    ReplyWithoutDecision,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    pub event: EntryId,
    #[serde(flatten)]
    pub reason: IgnoreReason,
}

/// Progress on one step of the chain, for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepProgress {
    pub roles: Vec<Role>,
    pub done: bool,
    /// Who signed (for a committee: who voted).
    pub signers: Vec<PersonId>,
    pub votes_for: usize,
    pub votes_against: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derivation {
    pub status: Status,
    /// The export (複製) that counts, if the application had its one.
    pub exported: Option<EntryId>,
    /// The events that count, in id order.
    pub counted: Vec<EntryId>,
    /// The events that do not, with why, in id order.
    pub ignored: Vec<Ignored>,
    pub steps: Vec<StepProgress>,
}

impl Derivation {
    pub fn ignored_reason(&self, id: &EntryId) -> Option<&IgnoreReason> {
        self.ignored.iter().find(|i| &i.event == id).map(|i| &i.reason)
    }
}
