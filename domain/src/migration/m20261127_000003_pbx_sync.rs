//! Syncing users from a customer's PBX: when each connection is due and who holds it (a lease,
//! so two server processes never sync one connection at once), and a row per sync run with
//! its counts and error. A discovered user's PBX id is unique within its customer.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            // When the next sync should start; NULL while the connection is disabled.
            timestamp_with_time_zone_null("sync_due_at"),
            // The claim of the worker running a sync (random per run), and until when it holds.
            string_len_null("sync_claim", 64),
            timestamp_with_time_zone_null("sync_lease_until"),
            // Consecutive failed runs: the retry backoff grows with them.
            integer("sync_failures").default(0).take(),
            // What asked for the next sync: `created`, `enabled`, `changed`, `schedule`, `manual`, `retry`.
            string_len("sync_reason", 16).default("schedule").take(),
        ];
        for column in columns {
            m.alter_table(Table::alter().table("pbx_connections").add_column(column).take()).await?;
        }
        m.create_index(Index::create().name("pbx_connections_by_due").table("pbx_connections").col("sync_due_at").take()).await?;

        m.create_table(
            Table::create()
                .table("pbx_sync_runs")
                .col(big_pk_auto("id"))
                .col(big_integer("connection_id"))
                .col(uuid("customer_id"))
                .col(string_len("reason", 16))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                // `running`, `succeeded` or `failed`.
                .col(string_len("outcome", 16))
                // While running: `connecting`, `listing`, `saving`.
                .col(string_len("phase", 16))
                .col(integer("found"))
                .col(integer("added"))
                .col(integer("updated"))
                .col(integer("unchanged"))
                .col(integer("failed"))
                .col(integer("removed"))
                .col(integer("sub_accounts"))
                // The readable reason a run failed, or what went wrong with single users.
                .col(text("error"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .from("pbx_sync_runs", "connection_id")
                        .to("pbx_connections", "id")
                        .on_delete(ForeignKeyAction::Cascade)
                        .take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("pbx_sync_runs_by_connection").table("pbx_sync_runs").col("connection_id").col("id").take())
            .await?;
        m.create_index(
            Index::create().name("customer_users_unique_pbx_id").table("customer_users").col("customer_id").col("pbx_id").unique().take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("customer_users_unique_pbx_id").table("customer_users").to_owned()).await?;
        m.drop_table(Table::drop().table("pbx_sync_runs").take()).await?;
        m.drop_index(Index::drop().name("pbx_connections_by_due").table("pbx_connections").to_owned()).await?;
        for column in ["sync_due_at", "sync_claim", "sync_lease_until", "sync_failures", "sync_reason"] {
            m.alter_table(Table::alter().table("pbx_connections").drop_column(column).take()).await?;
        }
        Ok(())
    }
}
