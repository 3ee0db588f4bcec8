//! Dated work and the grid's "trials ending soon" count find their customers through indexes on
//! the due days, so the work is bounded by what is due, not by how many customers there are.
//!
//! The indexes are partial: they hold only customers that have the day and are not terminated
//! (a terminated customer keeps its termination day for good, and would otherwise fill the
//! range the scheduler reads every minute), so they stay as small as the work, and their
//! statistics say so. A comparison on the day implies `IS NOT NULL` to both engines. Queries say `status <> 'terminated'` in so many words
//! (`lifecycle::not_terminated`), which both engines match against the index's condition (a
//! PostgreSQL generic plan could not with a bound value). The same SQL works on both.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The day first for the scheduler, which looks across resellers; the reseller first for the
/// grid's count, so that index wins over the reseller's other indexes on any statistics (it
/// uses two of the query's terms). Being partial, no other query of a reseller's customers
/// can take it by mistake.
const INDEXES: [(&str, &str, &str); 3] = [
    ("customers_due_trial", "trial_expires_on", "trial_expires_on"),
    ("customers_due_termination", "terminate_on", "terminate_on"),
    ("customers_trials_of_reseller", "reseller_id, trial_expires_on", "trial_expires_on"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns, day) in INDEXES {
            m.get_connection()
                .execute_unprepared(&format!("CREATE INDEX {name} ON customers ({columns}) WHERE {day} IS NOT NULL AND status <> 'terminated'"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, _) in INDEXES {
            m.get_connection().execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
