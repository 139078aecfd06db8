//! `application/problem+json` (RFC 9457): every error says what went wrong
//! and what to do, in words a person can act on.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::base::error::RecorderError;

#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the title and status say it all.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    /// What happened and what to do about it.
    pub detail: String,
    /// For a refused upload: which change broke which write rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub refusal: Option<serde_json::Value>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank",
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            refusal: None,
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "Not allowed", detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "Not signed in", detail)
    }
    pub fn internal(error: impl std::fmt::Display) -> Problem {
        tracing::error!("internal error: {error}");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Recorder error",
            "the recorder could not complete the request; it has been logged, try again or tell the system manager",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Every error of the recorder as the problem a device reads: each domain
/// outcome with its own status, the rest logged and answered 500.
impl From<RecorderError> for Problem {
    fn from(e: RecorderError) -> Problem {
        let detail = e.to_string();
        match e {
            RecorderError::Usage(_) | RecorderError::BadRequest(_) => Problem::bad_request(detail),
            RecorderError::Unauthorized { title, .. } => Problem::new(StatusCode::UNAUTHORIZED, title, detail),
            RecorderError::Forbidden { title, .. } => Problem::new(StatusCode::FORBIDDEN, title, detail),
            RecorderError::NotFound { title, .. } => Problem::new(StatusCode::NOT_FOUND, title, detail),
            RecorderError::Conflict { title, .. } => Problem::new(StatusCode::CONFLICT, title, detail),
            RecorderError::Gone { title, .. } => Problem::new(StatusCode::GONE, title, detail),
            RecorderError::TooLarge(_) => Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", detail),
            RecorderError::UnsupportedMedia(_) => {
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Not an image", detail)
            }
            other => Problem::internal(other),
        }
    }
}

/// A JSON body whose rejection is a problem document, not plain text.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            // One status for every unreadable body (wrong type, bad JSON,
            // missing fields), so clients and the API description stay simple;
            // only a body over the limit keeps its own 413.
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                rejection.body_text(),
            )),
            Err(rejection) => Err(Problem::bad_request(format!(
                "the request body must be JSON of the documented shape (Content-Type: application/json): {}",
                rejection.body_text()
            ))),
        }
    }
}

pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "Not found",
        "no such endpoint; see /v1/openapi.json",
    )
}
