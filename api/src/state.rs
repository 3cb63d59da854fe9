//! What every request handler shares.
use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::db::StatementCounter;
use crate::graphql::AppSchema;
use sea_orm::DatabaseConnection;

pub struct AppState {
    pub config: Config,
    pub db: DatabaseConnection,
    pub keys: JwtKeys,
    pub schema: AppSchema,
    pub statements: StatementCounter,
    pub redis: Option<redis::Client>,
}
