//! Database connection: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, chosen by URL.
use crate::error::{AppError, AppResult};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub mod session;
pub mod template;
pub use session::Session;
pub use template::Template;

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
    connect_sized(url, None).await
}

/// A small pool of its own for background work (the event relay), so that it neither takes
/// connections from requests nor shows in their statement counts.
pub async fn connect_background(url: &str) -> anyhow::Result<DatabaseConnection> {
    Ok(connect_sized(url, Some(2)).await?.0)
}

async fn connect_sized(
    url: &str,
    max: Option<u32>,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // The pool's default pings every connection it hands out: one more round trip per
        // checkout (several per order), invisible in statement counts. Under load a
        // connection comes back within milliseconds and goes out unpinged. One that sat idle
        // longer may have been dropped by the server, a restart or a firewall, so it is
        // still pinged, and a dead one is replaced before any request sees it (the fault test
        // kills connections and expects the next request to succeed). A connection that
        // breaks between two quick uses fails its statement with UNAVAILABLE and is closed
        // when it returns to the pool, which pings every connection then.
        .test_before_acquire_if_idle_for(Duration::from_millis(100));
    if url.starts_with("sqlite") {
        // WAL gives concurrent readers beside the single writer; writers queue on the busy
        // timeout because every write transaction starts IMMEDIATE (see `write_tx`).
        opts.max_connections(max.unwrap_or(8))
            .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(60))
            });
    } else {
        opts.max_connections(max.unwrap_or(20))
            .min_connections(1)
            .map_sqlx_postgres_opts(pg_session(url));
    }
    let mut db = Database::connect(opts).await?;
    let counter = StatementCounter::default();
    if db.get_database_backend() == DbBackend::Postgres {
        session::register(db.get_postgres_connection_pool(), &counter);
    }
    let inner = counter.0.clone();
    db.set_metric_callback(move |info| {
        inner.fetch_add(1, Ordering::Relaxed);
        // `RUST_LOG=mercato::sql=trace` prints every statement (handy when counting them).
        tracing::trace!(target: "mercato::sql", elapsed = ?info.elapsed, sql = %info.statement.sql);
    });
    Ok((db, counter))
}

/// How the server's PostgreSQL sessions start: [`generic_plans`], and [`plain_on_loopback`]
/// unless the URL (or `PGSSLMODE`) names an `sslmode`.
fn pg_session(url: &str) -> impl Fn(PgConnectOptions) -> PgConnectOptions + Send + Sync + 'static {
    let names_sslmode = url_names_sslmode(url) || std::env::var_os("PGSSLMODE").is_some();
    move |o| {
        let o = generic_plans(o);
        if names_sslmode {
            o
        } else {
            plain_on_loopback(o)
        }
    }
}

/// Whether a connection URL's query names the TLS mode (`sslmode`, or sqlx's `ssl-mode`).
fn url_names_sslmode(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| matches!(pair.split('=').next(), Some("sslmode" | "ssl-mode")))
    })
}

/// A database on this host is reached without TLS, unless the URL asks for it. The driver's
/// default, `sslmode=prefer`, encrypts whenever the server offers TLS, yet it verifies no
/// certificate and falls back to plain text when refused: it guards a connection against
/// somebody reading the wire, and loopback traffic never reaches a wire — reading it takes
/// this host's root, who can read the processes' memory as well. What it costs is real: rustls
/// was a fifth of the server's CPU under `place-order` (issue 15), and PostgreSQL pays the
/// other end. A remote host keeps the driver's default; `?sslmode=require` (or `verify-full`)
/// gives TLS on loopback too.
fn plain_on_loopback(o: PgConnectOptions) -> PgConnectOptions {
    let host = o.get_host();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        o.ssl_mode(PgSslMode::Disable)
    } else {
        o
    }
}

/// What a session's prepared statements are planned with, unless `DATABASE_URL` says otherwise
/// (`?options=-c%20plan_cache_mode%3Dauto` gives PostgreSQL's own choice back).
const PLAN_CACHE_MODE: &str = "force_generic_plan";

/// Every statement the server sends is prepared once per connection and binds every value —
/// ids, but also the constants sea-query binds (statuses, kinds). PostgreSQL's default
/// (`plan_cache_mode = auto`) plans a statement afresh for its values at least five times per
/// connection, and again whenever the plan it would keep looks dearer than their average.
/// Under `bench place-order` (issue 15), with tables that grow while it runs, that planned
/// the credit check afresh on half its calls and the item read on four in five: 4.7 s of
/// planning in one run, 1.1–1.5 ms of PostgreSQL's CPU per order, more than running them. A
/// plan made once per connection suits a server whose statements look rows up by ids and
/// companies; `pg_stat_statements` showed the kept plans running no slower (the credit check
/// 0.21 ms against 0.32). Set in the start-up packet, so it costs no round trip.
fn generic_plans(o: PgConnectOptions) -> PgConnectOptions {
    if o.get_options()
        .is_some_and(|s| s.contains("plan_cache_mode"))
    {
        o
    } else {
        o.options([("plan_cache_mode", PLAN_CACHE_MODE)])
    }
}

