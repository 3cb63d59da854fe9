//! `AppError`: one enum whose variants are the machine-readable codes clients see in
//! `extensions.code` (ARCHITECTURE.md § GraphQL conventions).
use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

///
/// Deliberately not `Display`: async-graphql converts any `Display` error into a code-less
/// GraphQL error, so keeping it out makes `?` use our conversion, which adds the code.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(&'static str),
    Validation {
        field: String,
        message: String,
    },
    Conflict(String),
    InsufficientStock(String),
    CreditHold(String),
    InvalidState(String),
    RateLimited,
    /// A dependency is down or chose this request as the victim of a conflict (the database
    /// unreachable or restarting, its pool exhausted, a deadlock or serialization failure):
    /// nothing was changed, and the same request may succeed when retried.
    Unavailable(anyhow::Error),
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Validation { .. } => "VALIDATION",
            AppError::Conflict(_) => "CONFLICT",
            AppError::InsufficientStock(_) => "INSUFFICIENT_STOCK",
            AppError::CreditHold(_) => "CREDIT_HOLD",
            AppError::InvalidState(_) => "INVALID_STATE",
            AppError::RateLimited => "RATE_LIMITED",
            AppError::Unavailable(_) => "UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The client-facing message; an internal error never shows its cause.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m) => format!("authentication required: {m}"),
            AppError::Forbidden(m) => format!("forbidden: {m}"),
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::Validation { message, .. } => message.clone(),
            AppError::Conflict(m)
            | AppError::InsufficientStock(m)
            | AppError::CreditHold(m)
            | AppError::InvalidState(m) => m.clone(),
            AppError::RateLimited => "too many requests".into(),
            AppError::Unavailable(_) => {
                "the database is unavailable or the request met a conflicting one; nothing \
                 was changed, retry shortly"
                    .into()
            }
            AppError::Internal(_) => "internal error".into(),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(what: impl Into<String>) -> Self {
        AppError::Forbidden(what.into())
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    /// Says what was being done when an internal error happened ("loading order 12's lines");
    /// every other error passes unchanged (its message is already the client's).
    pub fn context(self, what: impl std::fmt::Display + Send + Sync + 'static) -> Self {
        match self {
            AppError::Internal(cause) => AppError::Internal(cause.context(what)),
            AppError::Unavailable(cause) => AppError::Unavailable(cause.context(what)),
            other => other,
        }
    }

    /// Replaces a NOT_FOUND by `instead` (a child reported as its parent, R-ACC-8); every other
    /// error — a database failure above all — passes unchanged.
    pub fn when_not_found(self, instead: impl FnOnce() -> AppError) -> Self {
        match self {
            AppError::NotFound(_) => instead(),
            other => other,
        }
    }

    /// The error with its whole cause, for the CLI and start-up.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            AppError::Internal(cause) | AppError::Unavailable(cause) => cause,
            other => anyhow::anyhow!("{}: {}", other.code(), other.message()),
        }
    }
}

/// Logs every INTERNAL (and, as a warning, UNAVAILABLE) error of one response once, with its
/// whole cause chain, the request id and the field path, and gives the client the request id
/// (`extensions.requestId`) to quote.
pub fn log_internal_errors(errors: &mut [async_graphql::ServerError], request_id: &str) {
    // One failed batch (a loader) surfaces as an error on every field it served: its cause is
    // logged once, with the first path and how many fields it failed.
    let mut seen: Vec<(*const (), usize, String, String, bool)> = Vec::new();
    for err in errors.iter_mut() {
        let code = err.extensions.as_ref().and_then(|e| e.get("code")).cloned();
        let unavailable = code == Some(async_graphql::Value::from("UNAVAILABLE"));
        if !unavailable && code != Some(async_graphql::Value::from("INTERNAL")) {
            continue;
        }
        err.extensions
            .get_or_insert_with(Default::default)
            .set("requestId", request_id);
        let key = err
            .source
            .as_ref()
            .map_or(std::ptr::null(), |s| std::sync::Arc::as_ptr(s) as *const ());
        if let Some(entry) = seen.iter_mut().find(|(k, ..)| !k.is_null() && *k == key) {
            entry.1 += 1;
            continue;
        }
        if unavailable {
            metrics::counter!("mercato_unavailable_total").increment(1);
        }
        let path = err
            .path
            .iter()
            .map(|p| match p {
                async_graphql::PathSegment::Field(f) => f.clone(),
                async_graphql::PathSegment::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".");
        let cause = match err.source::<Cause>() {
            Some(cause) => format!("{:#}", cause.0),
            None => err.message.clone(),
        };
        seen.push((key, 1, path, cause, unavailable));
    }
    for (_, fields, path, error, unavailable) in seen {
        if unavailable {
            tracing::warn!(request_id, path, fields, error, "unavailable (retryable)");
        } else {
            tracing::error!(request_id, path, fields, error, "internal error");
        }
    }
}

/// The cause an INTERNAL GraphQL error carries for the log (never serialised to the client);
/// the transport logs it once with the request id (`http::log_internal_errors`).
pub struct Cause(pub anyhow::Error);

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict("a record with the same unique key already exists".into())
            }
            // Inputs are checked before anything is written, so a foreign key that fails here
            // names a record another transaction changed meanwhile (removed, or still
            // referenced when this one removes it): a conflict with that change, not bad input.
            Some(SqlErr::ForeignKeyConstraintViolation(m)) => {
                tracing::warn!(cause = %m, "foreign key refused a write");
                AppError::Conflict(
                    "a related record changed meanwhile or still refers to this one; reload and retry"
                        .into(),
                )
            }
            _ if transient(&e) => AppError::Unavailable(e.into()),
            _ => AppError::Internal(e.into()),
        }
    }
}

