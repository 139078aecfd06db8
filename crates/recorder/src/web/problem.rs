//! `application/problem+json` (RFC 9457): every error says what went wrong
//! and what to do, in words a person can act on.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_api::Problem;
use serde::de::DeserializeOwned;

use crate::base::error::RecorderError;

/// A problem (`custos_api::Problem`) as a handler answers it.
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl ApiError {
    pub fn new(status: StatusCode, title: &str, detail: impl Into<String>) -> ApiError {
        ApiError(Problem::new(status.as_u16(), title, detail))
    }
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {error}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Recorder error",
            "the recorder could not complete the request; it has been logged, try again or tell the system manager",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self.0)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.0.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
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
impl From<RecorderError> for ApiError {
    fn from(e: RecorderError) -> ApiError {
        let detail = e.to_string();
        match e {
            RecorderError::Usage(_) | RecorderError::BadRequest(_) => ApiError::bad_request(detail),
            RecorderError::Unauthorized { title, .. } => ApiError::new(StatusCode::UNAUTHORIZED, title, detail),
            RecorderError::Forbidden { title, .. } => ApiError::new(StatusCode::FORBIDDEN, title, detail),
            RecorderError::NotFound { title, .. } => ApiError::new(StatusCode::NOT_FOUND, title, detail),
            RecorderError::Conflict { title, .. } => ApiError::new(StatusCode::CONFLICT, title, detail),
            RecorderError::Gone { title, .. } => ApiError::new(StatusCode::GONE, title, detail),
            RecorderError::Busy { retry_after_s, .. } => {
                let mut busy = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Try again shortly", detail);
                busy.0.retry_after_s = Some(retry_after_s.max(1));
                busy
            }
            RecorderError::Unavailable { retry_after_s, .. } => {
                let mut busy = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "Try again shortly", detail);
                busy.0.retry_after_s = Some(retry_after_s.max(1));
                busy
            }
            RecorderError::TooLarge(_) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Too large", detail),
            RecorderError::UnsupportedMedia(_) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Not an image", detail)
            }
            other => ApiError::internal(other),
        }
    }
}

/// A JSON body whose rejection is a problem document, not plain text.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            // One status for every unreadable body (wrong type, bad JSON,
            // missing fields), so clients and the API description stay simple;
            // only a body over the limit keeps its own 413.
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                rejection.body_text(),
            )),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "the request body must be JSON of the documented shape (Content-Type: application/json): {}",
                rejection.body_text()
            ))),
        }
    }
}

/// Query parameters whose rejection is a problem document, not plain text.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "the query parameters must be as documented: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// A handler that panics is answered `500 problem+json`, logged, and the
/// recorder goes on serving: a bug in one request must not end the others.
/// Input that would make a library panic is refused before it gets there
/// (`registers::bounds`); this is the net under that.
pub fn answer_panics(router: axum::Router) -> axum::Router {
    router.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        |panic: Box<dyn std::any::Any + Send>| {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            ApiError::internal(format!("a handler panicked: {what}")).into_response()
        },
    ))
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "Not found",
        "no such endpoint; see /v1/openapi.json",
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_is_answered_as_a_problem_and_the_router_serves_on() {
        async fn boom() -> &'static str {
            panic!("remainder by zero")
        }
        let router = super::answer_panics(
            axum::Router::new()
                .route("/boom", get(boom))
                .route("/fine", get(|| async { "fine" })),
        );
        let res = router
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("try again"),
            "the person is told what to do, not the panic: {problem}"
        );
        let res = router
            .oneshot(Request::get("/fine").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "the next request is served");
    }
}
