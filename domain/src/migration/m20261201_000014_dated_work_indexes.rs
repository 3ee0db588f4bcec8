//! Dated work and the grid's "trials ending soon" count find their customers through indexes on
//! the due days, so the work is bounded by what is due, not by how many customers there are.
//!
//! Both indexes are partial: they hold only customers that are not terminated (a terminated
//! customer keeps its termination day for good, and would otherwise fill the range the
//! scheduler reads every minute). Queries say `status <> 'terminated'` in so many words
//! (`lifecycle::not_terminated`), which both engines match against the index's condition (a
//! PostgreSQL generic plan could not with a bound value). The same SQL works on both.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 2] = [
    ("customers_due_trial", "trial_expires_on, reseller_id"),
    ("customers_due_termination", "terminate_on, reseller_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in INDEXES {
            m.get_connection()
                .execute_unprepared(&format!("CREATE INDEX {name} ON customers ({columns}) WHERE status <> 'terminated'"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            m.get_connection().execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
