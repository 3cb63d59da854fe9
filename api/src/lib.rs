//! Mercato: a GraphQL backend for B2B headless commerce. See README.md and
//! ../shared/ARCHITECTURE.md for the layout.
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod sockets;
pub mod state;

pub use app::Application;
pub use config::Config;
