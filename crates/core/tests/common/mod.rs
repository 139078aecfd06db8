//! A site with people, devices and cameras, built the way the recorder will
//! build it, for the core's integration and property tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use automerge::AutoCommit;
use custos_core::application::{ApplicationCase, Attachment, PersonalData};
use custos_core::application::{Decision, DecisionDraft, DecisionEvent};
use custos_core::documents::{self as docs, DocKey};
use custos_core::history::{SiteHistory, heads_to_hex};
use custos_core::ids::{EntryId, PersonId};
use custos_core::policy::PolicyProfile;
use custos_core::roles::Role;
use custos_core::signing::DeviceKey;
use custos_core::site::{Camera, CameraFeatures, Device, Person, SiteInfo, Zone};
use custos_core::terms::ApplicantKind;
use custos_core::terms::{AccessKind, AttachmentKind, Category};
use custos_core::time::{MINUTE_MS, MinuteWindow, Timestamp};
use custos_core::viewing::{OpeningDraft, ViewingOpening};

/// 2026-11-24 10:00 Taipei, on a whole minute.
pub const NOW: Timestamp = Timestamp(1_795_485_600_000);

pub struct Member {
    pub id: PersonId,
    pub key: DeviceKey,
    pub roles: Vec<Role>,
}

pub struct Fixture {
    pub site: AutoCommit,
    pub profile: PolicyProfile,
    pub members: BTreeMap<&'static str, Member>,
    next_id: u128,
}

impl Fixture {
    pub fn new(profile_id: &str) -> Self {
        let mut profile = PolicyProfile::builtin(profile_id).unwrap();
        if profile.retention.floor_days.is_none() {
            profile = profile.with_floor(Some(30)).unwrap();
        }
        let recorder = recorder_key();
        let mut site = docs::open(&DocKey::Site, None, &recorder.device_id()).unwrap();
        let info = SiteInfo {
            name: "測試機關".into(),
            profile_json: profile.to_json(),
            recorder_public_key: recorder.public_key_hex(),
            opening_hours: Default::default(),
        };
        autosurgeon::reconcile_prop(&mut site, automerge::ROOT, "site", &info).unwrap();
        for (id, audio) in [("cam-01", true), ("cam-02", false)] {
            let camera = Camera {
                name: format!("攝影機 {id}"),
                location: "大門".into(),
                zone: Zone::OutdoorPublic,
                features: CameraFeatures {
                    colour: true,
                    full_angle: true,
                    time_overlay: true,
                    audio,
                },
                property_number: Some("3140101-03".into()),
                removed_at: None,
            };
            docs::put_entry(&mut site, "cameras", id, &camera).unwrap();
        }
        docs::commit(&mut site, "site created", NOW.0);
        Fixture {
            site,
            profile,
            members: BTreeMap::new(),
            next_id: 1,
        }
    }

    pub fn id(&mut self) -> EntryId {
        self.next_id += 1;
        EntryId::from_parts(NOW.0 as u64, self.next_id)
    }

    /// Adds a person with one enrolled device (key from `seed`).
    pub fn add(&mut self, name: &'static str, roles: &[Role], seed: u8) -> PersonId {
        self.add_in(name, roles, None, seed)
    }

    /// A person of a unit (課室), for chains that ask for a unit's supervisor.
    pub fn add_in(&mut self, name: &'static str, roles: &[Role], unit: Option<&str>, seed: u8) -> PersonId {
        let id: PersonId = self.id().into();
        let key = DeviceKey::from_seed(&[seed; 32]);
        let person = Person {
            name: name.into(),
            roles: roles.to_vec(),
            unit: unit.map(str::to_string),
            revoked_at: None,
        };
        let device = Device {
            person: id.clone(),
            public_key: key.public_key_hex(),
            enrolled_at: NOW,
            revoked_at: None,
        };
        docs::put_entry(&mut self.site, "people", id.as_str(), &person).unwrap();
        docs::put_entry(&mut self.site, "devices", key.device_id().as_str(), &device).unwrap();
        docs::commit(&mut self.site, &format!("add {name}"), NOW.0);
        self.members.insert(
            name,
            Member {
                id: id.clone(),
                key,
                roles: roles.to_vec(),
            },
        );
        id
    }

