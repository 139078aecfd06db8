//! The HTTP API, one module per resource, described by an OpenAPI document
//! generated from the handlers (utoipa) at `GET /v1/openapi.json`. Errors are
//! `application/problem+json`. Thin: a handler extracts, calls one function
//! of `registers` or `footage`, and maps the result; only `cmds::serve`
//! mounts it.

pub mod auth;
pub mod blobs;
pub mod cameras;
pub mod connections;
pub mod documents;
pub mod enroll;
pub mod events;
pub mod exports;
pub mod footage;
pub mod health;
pub mod me;
pub mod problem;
#[cfg(feature = "simulated-clock")]
pub mod simulation;
pub mod viewings;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::footage::picture::PictureChecks;
use crate::registers::Registers;

/// Largest request body most endpoints read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Largest sync or push body: a week of offline edits pushed at once fits.
pub const MAX_SYNC_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The registers: every read and write of a register document.
    pub registers: Registers,
    /// SHA-256 of the TLS certificate, which devices pin.
    pub fingerprint: Arc<str>,
    /// The data directory (footage lives under it).
    pub data: std::path::PathBuf,
    /// Length of a footage segment, for judging whether a camera records.
    pub segment_seconds: u32,
    /// The newest picture check of each camera.
    pub pictures: Arc<PictureChecks>,
    /// Keys of documents that changed, for the event stream.
    pub changes: tokio::sync::broadcast::Sender<String>,
    /// Each device's document requests in flight.
    pub turns: Arc<crate::registers::turns::DeviceTurns>,
    /// Viewing sessions' decoded pictures and the decode slots.
    pub playback: Arc<crate::footage::playback::Playback>,
    /// Exports asked for from a tablet, written in the background.
    pub exports: Arc<crate::footage::export::jobs::ExportJobs>,
    /// Each device's open change streams.
    pub streams: Arc<crate::registers::turns::DeviceTurns>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Custos site recorder", description = "Registers, enrollment and sync for Custos devices."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole API with its OpenAPI document; `simulated`, in a test build,
/// adds the route that moves the clock.
pub fn router(state: AppState, simulated: Option<custos_clock::SimulatedClock>) -> Router {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(enroll::enroll))
        .routes(routes!(auth::challenge))
        .routes(routes!(auth::token))
        .routes(routes!(me::me))
        .routes(routes!(documents::list))
        .routes(routes!(events::events))
        .routes(routes!(cameras::health))
        .routes(routes!(cameras::snapshot))
        .routes(routes!(footage::spans))
        .routes(routes!(viewings::nonce))
        .routes(routes!(viewings::open))
        .routes(routes!(viewings::close))
        .routes(routes!(viewings::frame))
        .routes(routes!(viewings::strip))
        .routes(routes!(exports::start))
        .routes(routes!(exports::state))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(documents::sync))
                .routes(routes!(documents::push))
                .routes(routes!(blobs::put, blobs::get))
                .layer(DefaultBodyLimit::max(MAX_SYNC_BODY_BYTES)),
        )
        .split_for_parts();
    let api = Arc::new(with_openapi_path(api));
    let router = router
        .route("/v1/openapi.json", get(move || openapi_json(api.clone())))
        .fallback(problem::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    let router = problem::answer_panics(router);
    #[cfg(feature = "simulated-clock")]
    if let Some(clock) = simulated {
        return router.merge(simulation::router(clock));
    }
    #[cfg(not(feature = "simulated-clock"))]
    let _ = simulated;
    router
}

/// The document describes itself too, so that it lists every endpoint.
fn with_openapi_path(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::{ContentBuilder, ResponseBuilder};
    let operation = OperationBuilder::new()
        .operation_id(Some("openapi"))
        .tag("meta")
        .summary(Some("This OpenAPI document"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("The recorder's API, OpenAPI 3.1")
                .content("application/json", ContentBuilder::new().build())
                .build(),
        )
        .build();
    api.paths
        .paths
        .insert("/v1/openapi.json".into(), PathItem::new(HttpMethod::Get, operation));
    api
}

async fn openapi_json(api: Arc<utoipa::openapi::OpenApi>) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json((*api).clone())
}
