//! Counting a reseller's in-house customers (checked on every create and edit against the
//! allowance) reads an index instead of all the reseller's customers. `in_house` leads, so the
//! planner never takes this index for queries on the reseller's customers in general (it did
//! with `reseller_id` first, and the API's filtered list got twice as slow).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("customers_in_house").table("customers").col("in_house").col("reseller_id").col("status").take()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("customers_in_house").table("customers").to_owned()).await
    }
}