    pub fn revoke(&mut self, name: &str) {
        let id = self.members[name].id.clone();
        let mut person: Person = docs::get_entry(&self.site, "people", id.as_str()).unwrap().unwrap();
        person.revoked_at = Some(NOW);
        docs::put_entry(&mut self.site, "people", id.as_str(), &person).unwrap();
        docs::commit(&mut self.site, &format!("revoke {name}"), NOW.0);
    }

    pub fn heads(&mut self) -> Vec<String> {
        heads_to_hex(&self.site.get_heads())
    }

    pub fn history(&mut self) -> SiteHistory {
        SiteHistory::new(self.site.document().clone())
    }

    /// A case that the profile accepts from `kind`, with valid personal
    /// data: every field its form has, filled.
    pub fn case(&mut self, kind: ApplicantKind, filed_by: &str) -> (ApplicationCase, PersonalData) {
        use custos_core::application_form::CaseField;
        let form = self
            .profile
            .application_form(kind)
            .expect("profile accepts this applicant");
        let has = |field| form.field(field).is_some();
        let text = |field, value: &str| if has(field) { value.to_string() } else { String::new() };
        let personal = PersonalData {
            national_id: has(CaseField::NationalId).then(|| "A123456789".into()),
            phone: has(CaseField::Phone).then(|| "0912-345-678".into()),
            address: None,
            officer_id: None,
            // Drawn on the tablet wherever the form has the applicant sign.
            signature: form
                .signatures
                .iter()
                .any(|b| b.signer == custos_core::application_form::BoxSigner::Applicant)
                .then(|| "5c".repeat(32)),
            salt: "ab".repeat(32),
        };
        let rule = self
            .profile
            .applicant_rule(kind)
            .expect("profile accepts this applicant")
            .clone();
        let attachments = rule
            .required_attachments
            .iter()
            .map(|k| Attachment {
                kind: *k,
                reference: "北市警字第1130001號".into(),
                blob: None,
            })
            .collect();
        let category = rule.categories.first().copied().unwrap_or(Category::LossOrDamage);
        let case = ApplicationCase {
            id: self.id(),
            filed_at: NOW,
            filed_by: self.members[filed_by].id.clone(),
            applicant_kind: kind,
            applicant_name: "王小明".into(),
            relation: text(CaseField::Relation, "本人"),
            unit: text(CaseField::Unit, "總務處"),
            cameras: vec!["cam-01".parse().unwrap()],
            window: MinuteWindow::new(Timestamp(NOW.0 - 120 * MINUTE_MS), Timestamp(NOW.0 - 60 * MINUTE_MS)).unwrap(),
            reason: "遺失錢包，需確認時段".into(),
            category,
            kinds: vec![AccessKind::View],
            attachments,
            in_court: false,
            major_or_abnormal: false,
            personal_data_digest: personal.digest(),
            viewer: has(CaseField::Viewer).then(|| "王小明".into()),
            official_letter: has(CaseField::LetterNumber).then(|| custos_core::application::OfficialLetter {
                number: "北市警刑字第1130001號".into(),
                date: "2024-09-27".into(),
                legal_basis: "刑事訴訟法第133條".into(),
                purpose: "偵辦竊盜案".into(),
                scope: "大門攝影機，一小時".into(),
                intended_use: "證據".into(),
            }),
        };
        let _ = AttachmentKind::Other;
        (case, personal)
    }

    /// `who` signs `decision` in `role` on `case`, having seen `seen`.
    pub fn sign(
        &mut self,
        who: &str,
        role: Role,
        decision: Decision,
        case: &ApplicationCase,
        seen: &BTreeMap<String, DecisionEvent>,
    ) -> DecisionEvent {
        let heads = self.heads();
        self.sign_at(who, role, decision, case, seen, heads)
    }

