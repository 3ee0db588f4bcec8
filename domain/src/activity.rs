//! Who is acting, and the event stream that remembers what they did: every change a service
//! commits records its events in its transaction; the activity log, the event feed and the
//! webhooks all read this one stream.

use crate::entity::{activity, reseller, reseller_user};
use crate::paging::Cursor;
use crate::scope::ResellerId;
use crate::{Error, Result};
use chrono::Utc;
use model::events::{EventEntry, EventFilter, EventPage, EventType};
use model::{Permission, Permissions};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;
use uuid::Uuid;

/// The caller of a service: a signed-in reseller user, an API client, an operator command or
/// the system. Services take it instead of a bare reseller id so every change knows its author
/// and every action its permission; its [`ResellerId`] can only have come from the domain.
#[derive(Clone, Debug)]
pub struct Actor {
    pub reseller_id: ResellerId,
    pub user_id: Option<i64>,
    /// How the activity log names them.
    pub name: String,
    pub permissions: Permissions,
}

impl Actor {
    /// A reseller user acting with the permissions they hold now (none when deactivated).
    pub(crate) fn of_user(user: &reseller_user::Model) -> Actor {
        Actor {
            reseller_id: ResellerId::of_row(user.reseller_id),
            user_id: Some(user.id),
            name: user.display_name.clone(),
            permissions: if user.active { Permissions::from_bits(user.permissions as u32) } else { Permissions::default() },
        }
    }

    /// The system acting for `reseller_id` (a worker, the scheduler): it is named in the log
    /// and holds no permission.
    pub(crate) fn system(reseller_id: i64, name: &str) -> Actor {
        Actor { reseller_id: ResellerId::of_row(reseller_id), user_id: None, name: name.into(), permissions: Permissions::default() }
    }

    /// `Forbidden` unless the actor holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.permissions.contains(permission) { Ok(()) } else { Err(Error::Forbidden) }
    }
}

/// Appends one event; call it inside the transaction of the change it describes. Its `data`
/// is completed when the transaction commits ([`sequence`]): the customer it concerns, as the
/// API shows it at that moment.
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, customer_id: Option<Uuid>, event: EventType, summary: impl Into<String>) -> Result<()> {
    record_about(db, actor, customer_id, event, summary, Value::Object(Default::default())).await
}

