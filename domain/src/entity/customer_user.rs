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
    /// `model::roles::Supervisor::as_str`.
    pub supervisor: String,
    pub user_admin: bool,
    /// `portal` or `pbx`.
    pub source: String,
    pub pbx_id: Option<String>,
    /// `model::roles::Invitation::as_str`.
    pub invitation: String,
    pub invited_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
