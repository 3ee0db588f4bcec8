//! The REST provisioning API under `/api/v1`, for resellers' own systems.
//!
//! - `POST /api/v1/oauth/token` — OAuth 2.0 client credentials (RFC 6749 §4.4): the client id
//!   and secret from the API Access page, as form fields or HTTP Basic; answers RFC 6749's own
//!   JSON (`access_token`, `token_type`, `expires_in`) so standard OAuth clients work.
//! - Everything else needs `Authorization: Bearer <token>` and answers one envelope:
//!   `{"data": …}` on success, `{"error": code, "message": text, "fields": {field: message}}`
//!   on failure, with precise statuses (400 malformed request, 401 no or bad token, 403, 404 —
//!   also for another reseller's ids —, 409, 422 a rule broken, 429 rate limited with
//!   `Retry-After`, 500 with the request id).
//! - Each client gets `--api-requests-per-minute` requests (a token bucket per client id).
//! - Handlers call the same domain services as the browser, with the client as the `Actor`, so
//!   no rule is written twice and the activity log names the client.
//!
//! - `POST` takes an `Idempotency-Key` header: the same key and body get the first response
//!   again (with `Idempotent-Replayed: true`); the same key with another body is a 422.
//! - Request bodies are strict: unknown fields, wrong types and malformed JSON are 400s naming
//!   the field (`fields` keys are the JSON paths, e.g. `primaryUser.email`); rule breaks are 422s
//!   naming it the same way. Nothing is stored for a refused request.
//!
//! Endpoints so far: customers (list, get, create, patch, terminate) and product types.

use crate::http::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::api_clients::ApiCaller;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

/// The largest page `GET /customers` returns.
pub const MAX_PAGE_SIZE: u64 = 1000;
const DEFAULT_PAGE_SIZE: u64 = 50;

/// Requests per minute per API client.
#[derive(Clone)]
pub struct RateLimit(Arc<DefaultKeyedRateLimiter<String>>);

impl RateLimit {
    pub fn per_minute(n: u32) -> RateLimit {
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimit(Arc::new(RateLimiter::keyed(Quota::per_minute(n))))
    }
}

#[derive(Clone)]
struct RestState {
    app: AppState,
    limit: RateLimit,
}

/// The API's routes (mounted at the root: they start with `/api/v1`).
pub fn router(app: AppState, limit: RateLimit) -> Router {
    let state = RestState { app, limit };
    let authenticated = Router::new()
        .route("/api/v1/customers", get(list_customers).post(create_customer))
        .route("/api/v1/customers/{id}", get(get_customer).patch(patch_customer).delete(terminate_customer))
        .route("/api/v1/product-types", get(product_types))
        .route_layer(middleware::from_fn_with_state(state.clone(), bearer));
    Router::new()
        .route("/api/v1/oauth/token", post(token))
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
    fields: Option<Value>,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), fields: None, retry_after: None }
    }

    fn field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError { fields: Some(json!({ field: message.clone() })), ..ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.code, "message": self.message });
        if let Some(fields) = self.fields {
            body["fields"] = fields;
        }
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
                let fields: serde_json::Map<String, Value> = errors.0.iter().map(|f| (camel_path(&f.field), Value::String(f.message.clone()))).collect();
                let message = errors.0.first().map(|f| f.message.clone()).unwrap_or_else(|| "The request breaks a rule.".into());
                ApiError { fields: Some(Value::Object(fields)), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message) }
            }
            Error::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found."),
            Error::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            Error::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "This client may not do this."),
            Error::Upstream(message) => ApiError::new(StatusCode::BAD_GATEWAY, "upstream", message),
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

fn data(value: impl Serialize) -> Response {
    Json(json!({ "data": value })).into_response()
}

/// `POST /api/v1/oauth/token`.
async fn token(State(state): State<RestState>, headers: HeaderMap, body: String) -> Response {
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        let mut response = (status, Json(json!({ "error": error, "error_description": description }))).into_response();
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
            let mut response = Json(json!({ "access_token": issued.access_token, "token_type": "Bearer", "expires_in": issued.expires_in })).into_response();
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

fn caller(request_caller: Option<axum::Extension<ApiCaller>>) -> Result<ApiCaller, ApiError> {
    request_caller.map(|c| c.0).ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Not authenticated."))
}

/// A customer as the API shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiCustomer {
    id: String,
    name: String,
    reference: String,
    product_type: String,
    country: String,
    time_zone: String,
    status: String,
    in_house: bool,
    trial_expires_on: Option<String>,
    terminate_on: Option<String>,
    created_at: String,
}

