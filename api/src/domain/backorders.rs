//! Backorders (R-BO-2) and how received goods are assigned to them (R-BO-5, R-BO-6).
//!
//! A backorder is the shortage of one order line, in stock units. It waits PENDING until
//! confirmed, can be bought (purchasing), and is filled by assigning a confirmed receipt to it:
//! each assignment reserves received stock on a new confirmed order for the customer and lowers
//! the backorder's open quantity. Assignment locks the receipt, then the origin orders (by id),
//! then the backorders, then the stock slots, so concurrent rounds on one receipt queue and
//! never assign a unit twice.
use crate::auth::{Permission, Principal, visibility};
use crate::db::{self, WriteTx};
use crate::domain::order_rows;
use crate::domain::orders::{self, CopiedLine};
use crate::domain::outbox::OrderEvent;
use crate::domain::quantities::{self, Waiting};
use crate::domain::{Page, PageArgs, page, receipts, reservations, rows, stock};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    BackorderStatus, Dec, DocStatus, ReceiptStatus, backorder, backorder_assignment, item,
    receipt_line, reservation, sales_order, sales_order_line, stock_level,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
pub struct BackorderFilter {
    pub status: Option<BackorderStatus>,
    pub item_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
}

/// Backorders of orders the caller sees (R-ACC-3), oldest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: BackorderFilter,
    args: &PageArgs,
) -> AppResult<Page<backorder::Model>> {
    visibility::require(p, Permission::ReadOrders)?;
    let mut q = backorder::Entity::find().filter(visibility::backorders(p));
    if let Some(s) = filter.status {
        q = q.filter(backorder::Column::Status.eq(s));
    }
    if let Some(id) = filter.item_id {
        q = q.filter(backorder::Column::ItemId.eq(id));
    }
    if let Some(id) = filter.customer_id {
        q = q.filter(backorder::Column::CustomerId.eq(id));
    }
    if let Some(id) = filter.order_id {
        q = q.filter(backorder::Column::OrderId.eq(id));
    }
    page::fetch(db, q, backorder::Column::Id, args).await
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<backorder::Model> {
    visibility::require(p, Permission::ReadOrders)?;
    backorder::Entity::find_by_id(id)
        .filter(visibility::backorders(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("backorder"))
}

/// Backorders by line or by order for nested fields (visibility comes from the parent).
pub async fn by_lines(
    db: &DatabaseConnection,
    line_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<backorder::Model>>> {
    rows::children::<backorder::Entity, _>(
        db,
        backorder::Column::OrderLineId,
        line_ids,
        backorder::Column::Id,
        |b| b.order_line_id,
    )
    .await
}

pub async fn assignments_by_backorders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<backorder_assignment::Model>>> {
    rows::children::<backorder_assignment::Entity, _>(
        db,
        backorder_assignment::Column::BackorderId,
        ids,
        backorder_assignment::Column::Id,
        |a| a.backorder_id,
    )
    .await
}

/// Locks the origin orders (id order) and then the backorders, re-reading them under lock.
async fn lock_backorders(
    tx: &WriteTx,
    p: &Principal,
    ids: &[i64],
) -> AppResult<(Vec<backorder::Model>, HashMap<i64, sales_order::Model>)> {
    let found = backorder::Entity::find()
        .filter(visibility::backorders(p))
        .filter(backorder::Column::Id.is_in(ids.to_vec()))
        .all(&**tx)
        .await?;
    let mut order_ids: Vec<i64> = found.iter().map(|b| b.order_id).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    let mut orders_by_id = HashMap::new();
    for id in order_ids {
        orders_by_id.insert(id, order_rows::lock_order(tx, p, id).await?);
    }
    let mut q = backorder::Entity::find()
        .filter(backorder::Column::Id.is_in(found.iter().map(|b| b.id).collect::<Vec<_>>()))
        .order_by_asc(backorder::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok((q.all(&**tx).await?, orders_by_id))
}

/// `confirmBackorders` (R-BO-2): PENDING → CONFIRMED, all or nothing.
pub async fn confirm(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<Vec<backorder::Model>> {
    visibility::require(p, Permission::ManageBackorders)?;
    let tx = db::write_tx(db).await?;
    let (rows, orders_by_id) = lock_backorders(&tx, p, ids).await?;
    for (i, id) in ids.iter().enumerate() {
        match rows.iter().find(|b| b.id == *id) {
            None => {
                return Err(AppError::validation(
                    format!("ids.{i}"),
                    "no such backorder",
                ));
            }
            Some(b) if b.status != BackorderStatus::Pending => {
                return Err(AppError::InvalidState(format!(
                    "backorder {} is {:?}: only a PENDING backorder is confirmed (R-BO-2)",
                    b.id, b.status
                )));
            }
            _ => {}
        }
    }
    let now = Utc::now();
    let mut out = Vec::with_capacity(rows.len());
    for b in rows {
        let mut am = b.into_active_model();
        am.status = Set(BackorderStatus::Confirmed);
        am.confirmed_at = Set(Some(now));
        am.updated_at = Set(now);
        out.push(am.update(&*tx).await?);
    }
    for order in orders_by_id.values() {
        let ids: Vec<i64> = out
            .iter()
            .filter(|b| b.order_id == order.id)
            .map(|b| b.id)
            .collect();
        order_rows::record_event(
            &*tx,
            order,
            OrderEvent::BackorderConfirmed,
            Some(json!({ "backorderIds": ids })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// `cancelBackorder` (R-BO-2): the customer no longer waits; what was already assigned stays
/// with its new order. The origin order may then be complete (R-ORD-17).
pub async fn cancel(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<backorder::Model> {
    visibility::require(p, Permission::ManageBackorders)?;
    let tx = db::write_tx(db).await?;
    let (rows, orders_by_id) = lock_backorders(&tx, p, &[id]).await?;
    let b = rows
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("backorder"))?;
    if matches!(
        b.status,
        BackorderStatus::Fulfilled | BackorderStatus::Cancelled
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} backorder cannot be cancelled (R-BO-2)",
            b.status
        )));
    }
    let mut am = b.into_active_model();
    am.status = Set(BackorderStatus::Cancelled);
    am.updated_at = Set(Utc::now());
    let b = am.update(&*tx).await?;
    let order = orders_by_id[&b.order_id].clone();
    refresh_origin(
        &tx,
        order,
        OrderEvent::BackorderCancelled,
        json!({ "backorderId": b.id }),
    )
    .await?;
    tx.commit().await?;
    Ok(b)
}

/// `setBackorderPriority`: higher is served first by automatic assignment (R-BO-5).
pub async fn set_priority(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    priority: i64,
) -> AppResult<backorder::Model> {
    visibility::require(p, Permission::ManageBackorders)?;
    let tx = db::write_tx(db).await?;
    let (rows, _) = lock_backorders(&tx, p, &[id]).await?;
    let b = rows
        .into_iter()
        .next()
        .ok_or(AppError::NotFound("backorder"))?;
    let mut am = b.into_active_model();
    am.priority = Set(priority);
    am.updated_at = Set(Utc::now());
    let b = am.update(&*tx).await?;
    tx.commit().await?;
    Ok(b)
}

/// Re-derives an origin order's status after its backorders moved, with `event`.
async fn refresh_origin(
    tx: &WriteTx,
    order: sales_order::Model,
    event: OrderEvent,
    payload: serde_json::Value,
) -> AppResult<sales_order::Model> {
    let states = reservations::line_states(&**tx, order.id).await?;
    let progress: Vec<_> = states.iter().map(|s| s.progress).collect();
    let status = match order.status {
        DocStatus::Confirmed | DocStatus::PartiallyShipped => quantities::status_after(&progress),
        other => other,
    };
    order_rows::save_progress(tx, order, status, vec![(event, Some(payload))]).await
}

/// One allocation asked for by hand.
pub struct Allocation {
    pub backorder_id: i64,
    pub quantity: Decimal,
}

/// What one assignment round did.
pub struct AssignmentResult {
    pub assignments: Vec<backorder_assignment::Model>,
    pub orders: Vec<sales_order::Model>,
    /// Per item, what the receipt still has to assign.
    pub unassigned: Vec<(i64, Decimal)>,
}

/// `assignBackorders` (R-BO-5, R-BO-6): distributes a confirmed receipt over confirmed
/// backorders of its items — as listed, or automatically (priority, then oldest) — never more
/// than the receipt still has nor than a backorder still waits for. Creates one confirmed order
/// per customer and origin-order rep whose lines are reserved from the received stock, links backorder ↔ new line ↔
/// origin order, and lowers each backorder. Repeatable until the receipt is used up.
pub async fn assign(
    db: &DatabaseConnection,
    p: &Principal,
    receipt_id: i64,
    allocations: Option<Vec<Allocation>>,
) -> AppResult<AssignmentResult> {
    visibility::require(p, Permission::AssignBackorders)?;
    let tx = db::write_tx(db).await?;
    let rec = receipts::lock(&tx, p, receipt_id).await?;
    if rec.status != ReceiptStatus::Confirmed {
        return Err(AppError::InvalidState(
            "only a confirmed receipt can be assigned (R-BO-5)".into(),
        ));
    }
    let rec_lines = receipts::lines_of(&tx, rec.id).await?;
    let mut left: BTreeMap<i64, Decimal> = BTreeMap::new();
    for l in &rec_lines {
        *left.entry(l.item_id).or_default() += l.quantity.0 - l.assigned_quantity.0;
    }
    let live = [
        BackorderStatus::Confirmed,
        BackorderStatus::PartiallyFulfilled,
    ];

    // Candidates, then their orders and themselves locked and re-read.
    let candidate_ids: Vec<i64> = match &allocations {
        Some(list) => list.iter().map(|a| a.backorder_id).collect(),
        None => {
            backorder::Entity::find()
                .select_only()
                .column(backorder::Column::Id)
                .filter(visibility::backorders(p))
                .filter(backorder::Column::ItemId.is_in(left.keys().copied().collect::<Vec<_>>()))
                .filter(backorder::Column::Status.is_in(live))
                .into_tuple::<i64>()
                .all(&*tx)
                .await?
        }
    };
    let (waiting, origins) = lock_backorders(&tx, p, &candidate_ids).await?;
    let by_id: HashMap<i64, &backorder::Model> = waiting.iter().map(|b| (b.id, b)).collect();

    let plan: Vec<(i64, Decimal)> = match &allocations {
        Some(list) => {
            let mut wanted: HashMap<i64, Decimal> = HashMap::new();
            let mut per_item: HashMap<i64, Decimal> = HashMap::new();
            for (i, a) in list.iter().enumerate() {
                let f = |n: &str| format!("allocations.{i}.{n}");
                let b = by_id
                    .get(&a.backorder_id)
                    .ok_or_else(|| AppError::validation(f("backorderId"), "no such backorder"))?;
                if !live.contains(&b.status) {
                    return Err(AppError::validation(
                        f("backorderId"),
                        format!(
                            "backorder {} is {:?}: only confirmed backorders are assigned (R-BO-2)",
                            b.id, b.status
                        ),
                    ));
                }
                if a.quantity <= Decimal::ZERO {
                    return Err(AppError::validation(f("quantity"), "must be positive"));
                }
                let w = wanted.entry(b.id).or_default();
                *w += a.quantity;
                if *w > b.open_quantity.0 {
                    return Err(AppError::validation(
                        f("quantity"),
                        format!(
                            "backorder {} waits for {} only (R-BO-5)",
                            b.id, b.open_quantity.0
                        ),
                    ));
                }
                let it = per_item.entry(b.item_id).or_default();
                *it += a.quantity;
                let avail = left.get(&b.item_id).copied().unwrap_or_default();
                if *it > avail {
                    return Err(AppError::validation(
                        f("quantity"),
                        format!("the receipt has {avail} of this item left to assign (R-BO-5)"),
                    ));
                }
            }
            list.iter().map(|a| (a.backorder_id, a.quantity)).collect()
        }
        None => left
            .iter()
            .flat_map(|(item_id, avail)| {
                let queue: Vec<Waiting> = waiting
                    .iter()
                    .filter(|b| b.item_id == *item_id && live.contains(&b.status))
                    .map(|b| Waiting {
                        id: b.id,
                        priority: b.priority,
                        created_at: b.created_at,
                        open: b.open_quantity.0,
                    })
                    .collect();
                quantities::assign_automatically(*avail, &queue)
            })
            .collect(),
    };

    let mut result = AssignmentResult {
        assignments: vec![],
        orders: vec![],
        unassigned: vec![],
    };
    if !plan.is_empty() {
        execute(&tx, p, &rec_lines, &by_id, &origins, &plan, &mut result).await?;
    }
    for (item_id, avail) in &mut left {
        let used: Decimal = plan
            .iter()
            .filter(|(b, _)| by_id[b].item_id == *item_id)
            .map(|(_, q)| *q)
            .sum();
        *avail -= used;
    }
    result.unassigned = left.into_iter().filter(|(_, q)| !q.is_zero()).collect();
    tx.commit().await?;
    Ok(result)
}

/// (customer, origin-order rep): what one assignment order gathers.
type CustomerRep = (i64, Option<i64>);

/// Carries out a checked plan: receipt pieces per backorder, one new order per customer and
/// origin-order rep,
/// reservations on the received slots, backorders, receipt lines and origin orders updated.
async fn execute(
    tx: &WriteTx,
    p: &Principal,
    rec_lines: &[receipt_line::Model],
    backorders: &HashMap<i64, &backorder::Model>,
    origins: &HashMap<i64, sales_order::Model>,
    plan: &[(i64, Decimal)],
    result: &mut AssignmentResult,
) -> AppResult<()> {
    // Split each backorder's quantity over the receipt lines of its item, in line order.
    let mut rec_left: HashMap<i64, Decimal> = rec_lines
        .iter()
        .map(|l| (l.id, l.quantity.0 - l.assigned_quantity.0))
        .collect();
    let mut pieces: Vec<(i64, i64, Decimal)> = Vec::new(); // (backorder, receipt line, qty)
    for (b_id, qty) in plan {
        let b = backorders[b_id];
        let mut need = *qty;
        for l in rec_lines.iter().filter(|l| l.item_id == b.item_id) {
            let have = rec_left.get_mut(&l.id).expect("receipt line");
            let take = need.min(*have);
            if take > Decimal::ZERO {
                pieces.push((b.id, l.id, take));
                *have -= take;
                need -= take;
            }
        }
        debug_assert!(need.is_zero(), "plan checked against the receipt");
    }

    // Origin lines and items for the copied lines.
    let line_ids: Vec<i64> = plan
        .iter()
        .map(|(b, _)| backorders[b].order_line_id)
        .collect();
    let origin_lines: HashMap<i64, sales_order_line::Model> = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::Id.is_in(line_ids))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let item_ids: Vec<i64> = origin_lines.values().map(|l| l.item_id).collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids.clone()))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut slots: HashMap<i64, stock_level::Model> =
        stock::lock_slots(&**tx, p.company_id, &item_ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let rec_by_id: HashMap<i64, &receipt_line::Model> =
        rec_lines.iter().map(|l| (l.id, l)).collect();

    // One new order per customer and origin-order rep; its header (rep included) comes from
    // the group's oldest origin order. Grouping by rep too means no rep ever gains write access
    // to goods another rep's order brought (an order has one rep who may edit all its lines).
    let mut per_customer_rep: BTreeMap<CustomerRep, Vec<(i64, Decimal)>> = BTreeMap::new();
    for (b_id, qty) in plan {
        let b = backorders[b_id];
        per_customer_rep
            .entry((b.customer_id, origins[&b.order_id].sales_rep_id))
            .or_default()
            .push((*b_id, *qty));
    }
    let now = Utc::now();
    for (_, list) in per_customer_rep {
        let origin = list
            .iter()
            .map(|(b, _)| &origins[&backorders[b].order_id])
            .min_by_key(|o| o.id)
            .expect("non-empty");
        let copied: Vec<CopiedLine> = list
            .iter()
            .map(|(b, q)| {
                let ol = origin_lines[&backorders[b].order_line_id].clone();
                CopiedLine {
                    item: items[&ol.item_id].clone(),
                    origin: ol,
                    stock_quantity: *q,
                }
            })
            .collect();
        let (order, new_lines) = orders::create_for_backorders(tx, p, origin, &copied).await?;
        let mut reserved_json = Vec::new();
        for ((b_id, _), new_line) in list.iter().zip(&new_lines) {
            let b = backorders[b_id];
            for (_, rl_id, q) in pieces.iter().filter(|(pb, _, _)| pb == b_id) {
                let rl = rec_by_id[rl_id];
                let slot_id = rl.stock_level_id.ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!("receipt line without slot"))
                })?;
                let slot = slots
                    .get_mut(&slot_id)
                    .ok_or(AppError::NotFound("stock slot"))?;
                if !stock::move_slot(&**tx, slot, Decimal::ZERO, *q).await? {
                    return Err(AppError::InsufficientStock(format!(
                        "the received stock of slot {} was taken by other orders in the meantime",
                        slot_id
                    )));
                }
                reservation::ActiveModel {
                    company_id: Set(p.company_id),
                    order_id: Set(order.id),
                    order_line_id: Set(new_line.id),
                    item_id: Set(new_line.item_id),
                    stock_level_id: Set(slot.id),
                    warehouse_id: Set(slot.warehouse_id),
                    location: Set(slot.location.clone()),
                    lot: Set(slot.lot.clone()),
                    quantity: Set(Dec(*q)),
                    created_by: Set(p.key()),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&**tx)
                .await?;
                let a = backorder_assignment::ActiveModel {
                    company_id: Set(p.company_id),
                    receipt_id: Set(rl.receipt_id),
                    receipt_line_id: Set(rl.id),
                    backorder_id: Set(b.id),
                    origin_order_id: Set(b.order_id),
                    sales_order_id: Set(order.id),
                    sales_order_line_id: Set(new_line.id),
                    quantity: Set(Dec(*q)),
                    created_by: Set(p.key()),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&**tx)
                .await?;
                result.assignments.push(a);
                reserved_json.push(json!({"lineId": new_line.id, "quantity": q.to_string()}));
            }
        }
        order_rows::record_event(&**tx, &order, OrderEvent::Confirmed, None).await?;
        order_rows::record_event(
            &**tx,
            &order,
            OrderEvent::Reserved,
            Some(json!({ "lines": reserved_json })),
        )
        .await?;
        result.orders.push(order);
    }

    // Receipt lines and backorders.
    for l in rec_lines {
        let used: Decimal = pieces
            .iter()
            .filter(|(_, rl, _)| *rl == l.id)
            .map(|(_, _, q)| *q)
            .sum();
        if !used.is_zero() {
            let mut am = l.clone().into_active_model();
            am.assigned_quantity = Set(Dec(l.assigned_quantity.0 + used));
            am.update(&**tx).await?;
        }
    }
    let mut touched: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (b_id, q) in plan {
        let b = backorders[b_id];
        let open = b.open_quantity.0 - q;
        let mut am = (*b).clone().into_active_model();
        am.open_quantity = Set(Dec(open));
        am.status = Set(if open.is_zero() {
            BackorderStatus::Fulfilled
        } else {
            BackorderStatus::PartiallyFulfilled
        });
        am.updated_at = Set(now);
        am.update(&**tx).await?;
        touched.entry(b.order_id).or_default().push(b.id);
    }
    for (order_id, ids) in touched {
        refresh_origin(
            tx,
            origins[&order_id].clone(),
            OrderEvent::BackorderFulfilled,
            json!({ "backorderIds": ids }),
        )
        .await?;
    }
    Ok(())
}
