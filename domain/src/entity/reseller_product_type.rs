use sea_orm::entity::prelude::*;

/// Which product types a reseller may sell.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reseller_product_types")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reseller_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_type_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
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

impl ActiveModelBehavior for ActiveModel {}
