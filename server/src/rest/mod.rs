//! The REST provisioning API under `/api/v1`, for resellers' own systems.
//!
//! - `POST /api/v1/oauth/token` — OAuth 2.0 client credentials (RFC 6749 §4.4): the client id
//!   and secret from the API Access page, as form fields or HTTP Basic; answers RFC 6749's own
//!   JSON (`access_token`, `token_type`, `expires_in`) so standard OAuth clients work.
//! - Everything else needs `Authorization: Bearer <token>` and answers one envelope:
//!   `{"data": …}` on success, `{"error": code, "message": text, "fields": {field: message}}`
//!   on failure, with precise statuses (400 malformed request, 401 no or bad token, 404 —
//!   also for another reseller's ids —, 409, 422 a rule broken, 429 rate limited with
//!   `Retry-After`, 500 with the request id).
//! - Each client gets `--api-requests-per-minute` requests (a token bucket per client id).
//! - Handlers call the same domain services as the browser, with the client as the `Actor`, so
//!   no rule is written twice and the activity log names the client.
//! - Creating `POST`s take an `Idempotency-Key` header: the same key and body get the first
//!   response again (with `Idempotent-Replayed: true`); the same key with another body is a 422.
//! - Request bodies are strict: unknown fields, wrong types and malformed JSON are 400s naming
//!   the field (`fields` keys are the JSON paths, e.g. `primaryUser.email`); rule breaks are 422s
//!   naming it the same way. Nothing is stored for a refused request.
//! - `GET /api/v1/openapi.json` is the OpenAPI 3.1 document, generated from the handlers'
//!   annotations and the request and response types in [`schema`] (which the handlers use), so
//!   it describes what the code does.
//!
//! Resources: [`customers`] (with product types), [`users`] (a customer's users and roles),
//! [`pbxs`] (a customer's PBX connection and its sync), [`billing`].

mod billing;
mod customers;
mod events;
mod openapi;
mod pbxs;
pub mod schema;
mod users;
mod webhooks;

use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::paging::{At, Cursor, PageRequest};
use domain::api_clients::ApiCaller;
use schema::{ErrorBody, OAuthError, TokenResponse};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The largest page a list returns.
pub const MAX_PAGE_SIZE: u64 = 1000;
/// The highest `pageIndex` accepted (far past any real list's end, which answers an empty page).
pub const MAX_PAGE_INDEX: u64 = 1_000_000;
const DEFAULT_PAGE_SIZE: u64 = 50;

pub use crate::state::RateLimit;

#[derive(Clone)]
struct RestState {
    app: AppState,
    limit: RateLimit,
}

/// The API's routes (mounted at the root: they start with `/api/v1`).
pub fn router(app: AppState, limit: RateLimit) -> Router {
    let state = RestState { app, limit };
    let authenticated = Router::new()
        .route("/api/v1/customers", get(customers::list).post(customers::create))
        .route("/api/v1/customers/{id}", get(customers::get).patch(customers::patch).delete(customers::terminate))
        .route("/api/v1/customers/{id}/users", get(users::list).post(users::create))
        .route("/api/v1/customers/{id}/users/{user_id}", get(users::get).patch(users::patch).delete(users::remove))
        .route("/api/v1/customers/{id}/removed-pbx-users", get(users::removed))
        .route("/api/v1/customers/{id}/removed-pbx-users/{pbx_user_id}", axum::routing::delete(users::import_again))
        .route("/api/v1/customers/{id}/pbxs", get(pbxs::list))
        .route("/api/v1/customers/{id}/pbxs/{pbx_id}", get(pbxs::get).patch(pbxs::patch))
        .route("/api/v1/customers/{id}/pbxs/{pbx_id}/sync", post(pbxs::sync))
        .route("/api/v1/product-types", get(customers::product_types))
        .route("/api/v1/events", get(events::feed))
        .route("/api/v1/activity", get(events::activity))
        .route("/api/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/api/v1/webhooks/{webhook_id}", get(webhooks::get).patch(webhooks::patch).delete(webhooks::delete))
        .route("/api/v1/webhooks/{webhook_id}/secret", post(webhooks::rotate))
        .route("/api/v1/webhooks/{webhook_id}/test", post(webhooks::test))
        .route("/api/v1/webhooks/{webhook_id}/deliveries", get(webhooks::deliveries))
        .route("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", post(webhooks::resend))
        .route("/api/v1/billing", get(billing::list))
        .route("/api/v1/billing/{period}", get(billing::get).post(billing::run))
        .route_layer(middleware::from_fn_with_state(state.clone(), bearer));
    Router::new()
        .route("/api/v1/oauth/token", post(token))
        .route("/api/v1/openapi.json", get(openapi::document))
        .merge(authenticated)
        // Unknown API paths answer in the API's envelope, not with the portal's HTML page.
        .route("/api/v1/{*rest}", axum::routing::any(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "There is no such API endpoint.") }))
        .with_state(state)
}

