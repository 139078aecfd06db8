//! A device's side of sync for tests: sign in, pull a document with the
//! automerge sync protocol, push changes, read the site register; file a
//! case and sign a decision as a phone would.

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, Change};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_core::application::{ApplicationCase, Decision, DecisionDraft, DecisionEvent, PersonalData};
use custos_core::application_form::{BoxSigner, CaseField};
use custos_core::documents::{self as docs, CURRENT, DocKey};
use custos_core::ids::{EntryId, PersonId};
use custos_core::roles::Role;
use custos_core::site::SiteRegister;
use custos_core::terms::{AccessKind, ApplicantKind, Category};
use custos_core::time::{MINUTE_MS, MinuteWindow, Timestamp};
use custos_core::viewing::{OpeningDraft, ViewingOpening};
use serde_json::{Value, json};

use super::{Recorder, TestDevice};

pub struct Phone {
    pub device: TestDevice,
    pub token: String,
}

pub async fn sign_in(r: &Recorder, person: &str, seed: u8) -> Phone {
    let device = r.enroll(person, seed).await;
    let token = r.token(&device).await;
    Phone { device, token }
}

/// Runs the sync protocol until this device has everything the recorder will give it.
pub async fn pull(r: &Recorder, phone: &Phone, key: &str, doc: &mut AutoCommit) -> reqwest::StatusCode {
    pull_as(r, &phone.token, key, doc).await
}