/// Begins a transaction that will write. On SQLite it is IMMEDIATE, taking the write lock up
/// front: a deferred transaction that upgrades later can fail with SQLITE_BUSY instead of
/// waiting, and read-then-write would race. PostgreSQL uses row locks (`FOR UPDATE`) instead.
///
/// SQLite has one writer at a time, and writers that find the lock taken poll it with growing
/// sleeps (its busy handler), so under load the unlucky ones wait seconds. Within a process,
/// writers of one SQLite file therefore first queue for their turn, first come first served
/// (measured with 16 concurrent order writers: see the README). The database lock stays what
/// guarantees correctness; the queue only orders who asks for it, and other processes on the
/// same file still meet at the lock.
pub async fn write_tx(db: &DatabaseConnection) -> AppResult<WriteTx> {
    let (options, turn) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let file = db
                .get_sqlite_connection_pool()
                .connect_options()
                .get_filename()
                .to_path_buf();
            let queue = sqlite_writer_queue(file);
            let turn = queue.acquire_owned().await.map_err(AppError::internal)?;
            let options = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            };
            (options, Some(turn))
        }
        _ => (TransactionOptions::default(), None),
    };
    Ok(WriteTx {
        tx: db.begin_with_options(options).await?,
        _turn: turn,
    })
}

/// One FIFO queue per SQLite file in this process.
fn sqlite_writer_queue(file: PathBuf) -> Arc<Semaphore> {
    static QUEUES: OnceLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = OnceLock::new();
    let mut queues = QUEUES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    queues
        .entry(file)
        .or_insert_with(|| Arc::new(Semaphore::new(1)))
        .clone()
}

/// A write transaction (see [`write_tx`]); on SQLite it also holds this process's turn to
/// write until it commits or is dropped (rolled back).
pub struct WriteTx {
    tx: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

impl WriteTx {
    /// Commits, then wakes the event relay: the transaction may have written outbox rows.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await?;
        crate::events::committed();
        Ok(())
    }

    /// Commits without waking the relay: for the relay's own sequencing transactions.
    pub(crate) async fn commit_unannounced(self) -> Result<(), DbErr> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTx {
    fn get_database_backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tx.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tx.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tx.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tx.query_all_raw(stmt).await
    }
}

/// Where a mutation reads before it writes. On PostgreSQL the reads share one pooled
/// connection outside any transaction ([`Session`]): one checkout for them all instead of one
/// per read, and the pool pings every connection it takes back (a round trip each, issue 15).
/// A mutation that can write everything in one statement writes it on that connection, atomic
/// by itself, with no BEGIN or COMMIT; one that cannot lets it go and begins a write
/// transaction ([`Reads::into_write_tx`]). Reads in a READ COMMITTED transaction would see
/// what they see outside it, and they lock nothing, so nothing is lost by reading first. On
/// SQLite the write transaction holds the file's write lock, which reads should not lengthen,
/// so they go to the pool and the transaction begins after.
pub enum Reads<'a> {
    Pool(&'a DatabaseConnection),
    Session(Session, &'a DatabaseConnection),
}

impl<'a> Reads<'a> {
    /// A [`Session`] on PostgreSQL, the pool elsewhere.
    pub async fn session(db: &'a DatabaseConnection) -> AppResult<Self> {
        Ok(match Session::acquire(db).await? {
            Some(session) => Reads::Session(session, db),
            None => Reads::Pool(db),
        })
    }

    /// A write transaction for what the reads found: the session (if any) goes back to the
    /// pool first.
    pub async fn into_write_tx(self) -> AppResult<WriteTx> {
        match self {
            Reads::Pool(db) => write_tx(db).await,
            Reads::Session(session, db) => {
                drop(session);
                write_tx(db).await
            }
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads<'_> {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Reads::Pool(db) => db.get_database_backend(),
            Reads::Session(..) => DbBackend::Postgres,
        }
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Pool(db) => db.execute_raw(stmt).await,
            Reads::Session(session, _) => session.execute_raw(stmt).await,
        }
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Pool(db) => db.execute_unprepared(sql).await,
            Reads::Session(session, _) => session.execute_unprepared(sql).await,
        }
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_one_raw(stmt).await,
            Reads::Session(session, _) => session.query_one_raw(stmt).await,
        }
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_all_raw(stmt).await,
            Reads::Session(session, _) => session.query_all_raw(stmt).await,
        }
    }
}

pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssl_mode(url: &str) -> PgSslMode {
        pg_session(url)(url.parse().unwrap()).get_ssl_mode()
    }

    #[test]
    fn loopback_goes_without_tls_unless_the_url_names_sslmode() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://postgres@localhost/test",
            "postgres://postgres@[::1]:5432/test?application_name=m",
            "postgres://postgres@localhost/test?host=/var/run/postgresql",
        ] {
            assert!(matches!(ssl_mode(url), PgSslMode::Disable), "{url}");
        }
        assert!(matches!(
            ssl_mode("postgres://postgres@127.0.0.1/test?sslmode=require"),
            PgSslMode::Require
        ));
        assert!(matches!(
            ssl_mode("postgres://postgres@127.0.0.1/test?application_name=m&sslmode=prefer"),
            PgSslMode::Prefer
        ));
        assert!(matches!(
            ssl_mode("postgres://postgres@db.example.com/test"),
            PgSslMode::Prefer
        ));
        assert!(!url_names_sslmode("postgres://u@h/d?options=sslmode"));
    }
}
