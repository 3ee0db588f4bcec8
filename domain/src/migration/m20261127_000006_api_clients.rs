//! Client credentials for the REST provisioning API and the short-lived bearer tokens they are
//! exchanged for. Only SHA-256 hashes of secrets and tokens are stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("api_clients")
                .col(big_pk_auto("id"))
                .col(big_integer("reseller_id"))
                .col(string_len("name", 100))
                // `rp_` and 24 random hex digits: public, sent with every token request.
                .col(string_len_uniq("client_id", 64))
                // SHA-256 of the secret, hex: the secret itself was shown once, never stored.
                .col(string_len("secret_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(string_len("created_by", 200))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(
                    &mut ForeignKey::create().from("api_clients", "reseller_id").to("resellers", "id").on_delete(ForeignKeyAction::Restrict).take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("api_clients_by_reseller").table("api_clients").col("reseller_id").col("created_at").take()).await?;
        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("api_client_id"))
                // SHA-256 of the bearer token, hex.
                .col(string_len_uniq("token_hash", 64))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    &mut ForeignKey::create().from("api_tokens", "api_client_id").to("api_clients", "id").on_delete(ForeignKeyAction::Cascade).take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("api_tokens_by_client").table("api_tokens").col("api_client_id").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("api_tokens").take()).await?;
        m.drop_table(Table::drop().table("api_clients").take()).await?;
        Ok(())
    }
}
