//! Who receives which document, role by role, written out by hand from the
//! regulations and DESIGN §6 so that a change to the rules shows here. The
//! permission table (`permissions`) must say the same, and `may_read`, which
//! the recorder asks before it sends a document, must follow the table.

use custos_core::access::may_read;
use custos_core::documents::DocKey;
use custos_core::ids::EntryId;
use custos_core::permissions::{self, Access, Register};
use custos_core::policy::PolicyProfile;
use custos_core::roles::Role;
use custos_core::seeds::{DAHU_OFFICE, KAOHSIUNG_KINDERGARTEN, WANHUA_HOUSEHOLD};

/// The columns of the tables below, in this order.
const ROLES: [Role; 9] = Role::ALL;

/// One row per document kind: which of ROLES (in order) may read it.
/// M I S H D Cs Cp Se Au
fn check(profile_id: &str, table: &[(&str, [u8; 9])]) {
    let mut profile = PolicyProfile::builtin(profile_id).unwrap();
    profile = profile.with_floor(Some(31)).unwrap();
    let id = EntryId::from_parts(1, 1);
    for (doc, expected) in table {
        let key = match *doc {
            "site" => DocKey::Site,
            "inspections" => DocKey::Inspections { year: 2026, month: 11 },
            "case" => DocKey::ApplicationCase(id.clone()),
            "personal" => DocKey::ApplicationPersonal(id.clone()),
            "logbook" => DocKey::Logbook { year: 2026 },
            "holds" => DocKey::Holds,
            "audit" => DocKey::Audit,
            other => panic!("{other}"),
        };
        let readers = permissions::roles(Register::of(&key), Access::Read, &profile);
        for (role, want) in ROLES.iter().zip(expected) {
            assert_eq!(
                readers.contains(role),
                *want == 1,
                "{profile_id}: the permission table on {} reading {doc}",
                role.as_str()
            );
            assert_eq!(
                may_read(&key, &[*role], &profile, false),
                readers.contains(role),
                "{profile_id}: may_read against the table on {} reading {doc}",
                role.as_str()
            );
        }
    }
    assert!(!may_read(&DocKey::Site, &[], &profile, false), "no roles, nothing");
}

#[test]
fn kaohsiung_kindergarten() {
    check(
        KAOHSIUNG_KINDERGARTEN,
        &[
            //                M  I  S  H  D  Cs Cp Se Au
            ("site", [1, 1, 1, 1, 1, 1, 1, 1, 1]),
            ("inspections", [1, 1, 1, 1, 1, 0, 0, 1, 1]),
            // The committee reviews cases; the inspector never sees one.
            ("case", [1, 0, 1, 1, 0, 1, 1, 0, 1]),
            // 身分證號 and phone: the manager who receives the form and the principal only.
            ("personal", [1, 0, 0, 1, 0, 0, 0, 0, 0]),
            ("logbook", [1, 0, 1, 1, 1, 0, 0, 1, 1]),
            ("holds", [1, 0, 1, 1, 1, 0, 0, 0, 1]),
            ("audit", [0, 0, 0, 1, 1, 0, 0, 0, 1]),
        ],
    );
}

#[test]
fn dahu_office() {
    check(
        DAHU_OFFICE,
        &[
            ("site", [1, 1, 1, 1, 1, 1, 1, 1, 1]),
            ("inspections", [1, 1, 1, 1, 1, 0, 0, 1, 1]),
            ("case", [1, 0, 0, 1, 1, 0, 0, 0, 1]),
            ("personal", [1, 0, 0, 1, 1, 0, 0, 0, 0]),
            ("logbook", [1, 0, 1, 1, 1, 0, 0, 1, 1]),
            ("holds", [1, 0, 1, 1, 1, 0, 0, 0, 1]),
            ("audit", [0, 0, 0, 1, 1, 0, 0, 0, 1]),
        ],
    );
}

#[test]
fn wanhua_household() {
    check(
        WANHUA_HOUSEHOLD,
        &[
            ("site", [1, 1, 1, 1, 1, 1, 1, 1, 1]),
            ("inspections", [1, 1, 1, 1, 1, 0, 0, 1, 1]),
            // The internal chain: unit head, manager, secretary, director.
            ("case", [1, 0, 1, 1, 1, 0, 0, 1, 1]),
            ("personal", [1, 0, 0, 1, 1, 0, 0, 0, 0]),
            ("logbook", [1, 0, 1, 1, 1, 0, 0, 1, 1]),
            ("holds", [1, 0, 1, 1, 1, 0, 0, 0, 1]),
            ("audit", [0, 0, 0, 1, 1, 0, 0, 0, 1]),
        ],
    );
}

#[test]
fn a_major_case_reaches_the_notified_role_at_once() {
    // A custom profile whose notified role would not otherwise read cases.
    let mut profile = PolicyProfile::builtin(WANHUA_HOUSEHOLD).unwrap();
    profile.notify_on_major = Some(Role::Inspector);
    let key = DocKey::ApplicationCase(EntryId::from_parts(1, 1));
    assert!(!may_read(&key, &[Role::Inspector], &profile, false));
    assert!(may_read(&key, &[Role::Inspector], &profile, true));
}

/// Need-to-know is per case: the committee reviews a guardian's application
/// and never sees a police request; the staff who receive applications and
/// the ethics office see both.
#[test]
fn the_committee_reads_only_the_cases_put_before_it() {
    use custos_core::access::may_read_case;
    use custos_core::terms::ApplicantKind;
    let profile = PolicyProfile::builtin(KAOHSIUNG_KINDERGARTEN).unwrap();
    let case_of = |applicant_kind| custos_core::application::ApplicationCase {
        applicant_kind,
        ..serde_json::from_value(serde_json::json!({
            "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "filed_at": 0, "filed_by": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "applicant_kind": "citizen", "applicant_name": "王小明", "relation": "", "unit": "",
            "cameras": ["cam-01"], "window": { "start": 0, "end": 60000 }, "reason": "r",
            "category": "loss_or_damage", "kinds": ["view"], "attachments": [], "in_court": false,
            "major_or_abnormal": false, "personal_data_digest": ""
        }))
        .unwrap()
    };
    let guardian = case_of(ApplicantKind::GuardianOrStudent);
    let police = case_of(ApplicantKind::PublicAgency);
    for role in [Role::CommitteeParent, Role::CommitteeStaff] {
        assert!(may_read_case(&guardian, &[role], &profile), "{role:?} reviews it");
        assert!(!may_read_case(&police, &[role], &profile), "{role:?} never sees it");
    }
    for role in [Role::Manager, Role::Auditor, Role::Head] {
        assert!(may_read_case(&police, &[role], &profile) && may_read_case(&guardian, &[role], &profile));
    }
    assert!(!may_read_case(&guardian, &[Role::Inspector], &profile));
}
