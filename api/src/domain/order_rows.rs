//! The order-row primitives several areas share — orders themselves, reservations, backorders
//! and shipments: lock an order the caller sees, record one of its events, save a fulfilment
//! step. They sit below all of those areas, so none of them needs another in a circle.
use crate::auth::{Principal, visibility};
use crate::domain::agreements::tracking;
use crate::domain::outbox::{self, OrderEvent};
use crate::domain::setup_cache::{self, Setup};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{AgreementKind, DocKind, DocStatus, customer, item, sales_order, sales_order_line};
use rust_decimal::Decimal;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, IntoActiveModel, JoinType, QueryFilter, QuerySelect, QueryTrait,
};
use std::collections::HashMap;
use std::sync::Arc;

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

/// [`lock`] with the order's customer (a join) and the setup version read in the same
/// statement; only the order's row is locked, so orders of one customer do not queue on each
/// other.
pub async fn lock_with_context(
    tx: &DatabaseTransaction,
    p: &Principal,
    kind: DocKind,
    id: i64,
) -> AppResult<(sales_order::Model, customer::Model, Arc<Setup>)> {
    let mut q = sales_order::Entity::find_by_id(id)
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(kind))
        .select_also(customer::Entity)
        .join(
            JoinType::InnerJoin,
            sales_order::Entity::belongs_to(customer::Entity)
                .from(sales_order::Column::CustomerId)
                .to(customer::Column::Id)
                .into(),
        );
    q = setup_cache::with_version(q);
    if tx.get_database_backend() == DbBackend::Postgres {
        QuerySelect::query(&mut q).lock_with_tables(LockType::Update, [sales_order::Entity]);
    }
    let row = tx
        .query_one(&q.into_query())
        .await?
        .ok_or_else(|| not_found(kind))?;
    let order = sales_order::Model::from_query_result(&row, "A_")?;
    let customer = customer::Model::from_query_result(&row, "B_")?;
    let setup = setup_cache::at(tx, order.company_id, &row).await?;
    Ok((order, customer, setup))
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
    let rep = customer_rep(tx, order).await?;
    outbox::record(tx, order, rep, event, payload).await?;
    Ok(())
}

/// Writes several events of an order in one statement, reading the customer's rep once.
pub async fn record_events<C: ConnectionTrait>(
    tx: &C,
    order: &sales_order::Model,
    events: Vec<(OrderEvent, Option<serde_json::Value>)>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rep = customer_rep(tx, order).await?;
    outbox::record_many(tx, order, rep, events).await
}

/// The order customer's sales rep, which events carry for visibility (R-ACC-3).
pub async fn customer_rep<C: ConnectionTrait>(
    tx: &C,
    order: &sales_order::Model,
) -> AppResult<Option<i64>> {
    Ok(customer::Entity::find_by_id(order.customer_id)
        .select_only()
        .column(customer::Column::SalesRepId)
        .into_tuple::<Option<i64>>()
        .one(tx)
        .await?
        .flatten())
}

/// Saves a fulfilment step: the new status when it changed (R-ORD-17, its own
/// STATUS_CHANGED event), a new version, and the step's events.
pub async fn save_progress(
    tx: &DatabaseTransaction,
    order: sales_order::Model,
    status: DocStatus,
    events: Vec<(OrderEvent, Option<serde_json::Value>)>,
) -> AppResult<sales_order::Model> {
    save_progress_with(tx, order, status, events, outbox::Batch::default()).await
}

/// [`save_progress`] writing `gathered` (the step's stock events) in the same INSERT as the
/// order's events.
pub async fn save_progress_with(
    tx: &DatabaseTransaction,
    mut order: sales_order::Model,
    status: DocStatus,
    events: Vec<(OrderEvent, Option<serde_json::Value>)>,
    mut gathered: outbox::Batch,
) -> AppResult<sales_order::Model> {
    let changed = order.status != status;
    order.status = status;
    order.version += 1;
    order.updated_at = Utc::now();
    let saved = order.into_active_model().reset_all().update(tx).await?;
    let mut events = events;
    if changed {
        events.push((OrderEvent::StatusChanged, None));
    }
    if !events.is_empty() {
        let rep = customer_rep(tx, &saved).await?;
        gathered.order_events(&saved, rep, events);
    }
    gathered.write(tx).await?;
    Ok(saved)
}

/// Moves the agreement lines the order's `lines` were placed against to what they contribute
/// now (R-AGR-1; see `agreements::tracking`): called by every change of an order's lines,
/// status or shipped quantities. `factors` are the items' sales→stock factors when the caller
/// has them; otherwise they are read, for the linked lines only. `customer_rep_id` is the
/// order customer's rep when the caller knows it (`None`: read it). No statement when no line
/// is on an agreement.
pub async fn track_agreements<C: ConnectionTrait>(
    tx: &C,
    order: &sales_order::Model,
    lines: &[sales_order_line::Model],
    factors: Option<&HashMap<i64, Decimal>>,
    customer_rep_id: Option<Option<i64>>,
) -> AppResult<()> {
    let linked: Vec<&sales_order_line::Model> = lines
        .iter()
        .filter(|l| l.agreement_line_id.is_some())
        .collect();
    if linked.is_empty() {
        return Ok(());
    }
    let read;
    let factors = match factors {
        Some(f) => f,
        None => {
            read = item::Entity::find()
                .filter(item::Column::Id.is_in(linked.iter().map(|l| l.item_id)))
                .all(tx)
                .await?
                .into_iter()
                .map(|i| (i.id, i.sales_unit_factor.0))
                .collect::<HashMap<i64, Decimal>>();
            &read
        }
    };
    let rep = match customer_rep_id {
        Some(rep) => rep,
        None => customer::Entity::find_by_id(order.customer_id)
            .one(tx)
            .await?
            .and_then(|c| c.sales_rep_id),
    };
    let open = tracking::sales_open(order);
    let moves = linked.into_iter().filter_map(|l| {
        let factor = factors.get(&l.item_id).copied().unwrap_or(Decimal::ONE);
        tracking::sales_move(l, factor, open)
    });
    tracking::apply(tx, AgreementKind::Sales, moves, rep).await
}
