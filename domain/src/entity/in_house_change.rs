use sea_orm::entity::prelude::*;

/// From `from_day` (the reseller's calendar) the customer is (or is not) in-house. A customer
/// without rows has always had its current flag.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "in_house_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: Uuid,
    pub from_day: Date,
    pub in_house: bool,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
