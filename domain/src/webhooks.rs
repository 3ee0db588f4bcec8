//! Webhook endpoints, and the delivery of the event stream to them (issue 16).
//!
//! - **Endpoints** belong to a reseller and are managed by its Webhooks Administrators (the
//!   Webhooks page and `/api/v1/webhooks`): a URL the egress policy allows (https outside demo
//!   mode), the event types wanted (or all), enabled or not, and a signing secret shown once,
//!   which can be rotated — the previous one keeps signing for a day.
//! - **Fan-out** ([`fan_out`]) follows each enabled endpoint's cursor (`last_seq`) through its
//!   reseller's stream and writes one delivery per wanted event, in one transaction with the
//!   cursor's move. A delivery is unique per endpoint and event, and the cursor moves only from
//!   where the worker read it, so two workers never fan out one event twice.
//! - **Delivery** ([`claim_due`], [`attempt`]): a worker claims due deliveries with a lease,
//!   like the mail worker, signs each per the Standard Webhooks specification (`webhook-id`,
//!   `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) and POSTs it through the
//!   egress policy's client. A 2xx within 15 s is delivered; anything else is retried with
//!   exponential backoff and jitter for about a day, then the delivery is failed. An endpoint
//!   failing for days is disabled, its Webhooks Administrators are emailed, and that is an event
//!   too. At least once: a worker stopped after the receiver answered but before it recorded
//!   the answer sends again when its lease runs out — receivers de-duplicate by `webhook-id`.

use crate::activity::{self, Actor, Times};
use crate::egress::{EgressPolicy, HttpClient, SendError};
use crate::entity::{reseller, reseller_user, webhook_delivery as delivery, webhook_endpoint as endpoint};
use crate::paging::Cursor;
use crate::scope::ResellerId;
use crate::secret::SecretBox;
use crate::{Error, Result, outbox};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SubsecRound, Utc};
use hmac::{Hmac, Mac};
use model::events::EventType;
use model::webhooks::{DeliveryStatus, DeliveryView, EndpointForm, EndpointView, Health, MAX_ENDPOINTS, WithSecret};
use model::{Permission, Permissions};
use rand::RngCore;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use std::time::Duration;

/// The type of the event "Send test event" sends (never part of the stream).
pub const TEST_EVENT: &str = "webhook_endpoint.test";

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// How deliveries are retried and when an endpoint is given up on. The defaults are the
/// product's; tests shorten them.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The waits after the first, second, … failed attempt; after the last one the delivery is
    /// failed. Defaults: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts, about 28 h).
    pub retry_delays: Vec<Duration>,
    /// Each wait is stretched or shrunk by up to this fraction at random, so retries of many
    /// deliveries spread out.
    pub jitter: f64,
    /// An attempt with no complete answer within this is a failure.
    pub timeout: Duration,
    /// How long a claim keeps other workers off a delivery (far longer than an attempt).
    pub lease: Duration,
    /// An endpoint whose every attempt has failed for this long is disabled.
    pub disable_after: chrono::Duration,
}

impl Default for Delivery {
    fn default() -> Self {
        let m = |minutes: u64| Duration::from_secs(minutes * 60);
        Delivery {
            retry_delays: vec![Duration::from_secs(5), m(5), m(30), m(120), m(300), m(600), m(600)],
            jitter: 0.1,
            timeout: Duration::from_secs(15),
            lease: Duration::from_secs(120),
            disable_after: chrono::Duration::days(5),
        }
    }
}

impl Delivery {
    /// The wait before the next attempt after `failures` failed ones, or `None` after the last.
    pub fn retry_after(&self, failures: i32) -> Option<Duration> {
        let base = *self.retry_delays.get(usize::try_from(failures - 1).ok()?)?;
        let spread = (rand::random::<f64>() * 2.0 - 1.0) * self.jitter.clamp(0.0, 1.0);
        Some(base.mul_f64(1.0 + spread))
    }
}

// ---------------------------------------------------------------------------------------------
// Signing (Standard Webhooks)

type HmacSha256 = Hmac<sha2::Sha256>;

/// A new signing secret: `whsec_` and 32 random bytes in base64, as the Standard Webhooks
/// libraries take it.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", BASE64.encode(key))
}

/// `v1,<signature>` of a message: base64 of HMAC-SHA256, keyed by the secret's bytes, over
/// `{id}.{timestamp}.{body}`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = BASE64.decode(secret.trim_start_matches("whsec_")).unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The associated data an endpoint's secrets are sealed with: they open for that row only.
fn context(id: i64) -> String {
    format!("webhook_endpoint:{id}")
}

