use sea_orm::entity::prelude::*;

/// A company that resells the service and provisions its own customers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resellers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Lower-cased name: reseller names are unique case-insensitively.
    #[sea_orm(unique)]
    pub name_key: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// IANA time zone; the reseller's calendar day is measured in it.
    pub time_zone: String,
    pub trials_allowed: bool,
    pub max_trial_days: i32,
    pub in_house_allowance: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::reseller_user::Entity")]
    ResellerUser,
    #[sea_orm(has_many = "super::customer::Entity")]
    Customer,
}

impl Related<super::reseller_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResellerUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
