use model::webhooks::DeliveryStatus;
use sea_orm::entity::prelude::*;

/// One event to deliver to one endpoint, and how its attempts went.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    pub reseller_id: i64,
    /// The event's id: the `webhook-id` header, the same on every attempt and resend.
    pub event_id: String,
    pub event_type: String,
    /// The JSON body: `{"type", "timestamp", "data"}`.
    pub body: String,
    pub event_at: DateTimeUtc,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    /// A worker holds it until then (a lease, like the mail worker's).
    pub claimed_until: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    pub last_response_ms: Option<i32>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
