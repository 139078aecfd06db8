//! Roles a person can hold at a site. The common ones come from every seed;
//! the rest only matter where a policy profile names them.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 專責人員 / 管理人員 / 承辦人: runs the system, checks it, receives
    /// applications, escorts every viewing (陪同).
    #[autosurgeon(rename = "manager")]
    Manager,
    /// 檢查人員: does the walk-around check only.
    #[autosurgeon(rename = "inspector")]
    Inspector,
    /// 處室主管 / 單位主管: countersigns inspection logs (核章) and applications.
    #[autosurgeon(rename = "supervisor")]
    Supervisor,
    /// 校長 / 園長 / 負責人 / 機關首長 (萬華: 主任): approves or rejects.
    #[autosurgeon(rename = "head")]
    Head,
    /// 授權人員: the person the head has authorised to decide in their place.
    #[autosurgeon(rename = "delegate")]
    Delegate,
    /// 專案小組 教保服務人員代表: the committee's staff representative (kindergarten).
    #[autosurgeon(rename = "committee_staff")]
    CommitteeStaff,
    /// 專案小組 家長代表: the committee's parent representative (kindergarten).
    #[autosurgeon(rename = "committee_parent")]
    CommitteeParent,
    /// 秘書: the secretary in the 萬華 internal approval chain.
    #[autosurgeon(rename = "secretary")]
    Secretary,
    /// 政風室: the ethics office; spot checks (不定期抽查), reads and verifies.
    #[autosurgeon(rename = "auditor")]
    Auditor,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Manager,
        Role::Inspector,
        Role::Supervisor,
        Role::Head,
        Role::Delegate,
        Role::CommitteeStaff,
        Role::CommitteeParent,
        Role::Secretary,
        Role::Auditor,
    ];

    /// The name used in the CLI, the API and stored documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Inspector => "inspector",
            Role::Supervisor => "supervisor",
            Role::Head => "head",
            Role::Delegate => "delegate",
            Role::CommitteeStaff => "committee_staff",
            Role::CommitteeParent => "committee_parent",
            Role::Secretary => "secretary",
            Role::Auditor => "auditor",
        }
    }

    /// The name the forms use.
    pub fn title_zh(self) -> &'static str {
        match self {
            Role::Manager => "專責人員",
            Role::Inspector => "檢查人員",
            Role::Supervisor => "單位主管",
            Role::Head => "機關首長",
            Role::Delegate => "授權人員",
            Role::CommitteeStaff => "專案小組教保服務人員代表",
            Role::CommitteeParent => "專案小組家長代表",
            Role::Secretary => "秘書",
            Role::Auditor => "政風室",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = crate::CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            crate::CoreError::invalid("role", format!("{s:?}; expected one of {}", names.join(", ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_in_every_form() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert!("janitor".parse::<Role>().is_err());
    }
}
