//! Indexes for the periodic sweep (`domain::sweep`): it finds what has expired by time, so each
//! of its batched deletes reads only the rows it deletes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &str); 5] = [
    ("sessions_by_last_seen", "sessions", "last_seen_at"),
    ("sessions_by_created", "sessions", "created_at"),
    ("api_tokens_by_expiry", "api_tokens", "expires_at"),
    ("user_tokens_by_expiry", "user_tokens", "expires_at"),
    ("api_idempotency_by_created", "api_idempotency", "created_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in INDEXES {
            m.create_index(Index::create().name(name).table(table).col(column).take()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
