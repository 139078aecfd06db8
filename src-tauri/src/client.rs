//! The recorder's HTTP API as the app uses it. Every request goes over TLS
//! to exactly the certificate the enrollment text named (pinning.rs); the
//! errors are sorted into what a person can act on: offline (the work waits
//! on this device), a different recorder, a refusal with its rule, or a
//! problem the recorder described.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_core::access::Refusal;
use custos_core::signing::{DeviceKey, auth_challenge_bytes};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::pinning::PinnedCertificate;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the recorder cannot be reached ({0}); the work stays on this device and goes out when it can")]
    Offline(String),
    #[error(
        "this is not the recorder this device enrolled with: its certificate is different. \
         Check the address, or enroll again if the recorder was replaced"
    )]
    WrongCertificate,
    #[error("the recorder refused a change: {}", .0.message)]
    Refused(Refusal),
    #[error("{title}: {detail}")]
    Problem { status: u16, title: String, detail: String },
    #[error("the recorder answered something this app does not understand: {0}")]
    Protocol(String),
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// What the recorder returns on enrollment (POST /v1/enroll).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub device_id: String,
    pub person_id: String,
    pub person_name: String,
    pub roles: Vec<String>,
    pub site_name: String,
    pub profile_id: String,
    pub recorder_public_key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocumentInfo {
    pub key: String,
    pub heads: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub token: String,
    pub expires_at: i64,
}

pub struct RecorderClient {
    base: String,
    http: reqwest::Client,
}

