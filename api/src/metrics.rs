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

/// Distinct operation names the request metrics keep; later names count as `other`.
pub const MAX_OPERATION_LABELS: usize = 200;
/// Longest operation name kept as a label.
pub const MAX_OPERATION_LABEL_LEN: usize = 64;

static OPERATIONS: std::sync::Mutex<Option<std::collections::HashSet<String>>> =
    std::sync::Mutex::new(None);

/// The `operation` label: the client's `operationName` only when the document ran (so it names
/// one of its operations), it is a GraphQL name of at most 64 characters, and fewer than 200
/// names were seen; `anonymous` without a name, `invalid` for a document that did not run,
/// `other` beyond the bound. Anything a client sends thus adds at most 200 series.
pub fn operation_label(name: Option<&str>, ran: bool) -> String {
    let Some(name) = name else {
        return "anonymous".into();
    };
    let is_name = name.len() <= MAX_OPERATION_LABEL_LEN
        && name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !ran || !is_name {
        return "invalid".into();
    }
    let mut seen = OPERATIONS.lock().unwrap_or_else(|p| p.into_inner());
    let seen = seen.get_or_insert_with(Default::default);
    if seen.contains(name) {
        return name.to_owned();
    }
    if seen.len() < MAX_OPERATION_LABELS {
        seen.insert(name.to_owned());
        return name.to_owned();
    }
    "other".into()
}

pub fn record_request(operation: Option<&str>, ran: bool, seconds: f64, ok: bool) {
    let labels = [
        ("operation", operation_label(operation, ran)),
        ("outcome", if ok { "ok" } else { "error" }.to_owned()),
    ];
    metrics::counter!("mercato_graphql_requests_total", &labels).increment(1);
    metrics::histogram!("mercato_graphql_request_duration_seconds", &labels).record(seconds);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded_names() {
        assert_eq!(operation_label(None, true), "anonymous");
        assert_eq!(operation_label(Some("PlaceOrder"), false), "invalid");
        assert_eq!(operation_label(Some(&"x".repeat(65)), true), "invalid");
        assert_eq!(operation_label(Some("a b"), true), "invalid");
        assert_eq!(operation_label(Some("PlaceOrder"), true), "PlaceOrder");
        for i in 0..MAX_OPERATION_LABELS {
            operation_label(Some(&format!("Op{i}")), true);
        }
        assert_eq!(operation_label(Some("OneTooMany"), true), "other");
        assert_eq!(operation_label(Some("PlaceOrder"), true), "PlaceOrder");
    }
}
