//! The one permission table: for each register, which roles may read it,
//! write entries into it, and sign in it. Every role list in Custos comes
//! from here: what a device receives (`access::read`), what an upload may
//! change (`access::upload`), whose seal or decision counts (`seal`,
//! `workflow`), and on the recorder who uploads photos or sees camera health.
//!
//! Most cells are fixed by the seeds and DESIGN §6. Four follow the site's
//! profile: who reads a case (the roles of its approval chains), who signs a
//! decision on it (the same, and the staff who withdraw and escort), who reads
//! the personal data (`personal_data_roles`), and who countersigns a check
//! (`inspection.countersign_by`).

use serde::{Deserialize, Serialize};

use crate::documents::DocKey;
use crate::policy::PolicyProfile;
use crate::roles::Role;

/// A register, as the permission table names it (one per kind of document).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// 設置區位.
    Site,
    /// 檢查及保養紀錄 / 檢查日誌.
    Inspections,
    /// 調閱申請單: the case and its decisions.
    ApplicationCase,
    /// 調閱申請單: the applicant's personal data.
    ApplicationPersonal,
    /// 調閱登記簿 / 影音應用紀錄簿.
    Logbook,
    /// Holds and the destruction record.
    Holds,
    /// The audit chain's checkpoints and countersignatures.
    Audit,
}

impl Register {
    pub const ALL: [Register; 7] = [
        Register::Site,
        Register::Inspections,
        Register::ApplicationCase,
        Register::ApplicationPersonal,
        Register::Logbook,
        Register::Holds,
        Register::Audit,
    ];

    /// The register a document belongs to.
    pub fn of(key: &DocKey) -> Register {
        match key {
            DocKey::Site => Register::Site,
            DocKey::Inspections { .. } => Register::Inspections,
            DocKey::ApplicationCase(_) => Register::ApplicationCase,
            DocKey::ApplicationPersonal(_) => Register::ApplicationPersonal,
            DocKey::Logbook { .. } => Register::Logbook,
            DocKey::Holds => Register::Holds,
            DocKey::Audit => Register::Audit,
        }
    }
}

/// What a role may do with a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Receive the register's documents.
    Read,
    /// Add entries in their own name: a check or a repair; an application
    /// and its personal data; a hold for a letter or an investigation.
    Write,
    /// Sign in it: 核章 on a check or a logbook entry, a decision on an
    /// application, the release of a hold, a countersigned audit checkpoint.
    Sign,
}

use Role::*;

/// Every role the profiles know.
const EVERYONE: &[Role] = &Role::ALL;
/// Who walks around, supervises or audits the system.
const LOOK_AFTER_THE_SYSTEM: &[Role] = &[Manager, Inspector, Supervisor, Head, Delegate, Secretary, Auditor];

/// The cells that no profile changes. A register missing for an access
/// here and in [`profile_roles`] allows nobody: the recorder alone writes
/// the site register, the logbook, the destruction record and checkpoints.
const FIXED: &[(Register, Access, &[Role])] = &[
    (Register::Site, Access::Read, EVERYONE),
    (Register::Inspections, Access::Read, LOOK_AFTER_THE_SYSTEM),
    (Register::Inspections, Access::Write, &[Manager, Inspector]),
    // 萬華 檢查日誌: 單位主管核章; a profile may name another role too.
    (Register::Inspections, Access::Sign, &[Supervisor]),
    // The manager receives applications; the ethics office reads everything.
    (Register::ApplicationCase, Access::Read, &[Manager, Auditor]),
    (Register::ApplicationCase, Access::Write, &[Manager]),
    // The manager withdraws an application for its applicant and escorts the viewing.
    (Register::ApplicationCase, Access::Sign, &[Manager]),
    (Register::ApplicationPersonal, Access::Write, &[Manager]),
    (
        Register::Logbook,
        Access::Read,
        &[Manager, Supervisor, Head, Delegate, Secretary, Auditor],
    ),
    // 管理人員 and 主管 sign the logbook; the recorder writes its entries.
    (Register::Logbook, Access::Sign, &[Manager, Supervisor]),
    (
        Register::Holds,
        Access::Read,
        &[Manager, Supervisor, Head, Delegate, Auditor],
    ),
    (Register::Holds, Access::Write, &[Manager]),
    // Only the head (or a delegate) releases a hold.
    (Register::Holds, Access::Sign, &[Head, Delegate]),
    // The head's and the ethics office's devices countersign checkpoints.
    (Register::Audit, Access::Read, &[Head, Delegate, Auditor]),
    (Register::Audit, Access::Sign, &[Head, Delegate, Auditor]),
];

