use sea_orm::entity::prelude::*;

/// A tenant profile a customer is provisioned with. Locked types can never be changed once a
/// customer has them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable machine name used by the operator CLI and the API, e.g. `professional`.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// The part number printed on billing lines.
    pub part_number: String,
    pub locked: bool,
    /// What one customer of this type costs per month, in cents (set with the operator CLI).
    pub monthly_price_cents: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::reseller_product_type::Entity")]
    ResellerProductType,
}

impl Related<super::reseller_product_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResellerProductType.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
