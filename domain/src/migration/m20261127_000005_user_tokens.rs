//! Single-use, expiring tokens sent to reseller users by email: the activation link a new user
//! sets their password with. Only a hash of each token is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("user_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                // `activation`.
                .col(string_len("purpose", 16))
                // SHA-256 of the token, hex: the token itself is only in the email.
                .col(string_len_uniq("token_hash", 64))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    &mut ForeignKey::create().from("user_tokens", "user_id").to("reseller_users", "id").on_delete(ForeignKeyAction::Cascade).take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("user_tokens_by_user").table("user_tokens").col("user_id").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("user_tokens").take()).await?;
        Ok(())
    }
}
