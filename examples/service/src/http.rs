//! The HTTP side: routes, body limits (checked while reading, before anything is parsed),
//! request timeouts, and JSON errors. Each request runs on tokio's blocking pool, since the
//! store's calls block; everything it does is in `service.rs`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use http_body_util::LengthLimitError;
use serde::Deserialize;
use shopkeeper::decide::{MAX_CATALOG_LEN, MAX_REQUEST_LEN};
use shopkeeper::limits::MAX_EVENT_JSON_LEN;
use shopkeeper::ErrorCode;

use crate::service::{Refused, Service};

/// Longest request a call waits for, store retries and publication included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Room for a body's envelope around what the core bounds (ids, flags).
const ENVELOPE: usize = 4 * 1024;

type Handler = fn(&Service, &[u8]) -> Result<String, Refused>;

/// The service's routes.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/v1/events", post(events))
        .route("/v1/decisions", post(decisions))
        .route("/v1/responses", post(responses))
        .route("/v1/profiles/{id}", get(profile))
        .route("/v1/kpis", get(kpis))
        .route("/v1/learner", get(learner))
        .route("/v1/catalog", put(catalog))
        .route("/health", get(health))
        .fallback(|| async {
            let refused = Refused {
                status: 404,
                code: "not_found",
                message: "no such route: see examples/service/README.md".into(),
                location: None,
            };
            reply(Err(refused))
        })
        .with_state(service)
}

async fn events(State(s): State<Arc<Service>>, body: Body) -> Response {
    run(s, body, MAX_EVENT_JSON_LEN + ENVELOPE, Service::event).await
}

async fn decisions(State(s): State<Arc<Service>>, body: Body) -> Response {
    run(s, body, MAX_REQUEST_LEN + ENVELOPE, Service::decide).await
}

async fn responses(State(s): State<Arc<Service>>, body: Body) -> Response {
    run(s, body, ENVELOPE, Service::respond).await
}

async fn catalog(State(s): State<Arc<Service>>, body: Body) -> Response {
    // A catalog and its models.
    run(s, body, 2 * MAX_CATALOG_LEN, Service::swap).await
}

async fn profile(State(s): State<Arc<Service>>, Path(id): Path<String>) -> Response {
    blocking(move || s.profile(&id)).await
}

async fn kpis(State(s): State<Arc<Service>>) -> Response {
    blocking(move || s.kpis()).await
}

#[derive(Deserialize)]
struct At {
    at: Option<shopkeeper::Timestamp>,
}

async fn learner(
    State(s): State<Arc<Service>>,
    at: Result<Query<At>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match at {
        Ok(Query(at)) => blocking(move || s.learner(at.at)).await,
        Err(e) => {
            let message = format!("`at` is seconds since the epoch: {e}");
            let error = shopkeeper::Error::new(shopkeeper::ErrorCode::InvalidRequest, message);
            reply(Err(Refused::from(error)))
        }
    }
}

async fn health(State(s): State<Arc<Service>>) -> Response {
    match tokio::task::spawn_blocking(move || s.health()).await {
        Ok((true, json)) => json_response(StatusCode::OK, json),
        Ok((false, json)) => json_response(StatusCode::SERVICE_UNAVAILABLE, json),
        Err(e) => reply(Err(internal(&e))),
    }
}

/// Reads the body (at most `limit` bytes: longer is refused with `too_long` before any of it
/// is parsed), then handles it.
async fn run(service: Arc<Service>, body: Body, limit: usize, handle: Handler) -> Response {
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(e) => {
            // Over the limit, or the client went away mid-body.
            let over = std::error::Error::source(&e).is_some_and(|s| s.is::<LengthLimitError>());
            let (code, message) = match over {
                true => (
                    ErrorCode::TooLong,
                    format!("the body is over {limit} bytes"),
                ),
                false => (
                    ErrorCode::InvalidRequest,
                    format!("cannot read the body: {e}"),
                ),
            };
            return reply(Err(Refused::from(shopkeeper::Error::new(code, message))));
        }
    };
    blocking(move || handle(&service, &bytes)).await
}

/// Runs `work` on the blocking pool, within [`TIMEOUT`].
async fn blocking(work: impl FnOnce() -> Result<String, Refused> + Send + 'static) -> Response {
    match tokio::time::timeout(TIMEOUT, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(result)) => reply(result),
        Ok(Err(e)) => reply(Err(internal(&e))),
        Err(_) => reply(Err(Refused {
            status: 503,
            code: "timeout",
            message: format!("no answer within {} s", TIMEOUT.as_secs()),
            location: None,
        })),
    }
}

fn internal(e: &dyn std::fmt::Display) -> Refused {
    Refused::from(shopkeeper::Error::new(
        shopkeeper::ErrorCode::Internal,
        e.to_string(),
    ))
}

fn reply(result: Result<String, Refused>) -> Response {
    match result {
        Ok(json) => json_response(StatusCode::OK, json),
        Err(refused) => {
            let status =
                StatusCode::from_u16(refused.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = json_response(status, refused.to_json());
            if status == StatusCode::SERVICE_UNAVAILABLE {
                let retry = header::HeaderValue::from_static("1");
                response.headers_mut().insert(header::RETRY_AFTER, retry);
            }
            response
        }
    }
}

fn json_response(status: StatusCode, json: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], json).into_response()
}
