//! Who is acting, and the activity log that remembers what they did.

use crate::entity::{activity, reseller, reseller_user};
use crate::scope::ResellerId;
use crate::{Error, Result};
use chrono::Utc;
use model::customer_form::ActivityEntry;
use model::{Permission, Permissions};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
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

/// Appends one entry; call it inside the transaction of the change it describes.
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, customer_id: Option<Uuid>, action: &str, summary: impl Into<String>) -> Result<()> {
    activity::ActiveModel {
        reseller_id: Set(actor.reseller_id.get()),
        customer_id: Set(customer_id),
        actor_user_id: Set(actor.user_id),
        actor: Set(actor.name.chars().take(200).collect()),
        action: Set(action.to_owned()),
        summary: Set(summary.into()),
        at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The newest `limit` entries about one customer (already checked to be the caller's), with
/// times in the reseller's time zone.
pub async fn for_customer(db: &impl ConnectionTrait, reseller_id: ResellerId, customer_id: Uuid, limit: u64) -> Result<Vec<ActivityEntry>> {
    let zone = reseller::Entity::find_by_id(reseller_id).one(db).await?.map(|r| r.time_zone).unwrap_or_default();
    let rows = activity::Entity::find()
        .filter(activity::Column::ResellerId.eq(reseller_id))
        .filter(activity::Column::CustomerId.eq(customer_id))
        .order_by_desc(activity::Column::At)
        .order_by_desc(activity::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ActivityEntry { at: local_time(r.at, &zone), actor: r.actor, action: r.action, summary: r.summary })
        .collect())
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