    pub fn sign_at(
        &mut self,
        who: &str,
        role: Role,
        decision: Decision,
        case: &ApplicationCase,
        seen: &BTreeMap<String, DecisionEvent>,
        site_heads: Vec<String>,
    ) -> DecisionEvent {
        let id = self.id();
        let member = &self.members[who];
        // A viewing is the recorder's record of the opening `who` signed.
        let recorder = recorder_key();
        let (decision, key) = match decision {
            Decision::Viewing { session, .. } => (
                Decision::Viewing {
                    session,
                    opening: self.opening(who, role, case),
                },
                &recorder,
            ),
            // So is an export: the recorder's, in the manager's name.
            export @ Decision::Export { .. } => (export, &recorder),
            other => (other, &member.key),
        };
        let draft = DecisionDraft {
            id,
            decision,
            role,
            signer: member.id.clone(),
            signed_at: NOW,
        };
        DecisionEvent::sign(
            draft,
            case,
            site_heads,
            // As the app signs: the newest it has; their pasts bring the rest.
            custos_core::workflow::frontier(seen.values()),
            key,
        )
    }

    /// The opening `who`'s tablet signs for a viewing of `case`.
    pub fn opening(&self, who: &str, role: Role, case: &ApplicationCase) -> ViewingOpening {
        let member = &self.members[who];
        ViewingOpening::sign(
            OpeningDraft {
                application: case.id.clone(),
                case_hash: case.content_hash(),
                escort: member.id.clone(),
                role,
                nonce: "nonce-1".into(),
                applicant_checked: true,
                applicant_signature: None,
                signed_at: NOW,
            },
            &member.key,
        )
    }
}

impl Fixture {
    /// `who` decides on `case` having seen `events`; the event joins them.
    pub fn decide(
        &mut self,
        events: &mut BTreeMap<String, DecisionEvent>,
        who: &str,
        role: Role,
        decision: Decision,
        case: &ApplicationCase,
    ) -> DecisionEvent {
        let e = self.sign(who, role, decision, case, events);
        push(events, e)
    }

    pub fn decide_at(
        &mut self,
        events: &mut BTreeMap<String, DecisionEvent>,
        who: &str,
        role: Role,
        decision: Decision,
        case: &ApplicationCase,
        site_heads: Vec<String>,
    ) -> DecisionEvent {
        let e = self.sign_at(who, role, decision, case, events, site_heads);
        push(events, e)
    }
}

/// Adds an event to a map the way the case document stores it.
pub fn push(events: &mut BTreeMap<String, DecisionEvent>, e: DecisionEvent) -> DecisionEvent {
    events.insert(e.id.to_string(), e.clone());
    e
}

pub fn reject(reason: &str) -> Decision {
    Decision::Reject { reason: reason.into() }
}

pub fn vote(in_favour: bool) -> Decision {
    Decision::Vote {
        in_favour,
        reason: if in_favour {
            String::new()
        } else {
            "證據不足".into()
        },
    }
}

/// The recorder's site key (its public key is the site register's).
pub fn recorder_key() -> DeviceKey {
    DeviceKey::from_seed(&[200; 32])
}

/// A viewing; [`Fixture::sign`] makes it as the recorder does, from the
/// signer's opening.
pub fn viewing(session: &str) -> Decision {
    Decision::Viewing {
        session: session.into(),
        opening: ViewingOpening {
            application: EntryId::from_parts(0, 0),
            case_hash: String::new(),
            escort: EntryId::from_parts(0, 0).into(),
            role: Role::Manager,
            device: recorder_key().device_id(),
            nonce: String::new(),
            applicant_checked: false,
            applicant_signature: None,
            signed_at: NOW,
            signature: String::new(),
        },
    }
}

/// An export (複製); [`Fixture::sign`] signs it with the recorder's key.
pub fn export(id: &str) -> Decision {
    Decision::Export {
        export: id.into(),
        manifest_sha256: "ab".repeat(32),
    }
}
