//! A trigram index for the grid's search, so a search of three or more characters reads the
//! rows that contain it instead of every index entry of the reseller (see `search.rs`).
//!
//! - PostgreSQL: `pg_trgm` (a trusted extension: a database owner may create it) and a GIN
//!   index on `customers.search_text`, which the database keeps with the row.
//! - SQLite: an FTS5 table with the `trigram` tokenizer, case-sensitive because the text and
//!   the search are both lower-cased by the application. Two columns: the grid's search text,
//!   and the name and reference the REST API's `filter` looks in (`name_key`, a unit
//!   separator, `lower(reference)`: what that filter compares). Its rows are keyed by an
//!   integer that `customer_search_rows` maps to the customer (a customer's own rowid could
//!   change on `VACUUM`, its id is a UUID): the reseller's id times 2^40 plus a number counted
//!   per reseller, so a reseller's rows are one rowid range and a search reads only its own
//!   reseller's part of the index (up to 2^23 resellers of up to 2^40 customers each).
//!   Triggers keep both tables in step with every insert, change of the indexed columns and
//!   delete, in the writing transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

const _: () = assert!(RESELLER_SPAN == 1_099_511_627_776, "the SQL above spells the span out");

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A reseller's rows in the trigram index are the range [id × 2^40, (id + 1) × 2^40).
pub const RESELLER_SPAN: i64 = 1 << 40;

const SQLITE_UP: [&str; 7] = [
    "CREATE TABLE customer_search_rows (row INTEGER PRIMARY KEY, customer_id uuid_text NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE customer_search USING fts5(search_text, name_reference, tokenize = 'trigram case_sensitive 1')",
    "INSERT INTO customer_search_rows (row, customer_id)
        SELECT reseller_id * 1099511627776 + row_number() OVER (PARTITION BY reseller_id ORDER BY created_at, id), id FROM customers",
    "INSERT INTO customer_search (rowid, search_text, name_reference)
        SELECT r.row, c.search_text, c.name_key || char(31) || lower(c.reference) FROM customer_search_rows r JOIN customers c ON c.id = r.customer_id",
    "CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_search_rows (row, customer_id) VALUES (
            (SELECT coalesce(max(row), new.reseller_id * 1099511627776) + 1 FROM customer_search_rows
                WHERE row >= new.reseller_id * 1099511627776 AND row < (new.reseller_id + 1) * 1099511627776),
            new.id);
        INSERT INTO customer_search (rowid, search_text, name_reference)
            VALUES ((SELECT row FROM customer_search_rows WHERE customer_id = new.id), new.search_text, new.name_key || char(31) || lower(new.reference));
    END",
    "CREATE TRIGGER customer_search_update AFTER UPDATE OF search_text, name_key, reference ON customers BEGIN
        UPDATE customer_search SET search_text = new.search_text, name_reference = new.name_key || char(31) || lower(new.reference)
            WHERE rowid = (SELECT row FROM customer_search_rows WHERE customer_id = new.id);
    END",
    "CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN
        DELETE FROM customer_search WHERE rowid = (SELECT row FROM customer_search_rows WHERE customer_id = old.id);
        DELETE FROM customer_search_rows WHERE customer_id = old.id;
    END",
];

const SQLITE_DOWN: [&str; 5] = [
    "DROP TRIGGER customer_search_delete",
    "DROP TRIGGER customer_search_update",
    "DROP TRIGGER customer_search_insert",
    "DROP TABLE customer_search",
    "DROP TABLE customer_search_rows",
];

const POSTGRES_UP: [&str; 2] = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX customers_search_trigrams ON customers USING gin (search_text gin_trgm_ops)",
];

const POSTGRES_DOWN: [&str; 1] = ["DROP INDEX customers_search_trigrams"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let steps: &[&str] = match m.get_database_backend() {
            DbBackend::Sqlite => &SQLITE_UP,
            _ => &POSTGRES_UP,
        };
        for sql in steps {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let steps: &[&str] = match m.get_database_backend() {
            DbBackend::Sqlite => &SQLITE_DOWN,
            _ => &POSTGRES_DOWN,
        };
        for sql in steps {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
