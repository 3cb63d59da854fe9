//! One pooled PostgreSQL connection held for a whole mutation, outside any transaction.
//!
//! The pool pings every connection it takes back (sqlx 0.9, no setting turns it off), so a
//! mutation that reads through the pool pays a round trip per read; a transaction avoids that
//! but costs BEGIN and COMMIT. A mutation whose writes all go out in one statement (a plain new
//! order, issue 15) needs neither: its reads lock nothing in a READ COMMITTED transaction, and
//! a single statement is atomic on its own. [`Session`] gives it one checkout, no BEGIN, no
//! COMMIT. Its statements are counted in the pool's [`StatementCounter`] like any other.
use super::StatementCounter;
use crate::error::{AppError, AppResult};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPool, Postgres};
use sea_orm::sqlx::{self, Executor};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

/// A PostgreSQL connection taken from the pool for one mutation, outside any transaction: each
/// statement commits on its own.
pub struct Session {
    conn: tokio::sync::Mutex<PoolConnection<Postgres>>,
    counter: Option<StatementCounter>,
}

impl Session {
    /// A session on `db`'s pool; `None` unless `db` is PostgreSQL.
    pub async fn acquire(db: &DatabaseConnection) -> AppResult<Option<Session>> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let pool = db.get_postgres_connection_pool();
        let conn = pool.acquire().await.map_err(|e| {
            AppError::from(match e {
                sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
                sqlx::Error::PoolClosed => {
                    DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
                }
                e => DbErr::Conn(RuntimeErr::SqlxError(e.into())),
            })
        })?;
        Ok(Some(Session {
            conn: tokio::sync::Mutex::new(conn),
            counter: counter_of(pool),
        }))
    }

    /// Counts and traces a statement as the pool's metric callback does (`super::connect`).
    fn counted(&self, stmt: &Statement, started: Instant) {
        if let Some(c) = &self.counter {
            c.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        tracing::trace!(target: "mercato::sql", elapsed = ?started.elapsed(), sql = %stmt.sql);
    }
}

fn query(stmt: &Statement) -> sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(e.into()))
}

fn exec_err(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(e.into()))
}

#[async_trait::async_trait]
impl ConnectionTrait for Session {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let started = Instant::now();
        let mut conn = self.conn.lock().await;
        let r = query(&stmt).execute(&mut **conn).await;
        self.counted(&stmt, started);
        r.map(Into::into).map_err(exec_err)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut conn = self.conn.lock().await;
        conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)))
            .await
            .map(Into::into)
            .map_err(exec_err)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let started = Instant::now();
        let mut conn = self.conn.lock().await;
        let r = query(&stmt).fetch_optional(&mut **conn).await;
        self.counted(&stmt, started);
        r.map(|row| row.map(Into::into)).map_err(query_err)
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let started = Instant::now();
        let mut conn = self.conn.lock().await;
        let r = query(&stmt).fetch_all(&mut **conn).await;
        self.counted(&stmt, started);
        r.map(|rows| rows.into_iter().map(Into::into).collect())
            .map_err(query_err)
    }
}

type Registry = Mutex<Vec<(Weak<PgConnectOptions>, StatementCounter)>>;

/// Which counter counts the statements of which pool. A pool is known by its connect options,
/// which it shares (`Arc`) for its whole life.
fn registry() -> &'static Registry {
    static POOLS: OnceLock<Registry> = OnceLock::new();
    POOLS.get_or_init(Default::default)
}

/// Counts `pool`'s session statements in `counter` (called once per pool, when it is made).
pub(super) fn register(pool: &PgPool, counter: &StatementCounter) {
    let mut pools = registry().lock().unwrap_or_else(|p| p.into_inner());
    pools.retain(|(options, _)| options.strong_count() > 0);
    pools.push((Arc::downgrade(&pool.connect_options()), counter.clone()));
}

fn counter_of(pool: &PgPool) -> Option<StatementCounter> {
    let options = pool.connect_options();
    let pools = registry().lock().unwrap_or_else(|p| p.into_inner());
    pools
        .iter()
        .find(|(o, _)| std::ptr::eq(o.as_ptr(), Arc::as_ptr(&options)))
        .map(|(_, c)| c.clone())
}