/// A failed API call, as the envelope says it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Option<BTreeMap<String, String>>,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), fields: None, retry_after: None }
    }

    /// A 400 naming the malformed `field`.
    fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message).naming(field)
    }

    /// The same error, naming `field` with its message.
    fn naming(mut self, field: &str) -> ApiError {
        self.fields = Some(BTreeMap::from([(field.to_owned(), self.message.clone())]));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.code.to_owned(), message: self.message, fields: self.fields };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> ApiError {
        use domain::Error;
        match e {
            Error::Invalid(errors) => {
                // A field's first message, like the envelope's (rules are checked most basic first).
                let mut fields = BTreeMap::new();
                for f in &errors.0 {
                    fields.entry(camel_path(&f.field)).or_insert_with(|| f.message.clone());
                }
                let message = errors.0.first().map(|f| f.message.clone()).unwrap_or_else(|| "The request breaks a rule.".into());
                ApiError { fields: Some(fields), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message) }
            }
            Error::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found."),
            Error::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            e @ Error::PreconditionFailed => ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition_failed", e.to_string()),
            e @ Error::AlreadyAnswered => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            Error::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "This client may not do this."),
            Error::Upstream(message) => ApiError::new(StatusCode::BAD_GATEWAY, "upstream", message),
            Error::TooManyRequests { retry_after, message } => ApiError {
                retry_after: Some(retry_after.as_secs().max(1)),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            },
            other => {
                tracing::error!(error = %other, "API request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong on our side; it has been logged. Quote the x-request-id header if you contact support.",
                )
            }
        }
    }
}

/// A success: `{"data": …}` with `status`.
fn answer(status: StatusCode, envelope: impl Serialize) -> Response {
    (status, Json(envelope)).into_response()
}

/// `POST /api/v1/oauth/token`.
#[utoipa::path(
    post,
    path = "/api/v1/oauth/token",
    tag = "Authentication",
    request_body(content = schema::TokenForm, content_type = "application/x-www-form-urlencoded",
        description = "`grant_type=client_credentials`, with `client_id` and `client_secret` as form fields or as HTTP Basic credentials."),
    responses(
        (status = 200, description = "A bearer token for the other endpoints.", body = TokenResponse),
        (status = 400, description = "Not a client-credentials request.", body = OAuthError),
        (status = 401, description = "Unknown client, wrong secret or revoked credentials.", body = OAuthError),
    )
)]
async fn token(State(state): State<RestState>, headers: HeaderMap, body: String) -> Response {
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        let mut response = (status, Json(OAuthError { error: error.into(), error_description: description.into() })).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    };
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Use grant_type=client_credentials.");
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64_decode(b.trim()))
        .and_then(|pair| pair.split_once(':').map(|(id, secret)| (id.to_owned(), secret.to_owned())));
    let (client_id, secret) = match basic {
        Some(pair) => pair,
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Send client_id and client_secret (form fields or HTTP Basic)."),
        },
    };
    match domain::api_clients::issue_token(&state.app.ctx.db, &client_id, &secret).await {
        Ok(issued) => {
            let body = TokenResponse { access_token: issued.access_token, token_type: "Bearer".into(), expires_in: issued.expires_in };
            let mut response = Json(body).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(domain::Error::Unauthenticated) => oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client, wrong secret, or revoked credentials."),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn base64_decode(text: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    String::from_utf8(bytes).ok()
}

/// Resolves the bearer token, applies the client's rate limit and hands the caller on.
async fn bearer(State(state): State<RestState>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let Some(token) = token else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Send Authorization: Bearer <token> (get one at /api/v1/oauth/token).").into_response();
    };
    let caller = match domain::api_clients::resolve_token(&state.app.ctx.db, &token).await {
        Ok(Some(caller)) => caller,
        Ok(None) => return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "The token is unknown or has expired: get a new one.").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Err(not_until) = state.limit.0.check_key(&caller.client_id) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return ApiError { retry_after: Some(seconds.max(1)), ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests: slow down and retry after the time in Retry-After.") }
            .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The authenticated API client (put there by [`bearer`]).
struct Caller(ApiCaller);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<ApiCaller>().cloned().map(Caller).ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Not authenticated."))
    }
}

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A panic in a handler answers 500 in the envelope, quoting the request id it was logged
/// under; the connection is never just dropped.
pub async fn catch_panics(request: Request, next: Next) -> Response {
    use futures::FutureExt;
    let request_id = crate::state::request_id_of(&request);
    match std::panic::AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            tracing::error!(%request_id, detail = crate::state::panic_text(&panic), "API handler panicked");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("Something went wrong on our side; it has been logged under request id {request_id}. Quote it if you contact support."),
            )
            .into_response()
        }
    }
}