// ---------------------------------------------------------------------------------------------
// Endpoints (the Webhooks page and /api/v1/webhooks)

/// What the endpoint services need besides the database.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub secrets: &'a SecretBox,
    /// The egress policy endpoint URLs must pass.
    pub policy: &'a EgressPolicy,
    /// Demo mode: http:// URLs are accepted.
    pub allow_http: bool,
}

fn types_of(row: &endpoint::Model) -> Vec<String> {
    row.event_types.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

fn wants(row: &endpoint::Model, event_type: &str) -> bool {
    row.event_types.is_empty() || row.event_types.split(',').any(|t| t == event_type)
}

async fn zone(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<String> {
    Ok(reseller::Entity::find_by_id(reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default())
}

async fn health(db: &impl ConnectionTrait, row: &endpoint::Model, zone: &str, times: Times) -> Result<Health> {
    let day_ago = Utc::now() - chrono::Duration::days(1);
    let recent = || delivery::Entity::find().filter(delivery::Column::EndpointId.eq(row.id)).filter(delivery::Column::LastAttemptAt.gt(day_ago));
    let delivered = recent().filter(delivery::Column::Status.eq(DeliveryStatus::Delivered)).count(db).await?;
    let failing = recent().filter(delivery::Column::Status.ne(DeliveryStatus::Delivered)).count(db).await?;
    let pending =
        delivery::Entity::find().filter(delivery::Column::EndpointId.eq(row.id)).filter(delivery::Column::Status.eq(DeliveryStatus::Pending)).count(db).await?;
    Ok(Health { delivered, failing, pending, failing_since: row.failing_since.map(|t| times.show(t, zone)) })
}

async fn view(db: &impl ConnectionTrait, row: endpoint::Model, zone: &str, times: Times) -> Result<EndpointView> {
    let health = health(db, &row, zone, times).await?;
    Ok(EndpointView {
        id: row.id,
        event_types: types_of(&row),
        url: row.url,
        description: row.description,
        enabled: row.enabled,
        disabled_reason: row.disabled_reason,
        version: row.version,
        created_at: times.show(row.created_at, zone),
        previous_secret_until: row.previous_secret_until.filter(|t| *t > Utc::now()).map(|t| times.show(t, zone)),
        health,
    })
}

/// `{"webhookEndpoint": …}`, the subject of an endpoint's event (never a secret).
fn about(row: &endpoint::Model) -> Value {
    json!({ "webhookEndpoint": { "id": row.id, "url": row.url, "description": row.description, "eventTypes": types_of(row), "enabled": row.enabled } })
}

/// The reseller's endpoint `id` (another reseller's is `NotFound`, like a missing one).
async fn owned(db: &impl ConnectionTrait, reseller_id: ResellerId, id: i64) -> Result<endpoint::Model> {
    endpoint::Entity::find_by_id(id).filter(endpoint::Column::ResellerId.eq(reseller_id)).one(db).await?.ok_or(Error::NotFound)
}

/// The form checked, with its URL and types normalised; refusals name their field.
async fn checked(env: Env<'_>, form: &EndpointForm) -> Result<(String, String)> {
    form.validate(env.allow_http).into_result()?;
    let url = form.url.trim().to_owned();
    let parsed = url::Url::parse(&url).map_err(|_| Error::invalid("url", "Enter a whole URL, like https://hooks.example.com/portal."))?;
    if let Err(refused) = env.policy.check_destination(&parsed).await {
        return Err(Error::invalid("url", refused.to_string()));
    }
    let types: Vec<&str> = model::events::parse_types(&form.event_types).unwrap_or_default().into_iter().map(EventType::as_str).collect();
    Ok((url, types.join(",")))
}

/// The reseller's endpoints, oldest first.
pub async fn list(db: &DatabaseConnection, actor: &Actor, times: Times) -> Result<Vec<EndpointView>> {
    actor.require(Permission::WebhooksAdministrator)?;
    let zone = zone(db, actor.reseller_id).await?;
    let rows = endpoint::Entity::find().filter(endpoint::Column::ResellerId.eq(actor.reseller_id)).order_by_asc(endpoint::Column::Id).all(db).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(db, row, &zone, times).await?);
    }
    Ok(views)
}

/// One of the reseller's endpoints.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: i64, times: Times) -> Result<EndpointView> {
    actor.require(Permission::WebhooksAdministrator)?;
    let row = owned(db, actor.reseller_id, id).await?;
    view(db, row, &zone(db, actor.reseller_id).await?, times).await
}

