use sea_orm::entity::prelude::*;

/// A PBX user removed from a customer, whom the sync no longer imports.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ignored_pbx_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: Uuid,
    pub pbx_id: String,
    pub display_name: String,
    pub email: String,
    pub ignored_by: String,
    pub ignored_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