/// Whether a database failure is transient: the database is unreachable, restarting or out of
/// connections, the pool timed out, or the database chose this transaction as the victim of a
/// deadlock or serialization conflict. The transaction rolled back, so a retry is safe.
fn transient(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(r) | DbErr::Exec(r) | DbErr::Query(r) => r,
        _ => return false,
    };
    let RuntimeErr::SqlxError(err) = runtime else {
        return false;
    };
    match &**err {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => {
            let sqlite = db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some();
            db.code().is_some_and(|c| transient_code(&c, sqlite))
        }
        _ => false,
    }
}

/// PostgreSQL: serialization failure, deadlock, too many connections, shutting down or
/// starting up, any connection exception (class 08). SQLite: BUSY and LOCKED (primary codes 5
/// and 6, with their extended codes).
fn transient_code(code: &str, sqlite: bool) -> bool {
    if sqlite {
        return code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
    }
    matches!(
        code,
        "40001" | "40P01" | "53300" | "57P01" | "57P02" | "57P03"
    ) || code.starts_with("08")
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        let code = e.code();
        let field = match &e {
            AppError::Validation { field, .. } => Some(field.clone()),
            _ => None,
        };
        let message = e.message();
        // The cause (SQL, driver messages) travels to the transport for the log, never to the
        // client.
        let cause = match e {
            AppError::Internal(cause) | AppError::Unavailable(cause) => {
                Some(std::sync::Arc::new(Cause(cause)))
            }
            _ => None,
        };
        let mut err = async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", field);
            }
        });
        err.source = cause.map(|c| c as std::sync::Arc<dyn std::any::Any + Send + Sync>);
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_hides_its_cause_from_the_client() {
        let e = AppError::from(DbErr::Custom("SELECT secret FROM users".into()));
        assert_eq!(e.code(), "INTERNAL");
        let gql: async_graphql::Error = e.into();
        assert_eq!(gql.message, "internal error");
        assert!(!format!("{:?}", gql.extensions).contains("SELECT"));
        assert!(!serde_json::to_string(&gql).unwrap().contains("SELECT"));
        // …but the cause travels along for the log.
        let cause = gql
            .source
            .as_ref()
            .unwrap()
            .downcast_ref::<Cause>()
            .unwrap();
        assert!(format!("{:?}", cause.0).contains("SELECT secret"));
    }

    #[test]
    fn a_database_failure_is_never_renamed_not_found() {
        let db = AppError::from(DbErr::Custom("connection reset".into()));
        let e = db.when_not_found(|| AppError::NotFound("sales order line"));
        assert_eq!(e.code(), "INTERNAL");
        let e = AppError::NotFound("sales order").when_not_found(|| AppError::NotFound("line"));
        assert_eq!(e.message(), "line not found");
        let e = AppError::from(DbErr::Custom("disk full".into())).context("saving order 7");
        assert_eq!(
            format!("{:#}", e.into_anyhow()),
            "saving order 7: Custom Error: disk full"
        );
    }

    #[test]
    fn transient_database_failures_are_unavailable_and_retryable() {
        for (code, sqlite) in [
            ("40P01", false),
            ("40001", false),
            ("57P01", false),
            ("08006", false),
            ("53300", false),
            ("5", true),
            ("517", true),
            ("6", true),
        ] {
            assert!(transient_code(code, sqlite), "{code}");
        }
        for (code, sqlite) in [
            ("23505", false),
            ("42P01", false),
            ("19", true),
            ("1", true),
        ] {
            assert!(!transient_code(code, sqlite), "{code}");
        }
        let e = AppError::from(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout));
        assert_eq!(e.code(), "UNAVAILABLE");
        let gql: async_graphql::Error = e.into();
        assert!(gql.message.contains("retry"));
        assert!(gql.source.is_some(), "the cause travels to the log");
        assert_eq!(
            AppError::from(DbErr::Custom("disk full".into())).code(),
            "INTERNAL"
        );
    }

    #[test]
    fn validation_errors_carry_their_field() {
        let gql: async_graphql::Error =
            AppError::validation("creditLimit", "must not be negative").into();
        let ext = format!("{:?}", gql.extensions);
        assert!(
            ext.contains("VALIDATION") && ext.contains("creditLimit"),
            "{ext}"
        );
    }
}