/// Adds an endpoint; it receives the events committed from now on. Its secret is in the
/// answer, and only there.
pub async fn create(db: &DatabaseConnection, env: Env<'_>, actor: &Actor, form: &EndpointForm, times: Times) -> Result<WithSecret> {
    actor.require(Permission::WebhooksAdministrator)?;
    let (url, types) = checked(env, form).await?;
    let txn = crate::db::Work::begin(db).await?;
    // The reseller's row lock: two creates at once cannot pass the limit together.
    crate::scope::lock_reseller(&txn, actor.reseller_id).await?;
    let count = endpoint::Entity::find().filter(endpoint::Column::ResellerId.eq(actor.reseller_id)).count(&txn).await?;
    if count >= MAX_ENDPOINTS {
        return Err(Error::Conflict(format!("A reseller can have at most {MAX_ENDPOINTS} webhook endpoints: delete one first.")));
    }
    let secret = new_secret();
    let now = Utc::now();
    let row = endpoint::ActiveModel {
        reseller_id: Set(actor.reseller_id.get()),
        url: Set(url),
        description: Set(form.description.trim().to_owned()),
        event_types: Set(types),
        enabled: Set(form.enabled),
        secret_sealed: Set(String::new()),
        previous_secret_sealed: Set(None),
        previous_secret_until: Set(None),
        // It receives what is committed after its own creation (the one event recorded here).
        last_seq: Set(activity::lock_stream(&txn, actor.reseller_id).await? + 1),
        failing_since: Set(None),
        disabled_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let sealed = env.secrets.seal_for(&secret, &context(row.id));
    endpoint::Entity::update_many().col_expr(endpoint::Column::SecretSealed, Expr::value(sealed.clone())).filter(endpoint::Column::Id.eq(row.id)).exec(&txn).await?;
    let row = endpoint::Model { secret_sealed: sealed, ..row };
    let summary = format!("Added the webhook endpoint {}.", row.url);
    activity::record_about(&txn, actor, None, EventType::WebhookEndpointCreated, summary, about(&row)).await?;
    let endpoint = view(&txn, row, &zone(&txn, actor.reseller_id).await?, times).await?;
    txn.commit().await?;
    Ok(WithSecret { endpoint, secret })
}

/// Changes an endpoint (optimistic concurrency on `version`). Enabling one the portal had
/// disabled clears its failure streak; it goes on from the events committed from now on.
pub async fn update(db: &DatabaseConnection, env: Env<'_>, actor: &Actor, id: i64, version: i32, form: &EndpointForm, times: Times) -> Result<EndpointView> {
    actor.require(Permission::WebhooksAdministrator)?;
    let (url, types) = checked(env, form).await?;
    let txn = crate::db::Work::begin(db).await?;
    let current = owned(&txn, actor.reseller_id, id).await?;
    let description = form.description.trim().to_owned();
    let mut changes = Vec::new();
    if current.url != url {
        changes.push(format!("URL to {url}"));
    }
    if current.description != description {
        changes.push("description".to_owned());
    }
    if current.event_types != types {
        changes.push(if types.is_empty() { "event types to all".to_owned() } else { format!("event types to {}", types.replace(',', ", ")) });
    }
    if current.enabled != form.enabled {
        changes.push(if form.enabled { "enabled it".to_owned() } else { "disabled it".to_owned() });
    }
    if changes.is_empty() {
        return view(&txn, current, &zone(&txn, actor.reseller_id).await?, times).await;
    }
    let mut update = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::Url, Expr::value(url))
        .col_expr(endpoint::Column::Description, Expr::value(description))
        .col_expr(endpoint::Column::EventTypes, Expr::value(types))
        .col_expr(endpoint::Column::Enabled, Expr::value(form.enabled))
        .col_expr(endpoint::Column::Version, Expr::value(version + 1));
    if form.enabled && !current.enabled {
        // Back on: from now, not a backlog of what happened while it was off.
        update = update
            .col_expr(endpoint::Column::LastSeq, Expr::value(activity::lock_stream(&txn, actor.reseller_id).await? + 1))
            .col_expr(endpoint::Column::FailingSince, Expr::value(None::<DateTime<Utc>>))
            .col_expr(endpoint::Column::DisabledReason, Expr::value(None::<String>));
    }
    let result = update.filter(endpoint::Column::Id.eq(id)).filter(endpoint::Column::Version.eq(version)).exec(&txn).await?;
    if result.rows_affected != 1 {
        return Err(Error::Conflict("Someone else changed this endpoint after you opened it. Nothing was saved: reload and try again.".into()));
    }
    let saved = owned(&txn, actor.reseller_id, id).await?;
    let summary = format!("Changed the webhook endpoint {}: {}.", current.url, changes.join("; "));
    activity::record_about(&txn, actor, None, EventType::WebhookEndpointUpdated, summary, about(&saved)).await?;
    let shown = view(&txn, saved, &zone(&txn, actor.reseller_id).await?, times).await?;
    txn.commit().await?;
    Ok(shown)
}

