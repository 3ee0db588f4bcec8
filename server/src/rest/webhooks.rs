//! `/api/v1/webhooks`: the reseller's webhook endpoints, their delivery logs, test events and
//! resends (Webhooks Administrator).

use super::schema::{
    ErrorBody, NewWebhookEndpoint, WebhookDelivery, WebhookDeliveryData, WebhookDeliveryPage, WebhookDeliveryPageData, WebhookEndpoint,
    WebhookEndpointData, WebhookEndpointPatch, WebhookEndpointsData, WebhookHealth, WebhookSecret, WebhookSecretData,
};
use super::{ApiError, Caller, RestState, answer, numeric_id, parse_body};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::activity::Times;
use domain::webhooks::Env;
use model::webhooks::{DeliveryView, EndpointForm, EndpointView};
use std::collections::HashMap;

fn env(state: &RestState) -> Env<'_> {
    let ctx = &state.app.ctx;
    Env { secrets: &ctx.secrets, policy: ctx.http.policy(), allow_http: ctx.demo }
}

fn endpoint_json(e: EndpointView) -> WebhookEndpoint {
    let success_rate = e.health.success_rate();
    WebhookEndpoint {
        id: e.id,
        url: e.url,
        description: e.description,
        event_types: e.event_types,
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        created_at: e.created_at,
        previous_secret_until: e.previous_secret_until,
        health: WebhookHealth {
            delivered: e.health.delivered,
            failing: e.health.failing,
            pending: e.health.pending,
            success_rate,
            failing_since: e.health.failing_since,
        },
    }
}

fn delivery_json(d: DeliveryView) -> WebhookDelivery {
    WebhookDelivery {
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type,
        status: d.status.as_str().to_owned(),
        attempts: d.attempts,
        last_status_code: d.last_status_code,
        last_response_ms: d.last_response_ms,
        last_error: d.last_error,
        created_at: d.created_at,
        last_attempt_at: d.last_attempt_at,
        next_attempt_at: d.next_attempt_at,
    }
}

fn tagged(e: EndpointView, status: StatusCode) -> Response {
    let version = e.version;
    let mut response = answer(status, WebhookEndpointData { data: endpoint_json(e) });
    response.headers_mut().insert(axum::http::header::ETAG, super::etag(version));
    response
}

/// List webhook endpoints.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "Webhooks",
    responses((status = 200, description = "The reseller's endpoints, oldest first.", body = WebhookEndpointsData)),
    security(("bearer" = []))
)]
pub(super) async fn list(State(state): State<RestState>, Caller(who): Caller) -> Result<Response, ApiError> {
    let endpoints = domain::webhooks::list(&state.app.ctx.db, &who.actor, Times::Utc).await?;
    Ok(answer(StatusCode::OK, WebhookEndpointsData { data: endpoints.into_iter().map(endpoint_json).collect() }))
}

