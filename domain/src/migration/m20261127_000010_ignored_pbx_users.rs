//! PBX users a reseller removed from a customer: the sync no longer imports them, until someone
//! chooses to import them again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("ignored_pbx_users")
                .col(big_pk_auto("id"))
                .col(uuid("customer_id"))
                .col(string_len("pbx_id", 200))
                // As the user was when removed, to show whom the list holds.
                .col(string_len("display_name", 100))
                .col(string_len("email", 254))
                .col(string_len("ignored_by", 200))
                .col(timestamp_with_time_zone("ignored_at"))
                .foreign_key(&mut ForeignKey::create().from("ignored_pbx_users", "customer_id").to("customers", "id").on_delete(ForeignKeyAction::Cascade).take())
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ignored_pbx_users_unique").table("ignored_pbx_users").col("customer_id").col("pbx_id").unique().take()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("ignored_pbx_users").take()).await
    }
}
