use sea_orm::entity::prelude::*;

/// Where a reseller's events are delivered (a Webhooks Administrator's endpoint).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reseller_id: i64,
    pub url: String,
    pub description: String,
    /// Comma-separated event type names; empty for every type.
    pub event_types: String,
    pub enabled: bool,
    /// The signing secret, sealed and bound to the endpoint (`secret::webhook_context`).
    pub secret_sealed: String,
    /// The secret before the last rotation, which signs too until `previous_secret_until`.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// How far into the reseller's event stream deliveries have been made for it.
    pub last_seq: i64,
    /// Since when every attempt has failed (none since a success), if any has.
    pub failing_since: Option<DateTimeUtc>,
    /// Why the portal disabled it, if it did.
    pub disabled_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