fn customer_json(c: domain::entity::customer::Model, product_type: &str) -> ApiCustomer {
    ApiCustomer {
        id: c.id.to_string(),
        name: c.name,
        reference: c.reference,
        product_type: product_type.to_owned(),
        country: c.country,
        time_zone: c.time_zone,
        status: c.status,
        in_house: c.in_house,
        trial_expires_on: c.trial_expires_on.map(|d| d.to_string()),
        terminate_on: c.terminate_on.map(|d| d.to_string()),
        created_at: c.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

async fn product_codes(db: &domain::db::DatabaseConnection) -> Result<HashMap<i64, String>, ApiError> {
    Ok(domain::operator::all_product_types(db).await?.into_iter().map(|p| (p.id, p.code)).collect())
}

/// The caller's customer `id` as the API shows it (404 for another reseller's).
async fn current_customer(state: &RestState, who: &ApiCaller, id: &str) -> Result<ApiCustomer, ApiError> {
    let c = owned_customer(state, who, id).await?;
    let code = product_codes(&state.app.ctx.db).await?.remove(&c.product_type_id).unwrap_or_default();
    Ok(customer_json(c, &code))
}

/// `GET /api/v1/customers?pageIndex=0&pageSize=50&filter=acme`.
async fn list_customers(
    State(state): State<RestState>,
    who: Option<axum::Extension<ApiCaller>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let who = caller(who)?;
    let number = |key: &str, default: u64| -> Result<u64, ApiError> {
        match query.get(key) {
            None => Ok(default),
            Some(v) => v.trim().parse::<u64>().map_err(|_| ApiError::field(key, format!("{key} must be a whole number."))),
        }
    };
    let page_index = number("pageIndex", 0)?;
    let page_size = number("pageSize", DEFAULT_PAGE_SIZE)?;
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ApiError::field("pageSize", format!("pageSize must be between 1 and {MAX_PAGE_SIZE}.")));
    }
    let filter = query.get("filter").cloned().unwrap_or_default();
    if filter.chars().count() > 200 {
        return Err(ApiError::field("filter", "filter can be at most 200 characters."));
    }
    let db = &state.app.ctx.db;
    let (rows, total) = domain::customers::api_page(db, who.actor.reseller_id, page_index, page_size, &filter).await?;
    let codes = product_codes(db).await?;
    let items: Vec<ApiCustomer> = rows
        .into_iter()
        .map(|c| {
            let code = codes.get(&c.product_type_id).cloned().unwrap_or_default();
            customer_json(c, &code)
        })
        .collect();
    Ok(data(json!({ "items": items, "pageIndex": page_index, "pageSize": page_size, "total": total })))
}

async fn owned_customer(state: &RestState, who: &ApiCaller, id: &str) -> Result<domain::entity::customer::Model, ApiError> {
    Ok(domain::provisioning::owned(&state.app.ctx.db, who.actor.reseller_id, id).await?)
}

/// `GET /api/v1/customers/{id}`.
async fn get_customer(State(state): State<RestState>, who: Option<axum::Extension<ApiCaller>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let who = caller(who)?;
    Ok(data(current_customer(&state, &who, &id).await?))
}

/// `DELETE /api/v1/customers/{id}`: terminates the customer now.
async fn terminate_customer(State(state): State<RestState>, who: Option<axum::Extension<ApiCaller>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let who = caller(who)?;
    let c = owned_customer(&state, &who, &id).await?;
    // The API's DELETE is its confirmation: the customer's own name is passed on.
    domain::lifecycle::terminate(&state.app.ctx.db, &who.actor, &id, &c.name, None).await?;
    Ok(data(current_customer(&state, &who, &id).await?))
}