impl RecorderClient {
    /// A client for the recorder at `base` (`https://HOST:PORT`) whose
    /// certificate has the SHA-256 `fingerprint`.
    pub fn new(base: &str, fingerprint: &str) -> Result<RecorderClient> {
        let tls = PinnedCertificate::new(fingerprint)
            .and_then(PinnedCertificate::client_config)
            .map_err(ClientError::Protocol)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(RecorderClient {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn enroll(&self, code: &str, public_key_hex: &str) -> Result<Enrolled> {
        let body = json!({ "code": code, "public_key": public_key_hex });
        self.send(self.http.post(self.url("/v1/enroll")).json(&body)).await
    }

    /// Signs in with the device key: a challenge, answered with a signature.
    pub async fn sign_in(&self, key: &DeviceKey) -> Result<Token> {
        let device = key.device_id();
        let challenge: Value = self
            .send(
                self.http
                    .post(self.url("/v1/auth/challenge"))
                    .json(&json!({ "device_id": device.as_str() })),
            )
            .await?;
        let nonce = challenge["nonce"]
            .as_str()
            .ok_or_else(|| ClientError::Protocol("a challenge without a nonce".into()))?;
        let answer = json!({
            "device_id": device.as_str(),
            "nonce": nonce,
            "signature": key.sign(&auth_challenge_bytes(nonce, &device)),
        });
        let token: Value = self
            .send(self.http.post(self.url("/v1/auth/token")).json(&answer))
            .await?;
        match (token["token"].as_str(), token["expires_at"].as_i64()) {
            (Some(t), Some(expires_at)) => Ok(Token {
                token: t.to_string(),
                expires_at,
            }),
            _ => Err(ClientError::Protocol("a token answer without a token".into())),
        }
    }

    /// The documents this device may receive.
    pub async fn documents(&self, token: &Token) -> Result<Vec<DocumentInfo>> {
        #[derive(Deserialize)]
        struct List {
            documents: Vec<DocumentInfo>,
        }
        let list: List = self
            .send(self.http.get(self.url("/v1/documents")).bearer_auth(&token.token))
            .await?;
        Ok(list.documents)
    }

    /// One round of the sync protocol for several documents: each message
    /// out, the recorder's answer (if it has one) back.
    pub async fn sync(&self, token: &Token, messages: &[(String, Vec<u8>)]) -> Result<Vec<(String, Option<Vec<u8>>)>> {
        let documents: Vec<Value> = messages
            .iter()
            .map(|(key, m)| json!({ "key": key, "message": B64.encode(m) }))
            .collect();
        let reply: Value = self
            .send(
                self.http
                    .post(self.url("/v1/sync"))
                    .bearer_auth(&token.token)
                    .json(&json!({ "documents": documents })),
            )
            .await?;
        let bad = || ClientError::Protocol("a sync answer without its documents".into());
        reply["documents"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|d| {
                let key = d["key"].as_str().ok_or_else(bad)?.to_string();
                let message = match d["message"].as_str() {
                    Some(m) => Some(B64.decode(m).map_err(|_| bad())?),
                    None => None,
                };
                Ok((key, message))
            })
            .collect()
    }

    /// Pushes this device's changes to one document, all or nothing.
    /// A refusal comes back as [`ClientError::Refused`].
    pub async fn push(&self, token: &Token, key: &str, changes: &[Vec<u8>]) -> Result<()> {
        let encoded: Vec<String> = changes.iter().map(|c| B64.encode(c)).collect();
        let _: Value = self
            .send(
                self.http
                    .post(self.url("/v1/push"))
                    .bearer_auth(&token.token)
                    .json(&json!({ "key": key, "changes": encoded })),
            )
            .await?;
        Ok(())
    }

    /// Uploads a photo by its SHA-256.
    pub async fn put_blob(&self, token: &Token, sha256: &str, jpeg: Vec<u8>) -> Result<()> {
        let request = self
            .http
            .put(self.url(&format!("/v1/blobs/{sha256}")))
            .bearer_auth(&token.token)
            .header("content-type", "image/jpeg")
            .body(jpeg);
        let _: Value = self.send(request).await?;
        Ok(())
    }

    /// Waits on the recorder's change stream until a document this device
    /// may read changes, and returns its key (`*` when the stream fell
    /// behind: check everything). Ends with an error when the connection
    /// drops, or after `patience` without news.
    pub async fn wait_for_change(&self, token: &Token, patience: Duration) -> Result<String> {
        let mut response = self
            .http
            .get(self.url("/v1/events"))
            .bearer_auth(&token.token)
            .timeout(patience)
            .send()
            .await
            .map_err(classify)?;
        if !response.status().is_success() {
            let status = response.status();
            return Err(problem(status, &response.bytes().await.map_err(classify)?));
        }
        let mut buffer = String::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            // Server-sent events end with a blank line; keep-alives are comments.
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                if event.lines().any(|l| l.trim() == "event: document") {
                    let data = event.lines().find_map(|l| l.strip_prefix("data:")).unwrap_or("*");
                    return Ok(data.trim().to_string());
                }
            }
        }
        Err(ClientError::Offline("the recorder closed the change stream".into()))
    }

    /// Each camera's measured health and the disk's, to pre-fill the
    /// walk-around checklist (passed to the UI as the recorder sends it).
    pub async fn camera_health(&self, token: &Token) -> Result<Value> {
        self.send(self.http.get(self.url("/v1/cameras/health")).bearer_auth(&token.token))
            .await
    }

    /// The camera's current picture (JPEG), for the roles allowed to see it.
    pub async fn snapshot(&self, token: &Token, camera: &str) -> Result<Vec<u8>> {
        let path = format!("/v1/cameras/{}/snapshot", urlencode(camera));
        let response = self
            .http
            .get(self.url(&path))
            .bearer_auth(&token.token)
            .send()
            .await
            .map_err(classify)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(classify)?;
        if status.is_success() {
            Ok(bytes.to_vec())
        } else {
            Err(problem(status, &bytes))
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T> {
        let response = request.send().await.map_err(classify)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(classify)?;
        if status.is_success() {
            let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(body).map_err(|e| ClientError::Protocol(e.to_string()));
        }
        Err(problem(status, &bytes))
    }
}

/// A recorder's `application/problem+json` answer as an error.
fn problem(status: reqwest::StatusCode, bytes: &[u8]) -> ClientError {
    let problem: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    if let Some(refusal) = problem.get("refusal").filter(|r| !r.is_null()) {
        return match serde_json::from_value::<Refusal>(refusal.clone()) {
            Ok(refusal) => ClientError::Refused(refusal),
            Err(e) => ClientError::Protocol(e.to_string()),
        };
    }
    ClientError::Problem {
        status: status.as_u16(),
        title: problem["title"]
            .as_str()
            .unwrap_or("The recorder refused the request")
            .to_string(),
        detail: problem["detail"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {status}")),
    }
}

/// A path segment with everything but unreserved characters escaped.
fn urlencode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sorts a transport failure: a certificate other than the pinned one is
/// not "offline", it is a different (or an impostor) recorder.
fn classify(error: reqwest::Error) -> ClientError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if e.to_string().contains(crate::pinning::NOT_THE_ENROLLED_RECORDER) {
            return ClientError::WrongCertificate;
        }
        source = e.source();
    }
    if error.is_connect() || error.is_timeout() || error.is_request() {
        ClientError::Offline(root_cause(&error))
    } else {
        ClientError::Protocol(root_cause(&error))
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}
