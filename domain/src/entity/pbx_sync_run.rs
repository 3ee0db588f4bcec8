use sea_orm::entity::prelude::*;

/// One sync of a customer's users from its PBX: running, or how it ended and what it did.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pbx_sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub connection_id: i64,
    pub customer_id: Uuid,
    pub reason: model::sync::Reason,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub outcome: model::sync::Outcome,
    /// Where a running sync is (the last step reached, once it ended).
    pub phase: model::sync::Phase,
    pub found: i32,
    pub added: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub failed: i32,
    pub removed: i32,
    pub sub_accounts: i32,
    pub error: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