/// 政風室得不定期抽查 (002 §13): who may record a spot check of a case.
pub const SPOT_CHECK_ROLES: &[Role] = &[Role::Auditor];

/// 複製 for an agency is made by the staff handling the system (001 §6(1),
/// 004 §7(3) 專責人員): who may ask the recorder to write an export.
pub const EXPORT_ROLES: &[Role] = &[Role::Manager];

/// 權責單位辦理資訊公告 (004 §4(1), §5(2)): who records publishing and
/// checking the public list of camera locations.
pub const LOCATION_NOTICE_ROLES: &[Role] = &[Role::Manager];

/// The roles of the fixed cell (register, access): those no profile changes.
pub fn fixed_roles(register: Register, access: Access) -> &'static [Role] {
    FIXED
        .iter()
        .find(|(r, a, _)| *r == register && *a == access)
        .map_or(&[], |(_, _, roles)| roles)
}

/// The roles a profile adds to a cell.
fn profile_roles(register: Register, access: Access, profile: &PolicyProfile) -> Vec<Role> {
    let chain_roles = || {
        profile
            .applicants
            .iter()
            .flat_map(|rule| rule.approval.iter())
            .flat_map(|step| step.roles().iter().copied())
            .collect::<Vec<Role>>()
    };
    match (register, access) {
        (Register::ApplicationCase, Access::Read | Access::Sign) => chain_roles(),
        (Register::ApplicationPersonal, Access::Read) => profile.personal_data_roles.clone(),
        (Register::Inspections, Access::Sign) => profile.inspection.countersign_by.into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The roles that may do `access` with `register` at a site on `profile`,
/// in the order of [`Role::ALL`].
pub fn roles(register: Register, access: Access, profile: &PolicyProfile) -> Vec<Role> {
    let mut roles: Vec<Role> = fixed_roles(register, access).to_vec();
    roles.extend(profile_roles(register, access, profile));
    roles.sort();
    roles.dedup();
    roles
}

/// Whether someone holding `held` may do `access` with `register`.
pub fn allows(held: &[Role], register: Register, access: Access, profile: &PolicyProfile) -> bool {
    let allowed = roles(register, access, profile);
    held.iter().any(|r| allowed.contains(r))
}

/// The whole table for a profile: every register and access with its roles,
/// for people (docs, the console) and for tests that read it.
pub fn table(profile: &PolicyProfile) -> Vec<(Register, Access, Vec<Role>)> {
    let mut out = Vec::new();
    for register in Register::ALL {
        for access in [Access::Read, Access::Write, Access::Sign] {
            out.push((register, access, roles(register, access, profile)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::{KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};

    #[test]
    fn the_recorder_alone_writes_the_site_the_logbook_and_the_audit_chain() {
        let profile = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
        for register in [Register::Site, Register::Logbook, Register::Audit] {
            assert!(roles(register, Access::Write, &profile).is_empty(), "{register:?}");
        }
        assert!(roles(Register::Site, Access::Sign, &profile).is_empty());
    }

    #[test]
    fn the_profile_adds_its_chain_its_personal_data_roles_and_its_countersigner() {
        let k = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
        assert!(allows(&[CommitteeParent], Register::ApplicationCase, Access::Read, &k));
        assert!(allows(&[CommitteeParent], Register::ApplicationCase, Access::Sign, &k));
        assert!(!allows(
            &[CommitteeParent],
            Register::ApplicationPersonal,
            Access::Read,
            &k
        ));
        assert!(!allows(&[Inspector], Register::ApplicationCase, Access::Read, &k));
        let mut w = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
        assert!(allows(&[Secretary], Register::ApplicationCase, Access::Sign, &w));
        assert_eq!(roles(Register::Inspections, Access::Sign, &w), [Supervisor]);
        w.inspection.countersign_by = Some(Head);
        assert_eq!(roles(Register::Inspections, Access::Sign, &w), [Supervisor, Head]);
    }
}
