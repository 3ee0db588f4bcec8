//! The REST API's idempotency keys: a `POST` repeated with the same `Idempotency-Key` and body
//! gets the first response again instead of doing the work twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("api_idempotency")
                .col(big_pk_auto("id"))
                .col(big_integer("reseller_id"))
                // SHA-256 (hex) of the client's key: keys are the client's text, of any shape.
                .col(string_len("key_hash", 64))
                // SHA-256 (hex) of the request body: the same key with another body is refused.
                .col(string_len("body_hash", 64))
                .col(integer("status"))
                .col(text("response"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    &mut ForeignKey::create().from("api_idempotency", "reseller_id").to("resellers", "id").on_delete(ForeignKeyAction::Cascade).take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("api_idempotency_unique_key").table("api_idempotency").col("reseller_id").col("key_hash").unique().take())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("api_idempotency").take()).await?;
        Ok(())
    }
}