/// [`pull`] with a bare token; the exchange starts afresh, as the app's does.
pub async fn pull_as(r: &Recorder, token: &str, key: &str, doc: &mut AutoCommit) -> reqwest::StatusCode {
    let mut state = sync::State::new();
    for round in 0..10 {
        let Some(message) = doc.sync().generate_sync_message(&mut state) else {
            return reqwest::StatusCode::OK;
        };
        let body =
            json!({ "documents": [{ "key": key, "message": B64.encode(message.encode()), "start": round == 0 }] });
        let res = r
            .client
            .post(r.url("/v1/sync"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        if res.status() != 200 {
            return res.status();
        }
        let reply: Value = res.json().await.unwrap();
        match reply["documents"][0]["message"].as_str() {
            Some(m) => {
                let message = sync::Message::decode(&B64.decode(m).unwrap()).unwrap();
                doc.sync().receive_sync_message(&mut state, message).unwrap();
            }
            None => return reqwest::StatusCode::OK,
        }
    }
    panic!("sync did not finish in 10 round trips");
}

pub async fn push(r: &Recorder, phone: &Phone, key: &str, changes: &[Change]) -> reqwest::Response {
    let encoded: Vec<String> = changes.iter().map(|c| B64.encode(c.raw_bytes())).collect();
    r.client
        .post(r.url("/v1/push"))
        .bearer_auth(&phone.token)
        .json(&json!({ "key": key, "changes": encoded }))
        .send()
        .await
        .unwrap()
}

pub fn new_changes(doc: &mut AutoCommit, since: &[automerge::ChangeHash]) -> Vec<Change> {
    doc.get_changes(since).into_iter().collect()
}

pub async fn site_of(r: &Recorder, phone: &Phone) -> (AutoCommit, SiteRegister) {
    let mut site = docs::open(&DocKey::Site, None, &phone.device.id).unwrap();
    assert_eq!(pull(r, phone, "site", &mut site).await, 200);
    let register: SiteRegister = autosurgeon::hydrate(&site).unwrap();
    (site, register)
}

pub fn person_id(site: &SiteRegister, name: &str) -> PersonId {
    site.people
        .iter()
        .find(|(_, p)| p.name == name)
        .unwrap()
        .0
        .parse()
        .unwrap()
}

pub async fn listed(r: &Recorder, phone: &Phone) -> Vec<String> {
    let body: Value = r.get("/v1/documents", Some(&phone.token)).await.json().await.unwrap();
    body["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"].as_str().unwrap().to_string())
        .collect()
}

pub fn audit_kinds(r: &Recorder) -> Vec<String> {
    let store = custos_recorder::db::Store::open(&r.data()).unwrap();
    store.audit_rows().unwrap().into_iter().map(|row| row.kind).collect()
}

/// Moves the simulated clock, and signs the phones in anew (their tokens
/// last hours, not days).
pub async fn advance(r: &Recorder, ms: i64, phones: &mut [&mut Phone]) {
    r.advance(ms).await;
    for phone in phones.iter_mut() {
        phone.token = r.token(&phone.device).await;
    }
}

/// A case of `kind` with every field its form has filled, and its personal data.
pub fn filed(
    site: &SiteRegister,
    kind: ApplicantKind,
    by: &str,
    now: Timestamp,
    major: bool,
) -> (ApplicationCase, PersonalData) {
    let profile = site.profile().unwrap();
    let form = profile.application_form(kind).unwrap();
    let has = |f| form.field(f).is_some();
    let text = |f, value: &str| if has(f) { value.to_string() } else { String::new() };
    let personal = PersonalData {
        national_id: has(CaseField::NationalId).then(|| "A123456789".into()),
        phone: has(CaseField::Phone).then(|| "0912345678".into()),
        address: None,
        officer_id: None,
        signature: form
            .signatures
            .iter()
            .any(|b| b.signer == BoxSigner::Applicant)
            .then(|| "5c".repeat(32)),
        salt: "11".repeat(32),
    };
    let category = form.categories.first().copied().unwrap_or(Category::Other);
    let at = Timestamp(now.0 / MINUTE_MS * MINUTE_MS);
    let case = ApplicationCase {
        id: EntryId::from_parts(at.0 as u64, 7),
        filed_at: at,
        filed_by: person_id(site, by),
        applicant_kind: kind,
        applicant_name: "王小明".into(),
        relation: text(CaseField::Relation, "本人"),
        unit: text(CaseField::Unit, "秘書室"),
        cameras: vec!["cam-01".parse().unwrap()],
        window: MinuteWindow::new(Timestamp(at.0 - 120 * MINUTE_MS), Timestamp(at.0 - 60 * MINUTE_MS)).unwrap(),
        reason: "財物遺失".into(),
        category,
        kinds: vec![AccessKind::View],
        attachments: vec![],
        in_court: false,
        major_or_abnormal: major,
        personal_data_digest: personal.digest(),
        viewer: None,
        official_letter: None,
    };
    (case, personal)
}

/// Files the case and its personal data from `phone`; returns the case document.
pub async fn file(
    r: &Recorder,
    phone: &Phone,
    case: &ApplicationCase,
    personal: &PersonalData,
    now: Timestamp,
) -> AutoCommit {
    let case_key = DocKey::ApplicationCase(case.id.clone());
    let mut doc = docs::open(&case_key, None, &phone.device.id).unwrap();
    docs::put_entry(&mut doc, docs::CASE, CURRENT, case).unwrap();
    docs::commit(&mut doc, "filed", now.0);
    let res = push(r, phone, &case_key.to_string(), &new_changes(&mut doc, &[])).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let personal_key = DocKey::ApplicationPersonal(case.id.clone());
    let mut p = docs::open(&personal_key, None, &phone.device.id).unwrap();
    docs::put_entry(&mut p, docs::PERSONAL, CURRENT, personal).unwrap();
    docs::commit(&mut p, "filed", now.0);
    let res = push(r, phone, &personal_key.to_string(), &new_changes(&mut p, &[])).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    doc
}

/// Signs a decision on the case as `phone` has it (pulled first), having
/// seen every event it holds as the app names them, and pushes it.
pub async fn decide(
    r: &Recorder,
    phone: &Phone,
    who: &str,
    role: Role,
    decision: Decision,
    case: &ApplicationCase,
    now: Timestamp,
) {
    let (site_doc, site) = site_of(r, phone).await;
    let key = DocKey::ApplicationCase(case.id.clone());
    let mut doc = docs::open(&key, None, &phone.device.id).unwrap();
    assert_eq!(pull(r, phone, &key.to_string(), &mut doc).await, 200);
    let before = doc.get_heads();
    let draft = DecisionDraft {
        id: EntryId::from_parts(now.0 as u64, 9),
        decision,
        role,
        signer: person_id(&site, who),
        signed_at: now,
    };
    let heads = custos_core::history::heads_to_hex(&site_doc.clone().get_heads());
    let held: std::collections::BTreeMap<String, DecisionEvent> = docs::entries(&doc, docs::EVENTS).unwrap_or_default();
    let seen = custos_core::workflow::frontier(held.values());
    let event = DecisionEvent::sign(draft, case, heads, seen, &phone.device.key);
    docs::put_entry(&mut doc, docs::EVENTS, event.id.as_str(), &event).unwrap();
    docs::commit(&mut doc, "decided", now.0);
    let res = push(r, phone, &key.to_string(), &new_changes(&mut doc, &before)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// The escort's tablet asks for a nonce and opens the viewing of `case`,
/// having checked the applicant; the recorder's answer.
pub async fn open_viewing(
    r: &Recorder,
    phone: &Phone,
    who: &str,
    role: Role,
    case: &ApplicationCase,
) -> reqwest::Response {
    let opening = opening_for(r, phone, who, role, case).await;
    open_with(r, phone, &opening).await
}

/// The opening the escort's tablet signs for `case`, with a nonce it asked for.
pub async fn opening_for(r: &Recorder, phone: &Phone, who: &str, role: Role, case: &ApplicationCase) -> ViewingOpening {
    let (_, site) = site_of(r, phone).await;
    let res = r
        .client
        .post(r.url("/v1/viewings/nonce"))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    let nonce: Value = res.json().await.unwrap();
    let nonce = nonce["nonce"].as_str().unwrap_or_default().to_string();
    ViewingOpening::sign(
        OpeningDraft {
            application: case.id.clone(),
            case_hash: case.content_hash(),
            escort: person_id(&site, who),
            role,
            nonce,
            applicant_checked: true,
            applicant_signature: None,
            signed_at: r.now(),
        },
        &phone.device.key,
    )
}

/// Sends an opening as it is (a replay, a forgery).
pub async fn open_with(r: &Recorder, phone: &Phone, opening: &ViewingOpening) -> reqwest::Response {
    r.client
        .post(r.url("/v1/viewings"))
        .bearer_auth(&phone.token)
        .json(&json!({ "opening": opening }))
        .send()
        .await
        .unwrap()
}
