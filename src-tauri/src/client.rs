//! The recorder's HTTP API as the app uses it. Every request goes over TLS
//! to exactly the certificate the enrollment text named (pinning.rs); the
//! errors are sorted into what a person can act on: offline (the work waits
//! on this device), a different recorder, a refusal with its rule, or a
//! problem the recorder described.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custos_api::Problem;
use custos_api::auth::{Challenge, ChallengeRequest, Token as TokenReply, TokenRequest};
use custos_api::cameras::SiteHealth;
use custos_api::documents::{
    DocumentInfo, DocumentList, PushAccepted, PushRequest, SyncItem, SyncRequest, SyncResponse,
};
use custos_api::enroll::{EnrollRequest, EnrollResponse};
use custos_api::exports::{ExportJob, StartExport};
use custos_api::footage::{FootageSpans, SpansQuery};
use custos_api::viewing::{FrameQuery, OpenViewing, ViewingClosed, ViewingNonce, ViewingSession};
use custos_core::access::Refusal;
use custos_core::signing::{DeviceKey, auth_challenge_bytes};
use custos_core::viewing::ViewingOpening;

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

/// A frame of a viewing as the recorder served it.
pub struct ServedFrame {
    pub jpeg: Vec<u8>,
    pub at_ms: i64,
    /// `x,y,width,height` of the watermark's band.
    pub mark: String,
    pub kind: String,
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

    pub async fn enroll(&self, code: &str, public_key_hex: &str) -> Result<EnrollResponse> {
        let body = EnrollRequest {
            code: code.to_string(),
            public_key: public_key_hex.to_string(),
        };
        self.send(self.http.post(self.url("/v1/enroll")).json(&body)).await
    }

    /// Signs in with the device key: a challenge, answered with a signature.
    pub async fn sign_in(&self, key: &DeviceKey) -> Result<Token> {
        let device = key.device_id();
        let request = ChallengeRequest {
            device_id: device.to_string(),
        };
        let challenge: Challenge = self
            .send(self.http.post(self.url("/v1/auth/challenge")).json(&request))
            .await?;
        let answer = TokenRequest {
            device_id: device.to_string(),
            signature: key.sign(&auth_challenge_bytes(&challenge.nonce, &device)),
            nonce: challenge.nonce,
        };
        let token: TokenReply = self
            .send(self.http.post(self.url("/v1/auth/token")).json(&answer))
            .await?;
        Ok(Token {
            token: token.token,
            expires_at: token.expires_at,
        })
    }

    /// The documents this device may receive.
    pub async fn documents(&self, token: &Token) -> Result<Vec<DocumentInfo>> {
        let list: DocumentList = self
            .send(self.http.get(self.url("/v1/documents")).bearer_auth(&token.token))
            .await?;
        Ok(list.documents)
    }

    /// One round of the sync protocol for several documents: each message
    /// out, the recorder's answer (if it has one) back.
    pub async fn sync(
        &self,
        token: &Token,
        messages: &[(String, Vec<u8>, bool)],
    ) -> Result<Vec<(String, Option<Vec<u8>>)>> {
        let request = SyncRequest {
            documents: messages
                .iter()
                .map(|(key, m, start)| SyncItem {
                    key: key.clone(),
                    message: B64.encode(m),
                    start: *start,
                })
                .collect(),
        };
        let reply: SyncResponse = self
            .send(
                self.http
                    .post(self.url("/v1/sync"))
                    .bearer_auth(&token.token)
                    .json(&request),
            )
            .await?;
        reply
            .documents
            .into_iter()
            .map(|d| {
                let message = match d.message {
                    Some(m) => Some(
                        B64.decode(m)
                            .map_err(|_| ClientError::Protocol("a sync answer that is not base64".into()))?,
                    ),
                    None => None,
                };
                Ok((d.key, message))
            })
            .collect()
    }