/// Add a webhook endpoint.
///
/// It receives the events committed from now on, signed with the secret in the answer — the
/// only time it is shown. The URL must be https and reach a public address.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "Webhooks",
    request_body = NewWebhookEndpoint,
    responses(
        (status = 201, description = "The endpoint, with its signing secret.", body = WebhookSecretData),
        (status = 400, description = "Malformed JSON, an unknown field or a wrong type (named in `fields`).", body = ErrorBody),
        (status = 409, description = "The reseller has the most endpoints allowed.", body = ErrorBody),
        (status = 422, description = "A rule is broken (the fields are named); nothing was stored.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn create(State(state): State<RestState>, Caller(who): Caller, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let new: NewWebhookEndpoint = parse_body(&body)?;
    let form = EndpointForm {
        url: new.url,
        description: new.description.unwrap_or_default(),
        event_types: new.event_types.unwrap_or_default().join(","),
        enabled: new.enabled.unwrap_or(true),
    };
    let made = domain::webhooks::create(&state.app.ctx.db, env(&state), &who.actor, &form, Times::Utc).await.map_err(renamed)?;
    let id = made.endpoint.id;
    let mut response = answer(StatusCode::CREATED, WebhookSecretData { data: WebhookSecret { endpoint: endpoint_json(made.endpoint), secret: made.secret } });
    if let Ok(location) = axum::http::HeaderValue::from_str(&format!("/api/v1/webhooks/{id}")) {
        response.headers_mut().insert(axum::http::header::LOCATION, location);
    }
    Ok(response)
}

/// The form's field names as the API spells them.
fn renamed(e: domain::Error) -> ApiError {
    match e {
        domain::Error::Invalid(mut errors) => {
            for f in &mut errors.0 {
                if f.field == "event_types" {
                    f.field = "eventTypes".into();
                }
            }
            domain::Error::Invalid(errors).into()
        }
        e => e.into(),
    }
}

/// Get a webhook endpoint.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{webhookId}",
    tag = "Webhooks",
    params(("webhookId" = i64, Path, description = "The endpoint's id.")),
    responses(
        (status = 200, body = WebhookEndpointData, headers(("ETag" = String, description = "The endpoint's version, for `If-Match`."))),
        (status = 404, description = "No such endpoint (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let e = domain::webhooks::get(&state.app.ctx.db, &who.actor, numeric_id(&id)?, Times::Utc).await?;
    Ok(tagged(e, StatusCode::OK))
}

/// Change a webhook endpoint (a JSON merge patch).
///
/// Enabling an endpoint the portal disabled after failures clears its failure streak; it
/// receives the events committed from then on.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{webhookId}",
    tag = "Webhooks",
    params(
        ("webhookId" = i64, Path, description = "The endpoint's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the patch is based on: apply it only if the endpoint did not change since (else 412)."),
    ),
    request_body(content = WebhookEndpointPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The endpoint as it is now.", body = WebhookEndpointData, headers(("ETag" = String, description = "The endpoint's new version."))),
        (status = 400, description = "Malformed JSON, an unknown field or a wrong type (named in `fields`).", body = ErrorBody),
        (status = 404, description = "No such endpoint (or another reseller's).", body = ErrorBody),
        (status = 409, description = "A concurrent change got there first.", body = ErrorBody),
        (status = 412, description = "`If-Match` names an older version: nothing was changed.", body = ErrorBody),
        (status = 422, description = "A rule is broken (the fields are named); nothing was changed.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn patch(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    let patch: WebhookEndpointPatch = parse_body(&body)?;
    let id = numeric_id(&id)?;
    let db = &state.app.ctx.db;
    let current = domain::webhooks::get(db, &who.actor, id, Times::Utc).await?;
    if let Some(expected) = super::if_match(&headers)?
        && expected != current.version
    {
        return Err(domain::Error::PreconditionFailed.into());
    }
    let form = EndpointForm {
        url: patch.url.unwrap_or(current.url),
        description: patch.description.unwrap_or(current.description),
        event_types: patch.event_types.unwrap_or(current.event_types).join(","),
        enabled: patch.enabled.unwrap_or(current.enabled),
    };
    let saved = domain::webhooks::update(db, env(&state), &who.actor, id, current.version, &form, Times::Utc).await.map_err(renamed)?;
    Ok(tagged(saved, StatusCode::OK))
}

/// Delete a webhook endpoint and its delivery log.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{webhookId}",
    tag = "Webhooks",
    params(("webhookId" = i64, Path, description = "The endpoint's id.")),
    responses(
        (status = 204, description = "Deleted; nothing more is sent to it."),
        (status = 404, description = "No such endpoint (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn delete(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    domain::webhooks::delete(&state.app.ctx.db, &who.actor, numeric_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Rotate the signing secret.
///
/// The new secret is in the answer, the only time it is shown; the previous one keeps signing
/// too (a second signature in `webhook-signature`) for 24 hours.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{webhookId}/secret",
    tag = "Webhooks",
    params(("webhookId" = i64, Path, description = "The endpoint's id.")),
    responses(
        (status = 200, description = "The endpoint, with its new signing secret.", body = WebhookSecretData),
        (status = 404, description = "No such endpoint (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn rotate(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let made = domain::webhooks::rotate_secret(&state.app.ctx.db, env(&state), &who.actor, numeric_id(&id)?, Times::Utc).await?;
    Ok(answer(StatusCode::OK, WebhookSecretData { data: WebhookSecret { endpoint: endpoint_json(made.endpoint), secret: made.secret } }))
}

/// Send a test event.
///
/// Queues an event of type `webhook_endpoint.test` for this endpoint at once; follow it in the
/// delivery log.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{webhookId}/test",
    tag = "Webhooks",
    params(("webhookId" = i64, Path, description = "The endpoint's id.")),
    responses(
        (status = 202, description = "The test delivery, queued.", body = WebhookDeliveryData),
        (status = 404, description = "No such endpoint (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The endpoint is disabled.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn test(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    let d = domain::webhooks::send_test(&state.app.ctx.db, &who.actor, numeric_id(&id)?, Times::Utc).await?;
    Ok(answer(StatusCode::ACCEPTED, WebhookDeliveryData { data: delivery_json(d) }))
}

/// List an endpoint's deliveries.
///
/// Newest first: each event sent (or to send) to the endpoint, its attempts, the last answer's
/// status and time, and the next retry.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{webhookId}/deliveries",
    tag = "Webhooks",
    params(
        ("webhookId" = i64, Path, description = "The endpoint's id."),
        ("cursor" = Option<String>, Query, description = "The `nextCursor` of the previous page.", max_length = 2048),
        ("limit" = Option<u64>, Query, description = "At most this many, 1 to 200 (default 50).", minimum = 1, maximum = 200),
    ),
    responses(
        (status = 200, body = WebhookDeliveryPageData),
        (status = 400, description = "A malformed parameter (named in `fields`).", body = ErrorBody),
        (status = 404, description = "No such endpoint (or another reseller's).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn deliveries(State(state): State<RestState>, Caller(who): Caller, Path(id): Path<String>, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    super::only(&query, &["cursor", "limit"])?;
    let limit = super::limit(&query, 50, domain::webhooks::MAX_DELIVERY_PAGE)?;
    let id = numeric_id(&id)?;
    let (items, older) = domain::webhooks::deliveries(&state.app.ctx.db, &who.actor, id, query.get("cursor").map(String::as_str), limit, Times::Utc)
        .await
        .map_err(|e| match e {
            domain::Error::Invalid(_) => ApiError::field("cursor", "cursor is not one this list gave out; start again without it."),
            e => e.into(),
        })?;
    let data = WebhookDeliveryPage { items: items.into_iter().map(delivery_json).collect(), next_cursor: older };
    Ok(answer(StatusCode::OK, WebhookDeliveryPageData { data }))
}

/// Resend a delivery.
///
/// The same event (same `webhook-id`, same body) is sent again at once, with a fresh series of
/// retries.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{webhookId}/deliveries/{deliveryId}/resend",
    tag = "Webhooks",
    params(
        ("webhookId" = i64, Path, description = "The endpoint's id."),
        ("deliveryId" = i64, Path, description = "The delivery's id."),
    ),
    responses(
        (status = 202, description = "The delivery, queued again.", body = WebhookDeliveryData),
        (status = 404, description = "No such endpoint or delivery (or another reseller's).", body = ErrorBody),
        (status = 409, description = "The endpoint is disabled.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn resend(State(state): State<RestState>, Caller(who): Caller, Path((id, delivery)): Path<(String, String)>) -> Result<Response, ApiError> {
    let d = domain::webhooks::resend(&state.app.ctx.db, &who.actor, numeric_id(&id)?, numeric_id(&delivery)?, Times::Utc).await?;
    Ok(answer(StatusCode::ACCEPTED, WebhookDeliveryData { data: delivery_json(d) }))
}
