//! The periodic sweep: deletes what has expired and no rule needs any more — sessions past
//! their idle or absolute limit, expired API tokens, spent or expired activation links,
//! idempotency records older than [`IDEMPOTENCY_HOURS`] (a retry after that is a new
//! request), sign-in failures older than an hour (the throttling window is 15 minutes), and
//! webhook deliveries older than [`DELIVERY_LOG_DAYS`] that are no longer pending (the event
//! itself stays in the stream).
//!
//! Each kind is deleted in batches of at most [`BATCH`] rows, one short statement each, and at
//! most [`MAX_BATCHES`] batches per kind and pass, so a large backlog never holds the database
//! for long: the next pass goes on where this one stopped. Safe in every server process at
//! once: deleting what another process already deleted deletes nothing.

use crate::Result;
use crate::auth::AuthPolicy;
use crate::entity::{api_idempotency, api_token, session, sign_in_failure, user_token, webhook_delivery};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Query, SimpleExpr};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// How long an `Idempotency-Key` replays its first answer.
pub const IDEMPOTENCY_HOURS: i64 = 24;
/// How long an endpoint's delivery log keeps a delivered or failed delivery.
pub const DELIVERY_LOG_DAYS: i64 = 30;
/// Rows per delete.
pub const BATCH: u64 = 1000;
/// Deletes per kind and pass.
pub const MAX_BATCHES: u32 = 20;

/// How many rows a pass deleted, per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub api_tokens: u64,
    pub activation_links: u64,
    pub idempotency_records: u64,
    pub sign_in_failures: u64,
    pub webhook_deliveries: u64,
}

impl Swept {
    pub fn total(&self) -> u64 {
        self.sessions + self.api_tokens + self.activation_links + self.idempotency_records + self.sign_in_failures + self.webhook_deliveries
    }
}

/// One pass at `now`.
pub async fn run(db: &DatabaseConnection, policy: &AuthPolicy, now: DateTime<Utc>) -> Result<Swept> {
    let idle = chrono::Duration::from_std(policy.idle_timeout).unwrap_or(chrono::Duration::days(1));
    let absolute = chrono::Duration::from_std(policy.absolute_timeout).unwrap_or(chrono::Duration::days(1));
    Ok(Swept {
        sessions: sweep::<session::Entity>(
            db,
            session::Column::Id,
            Condition::any().add(session::Column::LastSeenAt.lte(now - idle)).add(session::Column::CreatedAt.lte(now - absolute)).into(),
        )
        .await?,
        api_tokens: sweep::<api_token::Entity>(db, api_token::Column::Id, api_token::Column::ExpiresAt.lte(now)).await?,
        // Spent links are kept as long as they would have worked, then go too.
        activation_links: sweep::<user_token::Entity>(db, user_token::Column::Id, user_token::Column::ExpiresAt.lte(now)).await?,
        idempotency_records: sweep::<api_idempotency::Entity>(
            db,
            api_idempotency::Column::Id,
            api_idempotency::Column::CreatedAt.lte(now - chrono::Duration::hours(IDEMPOTENCY_HOURS)),
        )
        .await?,
        sign_in_failures: sweep::<sign_in_failure::Entity>(db, sign_in_failure::Column::Id, sign_in_failure::Column::FailedAt.lte(now - chrono::Duration::hours(1)))
            .await?,
        webhook_deliveries: sweep::<webhook_delivery::Entity>(
            db,
            webhook_delivery::Column::Id,
            Condition::all()
                .add(webhook_delivery::Column::CreatedAt.lte(now - chrono::Duration::days(DELIVERY_LOG_DAYS)))
                .add(webhook_delivery::Column::Status.ne(model::webhooks::DeliveryStatus::Pending))
                .into(),
        )
        .await?,
    })
}

/// Deletes the rows of `E` matching `expired`, [`BATCH`] at a time.
async fn sweep<E: EntityTrait>(db: &DatabaseConnection, id: E::Column, expired: SimpleExpr) -> Result<u64> {
    let mut deleted = 0;
    for _ in 0..MAX_BATCHES {
        let batch = Query::select().column(id).from(E::default()).and_where(expired.clone()).limit(BATCH).to_owned();
        let txn = crate::db::Work::begin(db).await?;
        let result = E::delete_many().filter(id.in_subquery(batch)).exec(&txn).await?;
        txn.commit().await?;
        deleted += result.rows_affected;
        if result.rows_affected < BATCH {
            break;
        }
    }
    Ok(deleted)
}
