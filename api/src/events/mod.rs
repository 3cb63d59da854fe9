//! Live events (ARCHITECTURE.md § Events). A change writes its outbox row in its own
//! transaction (`domain::outbox`); after commit the [`relay`] gives it the next number of a
//! gapless, commit-ordered sequence and publishes it on the [`bus`] (Redis pub/sub, or only
//! in-process without `REDIS_URL`); every process's [`hub`] turns what it hears into one
//! ordered, gapless local broadcast, filling holes from the database; [`subscribe`] replays
//! from the outbox (`after`), then follows the hub, and filters through `auth::visibility`.
//!
//! Delivery is at least once on the wire and exactly once per subscription: the hub and each
//! subscription drop ids they have already passed on.
pub mod bus;
pub mod hub;
pub mod relay;
pub mod subscribe;

use chrono::{DateTime, Utc};
use entity::outbox;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use tokio::sync::watch;

/// An outbox row that has its sequence number: what subscribers receive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The event id clients see and pass back as `after`.
    pub seq: i64,
    pub company_id: i64,
    pub kind: String,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// The customer's rep when the event happened (R-ACC-3 visibility).
    pub customer_rep_id: Option<i64>,
    pub order_rep_id: Option<i64>,
    pub item_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub status: Option<String>,
    pub financial_status: Option<String>,
    pub payload: Option<serde_json::Value>,
    pub occurred_at: DateTime<Utc>,
}

impl Event {
    /// None for a row the relay has not sequenced yet.
    pub fn from_row(r: outbox::Model) -> Option<Event> {
        Some(Event {
            seq: r.seq?,
            company_id: r.company_id,
            kind: r.kind,
            order_id: r.order_id,
            customer_id: r.customer_id,
            customer_rep_id: r.customer_rep_id,
            order_rep_id: r.order_rep_id,
            item_id: r.item_id,
            warehouse_id: r.warehouse_id,
            status: r.status,
            financial_status: r.financial_status,
            payload: r.payload.and_then(|p| serde_json::from_str(&p).ok()),
            occurred_at: r.occurred_at,
        })
    }
}

/// Process-wide "a write transaction committed" signal: wakes the relay at once instead of
/// at its next poll. A hint only (the poll catches anything it misses).
fn commits() -> &'static watch::Sender<u64> {
    static COMMITS: OnceLock<watch::Sender<u64>> = OnceLock::new();
    COMMITS.get_or_init(|| watch::channel(0).0)
}

/// Called by `db::WriteTx::commit` after every successful commit.
pub fn committed() {
    commits().send_modify(|n| *n = n.wrapping_add(1));
}

pub(crate) fn watch_commits() -> watch::Receiver<u64> {
    commits().subscribe()
}