/// Refusals axum and tower answer by themselves (a body over [`MAX_BODY_BYTES`], a method the
/// path does not have, a wrong content type) in the API's envelope, like every other answer.
pub async fn envelope_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", format!("The request body is larger than {} KiB.", MAX_BODY_BYTES / 1024)),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This endpoint does not take this method (the Allow header lists the ones it takes).".to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Send the body as application/json.".to_string()),
        StatusCode::NOT_FOUND => ("not_found", "Not found.".to_string()),
        s if s.is_server_error() => ("internal", "Something went wrong on our side; it has been logged. Quote the x-request-id header if you contact support.".to_string()),
        _ => ("bad_request", "The request could not be read.".to_string()),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut out = ApiError::new(status, code, message).into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// API answers are never cached (they carry tokens and tenants' data).
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `primary_user.display_name` → `primaryUser.displayName`: the services name fields in Rust's
/// style, the API in JSON's.
fn camel_path(path: &str) -> String {
    path.split('.')
        .map(|segment| {
            let mut out = String::new();
            let mut upper = false;
            for c in segment.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.extend(c.to_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Reads a JSON body strictly, naming the offending field on failure.
fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde reads a struct from an array too; the API wants objects.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(ApiError::field("body", "The body must be a JSON object."));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => Ok(value),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() || path == "." {
                let message = if inner.is_syntax() || inner.is_eof() { format!("The body is not valid JSON ({inner}).") } else { format!("The body does not fit: {inner}.") };
                return Err(ApiError::field("body", message));
            }
            Err(ApiError::field(&path, format!("{path}: {inner}")))
        }
    }
}

/// `pageIndex` or `cursor`, `pageSize` and `filter` of a list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)] // Read by hand (see `Paging::read`), so the errors name the parameter.
struct PagingParams {
    /// The page, counting from 0, at most 1000000 (a page past the end is empty). Not with
    /// `cursor`.
    #[param(minimum = 0, maximum = 1000000)]
    pageIndex: Option<u64>,
    /// The `nextCursor` of the previous page: the items after it, in the same order. Every
    /// item is seen once while items are added and removed between pages, and a page costs the
    /// same wherever it is in the list; such pages have no `total`. Send the same `filter`.
    #[param(max_length = 2048)]
    cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pageSize: Option<u64>,
    /// Only items containing this text (ignoring case); at most 200 characters.
    #[param(max_length = 200)]
    filter: Option<String>,
}

/// A list's page, read from the query string.
struct Paging {
    request: PageRequest,
    filter: String,
}

/// The `limit` parameter of a cursor-paged list: `default` when absent, else 1 to `max`.
fn limit(query: &HashMap<String, String>, default: u64, max: u64) -> Result<u64, ApiError> {
    match query.get("limit") {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::field("limit", format!("limit must be a whole number from 1 to {max}."))),
        },
    }
}

/// Refuses query parameters the operation does not know (a misspelt filter must not widen it).
fn only(query: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    match query.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ApiError::field(k, format!("Unknown parameter \u{201c}{}\u{201d}.", k.chars().take(40).collect::<String>()))),
        None => Ok(()),
    }
}

