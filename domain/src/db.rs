//! Connecting to the database and bringing its schema up to date.

use crate::migration::Migrator;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbErr};

pub use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// Connects to `url` (`sqlite://path` or `postgres://…`) and applies pending migrations.
///
/// SQLite runs in WAL mode (readers never block the writer) with `synchronous = FULL`: every
/// commit is fsynced before it is acknowledged, so a power cut cannot lose a customer the
/// portal said it created. NORMAL would be faster but may drop the last commits on power loss.
/// Foreign keys are enforced and a busy writer is waited for up to five seconds.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if is_sqlite(url) {
        if let Some(dir) = sqlite_path(url).and_then(|p| p.parent().map(|d| d.to_path_buf()))
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&dir)
                .map_err(|e| DbErr::Custom(format!("cannot create the database directory {}: {e}", dir.display())))?;
        }
        options.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        options.max_connections(16);
    }
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    optimize(&db).await?;
    Ok(db)
}

/// Keeps SQLite's query-planner statistics current: without them it assumes every equality is
/// selective (a reseller's 100,000 customers look like ten). `PRAGMA optimize` analyses only
/// the tables never analysed or grown or shrunk a lot since (25×), so it rarely does anything;
/// when it does, it reads whole indexes (about 80 ms at 120,000 customers) — sampled statistics
/// (`analysis_limit`) were measured to mislead the planner. Run at start-up and hourly by the
/// scheduler; PostgreSQL's autovacuum does this on its own.
pub async fn optimize(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize = 0x10002").await?;
    }
    Ok(())
}

pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The file behind a `sqlite://path?options` URL (None for in-memory databases).
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Keeps one SQLite write transaction at a time per database file in this process, first come
/// first served. SQLite has a single writer; without this, transactions waiting for its lock
/// poll in its busy handler, and under steady concurrent writes an unlucky one can starve past
/// the busy timeout (seen in `cargo bench -p server --bench api`: 4.6 s waits, then a failed
/// create). `None` for PostgreSQL, which locks rows, not the database.
pub struct WriteGate(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

/// How long a transaction waits at the gate before going on without it (logged): the gate
/// orders writers, it must never be able to deadlock one.
const GATE_WAIT: Duration = Duration::from_secs(10);

/// A unit of work: a transaction that may write, holding this process's [`WriteGate`] for the
/// database until it ends, so no write path can forget the gate. Every change is one service
/// call in one `Work`; a caller that combines services hands them the same `Work`. Committing
/// wakes the background workers (mail, PBX sync) registered with [`wake_on_commit`], so no door
/// has to remember to; they look for due work and find it only once it is committed.
///
/// Dropped without [`Work::commit`], everything in it is rolled back.
pub struct Work {
    txn: sea_orm::DatabaseTransaction,
    _gate: WriteGate,
}

impl Work {
    /// Begins a unit of work on `db` (after waiting at the write gate on SQLite).
    pub async fn begin(db: &DatabaseConnection) -> Result<Work, DbErr> {
        use sea_orm::TransactionTrait;
        static GATES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>>> =
            std::sync::LazyLock::new(Default::default);
        let mut gate = WriteGate(None);
        if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
            let lock = GATES.lock().unwrap_or_else(|e| e.into_inner()).entry(file).or_default().clone();
            match tokio::time::timeout(GATE_WAIT, lock.lock_owned()).await {
                Ok(guard) => gate = WriteGate(Some(guard)),
                Err(_) => tracing::warn!("waited {GATE_WAIT:?} for the SQLite write gate; going on without it"),
            }
        }
        Ok(Work { txn: db.begin().await?, _gate: gate })
    }

    /// Numbers the events this work recorded (`activity::sequence`), commits, releases the
    /// gate, then wakes the registered workers.
    pub async fn commit(self) -> Result<(), DbErr> {
        let Work { txn, _gate } = self;
        crate::activity::sequence(&txn).await?;
        txn.commit().await?;
        drop(_gate);
        wake_workers();
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Work {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// The workers woken after each commit (held weakly: a stopped server's go away).
static WORKERS: std::sync::Mutex<Vec<std::sync::Weak<tokio::sync::Notify>>> = std::sync::Mutex::new(Vec::new());

/// Wakes `worker` after every committed [`Work`] in this process (the mail worker and the PBX
/// sync worker register here; waking is a hint to look for due work, never a promise of any).
pub fn wake_on_commit(worker: &std::sync::Arc<tokio::sync::Notify>) {
    let mut workers = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
    workers.retain(|w| w.strong_count() > 0);
    workers.push(std::sync::Arc::downgrade(worker));
}

fn wake_workers() {
    let workers = WORKERS.lock().unwrap_or_else(|e| e.into_inner());
    for worker in workers.iter().filter_map(std::sync::Weak::upgrade) {
        worker.notify_one();
    }
}

/// Whether the database answers a trivial query: the readiness probe.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_path_is_taken_from_the_url() {
        assert_eq!(sqlite_path("sqlite://data/portal.db"), Some("data/portal.db".into()));
        assert_eq!(sqlite_path("sqlite:///var/lib/portal.db?mode=rwc"), Some("/var/lib/portal.db".into()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
