use sea_orm::entity::prelude::*;

/// One reseller's billing for one month, as it was run: the record downloads are made from.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reseller_id: i64,
    /// `YYYY-MM`.
    pub period: String,
    pub created_at: DateTimeUtc,
    /// Who ran it, in words.
    pub created_by: String,
    /// The lines as canonical JSON.
    pub lines: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