/// [`record`] with the event's subject besides the customer: an object such as
/// `{"user": {…}}` or `{"pbxTemplate": {…}}`, merged into its `data`.
pub async fn record_about(
    db: &impl ConnectionTrait,
    actor: &Actor,
    customer_id: Option<Uuid>,
    event: EventType,
    summary: impl Into<String>,
    subject: Value,
) -> Result<()> {
    activity::ActiveModel {
        reseller_id: Set(actor.reseller_id.get()),
        customer_id: Set(customer_id),
        actor_user_id: Set(actor.user_id),
        actor: Set(actor.name.chars().take(200).collect()),
        action: Set(event.as_str().to_owned()),
        summary: Set(summary.into()),
        at: Set(Utc::now()),
        seq: Set(None),
        data: Set(Some(subject.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Numbers the events the committing transaction wrote, in its reseller's stream, and adds
/// the customer to their data. Called by `db::Work::commit` just before the commit: the
/// increment of `event_sequences` locks the reseller's row until then, so numbers follow the
/// order of commits, even across server processes. Uncommitted events of other transactions
/// are invisible here, so only this transaction's are found (through a partial index).
pub(crate) async fn sequence(txn: &impl ConnectionTrait) -> std::result::Result<(), sea_orm::DbErr> {
    let pending = activity::Entity::find().filter(activity::Column::Seq.is_null()).order_by_asc(activity::Column::Id).all(txn).await?;
    if pending.is_empty() {
        return Ok(());
    }
    let mut resellers: Vec<i64> = pending.iter().map(|e| e.reseller_id).collect();
    resellers.sort_unstable();
    resellers.dedup();
    let mut customers: std::collections::HashMap<Uuid, Value> = Default::default();
    for reseller_id in resellers {
        let rows: Vec<&activity::Model> = pending.iter().filter(|e| e.reseller_id == reseller_id).collect();
        let last = advance(txn, reseller_id, rows.len() as i64).await?;
        let first = last - rows.len() as i64 + 1;
        for (i, row) in rows.into_iter().enumerate() {
            let mut data: Value = row.data.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_else(|| Value::Object(Default::default()));
            if let (Some(id), Value::Object(map)) = (row.customer_id, &mut data) {
                if !customers.contains_key(&id) {
                    let view = crate::customers::api_json(txn, id).await.map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
                    customers.insert(id, view);
                }
                map.insert("customer".into(), customers[&id].clone());
            }
            activity::Entity::update_many()
                .col_expr(activity::Column::Seq, sea_orm::sea_query::Expr::value(first + i as i64))
                .col_expr(activity::Column::Data, sea_orm::sea_query::Expr::value(data.to_string()))
                .filter(activity::Column::Id.eq(row.id))
                .filter(activity::Column::Seq.is_null())
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// The position of the reseller's latest committed event, with its stream locked until this
/// transaction ends: the events this transaction records come right after it, and nobody
/// else's come in between (a webhook endpoint created or enabled here starts there).
pub(crate) async fn lock_stream(txn: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<i64> {
    Ok(advance(txn, reseller_id.get(), 0).await?)
}

/// Adds `n` to the reseller's last event number and returns the new last one.
async fn advance(txn: &impl ConnectionTrait, reseller_id: i64, n: i64) -> std::result::Result<i64, sea_orm::DbErr> {
    let backend = txn.get_database_backend();
    let (sql, values): (&str, Vec<sea_orm::Value>) = match backend {
        sea_orm::DbBackend::Postgres => (
            "INSERT INTO event_sequences (reseller_id, last_seq) VALUES ($1, $2) \
             ON CONFLICT (reseller_id) DO UPDATE SET last_seq = event_sequences.last_seq + $2 RETURNING last_seq",
            vec![reseller_id.into(), n.into()],
        ),
        _ => (
            "INSERT INTO event_sequences (reseller_id, last_seq) VALUES (?, ?) \
             ON CONFLICT (reseller_id) DO UPDATE SET last_seq = event_sequences.last_seq + ? RETURNING last_seq",
            vec![reseller_id.into(), n.into(), n.into()],
        ),
    };
    let row = txn
        .query_one_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("event_sequences returned no row".into()))?;
    row.try_get_by_index::<i64>(0)
}

/// An event's public id: a UUID derived from its row (the same one every time it is read, in
/// the feed, the log and every webhook delivery — receivers de-duplicate by it).
pub fn event_id(row_id: i64) -> Uuid {
    const EVENTS: Uuid = Uuid::from_u128(0x6b1f_52b4_1f0e_4a57_9c3d_0e5d_7f2a_91c4);
    Uuid::new_v5(&EVENTS, &row_id.to_be_bytes())
}

/// One event, as the API shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: Uuid,
    /// Its place in the reseller's stream (commit order).
    pub seq: i64,
    pub event_type: String,
    pub at: chrono::DateTime<Utc>,
    pub actor: String,
    pub customer_id: Option<Uuid>,
    pub summary: String,
    pub data: Value,
}

impl Event {
    fn of(row: activity::Model) -> Event {
        Event {
            id: event_id(row.id),
            seq: row.seq.unwrap_or_default(),
            event_type: row.action,
            at: row.at,
            actor: row.actor,
            customer_id: row.customer_id,
            summary: row.summary,
            data: row.data.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null),
        }
    }

    /// The customer's name as the event recorded it, if it concerns one.
    pub fn customer_name(&self) -> Option<&str> {
        self.data.get("customer")?.get("name")?.as_str()
    }
}

/// The most events one page or feed read returns.
pub const MAX_PAGE: u64 = 500;

const FEED_CURSOR: &str = "events";
const LOG_CURSOR: &str = "activity";

/// The feed's cursor after `seq`.
pub fn feed_cursor(seq: i64) -> String {
    Cursor::new(FEED_CURSOR, vec![seq.to_string()]).encode()
}

/// The position a feed cursor names; `None` if `text` is not one.
pub fn parse_feed_cursor(text: &str) -> Option<i64> {
    Cursor::decode(FEED_CURSOR, 1, text)?.key()[0].parse().ok()
}

/// The reseller's events after position `after`, oldest first, of `types` (all when empty):
/// the event feed. Only committed events have a position, and positions follow commits, so a
/// client that goes on from the last one it read never misses or repeats one.
pub async fn feed(db: &impl ConnectionTrait, reseller_id: ResellerId, after: i64, types: &[EventType], limit: u64) -> Result<Vec<Event>> {
    let mut select = activity::Entity::find().filter(activity::Column::ResellerId.eq(reseller_id)).filter(activity::Column::Seq.gt(after));
    if !types.is_empty() {
        select = select.filter(activity::Column::Action.is_in(types.iter().map(|t| t.as_str())));
    }
    let rows = select.order_by_asc(activity::Column::Seq).limit(limit.min(MAX_PAGE)).all(db).await?;
    Ok(rows.into_iter().map(Event::of).collect())
}

/// An activity log's filter, checked: see [`EventFilter`].
#[derive(Clone, Debug, Default)]
pub struct Filter {
    actor: String,
    customer: Option<Uuid>,
    types: Vec<EventType>,
    from: Option<chrono::DateTime<Utc>>,
    until: Option<chrono::DateTime<Utc>>,
}

impl Filter {
    /// `filter` for a reseller in `zone` (its days are the reseller's), or its field errors.
    pub fn parse(filter: &EventFilter, zone: &str) -> Result<Filter> {
        filter.validate().into_result().map_err(Error::Invalid)?;
        let day_start = |text: &str| -> Option<chrono::DateTime<Utc>> {
            let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            Some(start_of(day, zone))
        };
        Ok(Filter {
            actor: filter.actor.trim().to_lowercase(),
            customer: filter.customer.parse().ok(),
            types: model::events::parse_types(&filter.types).unwrap_or_default(),
            from: day_start(&filter.from),
            until: day_start(&filter.to).map(|d| d + chrono::Duration::days(1)),
        })
    }

    /// Only the events about `customer`.
    pub fn customer(customer: Uuid) -> Filter {
        Filter { customer: Some(customer), ..Filter::default() }
    }

    fn apply(&self, mut select: sea_orm::Select<activity::Entity>) -> sea_orm::Select<activity::Entity> {
        use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
        if !self.actor.is_empty() {
            let pattern = format!("%{}%", crate::common::escape_like(&self.actor));
            select = select.filter(Expr::expr(Func::lower(Expr::col(activity::Column::Actor))).like(LikeExpr::new(pattern).escape('\\')));
        }
        if let Some(id) = self.customer {
            select = select.filter(activity::Column::CustomerId.eq(id));
        }
        if !self.types.is_empty() {
            select = select.filter(activity::Column::Action.is_in(self.types.iter().map(|t| t.as_str())));
        }
        if let Some(from) = self.from {
            select = select.filter(activity::Column::At.gte(from));
        }
        if let Some(until) = self.until {
            select = select.filter(activity::Column::At.lt(until));
        }
        select
    }
}

/// Midnight of `day` in `zone`, in UTC (the earlier one when the clock goes back; the first
/// valid time when midnight does not exist).
fn start_of(day: chrono::NaiveDate, zone: &str) -> chrono::DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => (0..4)
            .find_map(|h| tz.from_local_datetime(&(midnight + chrono::Duration::hours(h))).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| midnight.and_utc()),
        Err(_) => midnight.and_utc(),
    }
}

/// A page of the reseller's log, newest first: `limit` events matching `filter`, older than
/// the cursor `before` (from the newest when `None`), and the cursor of the next page.
pub async fn log(db: &impl ConnectionTrait, reseller_id: ResellerId, filter: &Filter, before: Option<&str>, limit: u64) -> Result<(Vec<Event>, Option<String>)> {
    let mut select = filter.apply(activity::Entity::find().filter(activity::Column::ResellerId.eq(reseller_id)).filter(activity::Column::Seq.is_not_null()));
    if let Some(text) = before {
        let seq: i64 = Cursor::decode(LOG_CURSOR, 1, text).and_then(|c| c.key()[0].parse().ok()).ok_or_else(|| Error::invalid("cursor", "This cursor was not given out by this list."))?;
        select = select.filter(activity::Column::Seq.lt(seq));
    }
    let limit = limit.clamp(1, MAX_PAGE);
    let mut rows = select.order_by_desc(activity::Column::Seq).limit(limit + 1).all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let older = if more { rows.last().and_then(|r| r.seq).map(|seq| Cursor::new(LOG_CURSOR, vec![seq.to_string()]).encode()) } else { None };
    Ok((rows.into_iter().map(Event::of).collect(), older))
}

/// The reseller's IANA time zone (in which the log's days are counted).
pub async fn time_zone(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<String> {
    Ok(reseller::Entity::find_by_id(reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default())
}

/// A page of the log for a browser: times in the reseller's zone.
pub async fn page(db: &impl ConnectionTrait, actor: &Actor, filter: &EventFilter, before: Option<&str>, limit: u64) -> Result<EventPage> {
    actor.require(Permission::WebsiteAccess)?;
    let zone = reseller::Entity::find_by_id(actor.reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default();
    let parsed = Filter::parse(filter, &zone)?;
    let (events, older) = log(db, actor.reseller_id, &parsed, before, limit).await?;
    Ok(EventPage { entries: events.into_iter().map(|e| entry(e, &zone)).collect(), older })
}

/// A page of one customer's log (already checked to be the caller's).
pub async fn for_customer(db: &impl ConnectionTrait, reseller_id: ResellerId, customer_id: Uuid, before: Option<&str>, limit: u64) -> Result<EventPage> {
    let zone = reseller::Entity::find_by_id(reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default();
    let (events, older) = log(db, reseller_id, &Filter::customer(customer_id), before, limit).await?;
    Ok(EventPage { entries: events.into_iter().map(|e| entry(e, &zone)).collect(), older })
}

fn entry(e: Event, zone: &str) -> EventEntry {
    EventEntry {
        id: e.id.to_string(),
        at: local_time(e.at, zone),
        customer: e.customer_id.map(|id| (id.to_string(), e.customer_name().unwrap_or_default().to_owned())),
        actor: e.actor,
        event_type: e.event_type,
        summary: e.summary,
    }
}

/// `2026-11-26 09:14` in the given IANA zone (UTC when the zone is unknown).
/// How a door shows times: the browser in the reseller's time zone (`2026-11-27 09:14`), the
/// REST API as RFC 3339 in UTC (`2026-11-27T09:14:03Z`). Read functions take it, so each view
/// has one of them and the formatting happens at the edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    ResellerLocal,
    Utc,
}

impl Times {
    /// `at` as this door shows it, for a reseller in `zone`.
    pub fn show(self, at: chrono::DateTime<Utc>, zone: &str) -> String {
        match self {
            Times::ResellerLocal => local_time(at, zone),
            Times::Utc => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

pub fn local_time(at: chrono::DateTime<Utc>, zone: &str) -> String {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
