//! Whose turn an application waits for: the step a person may act on now,
//! so each approver's phone lists what awaits *their* step.

use serde::{Deserialize, Serialize};

use super::status::{Derivation, Status};
use crate::ids::PersonId;
use crate::policy::ApprovalStep;
use crate::roles::Role;

/// What an application in review waits for from one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Turn {
    /// The step of the approval chain, 0-based.
    pub step: usize,
    /// The role the person acts in on it.
    pub role: Role,
    /// 專案小組: the step is a vote, not a signature.
    pub committee: bool,
}

impl Derivation {
    /// The step `person` (holding `roles` now) may act on, if the
    /// application waits for them: the next step of `chain` names one of
    /// their roles and they signed no earlier step (no person signs two
    /// steps of one application); for a committee, they have not voted
    /// yet. Whether their unit fits a step that names one is judged when
    /// the signature is derived; this only says whose desk it is on.
    pub fn turn(&self, chain: &[ApprovalStep], person: &PersonId, roles: &[Role]) -> Option<Turn> {
        let Status::InReview { next_step } = self.status else {
            return None;
        };
        let step = chain.get(next_step)?;
        let role = step.roles().iter().copied().find(|r| roles.contains(r))?;
        let committee = matches!(step, ApprovalStep::Committee { .. });
        let signed_before = self.steps[..next_step.min(self.steps.len())]
            .iter()
            .any(|p| p.signers.contains(person));
        let voted = committee && self.steps.get(next_step).is_some_and(|p| p.signers.contains(person));
        (!signed_before && !voted).then_some(Turn {
            step: next_step,
            role,
            committee,
        })
    }
}
