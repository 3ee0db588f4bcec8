use sea_orm::entity::prelude::*;

/// A customer's connection to its PBX through one of the reseller's templates.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pbx_connections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub customer_id: Uuid,
    pub template_id: i64,
    pub account_id: String,
    pub directory_tenant_id: String,
    pub auto_provision_sub_accounts: bool,
    pub auto_agent_addon: bool,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub version: i32,
    /// When the next sync should start; `None` while the connection is disabled.
    pub sync_due_at: Option<DateTimeUtc>,
    /// The claim of the worker running a sync now, and until when it holds.
    pub sync_claim: Option<String>,
    pub sync_lease_until: Option<DateTimeUtc>,
    /// Consecutive failed runs (the retry backoff grows with them).
    pub sync_failures: i32,
    /// Why the next sync is due.
    pub sync_reason: model::sync::Reason,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
