use sea_orm::entity::prelude::*;

/// The shared master settings of one PBX platform, used by many of a reseller's customers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pbx_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reseller_id: i64,
    pub name: String,
    pub name_key: String,
    /// `kazoo`, `3cx` or `teams`.
    pub kind: model::pbx::PbxKind,
    pub api_url: String,
    pub websocket_url: String,
    pub client_id: String,
    pub directory_tenant_id: String,
    /// The master secret, sealed with `secret::SecretBox`. Never leaves the server.
    pub secret_sealed: String,
    pub is_default: bool,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
