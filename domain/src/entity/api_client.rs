use sea_orm::entity::prelude::*;

/// Client credentials for the REST API, created by a REST API Administrator of the reseller.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reseller_id: i64,
    pub name: String,
    /// Public identifier, `rp_` and 24 hex digits.
    #[sea_orm(unique)]
    pub client_id: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    pub last_used_at: Option<DateTimeUtc>,
    /// Revoked credentials get no tokens, and their tokens are gone.
    pub revoked_at: Option<DateTimeUtc>,
    /// What the credentials may do (`Permissions` bits), chosen at creation.
    pub permissions: i32,
    /// The reseller user who made them (none for credentials made before this was recorded).
    pub created_by_user_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
