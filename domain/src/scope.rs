//! Tenancy: the reseller-owned records a caller may touch are found only through these finders,
//! which take the caller's reseller id (from its session or API token, never from the request),
//! and another reseller's record is exactly like a missing one. Also the row locks a change
//! takes first, and the rule that a terminated customer is read-only.

use crate::entity::{customer, reseller};
use crate::{Error, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The reseller a caller acts for. Only the domain makes one — from a resolved session, an
/// API token, an operator command naming a user, or a stored row the system acts on — so a
/// door cannot scope a query to a reseller id that came from a request. Scoped finders and
/// services take it; it binds into a query as the id it wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResellerId(i64);

impl ResellerId {
    /// The reseller of a row the domain already holds (a session's user, a token's client, a
    /// customer a worker acts on).
    pub(crate) fn of_row(id: i64) -> Self {
        Self(id)
    }

    /// The bare id, e.g. to write into a row or a log line.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<ResellerId> for i64 {
    fn from(id: ResellerId) -> Self {
        id.0
    }
}

impl From<ResellerId> for sea_orm::Value {
    fn from(id: ResellerId) -> Self {
        id.0.into()
    }
}

impl std::fmt::Display for ResellerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The customer `id` if it belongs to `reseller_id`. A malformed id, a missing one and another
/// reseller's are the same `NotFound`.
pub async fn owned(db: &impl ConnectionTrait, reseller_id: ResellerId, id: &str) -> Result<customer::Model> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| Error::NotFound)?;
    customer::Entity::find_by_id(id)
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Starts a change to one customer: takes its row lock (a write that changes nothing) before
/// anything is read, so concurrent changes to one customer run one after another — rules that
/// span rows (e.g. "at least one User Administrator") hold, and SQLite never has to upgrade a
/// read transaction (which would fail instead of waiting). Then loads the customer, scoped to
/// the reseller.
pub async fn lock_owned(db: &impl ConnectionTrait, reseller_id: ResellerId, id: &str) -> Result<customer::Model> {
    let uuid = Uuid::parse_str(id.trim()).map_err(|_| Error::NotFound)?;
    customer::Entity::update_many()
        .col_expr(customer::Column::Version, Expr::col(customer::Column::Version))
        .filter(customer::Column::Id.eq(uuid))
        .filter(customer::Column::ResellerId.eq(reseller_id))
        .exec(db)
        .await?;
    owned(db, reseller_id, id).await
}

/// Refuses changes to a terminated customer: it is read-only.
pub fn ensure_changeable(customer: &customer::Model) -> Result<()> {
    if customer.status == customer::Status::Terminated {
        return Err(Error::Conflict("This customer is terminated and can no longer be changed.".into()));
    }
    Ok(())
}

/// Takes the reseller's row lock for the rest of the transaction, so creates and in-house
/// changes of one reseller happen one after another: two concurrent requests can never both
/// take the last in-house slot. (On SQLite this write also takes the database's write lock up
/// front, instead of failing to upgrade a read transaction later.)
pub async fn lock_reseller(db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<()> {
    reseller::Entity::update_many()
        .col_expr(reseller::Column::InHouseAllowance, Expr::col(reseller::Column::InHouseAllowance))
        .filter(reseller::Column::Id.eq(reseller_id))
        .exec(db)
        .await?;
    Ok(())
}
