//! Everything a customer is made of besides its own row: PBX templates and connections,
//! customer users with their roles, the activity log and the email outbox. Also the wizard's
//! request key on customers, which makes a double-submitted "Create Customer" create one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (&'static str, &'static str), to: (&'static str, &'static str), on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).on_delete(on_delete).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("customers").add_column(string_len_null("request_key", 64)).take()).await?;
        m.create_index(
            Index::create().name("customers_unique_request").table("customers").col("reseller_id").col("request_key").unique().take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("pbx_templates")
                .col(big_pk_auto("id"))
                .col(big_integer("reseller_id"))
                .col(string_len("name", 100))
                .col(string_len("name_key", 100))
                // `kazoo`, `3cx` or `teams`.
                .col(string_len("kind", 16))
                // Kazoo: REST API URL; 3CX: server URL; Teams: unused (Graph is fixed).
                .col(string_len("api_url", 500))
                .col(string_len("websocket_url", 500))
                .col(string_len("client_id", 200))
                .col(string_len("directory_tenant_id", 100))
                // The API key (Kazoo) or client secret (3CX, Teams), AES-256-GCM encrypted with the
                // installation's secret key: hex of nonce || ciphertext. Never sent to a browser.
                .col(text("secret_sealed"))
                .col(boolean("is_default"))
                .col(timestamp_with_time_zone("created_at"))
                .col(integer("version"))
                .foreign_key(&mut fk(("pbx_templates", "reseller_id"), ("resellers", "id"), ForeignKeyAction::Restrict))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("pbx_templates_unique_name").table("pbx_templates").col("reseller_id").col("name_key").unique().take(),
        )
        .await?;
        // At most one default per reseller, guaranteed by the database whatever the race.
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX pbx_templates_one_default ON pbx_templates (reseller_id) WHERE is_default")
            .await?;

        m.create_table(
            Table::create()
                .table("pbx_connections")
                .col(big_pk_auto("id"))
                .col(uuid_uniq("customer_id"))
                .col(big_integer("template_id"))
                // Kazoo: the customer's account id on the PBX.
                .col(string_len("account_id", 100))
                // Teams: the customer's own directory (Microsoft Entra) tenant.
                .col(string_len("directory_tenant_id", 100))
                .col(boolean("auto_provision_sub_accounts"))
                // PBX agents get the Agent add-on automatically on sync.
                .col(boolean("auto_agent_addon"))
                .col(boolean("enabled"))
                .col(timestamp_with_time_zone("created_at"))
                .col(integer("version"))
                .foreign_key(&mut fk(("pbx_connections", "customer_id"), ("customers", "id"), ForeignKeyAction::Cascade))
                // A template in use cannot be deleted.
                .foreign_key(&mut fk(("pbx_connections", "template_id"), ("pbx_templates", "id"), ForeignKeyAction::Restrict))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("pbx_connections_by_template").table("pbx_connections").col("template_id").take()).await?;

        m.create_table(
            Table::create()
                .table("customer_users")
                .col(big_pk_auto("id"))
                .col(uuid("customer_id"))
                .col(string_len("display_name", 100))
                .col(string_len("email", 200))
                .col(string_len("email_key", 200))
                .col(boolean("essential"))
                .col(boolean("professional"))
                .col(boolean("real_time"))
                .col(boolean("agent"))
                // `none`, `reports`, `insights`, `analytics`, `live_analytics`, `contact_centre`.
                .col(string_len("supervisor", 32))
                .col(boolean("user_admin"))
                // `portal` (added by the reseller) or `pbx` (discovered by a sync).
                .col(string_len("source", 16))
                .col(string_len_null("pbx_id", 200))
                // `not_invited`, `queued`, `sent`, `failed`.
                .col(string_len("invitation", 16))
                .col(timestamp_with_time_zone_null("invited_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(integer("version"))
                .foreign_key(&mut fk(("customer_users", "customer_id"), ("customers", "id"), ForeignKeyAction::Cascade))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("customer_users_unique_email").table("customer_users").col("customer_id").col("email_key").unique().take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("activity_log")
                .col(big_pk_auto("id"))
                .col(big_integer("reseller_id"))
                .col(uuid_null("customer_id"))
                .col(big_integer_null("actor_user_id"))
                // Who, in words, as it was at the time: a display name, an API client, "System".
                .col(string_len("actor", 200))
                // A stable code such as `customer.created`, for filtering and the API.
                .col(string_len("action", 64))
                .col(text("summary"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk(("activity_log", "reseller_id"), ("resellers", "id"), ForeignKeyAction::Restrict))
                .foreign_key(&mut fk(("activity_log", "customer_id"), ("customers", "id"), ForeignKeyAction::Cascade))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("activity_by_customer").table("activity_log").col("customer_id").col("at").take()).await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .col(big_pk_auto("id"))
                .col(big_integer_null("reseller_id"))
                .col(big_integer_null("customer_user_id"))
                // e.g. `invitation`.
                .col(string_len("kind", 32))
                .col(string_len("to_address", 200))
                .col(string_len("to_name", 100))
                .col(string_len("subject", 200))
                .col(text("body"))
                // `queued`, `sent`, `failed` (gave up after the last retry).
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                // A worker's claim: until then no other worker (or process) sends this email.
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(text("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .foreign_key(&mut fk(("outbox", "reseller_id"), ("resellers", "id"), ForeignKeyAction::Restrict))
                .foreign_key(&mut fk(("outbox", "customer_user_id"), ("customer_users", "id"), ForeignKeyAction::SetNull))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("outbox_due").table("outbox").col("status").col("next_attempt_at").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["outbox", "activity_log", "customer_users", "pbx_connections", "pbx_templates"] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        m.drop_index(Index::drop().name("customers_unique_request").table("customers").to_owned()).await?;
        m.alter_table(Table::alter().table("customers").drop_column("request_key").take()).await?;
        Ok(())
    }
}