/// Deletes an endpoint and its delivery log; nothing more is sent to it.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i64) -> Result<()> {
    actor.require(Permission::WebhooksAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let current = owned(&txn, actor.reseller_id, id).await?;
    delivery::Entity::delete_many().filter(delivery::Column::EndpointId.eq(id)).exec(&txn).await?;
    endpoint::Entity::delete_by_id(id).exec(&txn).await?;
    let summary = format!("Deleted the webhook endpoint {}.", current.url);
    activity::record_about(&txn, actor, None, EventType::WebhookEndpointDeleted, summary, about(&current)).await?;
    txn.commit().await?;
    Ok(())
}

/// A new signing secret, shown this once; the previous one keeps signing for
/// [`ROTATION_GRACE`], so receivers can switch without losing a delivery.
pub async fn rotate_secret(db: &DatabaseConnection, env: Env<'_>, actor: &Actor, id: i64, times: Times) -> Result<WithSecret> {
    actor.require(Permission::WebhooksAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let current = owned(&txn, actor.reseller_id, id).await?;
    let secret = new_secret();
    let until = Utc::now() + ROTATION_GRACE;
    endpoint::Entity::update_many()
        .col_expr(endpoint::Column::SecretSealed, Expr::value(env.secrets.seal_for(&secret, &context(id))))
        .col_expr(endpoint::Column::PreviousSecretSealed, Expr::value(Some(current.secret_sealed.clone())))
        .col_expr(endpoint::Column::PreviousSecretUntil, Expr::value(Some(until)))
        .col_expr(endpoint::Column::Version, Expr::value(current.version + 1))
        .filter(endpoint::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let zone = zone(&txn, actor.reseller_id).await?;
    let summary = format!(
        "Rotated the signing secret of the webhook endpoint {}; the previous one also signs until {}.",
        current.url,
        activity::local_time(until, &zone)
    );
    activity::record_about(&txn, actor, None, EventType::WebhookEndpointSecretRotated, summary, about(&current)).await?;
    let saved = owned(&txn, actor.reseller_id, id).await?;
    let endpoint = view(&txn, saved, &zone, times).await?;
    txn.commit().await?;
    Ok(WithSecret { endpoint, secret })
}

fn delivery_view(row: delivery::Model, zone: &str, times: Times) -> DeliveryView {
    DeliveryView {
        id: row.id,
        event_id: row.event_id,
        event_type: row.event_type,
        status: row.status,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_response_ms: row.last_response_ms,
        last_error: row.last_error,
        created_at: times.show(row.created_at, zone),
        last_attempt_at: row.last_attempt_at.map(|t| times.show(t, zone)),
        next_attempt_at: row.next_attempt_at.filter(|_| row.status == DeliveryStatus::Pending).map(|t| times.show(t, zone)),
    }
}

/// Queues a test event for the endpoint at once (type [`TEST_EVENT`], a new id each time).
pub async fn send_test(db: &DatabaseConnection, actor: &Actor, id: i64, times: Times) -> Result<DeliveryView> {
    actor.require(Permission::WebhooksAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let current = owned(&txn, actor.reseller_id, id).await?;
    if !current.enabled {
        return Err(Error::Conflict("This endpoint is disabled: enable it to send it a test event.".into()));
    }
    let now = Utc::now();
    let event_id = uuid::Uuid::new_v4().to_string();
    let data = json!({ "summary": format!("A test event sent by {}.", actor.name), "actor": actor.name, "webhookEndpoint": about(&current)["webhookEndpoint"] });
    let row = insert_delivery(&txn, &current, &event_id, TEST_EVENT, now, &data).await?.ok_or_else(|| Error::Internal("a test event id repeated".into()))?;
    let zone = zone(&txn, actor.reseller_id).await?;
    txn.commit().await?;
    Ok(delivery_view(row, &zone, times))
}

/// The body of a delivery: `{"type", "timestamp", "data"}` (Standard Webhooks).
fn body(event_type: &str, at: DateTime<Utc>, data: &Value) -> String {
    json!({ "type": event_type, "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "data": data }).to_string()
}

/// Writes a pending delivery unless the endpoint already has one for the event.
async fn insert_delivery(
    db: &impl ConnectionTrait,
    to: &endpoint::Model,
    event_id: &str,
    event_type: &str,
    at: DateTime<Utc>,
    data: &Value,
) -> Result<Option<delivery::Model>> {
    let now = Utc::now();
    let row = delivery::ActiveModel {
        endpoint_id: Set(to.id),
        reseller_id: Set(to.reseller_id),
        event_id: Set(event_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        body: Set(body(event_type, at, data)),
        event_at: Set(at),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        claimed_until: Set(None),
        last_status_code: Set(None),
        last_response_ms: Set(None),
        last_error: Set(None),
        last_attempt_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = delivery::Entity::insert(row)
        .on_conflict(OnConflict::columns([delivery::Column::EndpointId, delivery::Column::EventId]).do_nothing().to_owned())
        .exec_with_returning(db)
        .await;
    match inserted {
        Ok(row) => Ok(Some(row)),
        Err(sea_orm::DbErr::RecordNotInserted) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The longest page of a delivery log.
pub const MAX_DELIVERY_PAGE: u64 = 200;
const DELIVERY_CURSOR: &str = "webhook_deliveries";

/// A page of the endpoint's delivery log, newest first, older than the cursor `before`, and
/// the cursor of the next page.
pub async fn deliveries(db: &DatabaseConnection, actor: &Actor, id: i64, before: Option<&str>, limit: u64, times: Times) -> Result<(Vec<DeliveryView>, Option<String>)> {
    actor.require(Permission::WebhooksAdministrator)?;
    let current = owned(db, actor.reseller_id, id).await?;
    let mut select = delivery::Entity::find().filter(delivery::Column::EndpointId.eq(current.id));
    if let Some(text) = before {
        let below: i64 = Cursor::decode(DELIVERY_CURSOR, 1, text)
            .and_then(|c| c.key()[0].parse().ok())
            .ok_or_else(|| Error::invalid("cursor", "This cursor was not given out by this list."))?;
        select = select.filter(delivery::Column::Id.lt(below));
    }
    let limit = limit.clamp(1, MAX_DELIVERY_PAGE);
    let mut rows = select.order_by_desc(delivery::Column::Id).limit(limit + 1).all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let older = if more { rows.last().map(|r| Cursor::new(DELIVERY_CURSOR, vec![r.id.to_string()]).encode()) } else { None };
    let zone = zone(db, actor.reseller_id).await?;
    Ok((rows.into_iter().map(|r| delivery_view(r, &zone, times)).collect(), older))
}

/// Sends a delivery again at once (same event id and body), with a fresh series of retries.
pub async fn resend(db: &DatabaseConnection, actor: &Actor, id: i64, delivery_id: i64, times: Times) -> Result<DeliveryView> {
    actor.require(Permission::WebhooksAdministrator)?;
    let txn = crate::db::Work::begin(db).await?;
    let current = owned(&txn, actor.reseller_id, id).await?;
    if !current.enabled {
        return Err(Error::Conflict("This endpoint is disabled: enable it to resend to it.".into()));
    }
    let row = delivery::Entity::find_by_id(delivery_id).filter(delivery::Column::EndpointId.eq(current.id)).one(&txn).await?.ok_or(Error::NotFound)?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(DeliveryStatus::Pending))
        .col_expr(delivery::Column::Attempts, Expr::value(0))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(Some(Utc::now())))
        .col_expr(delivery::Column::ClaimedUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(delivery::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    let row = delivery::Entity::find_by_id(row.id).one(&txn).await?.ok_or(Error::NotFound)?;
    let zone = zone(&txn, actor.reseller_id).await?;
    txn.commit().await?;
    Ok(delivery_view(row, &zone, times))
}

// ---------------------------------------------------------------------------------------------
// The worker's side: fan-out, claims, attempts

/// Events read per endpoint and transaction by [`fan_out`].
const FAN_OUT_BATCH: u64 = 500;

/// Writes the deliveries of every enabled endpoint for the events committed since its cursor;
/// returns how many it wrote.
pub async fn fan_out(db: &DatabaseConnection) -> Result<u64> {
    let endpoints = endpoint::Entity::find().filter(endpoint::Column::Enabled.eq(true)).all(db).await?;
    let mut written = 0;
    // What is new for each endpoint, read before writing (most passes find nothing and write
    // nothing); then one unit of work for all of them.
    let mut work = Vec::new();
    for to in endpoints {
        let events = activity::feed(db, ResellerId::of_row(to.reseller_id), to.last_seq, &[], FAN_OUT_BATCH).await?;
        if !events.is_empty() {
            work.push((to, events));
        }
    }
    if work.is_empty() {
        return Ok(0);
    }
    let txn = crate::db::Work::begin(db).await?;
    for (to, events) in &work {
        let last = events.last().map_or(to.last_seq, |e| e.seq);
        let moved = endpoint::Entity::update_many()
            .col_expr(endpoint::Column::LastSeq, Expr::value(last))
            .filter(endpoint::Column::Id.eq(to.id))
            .filter(endpoint::Column::LastSeq.eq(to.last_seq))
            .filter(endpoint::Column::Enabled.eq(true))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 {
            continue; // Another worker fanned out these events first (or the endpoint changed).
        }
        for e in events.iter().filter(|e| wants(to, &e.event_type)) {
            let mut data = e.data.clone();
            if let Value::Object(map) = &mut data {
                map.insert("actor".into(), Value::String(e.actor.clone()));
                map.insert("summary".into(), Value::String(e.summary.clone()));
            }
            if insert_delivery(&txn, to, &e.id.to_string(), &e.event_type, e.at, &data).await?.is_some() {
                written += 1;
            }
        }
    }
    txn.commit().await?;
    // A full batch means there may be more: the next pass (woken by this commit) goes on.
    Ok(written)
}

/// A delivery a worker holds, with what it needs to send it.
#[derive(Clone)]
pub struct Claimed {
    pub delivery: delivery::Model,
    pub url: String,
    /// The secrets that sign it: the current one, and the previous one during its grace.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed").field("delivery", &self.delivery.id).field("url", &self.url).finish_non_exhaustive()
    }
}

fn unclaimed(now: DateTime<Utc>) -> Condition {
    Condition::any().add(delivery::Column::ClaimedUntil.is_null()).add(delivery::Column::ClaimedUntil.lt(now))
}

/// Claims up to `limit` pending deliveries due at `now` to enabled endpoints, for `lease`
/// (each by its own conditional `UPDATE`, so only one worker gets each), in one unit of work
/// (on SQLite a write outside the write gate could make a concurrent change fail).
pub async fn claim_due(db: &DatabaseConnection, secrets: &SecretBox, now: DateTime<Utc>, lease: Duration, limit: u64) -> Result<Vec<Claimed>> {
    // Whole milliseconds: the database keeps no finer time, and the claim is matched by it.
    let until = (now + chrono::Duration::from_std(lease).map_err(|e| Error::Internal(e.to_string()))?).trunc_subsecs(3);
    let candidates = delivery::Entity::find()
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(unclaimed(now))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut endpoints: std::collections::HashMap<i64, Option<endpoint::Model>> = Default::default();
    let mut claimed = Vec::new();
    let txn = crate::db::Work::begin(db).await?;
    for row in candidates {
        if !endpoints.contains_key(&row.endpoint_id) {
            endpoints.insert(row.endpoint_id, endpoint::Entity::find_by_id(row.endpoint_id).one(&txn).await?);
        }
        let Some(to) = endpoints[&row.endpoint_id].as_ref().filter(|e| e.enabled) else { continue };
        let result = delivery::Entity::update_many()
            .col_expr(delivery::Column::ClaimedUntil, Expr::value(Some(until)))
            .filter(delivery::Column::Id.eq(row.id))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            continue;
        }
        let mut keys = vec![secrets.open_for(&to.secret_sealed, &context(to.id))?];
        if let (Some(previous), Some(until)) = (&to.previous_secret_sealed, to.previous_secret_until)
            && until > now
        {
            keys.push(secrets.open_for(previous, &context(to.id))?);
        }
        claimed.push(Claimed { delivery: delivery::Model { claimed_until: Some(until), ..row }, url: to.url.clone(), secrets: keys });
    }
    txn.commit().await?;
    Ok(claimed)
}

/// What became of an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered { status: u16 },
    /// Tried again from then on.
    RetryAt(DateTime<Utc>),
    /// That was the last attempt.
    GaveUp,
    /// The claim had run out and another worker took the delivery: nothing was recorded.
    Stale,
}

/// The headers of an attempt at `timestamp` (seconds): `webhook-id`, `webhook-timestamp` and
/// `webhook-signature` (one `v1,…` per secret, space-separated).
pub fn headers(claimed: &Claimed, timestamp: i64) -> [(&'static str, String); 3] {
    let id = &claimed.delivery.event_id;
    let signatures: Vec<String> = claimed.secrets.iter().map(|s| sign(s, id, timestamp, &claimed.delivery.body)).collect();
    [("webhook-id", id.clone()), ("webhook-timestamp", timestamp.to_string()), ("webhook-signature", signatures.join(" "))]
}

/// How one attempt went (not yet recorded).
#[derive(Clone, Debug)]
pub struct Attempted {
    at: DateTime<Utc>,
    status: Option<u16>,
    elapsed_ms: i32,
    error: Option<String>,
}

/// Sends one claimed delivery; [`record`] then writes how it went.
pub async fn send(http: &HttpClient, settings: &Delivery, claimed: &Claimed) -> Attempted {
    let started = std::time::Instant::now();
    let at = Utc::now();
    let mut request = http.post(&claimed.url).timeout(settings.timeout).header("content-type", "application/json");
    for (name, value) in headers(claimed, at.timestamp()) {
        request = request.header(name, value);
    }
    let sent = http.send(request.body(claimed.delivery.body.clone())).await;
    let (status, error) = match sent {
        Ok(response) => {
            let status = response.status();
            // Read (and drop) at most a little of the answer: the connection can be reused,
            // and a receiver that never finishes its answer is cut off by the timeout.
            let _ = crate::egress::read_capped(response, 64 * 1024).await;
            if status.is_success() { (Some(status.as_u16()), None) } else { (Some(status.as_u16()), Some(format!("The receiver answered {status}."))) }
        }
        Err(SendError::Refused(refused)) => (None, Some(refused.to_string())),
        Err(SendError::Http(e)) if e.is_timeout() => (None, Some(format!("No answer within {} s.", settings.timeout.as_secs()))),
        Err(SendError::Http(e)) if e.is_connect() => (None, Some("The receiver could not be reached.".to_owned())),
        Err(SendError::Http(_)) => (None, Some("The request failed before an answer arrived.".to_owned())),
    };
    Attempted { at, status, elapsed_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX), error }
}

/// Sends one claimed delivery and records how it went.
pub async fn attempt(db: &DatabaseConnection, http: &HttpClient, settings: &Delivery, claimed: &Claimed) -> Result<Outcome> {
    let attempted = send(http, settings, claimed).await;
    Ok(record(db, settings, &[(claimed.clone(), attempted)]).await?.remove(0))
}

/// Records how `attempts` went, all in one unit of work (a worker records a batch of attempts
/// at once: fewer write transactions compete with the portal's own).
pub async fn record(db: &DatabaseConnection, settings: &Delivery, attempts: &[(Claimed, Attempted)]) -> Result<Vec<Outcome>> {
    let txn = crate::db::Work::begin(db).await?;
    let mut outcomes = Vec::with_capacity(attempts.len());
    for (claimed, attempted) in attempts {
        outcomes.push(record_one(&txn, settings, claimed, attempted).await?);
    }
    txn.commit().await?;
    Ok(outcomes)
}

async fn record_one(txn: &crate::db::Work, settings: &Delivery, claimed: &Claimed, attempted: &Attempted) -> Result<Outcome> {
    let Attempted { at: now, status, elapsed_ms, error } = attempted.clone();
    let row = &claimed.delivery;
    let attempts = row.attempts + 1;
    let (new_status, next, outcome) = match (&error, status) {
        (None, Some(code)) => (DeliveryStatus::Delivered, None, Outcome::Delivered { status: code }),
        _ => match settings.retry_after(attempts) {
            Some(wait) => {
                let at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                (DeliveryStatus::Pending, Some(at), Outcome::RetryAt(at))
            }
            None => (DeliveryStatus::Failed, None, Outcome::GaveUp),
        },
    };
    let result = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(new_status))
        .col_expr(delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(delivery::Column::ClaimedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(delivery::Column::LastStatusCode, Expr::value(status.map(i32::from)))
        .col_expr(delivery::Column::LastResponseMs, Expr::value(Some(elapsed_ms)))
        .col_expr(delivery::Column::LastError, Expr::value(error.clone()))
        .col_expr(delivery::Column::LastAttemptAt, Expr::value(Some(now)))
        .filter(delivery::Column::Id.eq(row.id))
        .filter(delivery::Column::ClaimedUntil.eq(row.claimed_until))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Ok(Outcome::Stale);
    }
    let Some(to) = endpoint::Entity::find_by_id(row.endpoint_id).one(txn).await? else {
        return Ok(outcome);
    };
    if error.is_none() {
        if to.failing_since.is_some() {
            endpoint::Entity::update_many()
                .col_expr(endpoint::Column::FailingSince, Expr::value(None::<DateTime<Utc>>))
                .filter(endpoint::Column::Id.eq(to.id))
                .exec(txn)
                .await?;
        }
    } else {
        let since = to.failing_since.unwrap_or(now);
        if to.failing_since.is_none() {
            endpoint::Entity::update_many().col_expr(endpoint::Column::FailingSince, Expr::value(Some(now))).filter(endpoint::Column::Id.eq(to.id)).exec(txn).await?;
        }
        if to.enabled && now - since >= settings.disable_after {
            disable_failing(txn, &to, since).await?;
        }
    }
    Ok(outcome)
}

/// Disables an endpoint that has failed since `since`, records it and emails the reseller's
/// Webhooks Administrators.
async fn disable_failing(txn: &crate::db::Work, to: &endpoint::Model, since: DateTime<Utc>) -> Result<()> {
    let owner = reseller::Entity::find_by_id(to.reseller_id).one(txn).await?.ok_or(Error::NotFound)?;
    let since_text = activity::local_time(since, &owner.time_zone);
    let reason = format!("Every delivery since {since_text} failed, so the portal disabled the endpoint. Fix the receiver, then enable it again.");
    endpoint::Entity::update_many()
        .col_expr(endpoint::Column::Enabled, Expr::value(false))
        .col_expr(endpoint::Column::DisabledReason, Expr::value(Some(reason)))
        .col_expr(endpoint::Column::Version, Expr::value(to.version + 1))
        .filter(endpoint::Column::Id.eq(to.id))
        .exec(txn)
        .await?;
    let system = Actor::system(to.reseller_id, "Webhook delivery");
    let summary = format!("Disabled the webhook endpoint {}: every delivery since {since_text} failed.", to.url);
    activity::record_about(txn, &system, None, EventType::WebhookEndpointDisabled, summary, about(&endpoint::Model { enabled: false, ..to.clone() })).await?;
    let admins = reseller_user::Entity::find()
        .filter(reseller_user::Column::ResellerId.eq(to.reseller_id))
        .filter(reseller_user::Column::Active.eq(true))
        .all(txn)
        .await?
        .into_iter()
        .filter(|u| Permissions::from_bits(u.permissions as u32).allows(Permission::WebhooksAdministrator));
    for admin in admins {
        outbox::queue(
            txn,
            outbox::Email {
                reseller_id: Some(to.reseller_id),
                customer_user_id: None,
                kind: "webhook_disabled",
                to_address: admin.email.clone(),
                to_name: admin.display_name.clone(),
                subject: format!("Webhook endpoint disabled: {}", to.url),
                body: format!(
                    "Hello {},\n\n\
                     Every delivery of {}'s events to {} has failed since {since_text}, so the Reseller Portal \
                     has disabled the endpoint. Events are no longer sent to it.\n\n\
                     Open Webhooks in the Reseller Portal to see the delivery log, fix the receiver, then enable \
                     the endpoint again; \"Resend\" sends any delivery again.\n",
                    admin.display_name, owner.name, to.url
                ),
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The specification's own test vector.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_random_and_in_the_libraries_format() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_"));
        assert_eq!(BASE64.decode(&a[6..]).unwrap().len(), 32);
    }

    #[test]
    fn retries_back_off_with_jitter_then_stop() {
        let d = Delivery::default();
        for (failures, base) in [(1, 5u64), (2, 300), (7, 36_000)] {
            let wait = d.retry_after(failures).unwrap().as_secs_f64();
            assert!((wait - base as f64).abs() <= base as f64 * 0.1 + 0.001, "{failures}: {wait}");
        }
        assert_eq!(d.retry_after(8), None, "eight attempts in all");
        let total: u64 = d.retry_delays.iter().map(|w| w.as_secs()).sum();
        assert!((24 * 3600..=30 * 3600).contains(&total), "about a day: {total} s");
    }
}
