use sea_orm::entity::prelude::*;

/// A tenant of the analytics service, provisioned by exactly one reseller.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    /// The Tenant ID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reseller_id: i64,
    pub name: String,
    /// Lower-cased name; unique per reseller.
    pub name_key: String,
    pub product_type_id: i64,
    pub reference: String,
    pub country: String,
    pub time_zone: String,
    pub notes: String,
    pub trial_expires_on: Option<Date>,
    pub in_house: bool,
    /// Stored as `active`, `disabled` or `terminated`; never compared as text.
    pub status: Status,
    pub terminate_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i64>,
    /// Bumped on every change: optimistic concurrency for edits.
    pub version: i32,
    /// Lower-cased text of every grid column, kept up to date by `common::search_text`,
    /// so the grid's search is one substring test per row.
    pub search_text: String,
    /// The wizard's request key: a second submission of the same wizard finds this customer
    /// instead of creating another.
    pub request_key: Option<String>,
    /// The last trial day of a trial that has ended (billing zero-rates the trial's days).
    pub trial_ended_on: Option<Date>,
    /// The expiry date the "trial ends in seven days" email was sent for.
    pub trial_warned_for: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::reseller::Entity",
        from = "Column::ResellerId",
        to = "super::reseller::Column::Id"
    )]
    Reseller,
    #[sea_orm(
        belongs_to = "super::product_type::Entity",
        from = "Column::ProductTypeId",
        to = "super::product_type::Column::Id"
    )]
    ProductType,
}

impl Related<super::product_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductType.def()
    }
}

impl Related<super::reseller::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reseller.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// A customer's life-cycle state as the database stores it (the browser's twin is
/// [`model::customer::CustomerStatus`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "disabled")]
    Disabled,
    #[sea_orm(string_value = "terminated")]
    Terminated,
}

impl From<Status> for model::customer::CustomerStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Active => model::customer::CustomerStatus::Active,
            Status::Disabled => model::customer::CustomerStatus::Disabled,
            Status::Terminated => model::customer::CustomerStatus::Terminated,
        }
    }
}

impl From<model::customer::CustomerStatus> for Status {
    fn from(s: model::customer::CustomerStatus) -> Self {
        match s {
            model::customer::CustomerStatus::Active => Status::Active,
            model::customer::CustomerStatus::Disabled => Status::Disabled,
            model::customer::CustomerStatus::Terminated => Status::Terminated,
        }
    }
}
