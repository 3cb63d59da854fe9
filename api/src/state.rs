//! What every request handler shares.
use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::db::StatementCounter;
use crate::events::bus::Bus;
use crate::events::hub::Hub;
use crate::graphql::AppSchema;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

pub struct AppState {
    pub config: Config,
    pub db: DatabaseConnection,
    pub keys: JwtKeys,
    pub schema: AppSchema,
    pub statements: StatementCounter,
    pub redis: Option<redis::Client>,
    pub hub: Arc<Hub>,
    pub bus: Arc<Bus>,
    /// The relay's and hub's own pool (see `db::connect_background`).
    pub events_db: DatabaseConnection,
    /// WebSocket sessions: the schema behind them, shared loaders, per-principal slots.
    pub sockets: crate::sockets::Sockets,
}
