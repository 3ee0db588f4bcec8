//! The grid's search: a case-insensitive substring of a customer's `search_text` (every visible
//! column, lower-cased by `common::search_text`), found through a trigram index for searches of
//! three or more characters.
//!
//! The substring test (`search_text LIKE '%…%'`) always decides what matches; the trigram index
//! only narrows the rows the database reads, so both engines and both plans return exactly the
//! same rows.
//!
//! - **PostgreSQL**: a `pg_trgm` GIN index on `customers.search_text`, which the planner uses for
//!   the same `LIKE` when it is selective.
//! - **SQLite**: an FTS5 table with the `trigram` tokenizer (`customer_search`) and its row map
//!   (`customer_search_rows`: FTS row → customer; a reseller's rows are one range), kept in step by triggers on
//!   `customers`, so every write of a customer updates it in the same transaction, whichever
//!   code wrote it. SQLite's planner cannot tell how many rows a search matches, so this module
//!   counts the matches first (cheap: the index alone) and picks the plan: few matches are
//!   looked up by id and sorted; many are found by walking the sort order, where a page of
//!   matches comes after a few hundred rows.

use crate::common::escape_like;
use crate::entity::customer;
use crate::scope::ResellerId;
use crate::Result;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// Up to this many matches, SQLite reads the matching customers by id and sorts them (about
/// 5 µs each); past it, walking the sort order and testing each row is cheaper.
pub const LOOKUP_LIMIT: u64 = 2_000;

/// What a search looks in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// Every visible column of the grid (`search_text`).
    Everything,
    /// The name or the reference (the REST API's `filter`).
    NameOrReference,
}

/// A search typed into the grid (or the API's `filter`), ready for SQL.
#[derive(Clone, Debug)]
pub struct Search {
    field: Field,
    /// `%text%`, with the user's `%`, `_` and `\` escaped (escape character `\`).
    pattern: String,
    /// The FTS5 phrase for the trigram index, when the search has at least three characters
    /// (and no unit separator, which the index's columns use between values).
    phrase: Option<String>,
}

impl Search {
    /// The grid's search for `text` (trimmed, lower-cased like the stored text), or `None` when
    /// empty.
    pub fn new(text: &str) -> Option<Search> {
        Search::of(Field::Everything, text)
    }

    /// The REST API's `filter`: part of the name or of the reference.
    pub fn name_or_reference(text: &str) -> Option<Search> {
        Search::of(Field::NameOrReference, text)
    }

    fn of(field: Field, text: &str) -> Option<Search> {
        let text = text.trim().to_lowercase();
        if text.is_empty() {
            return None;
        }
        let indexable = text.chars().count() >= 3 && !text.contains('\u{1f}');
        let phrase = indexable.then(|| format!("\"{}\"", text.replace('"', "\"\"")));
        Some(Search { field, pattern: format!("%{}%", escape_like(&text)), phrase })
    }

    /// The substring test that decides a match. Both fields are in the search text, so its
    /// test comes first (PostgreSQL's trigram index answers it).
    pub fn matches(&self) -> SimpleExpr {
        let everything = self.like(Expr::col((customer::Entity, customer::Column::SearchText)));
        match self.field {
            Field::Everything => everything,
            Field::NameOrReference => everything.and(
                self.like(Expr::col((customer::Entity, customer::Column::NameKey)))
                    .or(self.like(Func::lower(Expr::col((customer::Entity, customer::Column::Reference))))),
            ),
        }
    }

    fn like(&self, expr: impl Into<SimpleExpr>) -> SimpleExpr {
        expr.into().like(LikeExpr::new(self.pattern.clone()).escape('\\'))
    }

    /// The trigram table's column for this search.
    fn column(&self) -> &'static str {
        match self.field {
            Field::Everything => "search_text",
            Field::NameOrReference => "name_reference",
        }
    }

    /// On SQLite, how many of the reseller's customers match, counted in the trigram index
    /// alone (exact: the index holds the very text the substring test reads); `None` where
    /// that index does not answer (PostgreSQL, or under three characters).
    pub async fn count_indexed(&self, db: &impl ConnectionTrait, reseller_id: ResellerId) -> Result<Option<u64>> {
        let Some(phrase) = self.sqlite_phrase(db) else { return Ok(None) };
        let (from, to) = rows_of(reseller_id);
        let sql = format!("SELECT count(*) AS n FROM customer_search WHERE {} MATCH ? AND rowid >= ? AND rowid < ?", self.column());
        let row = db
            .query_one_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [phrase.into(), from.into(), to.into()]))
            .await?;
        let n: i64 = row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0);
        Ok(Some(u64::try_from(n).unwrap_or(0)))
    }

    /// On SQLite, for a search whose indexed count is at most [`LOOKUP_LIMIT`]: the condition
    /// that restricts the customers read to the index's candidates (`customers.id IN …`).
    pub fn candidates(&self, db: &impl ConnectionTrait, reseller_id: ResellerId, indexed: Option<u64>) -> Option<SimpleExpr> {
        let phrase = self.sqlite_phrase(db)?;
        if indexed? > LOOKUP_LIMIT {
            return None;
        }
        let (from, to) = rows_of(reseller_id);
        let sql = format!(
            "\"customers\".\"id\" IN (SELECT r.customer_id FROM customer_search s JOIN customer_search_rows r ON r.row = s.rowid \
             WHERE s.{} MATCH ? AND s.rowid >= ? AND s.rowid < ?)",
            self.column()
        );
        Some(Expr::cust_with_values(sql, [sea_orm::Value::from(phrase), from.into(), to.into()]))
    }

    fn sqlite_phrase(&self, db: &impl ConnectionTrait) -> Option<String> {
        (db.get_database_backend() == DbBackend::Sqlite).then(|| self.phrase.clone()).flatten()
    }
}

/// The reseller's rows of the SQLite trigram index: `[from, to)`.
fn rows_of(reseller_id: ResellerId) -> (i64, i64) {
    use crate::migration::RESELLER_SPAN;
    let id = reseller_id.get();
    (id.saturating_mul(RESELLER_SPAN), id.saturating_add(1).saturating_mul(RESELLER_SPAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_escapes_wildcards_and_quotes_and_uses_trigrams_from_three_characters() {
        assert!(Search::new("   ").is_none());
        let two = Search::new(" Ab ").unwrap();
        assert_eq!(two.pattern, "%ab%");
        assert_eq!(two.phrase, None);
        let s = Search::new("50%_\"x\"").unwrap();
        assert_eq!(s.pattern, "%50\\%\\_\"x\"%");
        assert_eq!(s.phrase.as_deref(), Some("\"50%_\"\"x\"\"\""));
        // Characters, not bytes: "żół" is three letters (six bytes).
        assert_eq!(Search::new("ŻÓŁ").unwrap().phrase.as_deref(), Some("\"żół\""));
        assert_eq!(Search::new("żó").unwrap().phrase, None);
        assert_eq!(Search::name_or_reference("a\u{1f}bc").unwrap().phrase, None, "the index's separator is not searched for in it");
    }
}
