//! Mercato: a GraphQL backend for B2B headless commerce. See README.md and
//! docs/architecture.md for the layout.
// The merged Query and Mutation objects nest one level per area; async-graphql's derive
// needs more than the default 128 levels to lay them out.
#![recursion_limit = "256"]
pub mod app;
pub mod auth;
pub mod body;
pub mod config;
pub mod db;
pub mod domain;
pub mod downloads;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod render;
pub mod sockets;
pub mod state;

/// mimalloc instead of the system allocator: under load glibc's malloc kept every page it ever
/// used (the benchmark's process stayed at 3× its idle size after the load), mimalloc returns
/// freed memory to the system. Set here so that the server, the benchmark and the tests all
/// run on the allocator production uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use app::Application;
pub use config::Config;
