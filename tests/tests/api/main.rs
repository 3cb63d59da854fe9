//! The black-box tests: one binary, one module per area, sharing the helpers of the
//! `api-tests` library (`tests/src`). Each test starts the real server on port 0 with a
//! database of its own (SQLite, or PostgreSQL with `TEST_DATABASE_URL`; Redis with
//! `TEST_REDIS_URL`).
mod access;
mod agreements;
mod agreements_access;
mod auth;
mod corrections;
mod docs;
mod errors;
mod events;
mod faults;
mod fulfilment;
mod fulfilment_access;
mod fulfilment_rules;
mod hardening;
mod hardening_two;
mod http;
mod idempotency;
mod introspection;
mod invoicing;
mod invoicing_access;
mod master_data;
mod order_access;
mod orders;
mod partial_rules;
mod payments;
mod reports;
mod returns;
mod sales_setup;
mod schema;
mod sockets;
mod speed;
mod stock;
mod towerp;
mod websocket;
mod worked_example;
