//! API credentials carry the permissions chosen when they were made (at most their creator's)
//! and who made them: credentials stop working when their creator is deactivated, and act with
//! no more than the creator still holds.
//!
//! Credentials made before this keep what every client had then — Website Access, Customer and
//! Billing Administrator (bits 1 | 4 | 8) — and no recorded creator.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(Table::alter().table("api_clients").add_column(integer("permissions").default(13)).take()).await?;
        m.alter_table(Table::alter().table("api_clients").add_column(big_integer_null("created_by_user_id")).take()).await?;
        // Older credentials name their creator only by display name: find that user in the
        // same reseller, so their credentials stop with them too. (Names that match no user
        // leave the creator unknown; such credentials stop working, and API Access says so.)
        m.get_connection()
            .execute_unprepared(
                "UPDATE api_clients SET created_by_user_id = (SELECT MIN(u.id) FROM reseller_users u \
                 WHERE u.reseller_id = api_clients.reseller_id AND u.display_name = api_clients.created_by) \
                 WHERE created_by_user_id IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("api_clients").drop_column("created_by_user_id").take()).await?;
        m.alter_table(Table::alter().table("api_clients").drop_column("permissions").take()).await
    }
}
