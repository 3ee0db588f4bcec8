//! The customer life cycle and billing: when a trial ended (billing zero-rates the trial days
//! even after it became a paying account) and which expiry its warning email was sent for;
//! monthly prices per product type; and stored billing runs (a month, once run, is a record).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The last trial day of a trial that has ended (converted or run out).
        m.alter_table(Table::alter().table("customers").add_column(date_null("trial_ended_on")).take()).await?;
        // The expiry date the seven-days-before email went out for (a later extension warns again).
        m.alter_table(Table::alter().table("customers").add_column(date_null("trial_warned_for")).take()).await?;
        // What one customer of this product type costs per month, in cents (set by the operator).
        m.alter_table(Table::alter().table("product_types").add_column(big_integer("monthly_price_cents").default(0).take()).take())
            .await?;
        m.create_table(
            Table::create()
                .table("billing_runs")
                .col(big_pk_auto("id"))
                .col(big_integer("reseller_id"))
                // `YYYY-MM`, a calendar month in the reseller's time zone.
                .col(string_len("period", 7))
                .col(timestamp_with_time_zone("created_at"))
                .col(string_len("created_by", 200))
                // The lines as canonical JSON: downloads are rendered from it, so a month reads
                // the same however often it is fetched.
                .col(text("lines"))
                .foreign_key(
                    &mut ForeignKey::create().from("billing_runs", "reseller_id").to("resellers", "id").on_delete(ForeignKeyAction::Restrict).take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("billing_runs_unique_period").table("billing_runs").col("reseller_id").col("period").unique().take())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("billing_runs").take()).await?;
        m.alter_table(Table::alter().table("product_types").drop_column("monthly_price_cents").take()).await?;
        m.alter_table(Table::alter().table("customers").drop_column("trial_warned_for").take()).await?;
        m.alter_table(Table::alter().table("customers").drop_column("trial_ended_on").take()).await?;
        Ok(())
    }
}
