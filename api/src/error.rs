//! `AppError`: one enum whose variants are the machine-readable codes clients see in
//! `extensions.code` (ARCHITECTURE.md § GraphQL conventions).
use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

///
/// Deliberately not `Display`: async-graphql converts any `Display` error into a code-less
/// GraphQL error, so keeping it out makes `?` use our conversion, which adds the code.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(&'static str),
    Validation { field: String, message: String },
    Conflict(String),
    InsufficientStock(String),
    CreditHold(String),
    InvalidState(String),
    RateLimited,
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
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict("a record with the same unique key already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                AppError::validation("input", "a referenced record does not exist")
            }
            _ => AppError::Internal(e.into()),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        if let AppError::Internal(cause) = &e {
            // The cause (SQL, driver messages) goes to the log, never to the client.
            tracing::error!(error = ?cause, "internal error");
        }
        let code = e.code();
        let field = match &e {
            AppError::Validation { field, .. } => Some(field.clone()),
            _ => None,
        };
        async_graphql::Error::new(e.message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", field);
            }
        })
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