impl Paging {
    /// The page asked for; `cursor` reads the list's own cursors.
    fn read(query: &HashMap<String, String>, cursor: fn(&str) -> Option<Cursor>) -> Result<Paging, ApiError> {
        let number = |key: &str, default: u64| -> Result<u64, ApiError> {
            match query.get(key) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u64>().map_err(|_| ApiError::field(key, format!("{key} must be a whole number."))),
            }
        };
        let index = number("pageIndex", 0)?;
        if index > MAX_PAGE_INDEX {
            return Err(ApiError::field("pageIndex", format!("pageIndex must be between 0 and {MAX_PAGE_INDEX}.")));
        }
        let size = number("pageSize", DEFAULT_PAGE_SIZE)?;
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::field("pageSize", format!("pageSize must be between 1 and {MAX_PAGE_SIZE}.")));
        }
        let filter = query.get("filter").cloned().unwrap_or_default();
        if filter.chars().count() > 200 {
            return Err(ApiError::field("filter", "filter can be at most 200 characters."));
        }
        let at = match query.get("cursor") {
            None => At::Index(index),
            Some(_) if query.contains_key("pageIndex") => return Err(ApiError::field("cursor", "Send either cursor or pageIndex, not both.")),
            Some(text) => At::After(cursor(text).ok_or_else(|| ApiError::field("cursor", "cursor is not one this list gave out; start again without it."))?),
        };
        Ok(Paging { request: PageRequest { at, size }, filter })
    }

    /// The page number asked for (none for a cursor page).
    fn index(&self) -> Option<u64> {
        match self.request.at {
            At::Index(n) => Some(n),
            At::After(_) => None,
        }
    }
}

/// A creating request's `Idempotency-Key`, with what identifies the request it was sent with.
struct Idempotency {
    key: String,
    /// The method, path and body: the same key for another resource is another request.
    fingerprint: Vec<u8>,
}

/// What a create learns from its `Idempotency-Key` before doing the work.
enum Recalled {
    /// Do the work (and remember the answer under the key, if one was sent).
    Fresh(Option<Idempotency>),
    /// The same request was answered before: answer this again.
    Replayed(Response),
}

/// Before a create into `collection`: the earlier answer to the same key and request, if any.
async fn recall(state: &RestState, who: &ApiCaller, headers: &HeaderMap, collection: &str, body: &[u8]) -> Result<Recalled, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(Recalled::Fresh(None));
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| ApiError::field("Idempotency-Key", "Idempotency-Key must be 1 to 200 visible ASCII characters."))?
        .to_owned();
    let fingerprint = [b"POST ", collection.as_bytes(), b"\n", body].concat();
    match domain::idempotency::earlier(&state.app.ctx.db, who.actor.reseller_id, &key, &fingerprint).await? {
        domain::idempotency::Earlier::None => Ok(Recalled::Fresh(Some(Idempotency { key, fingerprint }))),
        domain::idempotency::Earlier::Replay { status, response } => Ok(Recalled::Replayed(replay(status, response, collection))),
        domain::idempotency::Earlier::Mismatch => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request: use a new key for a new request.",
        )
        .naming("Idempotency-Key")),
    }
}

/// After a create: answers `201 Created` with `envelope`, located at `collection/id`,
/// remembering the answer under the request's key (or answering what a concurrent request with
/// the key stored first).
async fn created(state: &RestState, who: &ApiCaller, key: Option<Idempotency>, collection: &str, id: &str, envelope: impl Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_string(&envelope).map_err(|e| domain::Error::Internal(format!("encoding an API answer: {e}")))?;
    if let Some(key) = key
        && let domain::idempotency::Earlier::Replay { status, response } =
            domain::idempotency::remember(&state.app.ctx.db, who.actor.reseller_id, &key.key, &key.fingerprint, 201, &body).await?
    {
        return Ok(replay(status, response, collection));
    }
    let mut out = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{collection}/{id}")) {
        out.headers_mut().insert(header::LOCATION, location);
    }
    Ok(out)
}

/// `201 Created` with `body` (already stored under its idempotency key, if any), located at
/// `collection/id`.
fn created_now(collection: &str, id: &str, body: String) -> Response {
    let mut out = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{collection}/{id}")) {
        out.headers_mut().insert(header::LOCATION, location);
    }
    out
}

