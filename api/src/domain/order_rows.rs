//! The order-row primitives several areas share — orders themselves, reservations, backorders
//! and shipments: lock an order the caller sees, record one of its events, save a fulfilment
//! step. They sit below all of those areas, so none of them needs another in a circle.
use crate::auth::{Principal, visibility};
use crate::domain::outbox::{self, OrderEvent};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{DocKind, DocStatus, customer, sales_order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect,
};

/// NOT_FOUND for a document of this kind (R-ACC-8: what the caller may not see is absent).
pub fn not_found(kind: DocKind) -> AppError {
    AppError::NotFound(match kind {
        DocKind::Quote => "quote",
        DocKind::Order => "sales order",
    })
}

/// Loads a quote or order (`kind`, or either) the caller sees and locks its row until the
/// transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's write transaction holds the file).
pub async fn lock(
    tx: &DatabaseTransaction,
    p: &Principal,
    kind: Option<DocKind>,
    id: i64,
) -> AppResult<sales_order::Model> {
    let mut q = sales_order::Entity::find_by_id(id).filter(visibility::sales_orders(p));
    if let Some(k) = kind {
        q = q.filter(sales_order::Column::Kind.eq(k));
    }
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(tx)
        .await?
        .ok_or_else(|| not_found(kind.unwrap_or(DocKind::Order)))
}

/// [`lock`] for a sales order.
pub async fn lock_order(
    tx: &DatabaseTransaction,
    p: &Principal,
    id: i64,
) -> AppResult<sales_order::Model> {
    lock(tx, p, Some(DocKind::Order), id).await
}

/// Writes one event for an order, with what visibility needs (the customer's rep).
pub async fn record_event<C: ConnectionTrait>(
    tx: &C,
    order: &sales_order::Model,
    event: OrderEvent,
    payload: Option<serde_json::Value>,
) -> AppResult<()> {
    let rep = customer::Entity::find_by_id(order.customer_id)
        .one(tx)
        .await?
        .and_then(|c| c.sales_rep_id);
    outbox::record(tx, order, rep, event, payload).await?;
    Ok(())
}

/// Saves a fulfilment step: the new status when it changed (R-ORD-17, its own
/// STATUS_CHANGED event), a new version, and the step's events.
pub async fn save_progress(
    tx: &DatabaseTransaction,
    mut order: sales_order::Model,
    status: DocStatus,
    events: Vec<(OrderEvent, Option<serde_json::Value>)>,
) -> AppResult<sales_order::Model> {
    let changed = order.status != status;
    order.status = status;
    order.version += 1;
    order.updated_at = Utc::now();
    let saved = order.into_active_model().reset_all().update(tx).await?;
    for (event, payload) in events {
        record_event(tx, &saved, event, payload).await?;
    }
    if changed {
        record_event(tx, &saved, OrderEvent::StatusChanged, None).await?;
    }
    Ok(saved)
}
