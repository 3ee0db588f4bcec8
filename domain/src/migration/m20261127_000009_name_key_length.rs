//! Lower-casing can lengthen a name: "İ" becomes "i̇" (two characters), so a 100-character name
//! can have a longer `name_key`. PostgreSQL enforces `varchar(100)` and refused such customers
//! and resellers with an error; the keys get room for twice the name. SQLite does not enforce
//! lengths, and cannot alter a column's type: nothing to do there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        resize(m, 200).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        resize(m, 100).await
    }
}

async fn resize(m: &SchemaManager<'_>, length: u32) -> Result<(), DbErr> {
    if m.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in ["customers", "resellers"] {
        m.alter_table(Table::alter().table(table).modify_column(ColumnDef::new("name_key").string_len(length).not_null()).take()).await?;
    }
    Ok(())
}