/// `GET /api/v1/product-types`: what this reseller may sell.
async fn product_types(State(state): State<RestState>, who: Option<axum::Extension<ApiCaller>>) -> Result<Response, ApiError> {
    let who = caller(who)?;
    let options = domain::customers::product_type_options(&state.app.ctx.db, who.actor.reseller_id).await?;
    Ok(data(options))
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

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateCustomerBody {
    name: String,
    product_type: String,
    #[serde(default)]
    reference: String,
    country: String,
    #[serde(default)]
    notes: String,
    /// The trial's last day; absent or null: no trial.
    #[serde(default)]
    trial_expires_on: Option<String>,
    #[serde(default)]
    in_house: bool,
    primary_user: PrimaryUserBody,
    #[serde(default)]
    connection: ConnectionBody,
    /// The primary user's roles; absent: Essential User and User Administrator.
    #[serde(default)]
    roles: Option<RolesBody>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PrimaryUserBody {
    display_name: String,
    email: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConnectionBody {
    /// Absent: the reseller's default template.
    #[serde(default)]
    template_id: Option<i64>,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    directory_tenant_id: String,
    #[serde(default)]
    auto_provision_sub_accounts: bool,
    #[serde(default)]
    auto_agent_addon: bool,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for ConnectionBody {
    fn default() -> Self {
        ConnectionBody {
            template_id: None,
            account_id: String::new(),
            directory_tenant_id: String::new(),
            auto_provision_sub_accounts: false,
            auto_agent_addon: false,
            enabled: true,
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RolesBody {
    #[serde(default)]
    essential: bool,
    #[serde(default)]
    professional: bool,
    #[serde(default)]
    real_time: bool,
    #[serde(default)]
    agent: bool,
    /// `none`, `reports`, `insights`, `analytics`, `live_analytics`, `contact_centre`.
    #[serde(default)]
    supervisor: Option<String>,
    #[serde(default)]
    user_administrator: bool,
}

/// Reads a JSON body strictly, naming the offending field on failure.
fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => Ok(value),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() || path == "." {
                let message = if inner.is_syntax() || inner.is_eof() { format!("The body is not valid JSON ({inner}).") } else { format!("The body does not fit: {inner}.") };
                return Err(ApiError { fields: Some(json!({ "body": message.clone() })), ..ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message) });
            }
            Err(ApiError::field(&path, format!("{path}: {inner}")))
        }
    }
}

/// `POST /api/v1/customers`: customer, primary user and PBX connection in one call.
async fn create_customer(
    State(state): State<RestState>,
    who: Option<axum::Extension<ApiCaller>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let who = caller(who)?;
    let ctx = &state.app.ctx;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 200).ok_or_else(|| {
                ApiError::field("Idempotency-Key", "Idempotency-Key must be 1 to 200 visible ASCII characters.")
            })?;
            Some(key.to_owned())
        }
    };
    if let Some(key) = &key {
        match domain::idempotency::earlier(&ctx.db, who.actor.reseller_id, key, &body).await? {
            domain::idempotency::Earlier::None => {}
            domain::idempotency::Earlier::Replay { status, response } => return Ok(replay(status, response)),
            domain::idempotency::Earlier::Mismatch => {
                return Err(ApiError {
                    fields: Some(json!({ "Idempotency-Key": "This key was used with a different body." })),
                    ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "This Idempotency-Key was already used with a different request body: use a new key for a new request.")
                });
            }
        }
    }
    let input: CreateCustomerBody = parse_body(&body)?;
    let template_id = match input.connection.template_id {
        Some(id) => Some(id),
        None => domain::pbx_templates::options(&ctx.db, who.actor.reseller_id).await?.into_iter().find(|t| t.is_default).map(|t| t.id),
    };
    let roles = match input.roles {
        None => model::roles::Roles::primary_default(),
        Some(r) => model::roles::Roles {
            essential: r.essential,
            professional: r.professional,
            real_time: r.real_time,
            agent: r.agent,
            supervisor: match r.supervisor.as_deref() {
                None => model::roles::Supervisor::None,
                Some(s) => model::roles::Supervisor::parse(s).ok_or_else(|| ApiError::field("roles.supervisor", "roles.supervisor must be one of none, reports, insights, analytics, live_analytics, contact_centre."))?,
            },
            user_admin: r.user_administrator,
        },
    };
    let request_key = match &key {
        // Derived from the client's key, so a retry after a lost response finds the customer.
        Some(k) => format!("api-{}", &domain::idempotency::digest(k.as_bytes())[..60]),
        None => domain::auth::random_key(),
    };
    let new = model::customer_form::NewCustomer {
        request_key,
        details: model::customer_form::DetailsForm {
            name: input.name,
            product_type: input.product_type,
            reference: input.reference,
            country: input.country,
            notes: input.notes,
            trial: input.trial_expires_on.is_some(),
            trial_expires_on: input.trial_expires_on.unwrap_or_default(),
            in_house: input.in_house,
        },
        primary_user: model::customer_form::PrimaryUserForm { display_name: input.primary_user.display_name, email: input.primary_user.email },
        connection: model::pbx::ConnectionForm {
            template_id,
            account_id: input.connection.account_id,
            directory_tenant_id: input.connection.directory_tenant_id,
            auto_provision_sub_accounts: input.connection.auto_provision_sub_accounts,
            auto_agent_addon: input.connection.auto_agent_addon,
            create_disabled: !input.connection.enabled,
        },
        roles,
    };
    let id = domain::provisioning::create(&ctx.db, &who.actor, &new).await?;
    ctx.mail_queued.notify_one();
    ctx.sync_requested.notify_one();
    let response = json!({ "data": current_customer(&state, &who, &id.to_string()).await? }).to_string();
    if let Some(key) = &key
        && let domain::idempotency::Earlier::Replay { status, response } = domain::idempotency::remember(&ctx.db, who.actor.reseller_id, key, &body, 201, &response).await?
    {
        return Ok(replay(status, response));
    }
    let mut out = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], response).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/customers/{id}")) {
        out.headers_mut().insert(header::LOCATION, location);
    }
    Ok(out)
}

