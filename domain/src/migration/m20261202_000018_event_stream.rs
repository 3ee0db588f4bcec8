//! The activity log becomes the event stream (issue 16): each entry gets
//! - `seq`, its place in its reseller's stream, assigned when its transaction commits (see
//!   `activity::sequence`), so the event feed can be read in commit order by a cursor;
//! - `data`, the JSON payload: the resource as the API shows it, at the time of the change.
//!
//! `event_sequences` holds each reseller's last `seq`. A committing transaction increments its
//! reseller's row, and the row lock it takes is held until the commit: two transactions of one
//! reseller are numbered in the order they commit, on PostgreSQL as on SQLite (where writers
//! take turns anyway).
//!
//! The entries written before keep their order (numbered by id, reseller by reseller), and the
//! action names of the first wave become the stable type names of `model::events::EventType`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The first wave's action names that changed.
const RENAMED: [(&str, &str); 12] = [
    ("user.added", "customer_user.added"),
    ("user.roles_changed", "customer_user.updated"),
    ("user.import_again", "pbx.updated"),
    ("user.removed", "customer_user.removed"),
    ("user.invited", "customer_user.invited"),
    ("user.created", "reseller_user.created"),
    ("user.updated", "reseller_user.updated"),
    ("user.deactivated", "reseller_user.deactivated"),
    ("user.reactivated", "reseller_user.reactivated"),
    ("user.activated", "reseller_user.activated"),
    ("user.activation_resent", "reseller_user.activation_sent"),
    ("pbx.synced", "pbx.sync_succeeded"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE activity_log ADD COLUMN seq bigint").await?;
        db.execute_unprepared("ALTER TABLE activity_log ADD COLUMN data text").await?;
        for (old, new) in RENAMED {
            db.execute_unprepared(&format!("UPDATE activity_log SET action = '{new}' WHERE action = '{old}'")).await?;
        }
        db.execute_unprepared(
            "UPDATE activity_log SET seq = numbered.n FROM \
             (SELECT id, ROW_NUMBER() OVER (PARTITION BY reseller_id ORDER BY id) AS n FROM activity_log) AS numbered \
             WHERE activity_log.id = numbered.id",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TABLE event_sequences (\
                reseller_id bigint NOT NULL PRIMARY KEY REFERENCES resellers (id) ON DELETE CASCADE, \
                last_seq bigint NOT NULL)",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO event_sequences (reseller_id, last_seq) SELECT reseller_id, MAX(seq) FROM activity_log GROUP BY reseller_id",
        )
        .await?;
        for sql in [
            // The feed and the reseller's log, newest first; by type; by customer.
            "CREATE UNIQUE INDEX activity_stream ON activity_log (reseller_id, seq)",
            "CREATE INDEX activity_stream_by_type ON activity_log (reseller_id, action, seq)",
            "CREATE INDEX activity_stream_by_customer ON activity_log (customer_id, seq)",
            // What a commit still has to number: only its own entries.
            "CREATE INDEX activity_unsequenced ON activity_log (id) WHERE seq IS NULL",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for index in ["activity_stream", "activity_stream_by_type", "activity_stream_by_customer", "activity_unsequenced"] {
            db.execute_unprepared(&format!("DROP INDEX {index}")).await?;
        }
        db.execute_unprepared("DROP TABLE event_sequences").await?;
        db.execute_unprepared("ALTER TABLE activity_log DROP COLUMN data").await?;
        db.execute_unprepared("ALTER TABLE activity_log DROP COLUMN seq").await?;
        Ok(())
    }
}
