//! When a customer's in-house flag changed, so billing zero-rates exactly the in-house days of a
//! month rather than the whole month on the flag at billing time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("in_house_changes")
                .col(big_pk_auto("id"))
                .col(uuid("customer_id"))
                // From this day (the reseller's calendar) the flag below holds.
                .col(date("from_day"))
                .col(boolean("in_house"))
                .col(timestamp_with_time_zone("changed_at"))
                .foreign_key(&mut ForeignKey::create().from("in_house_changes", "customer_id").to("customers", "id").on_delete(ForeignKeyAction::Cascade).take())
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("in_house_changes_unique_day").table("in_house_changes").col("customer_id").col("from_day").unique().take()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("in_house_changes").take()).await
    }
}