fn replay(status: u16, response: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut out = (status, [(header::CONTENT_TYPE, "application/json")], response).into_response();
    out.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    out
}

/// `PATCH /api/v1/customers/{id}`: a JSON merge patch (RFC 7396) of `name`, `productType`,
/// `reference`, `country`, `notes`, `inHouse`, `status` (`active` / `disabled`) and
/// `terminateOn` (a later day schedules the termination; `null` cancels it). Everything is
/// checked before anything is written.
async fn patch_customer(
    State(state): State<RestState>,
    who: Option<axum::Extension<ApiCaller>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let who = caller(who)?;
    let ctx = &state.app.ctx;
    let patch: serde_json::Map<String, Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(ApiError::field("body", "The body must be a JSON object (a merge patch).")),
        Err(e) => return Err(ApiError::field("body", format!("The body is not valid JSON ({e}).")),),
    };
    let detail = domain::provisioning::detail(&ctx.db, &who.actor, &id).await?;
    let mut form = detail.details.clone();
    let mut status = None;
    let mut termination: Option<Option<String>> = None;
    let text = |key: &str, value: &Value| -> Result<String, ApiError> {
        value.as_str().map(str::to_owned).ok_or_else(|| ApiError::field(key, format!("{key} must be a string.")))
    };
    for (key, value) in &patch {
        match key.as_str() {
            "name" => form.name = text(key, value)?,
            "productType" => form.product_type = text(key, value)?,
            "reference" => form.reference = text(key, value)?,
            "country" => form.country = text(key, value)?,
            "notes" => form.notes = text(key, value)?,
            "inHouse" => form.in_house = value.as_bool().ok_or_else(|| ApiError::field(key, "inHouse must be true or false."))?,
            "status" => match value.as_str() {
                Some("active") | Some("disabled") => status = value.as_str().map(str::to_owned),
                _ => return Err(ApiError::field(key, "status must be \"active\" or \"disabled\" (DELETE terminates).")),
            },
            "terminateOn" => match value {
                Value::Null => termination = Some(None),
                Value::String(day) if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok() => termination = Some(Some(day.clone())),
                _ => return Err(ApiError::field(key, "terminateOn must be a date (YYYY-MM-DD) or null.")),
            },
            other => return Err(ApiError::field(other, format!("{other} cannot be changed here (or is not a field of a customer)."))),
        }
    }
    // Rules first, so a refused patch writes nothing.
    form.validate(&detail.rules, false).into_result().map_err(domain::Error::Invalid)?;
    if let Some(Some(day)) = &termination
        && day.as_str() <= detail.rules.today.as_str()
    {
        return Err(domain::Error::invalid("terminate_on", format!("Choose a day after today ({}), or DELETE to terminate now.", detail.rules.today)).into());
    }
    if form != detail.details {
        domain::provisioning::update(&ctx.db, &who.actor, &id, detail.version, &form).await?;
    }
    match status.as_deref() {
        Some("disabled") => {
            domain::lifecycle::disable(&ctx.db, &who.actor, &id).await?;
        }
        Some(_) => {
            domain::lifecycle::reenable(&ctx.db, &who.actor, &id).await?;
        }
        None => {}
    }
    match termination {
        Some(Some(day)) => {
            let c = owned_customer(&state, &who, &id).await?;
            domain::lifecycle::terminate(&ctx.db, &who.actor, &id, &c.name, Some(&day)).await?;
        }
        Some(None) => {
            domain::lifecycle::cancel_termination(&ctx.db, &who.actor, &id).await?;
        }
        None => {}
    }
    Ok(data(current_customer(&state, &who, &id).await?))
}
