use sea_orm::entity::prelude::*;

/// A person who signs in to this portal on behalf of a reseller.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reseller_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reseller_id: i64,
    pub display_name: String,
    pub email: String,
    /// Lower-cased email; unique across the installation because sign-in is by email alone.
    #[sea_orm(unique)]
    pub email_key: String,
    /// argon2id PHC string; `None` until the user has set a password.
    pub password_hash: Option<String>,
    /// `model::Permissions` bit mask.
    pub permissions: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::reseller::Entity",
        from = "Column::ResellerId",
        to = "super::reseller::Column::Id"
    )]
    Reseller,
}

impl Related<super::reseller::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reseller.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
