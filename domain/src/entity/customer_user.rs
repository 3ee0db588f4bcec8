use sea_orm::entity::prelude::*;

/// A user of a customer (invited to the analytics service, not to this portal) and their roles.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: Uuid,
    pub display_name: String,
    pub email: String,
    /// Lower-cased email; unique per customer.
    pub email_key: String,
    pub essential: bool,
    pub professional: bool,
    pub real_time: bool,
    pub agent: bool,
    pub supervisor: model::roles::Supervisor,
    pub user_admin: bool,
    pub source: Source,
    pub pbx_id: Option<String>,
    pub invitation: model::roles::Invitation,
    pub invited_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a customer user came from: added in the portal (or over the API), or found on the PBX
/// by a sync (which may remove it again when the PBX no longer lists it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Source {
    #[sea_orm(string_value = "portal")]
    Portal,
    #[sea_orm(string_value = "pbx")]
    Pbx,
}
