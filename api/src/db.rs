//! Database connection: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, chosen by URL.
use crate::error::AppResult;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts SQL statements executed through one connection pool (exposed in `/metrics`, and
/// used by tests to prove that a request costs a fixed number of statements).
#[derive(Clone, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub async fn connect(url: &str) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite") {
        // WAL gives concurrent readers beside the single writer; writers queue on the busy
        // timeout because every write transaction starts IMMEDIATE (see `write_tx`).
        opts.max_connections(8)
            .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(60))
            });
    } else {
        opts.max_connections(20).min_connections(1);
    }
    let mut db = Database::connect(opts).await?;
    let counter = StatementCounter::default();
    let inner = counter.0.clone();
    db.set_metric_callback(move |info| {
        inner.fetch_add(1, Ordering::Relaxed);
        // `RUST_LOG=mercato::sql=trace` prints every statement (handy when counting them).
        tracing::trace!(target: "mercato::sql", elapsed = ?info.elapsed, sql = %info.statement.sql);
    });
    Ok((db, counter))
}

/// Begins a transaction that will write. On SQLite it is IMMEDIATE, taking the write lock up
/// front: a deferred transaction that upgrades later can fail with SQLITE_BUSY instead of
/// waiting, and read-then-write would race. PostgreSQL uses row locks (`FOR UPDATE`) instead.
pub async fn write_tx(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let options = match db.get_database_backend() {
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        },
        _ => TransactionOptions::default(),
    };
    Ok(db.begin_with_options(options).await?)
}

pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
