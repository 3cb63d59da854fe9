//! Prometheus metrics: request counts and latencies by operation (global recorder) plus the
//! per-process database figures (statements executed, pool size).
use crate::db::StatementCounter;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;
use std::fmt::Write;
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once per process (tests run many servers in one process).
pub fn init() {
    HANDLE.get_or_init(|| PrometheusBuilder::new().install_recorder().ok());
}

pub fn render(db: &DatabaseConnection, statements: &StatementCounter) -> String {
    let mut out = HANDLE
        .get()
        .and_then(|h| h.as_ref())
        .map(|h| h.render())
        .unwrap_or_default();
    let _ = writeln!(out, "# TYPE mercato_db_statements_total counter");
    let _ = writeln!(out, "mercato_db_statements_total {}", statements.get());
    let (size, idle) = pool_figures(db);
    let _ = writeln!(out, "# TYPE mercato_db_pool_connections gauge");
    let _ = writeln!(out, "mercato_db_pool_connections{{state=\"open\"}} {size}");
    let _ = writeln!(out, "mercato_db_pool_connections{{state=\"idle\"}} {idle}");
    out
}

fn pool_figures(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    }
}

pub fn record_request(operation: &str, seconds: f64, ok: bool) {
    let labels = [
        ("operation", operation.to_owned()),
        ("outcome", if ok { "ok" } else { "error" }.to_owned()),
    ];
    metrics::counter!("mercato_graphql_requests_total", &labels).increment(1);
    metrics::histogram!("mercato_graphql_request_duration_seconds", &labels).record(seconds);
}
