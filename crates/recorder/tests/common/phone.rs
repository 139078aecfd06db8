//! A device's side of sync for tests: sign in, pull a document with the
//! automerge sync protocol, push changes, read the site register.

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, Change};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_core::documents::{self as docs, DocKey};
use custos_core::ids::PersonId;
use custos_core::site::SiteRegister;
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
    let mut state = sync::State::new();
    for _ in 0..10 {
        let Some(message) = doc.sync().generate_sync_message(&mut state) else {
            return reqwest::StatusCode::OK;
        };
        let body = json!({ "documents": [{ "key": key, "message": B64.encode(message.encode()) }] });
        let res = r
            .client
            .post(r.url("/v1/sync"))
            .bearer_auth(&phone.token)
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
