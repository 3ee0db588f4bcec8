use sea_orm::entity::prelude::*;

/// A REST API request remembered under its `Idempotency-Key`, with the response it got.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_idempotency")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reseller_id: i64,
    pub key_hash: String,
    pub body_hash: String,
    pub status: i32,
    pub response: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