    /// Pushes this device's changes to one document, all or nothing.
    /// A refusal comes back as [`ClientError::Refused`].
    pub async fn push(&self, token: &Token, key: &str, changes: &[Vec<u8>]) -> Result<()> {
        let request = PushRequest {
            key: key.to_string(),
            changes: changes.iter().map(|c| B64.encode(c)).collect(),
        };
        let _: PushAccepted = self
            .send(
                self.http
                    .post(self.url("/v1/push"))
                    .bearer_auth(&token.token)
                    .json(&request),
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
        self.send_no_body(request).await
    }

    /// A photo or scan by its SHA-256, for a device that may see it.
    pub async fn blob(&self, token: &Token, sha256: &str) -> Result<Vec<u8>> {
        self.get_bytes(token, &format!("/v1/blobs/{sha256}")).await
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
    /// walk-around checklist.
    pub async fn camera_health(&self, token: &Token) -> Result<SiteHealth> {
        self.send(self.http.get(self.url("/v1/cameras/health")).bearer_auth(&token.token))
            .await
    }

    /// Which footage exists for the cameras over the window, for filing.
    pub async fn footage_spans(&self, token: &Token, query: &SpansQuery) -> Result<FootageSpans> {
        self.send(
            self.http
                .get(self.url("/v1/footage/spans"))
                .query(query)
                .bearer_auth(&token.token),
        )
        .await
    }

    /// Asks the recorder to write the export (複製) of `application` to its
    /// disk for exports.
    pub async fn start_export(&self, token: &Token, application: &str) -> Result<ExportJob> {
        self.send(
            self.http
                .post(self.url("/v1/exports"))
                .json(&StartExport {
                    application: application.to_string(),
                })
                .bearer_auth(&token.token),
        )
        .await
    }

    /// How far the export this device asked for is.
    pub async fn export_job(&self, token: &Token, job: &str) -> Result<ExportJob> {
        self.send(
            self.http
                .get(self.url(&format!("/v1/exports/{}", urlencode(job))))
                .bearer_auth(&token.token),
        )
        .await
    }

    /// A nonce for the escort's signed opening of a viewing.
    pub async fn viewing_nonce(&self, token: &Token) -> Result<ViewingNonce> {
        self.send(self.http.post(self.url("/v1/viewings/nonce")).bearer_auth(&token.token))
            .await
    }

    /// Opens (or resumes) the viewing the escort's `opening` asks for.
    pub async fn open_viewing(&self, token: &Token, opening: ViewingOpening) -> Result<ViewingSession> {
        self.send(
            self.http
                .post(self.url("/v1/viewings"))
                .json(&OpenViewing { opening })
                .bearer_auth(&token.token),
        )
        .await
    }

    /// Ends the session; the recorder completes its logbook entry.
    pub async fn close_viewing(&self, token: &Token, session: &str) -> Result<ViewingClosed> {
        self.send(
            self.http
                .post(self.url(&format!("/v1/viewings/{}/close", urlencode(session))))
                .bearer_auth(&token.token),
        )
        .await
    }

    /// A frame of an open viewing: the watermarked JPEG and what the
    /// recorder says of it (`x-frame-time`, `x-watermark-box`, `x-frame-kind`).
    pub async fn viewing_frame(&self, token: &Token, session: &str, query: &FrameQuery) -> Result<ServedFrame> {
        let request = self
            .http
            .get(self.url(&format!("/v1/viewings/{}/frame", urlencode(session))))
            .query(query);
        self.served_frame(token, request, query.t).await
    }

    /// The scrubber's strip of thumbnails of one camera of an open viewing.
    pub async fn viewing_strip(&self, token: &Token, session: &str, camera: &str) -> Result<ServedFrame> {
        let request = self
            .http
            .get(self.url(&format!("/v1/viewings/{}/strip", urlencode(session))))
            .query(&[("camera", camera)]);
        self.served_frame(token, request, 0).await
    }

    async fn served_frame(&self, token: &Token, request: reqwest::RequestBuilder, t: i64) -> Result<ServedFrame> {
        let response = request.bearer_auth(&token.token).send().await.map_err(classify)?;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (at_ms, mark, kind) = (
            header("x-frame-time"),
            header("x-watermark-box"),
            header("x-frame-kind"),
        );
        let bytes = response.bytes().await.map_err(classify)?;
        if !status.is_success() {
            return Err(problem(status, &bytes));
        }
        Ok(ServedFrame {
            jpeg: bytes.to_vec(),
            at_ms: at_ms.and_then(|v| v.parse().ok()).unwrap_or(t),
            mark: mark.unwrap_or_default(),
            kind: kind.unwrap_or_default(),
        })
    }

    /// The camera's current picture (JPEG), for the roles allowed to see it.
    pub async fn snapshot(&self, token: &Token, camera: &str) -> Result<Vec<u8>> {
        self.get_bytes(token, &format!("/v1/cameras/{}/snapshot", urlencode(camera)))
            .await
    }

    /// A body that is bytes, not JSON (a picture), or the recorder's problem.
    async fn get_bytes(&self, token: &Token, path: &str) -> Result<Vec<u8>> {
        let response = self
            .http
            .get(self.url(path))
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
            return serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string()));
        }
        Err(problem(status, &bytes))
    }

    /// A request whose success has no body (a photo stored).
    async fn send_no_body(&self, request: reqwest::RequestBuilder) -> Result<()> {
        let response = request.send().await.map_err(classify)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(classify)?;
        if status.is_success() {
            return Ok(());
        }
        Err(problem(status, &bytes))
    }
}

/// A recorder's `application/problem+json` answer as an error. A body that
/// is not a problem (a proxy's page, a truncated answer) still gives the
/// status, in words.
fn problem(status: reqwest::StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<Problem>(bytes) {
        Ok(Problem {
            refusal: Some(refusal), ..
        }) => ClientError::Refused(refusal),
        Ok(problem) => ClientError::Problem {
            status: status.as_u16(),
            title: problem.title,
            detail: problem.detail,
        },
        Err(_) => ClientError::Problem {
            status: status.as_u16(),
            title: "The recorder refused the request".into(),
            detail: format!("HTTP {status}"),
        },
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
