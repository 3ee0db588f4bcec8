//! Resellers, their users and sessions, sign-in throttling, product types and customers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: (&'static str, &'static str), to: (&'static str, &'static str), on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("resellers")
                .col(big_pk_auto("id"))
                .col(string_len("name", 100))
                .col(string_len_uniq("name_key", 100))
                .col(string_len("country", 2))
                .col(string_len("time_zone", 64))
                .col(boolean("trials_allowed"))
                .col(integer("max_trial_days"))
                .col(integer("in_house_allowance"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("product_types")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("code", 50))
                .col(string_len("name", 100))
                .col(string_len("part_number", 50))
                .col(boolean("locked"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("reseller_product_types")
                .col(big_integer("reseller_id"))
                .col(big_integer("product_type_id"))
                .primary_key(Index::create().col("reseller_id").col("product_type_id"))
                .foreign_key(&mut fk(("reseller_product_types", "reseller_id"), ("resellers", "id"), ForeignKeyAction::Cascade))
                .foreign_key(&mut fk(("reseller_product_types", "product_type_id"), ("product_types", "id"), ForeignKeyAction::Restrict))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("reseller_users")
                .col(big_pk_auto("id"))
                .col(big_integer("reseller_id"))
                .col(string_len("display_name", 100))
                .col(string_len("email", 200))
                .col(string_len_uniq("email_key", 200))
                .col(text_null("password_hash"))
                .col(integer("permissions"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(("reseller_users", "reseller_id"), ("resellers", "id"), ForeignKeyAction::Restrict))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("reseller_users_by_reseller").table("reseller_users").col("reseller_id").take()).await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("token_hash", 64))
                .col(big_integer("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(string_len("client_addr", 64))
                .foreign_key(&mut fk(("sessions", "user_id"), ("reseller_users", "id"), ForeignKeyAction::Cascade))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("sessions_by_user").table("sessions").col("user_id").take()).await?;

        m.create_table(
            Table::create()
                .table("sign_in_failures")
                .col(big_pk_auto("id"))
                .col(string_len("email_key", 200))
                .col(string_len("client_addr", 64))
                .col(timestamp_with_time_zone("failed_at"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("sign_in_failures_by_email").table("sign_in_failures").col("email_key").col("failed_at").take()).await?;
        m.create_index(Index::create().name("sign_in_failures_by_addr").table("sign_in_failures").col("client_addr").col("failed_at").take()).await?;
        m.create_index(Index::create().name("sign_in_failures_by_time").table("sign_in_failures").col("failed_at").take()).await?;

        m.create_table(
            Table::create()
                .table("customers")
                .col(uuid("id").primary_key())
                .col(big_integer("reseller_id"))
                .col(string_len("name", 100))
                .col(string_len("name_key", 100))
                .col(big_integer("product_type_id"))
                .col(string_len("reference", 200))
                .col(string_len("country", 2))
                .col(string_len("time_zone", 64))
                .col(text("notes"))
                .col(date_null("trial_expires_on"))
                .col(boolean("in_house"))
                .col(string_len("status", 16))
                .col(date_null("terminate_on"))
                .col(timestamp_with_time_zone("created_at"))
                .col(big_integer_null("created_by"))
                .col(integer("version"))
                .col(text("search_text"))
                .foreign_key(&mut fk(("customers", "reseller_id"), ("resellers", "id"), ForeignKeyAction::Restrict))
                .foreign_key(&mut fk(("customers", "product_type_id"), ("product_types", "id"), ForeignKeyAction::Restrict))
                .foreign_key(&mut fk(("customers", "created_by"), ("reseller_users", "id"), ForeignKeyAction::SetNull))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("customers_unique_name").table("customers").col("reseller_id").col("name_key").unique().take(),
        )
        .await?;
        m.create_index(Index::create().name("customers_by_created").table("customers").col("reseller_id").col("created_at").take()).await?;
        // The grid's search scans this index (reseller, then the text) instead of the table.
        m.create_index(Index::create().name("customers_search").table("customers").col("reseller_id").col("search_text").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["customers", "sign_in_failures", "sessions", "reseller_users", "reseller_product_types", "product_types", "resellers"] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
