use sea_orm::entity::prelude::*;

/// One event of the stream (an entry of the activity log): who did what, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reseller_id: i64,
    pub customer_id: Option<Uuid>,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub summary: String,
    pub at: DateTimeUtc,
    /// Its place in the reseller's stream, assigned at commit (`activity::sequence`).
    pub seq: Option<i64>,
    /// The JSON payload: the resource as the API shows it.
    pub data: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