/// The first answer to a repeated create, again: with `Idempotent-Replayed: true` and, for a
/// `201`, the `Location` of what it created (under `collection`, by the answer's `data.id`).
fn replay(status: u16, response: String, collection: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let location = (status == StatusCode::CREATED)
        .then(|| serde_json::from_str::<serde_json::Value>(&response).ok())
        .flatten()
        .and_then(|body| match &body["data"]["id"] {
            serde_json::Value::String(id) => Some(id.clone()),
            serde_json::Value::Number(id) => Some(id.to_string()),
            _ => None,
        })
        .and_then(|id| HeaderValue::from_str(&format!("{collection}/{id}")).ok());
    let mut out = (status, [(header::CONTENT_TYPE, "application/json")], response).into_response();
    out.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Some(location) = location {
        out.headers_mut().insert(header::LOCATION, location);
    }
    out
}

/// A resource's entity tag, from its version.
pub(super) fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The version an `If-Match` header asks for: `None` without the header (or with `*`, any
/// current version); a tag that is not one of ours can match nothing.
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<i32>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    // A list of tags matches if any does; ours are strong, `"<version>"`.
    let versions: Vec<i32> = text.split(',').filter_map(|t| t.trim().trim_start_matches("W/").trim_matches('"').parse().ok()).collect();
    match versions.as_slice() {
        [one] => Ok(Some(*one)),
        [] => Ok(Some(-1)),
        many => Err(ApiError::field("If-Match", format!("Send one ETag in If-Match (got {}).", many.len()))),
    }
}

/// Reads a numeric id from the path; anything else is a missing resource.
fn numeric_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().map_err(|_| domain::Error::NotFound.into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_field_broken_twice_shows_its_first_message_like_the_envelope() {
        let mut errors = model::field::FieldErrors::new();
        errors.add("roles", "Contact Centre supervisor access requires the Real-Time add-on.");
        errors.add("roles", "The primary user must be a User Administrator: every customer needs one.");
        errors.add("primary_user.email", "Email is required.");
        let answer = super::ApiError::from(domain::Error::Invalid(errors));
        let fields = answer.fields.expect("fields");
        assert_eq!(answer.message, "Contact Centre supervisor access requires the Real-Time add-on.");
        assert_eq!(fields["roles"], answer.message);
        assert_eq!(fields["primaryUser.email"], "Email is required.");
    }


    /// The router and the OpenAPI document list the same operations, so the coverage and fuzz
    /// tests (which read the document) reach every route the API serves. Read from this file's
    /// `router`, the one place the routes are declared.
    #[test]
    fn the_router_serves_exactly_the_operations_the_document_lists() {
        let source = include_str!("mod.rs");
        let body = &source[source.find("pub fn router(").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        let mut served = std::collections::BTreeSet::new();
        for line in body.lines().map(str::trim).filter(|l| l.starts_with(".route(\"/api/v1/")) {
            let path = line.trim_start_matches(".route(\"").split('"').next().unwrap();
            if path.contains("{*") {
                continue; // the envelope's catch-all for unknown paths
            }
            // Parameter names differ in case between the two ({user_id} / {userId}).
            let template: String = path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/");
            let handlers = &line[line.find(',').unwrap()..];
            for method in ["get", "post", "patch", "put", "delete"] {
                if handlers.contains(&format!("{method}(")) {
                    served.insert(format!("{} {template}", method.to_uppercase()));
                }
            }
        }
        let document = super::openapi::document_json();
        let mut documented = std::collections::BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            let template: String = path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/");
            for method in item.as_object().unwrap().keys() {
                documented.insert(format!("{} {template}", method.to_uppercase()));
            }
        }
        // The document describes itself only by being served.
        served.remove("GET /api/v1/openapi.json");
        assert!(served.len() > 15, "the router was read: {served:?}");
        assert_eq!(served, documented, "served vs documented operations");
    }
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_envelope_with_the_request_id() {
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let app: Router = Router::new().route("/api/v1/boom", get(boom)).layer(middleware::from_fn(catch_panics));
        let request = axum::http::Request::get("/api/v1/boom").header("x-request-id", "req-7").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "internal");
        assert!(body["message"].as_str().unwrap().contains("req-7"), "{body}");
    }

    #[tokio::test]
    async fn refusals_axum_makes_itself_come_in_the_envelope() {
        let app: Router = Router::new()
            .route("/api/v1/things", post(|| async { "ok" }))
            .layer(middleware::from_fn(envelope_errors));
        let response = app.oneshot(axum::http::Request::get("/api/v1/things").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(response.headers().contains_key(header::ALLOW));
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "method_not_allowed");
    }
}
