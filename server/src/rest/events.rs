//! `/api/v1/events` (the event feed, oldest first, for clients that poll) and
//! `/api/v1/activity` (the reseller's activity log, newest first, filtered).

use super::schema::{ActivityPage, ActivityPageData, ErrorBody, Event, EventFeed, EventFeedData};
use super::{ApiError, Caller, RestState, answer};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use model::Permission;
use model::events::EventFilter;
use std::collections::HashMap;

/// Events per read unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 100;

/// The event as the API shows it.
pub(crate) fn event_json(e: domain::activity::Event) -> Event {
    Event {
        id: e.id.to_string(),
        r#type: e.event_type,
        timestamp: e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        actor: e.actor,
        customer_id: e.customer_id.map(|id| id.to_string()),
        summary: e.summary,
        data: e.data,
    }
}

fn limit(query: &HashMap<String, String>) -> Result<u64, ApiError> {
    super::limit(query, DEFAULT_LIMIT, domain::activity::MAX_PAGE)
}

/// Read the event feed.
///
/// The reseller's events in commit order, after `after` (from the first event when it is
/// absent). Keep `nextCursor` and send it as `after` next time: a client that does never misses
/// or repeats an event, even while several servers write concurrently. An empty page keeps the
/// same cursor; poll again later.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "Events",
    params(
        ("after" = Option<String>, Query, description = "The `nextCursor` of the previous read.", max_length = 2048),
        ("types" = Option<String>, Query, description = "Only these event types, comma-separated (e.g. `customer.created,customer.terminated`).", max_length = 2048),
        ("limit" = Option<u64>, Query, description = "At most this many events, 1 to 500 (default 100).", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "The next events, oldest first.", body = EventFeedData),
        (status = 400, description = "A malformed parameter (named in `fields`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn feed(State(state): State<RestState>, Caller(who): Caller, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    who.actor.require(Permission::WebsiteAccess)?;
    super::only(&query, &["after", "types", "limit"])?;
    let after = match query.get("after") {
        None => 0,
        Some(text) => domain::activity::parse_feed_cursor(text)
            .ok_or_else(|| ApiError::field("after", "after is not a cursor this feed gave out; start again without it."))?,
    };
    let types = model::events::parse_types(query.get("types").map(String::as_str).unwrap_or_default()).map_err(|m| ApiError::field("types", m))?;
    let events = domain::activity::feed(&state.app.ctx.db, who.actor.reseller_id, after, &types, limit(&query)?).await?;
    let last = events.last().map_or(after, |e| e.seq);
    let data = EventFeed { items: events.into_iter().map(event_json).collect(), next_cursor: domain::activity::feed_cursor(last) };
    Ok(answer(StatusCode::OK, EventFeedData { data }))
}

/// Read the activity log.
///
/// The reseller's events, newest first, filtered; follow `nextCursor` for older ones.
#[utoipa::path(
    get,
    path = "/api/v1/activity",
    tag = "Events",
    params(
        ("actor" = Option<String>, Query, description = "Only events by an actor whose name contains this (ignoring case).", max_length = 200),
        ("customer" = Option<String>, Query, description = "Only events about this customer (its Tenant ID).", format = "uuid"),
        ("types" = Option<String>, Query, description = "Only these event types, comma-separated.", max_length = 2048),
        ("from" = Option<String>, Query, description = "From this day on (YYYY-MM-DD, the reseller's time zone).", format = "date"),
        ("to" = Option<String>, Query, description = "Up to and including this day.", format = "date"),
        ("cursor" = Option<String>, Query, description = "The `nextCursor` of the previous page.", max_length = 2048),
        ("limit" = Option<u64>, Query, description = "At most this many events, 1 to 500 (default 100).", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "A page of the log, newest first.", body = ActivityPageData),
        (status = 400, description = "A malformed parameter (named in `fields`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(super) async fn activity(State(state): State<RestState>, Caller(who): Caller, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    who.actor.require(Permission::WebsiteAccess)?;
    super::only(&query, &["actor", "customer", "types", "from", "to", "cursor", "limit"])?;
    let text = |key: &str| query.get(key).cloned().unwrap_or_default();
    let filter = EventFilter { actor: text("actor"), customer: text("customer"), types: text("types"), from: text("from"), to: text("to") };
    if let Some(f) = filter.validate().0.first() {
        return Err(ApiError::field(&f.field, f.message.clone()));
    }
    let limit = limit(&query)?;
    let db = &state.app.ctx.db;
    let zone = domain::activity::time_zone(db, who.actor.reseller_id).await?;
    let parsed = domain::activity::Filter::parse(&filter, &zone)?;
    let (events, older) = domain::activity::log(db, who.actor.reseller_id, &parsed, query.get("cursor").map(String::as_str), limit)
        .await
        .map_err(|e| match e {
            domain::Error::Invalid(_) => ApiError::field("cursor", "cursor is not one this list gave out; start again without it."),
            e => e.into(),
        })?;
    let data = ActivityPage { items: events.into_iter().map(event_json).collect(), next_cursor: older };
    Ok(answer(StatusCode::OK, ActivityPageData { data }))
}
