//! Webhook endpoints and their deliveries (issue 16), and the Webhooks Administrator
//! permission for the administrators who held every permission before it existed.
//!
//! An endpoint's `last_seq` is how far into its reseller's event stream deliveries have been
//! made for it (the fan-out's cursor): a new endpoint starts at the stream's end. A delivery is
//! unique per endpoint and event, so fanning out twice never sends an event twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every permission of the first wave (Website Access … REST API Administrator).
const FIRST_WAVE_ALL: i32 = 0b1_1111;
const WEBHOOKS_ADMINISTRATOR: i32 = 1 << 5;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook_endpoints")
                .col(big_pk_auto("id"))
                .col(big_integer("reseller_id"))
                .col(string_len("url", 2000))
                .col(string_len("description", 500))
                // Comma-separated type names; empty for every type.
                .col(text("event_types"))
                .col(boolean("enabled"))
                // The signing secrets, sealed (AES-GCM, bound to the endpoint).
                .col(text("secret_sealed"))
                .col(text_null("previous_secret_sealed"))
                .col(timestamp_with_time_zone_null("previous_secret_until"))
                .col(big_integer("last_seq"))
                .col(timestamp_with_time_zone_null("failing_since"))
                .col(text_null("disabled_reason"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    &mut ForeignKey::create().from("webhook_endpoints", "reseller_id").to("resellers", "id").on_delete(ForeignKeyAction::Cascade).take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("webhook_endpoints_by_reseller").table("webhook_endpoints").col("reseller_id").take()).await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(big_pk_auto("id"))
                .col(big_integer("endpoint_id"))
                .col(big_integer("reseller_id"))
                // The event's id (`webhook-id`), its type and the JSON body sent.
                .col(string_len("event_id", 64))
                .col(string_len("event_type", 64))
                .col(text("body"))
                .col(timestamp_with_time_zone("event_at"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone_null("next_attempt_at"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(integer_null("last_status_code"))
                .col(integer_null("last_response_ms"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("last_attempt_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    &mut ForeignKey::create().from("webhook_deliveries", "endpoint_id").to("webhook_endpoints", "id").on_delete(ForeignKeyAction::Cascade).take(),
                )
                .take(),
        )
        .await?;
        let db = m.get_connection();
        for sql in [
            "CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (endpoint_id, event_id)",
            "CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id)",
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
            // An endpoint's health: its attempts of the last day.
            "CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (endpoint_id, last_attempt_at)",
            // The sweep: deliveries past the log's keeping time.
            "CREATE INDEX webhook_deliveries_age ON webhook_deliveries (created_at)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(&format!(
            "UPDATE reseller_users SET permissions = permissions | {WEBHOOKS_ADMINISTRATOR} WHERE permissions & {FIRST_WAVE_ALL} = {FIRST_WAVE_ALL}"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("webhook_deliveries").take()).await?;
        m.drop_table(Table::drop().table("webhook_endpoints").take()).await?;
        Ok(())
    }
}
