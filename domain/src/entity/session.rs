use sea_orm::entity::prelude::*;

/// A signed-in browser. Only the SHA-256 of the cookie's token is stored, so a leaked
/// database cannot be replayed as cookies.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub client_addr: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::reseller_user::Entity",
        from = "Column::UserId",
        to = "super::reseller_user::Column::Id"
    )]
    ResellerUser,
}

impl Related<super::reseller_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResellerUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
