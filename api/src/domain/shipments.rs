//! Shipping: a numbered delivery note that consumes the order's reservations, lowers on-hand
//! and moves the order to PARTIALLY_SHIPPED or SHIPPED (R-RES-3, R-ORD-17). Refused while the
//! order is on credit hold (R-ORD-9).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::order_rows;
use crate::domain::outbox::{self, OrderEvent};
use crate::domain::quantities::{self, SlotView};
use crate::domain::setup_cache;
use crate::domain::stock_moves::SlotMoves;
use crate::domain::{Page, PageArgs, numbering, page, reservations, rows, stock};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    Dec, DocStatus, DocType, ShipmentStatus, Tracking, reservation, sales_order, sales_order_line,
    shipment, shipment_line,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set,
};
use serde_json::json;
use std::collections::HashMap;

pub struct ShipLine {
    pub line_id: i64,
    /// Stock units; defaults to what the line has reserved (or the number of serials).
    pub quantity: Option<Decimal>,
    /// Ship only from this lot.
    pub lot: Option<String>,
    /// Serial-tracked items: the serials leaving (each a lot of quantity 1, R-ITEM-4).
    pub serials: Vec<String>,
}

/// Opens an order for shipping (by `shipSalesOrder` or `createShipment`): the order locked,
/// shippable (confirmed or partly shipped, not on credit hold, no shipment being prepared),
/// its lines' states, and the lines asked for — every reserved line when `lines` is `None`.
pub(crate) async fn open(
    tx: &DatabaseTransaction,
    p: &Principal,
    order_id: i64,
    lines: Option<Vec<ShipLine>>,
) -> AppResult<(
    sales_order::Model,
    Vec<reservations::LineState>,
    Vec<ShipLine>,
)> {
    visibility::require(p, Permission::ShipOrders)?;
    // An intercompany order ships under its chain's lock order: the original first (R-IC-3).
    crate::domain::intercompany::posting::lock_original_of(tx, order_id).await?;
    let order = order_rows::lock_order(tx, p, order_id).await?;
    if !matches!(
        order.status,
        DocStatus::Confirmed | DocStatus::PartiallyShipped
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} order cannot be shipped",
            order.status
        )));
    }
    reservations::may_take_stock(&order)?;
    crate::domain::shipment_preparation::none_preparing(tx, order.id).await?;
    let states = reservations::line_states(tx, order.id).await?;
    let requests: Vec<ShipLine> = match lines {
        Some(l) if l.is_empty() || l.len() > 1000 => {
            return Err(AppError::validation("lines", "name 1 to 1000 lines"));
        }
        Some(l) => l,
        None => states
            .iter()
            .filter(|s| !s.progress.reserved.is_zero())
            .map(|s| ShipLine {
                line_id: s.line.id,
                quantity: Some(s.progress.reserved),
                lot: None,
                serials: vec![],
            })
            .collect(),
    };
    Ok((order, states, requests))
}

/// Request `i` read against the order's lines: its line's state, the quantity (the serials
/// named, or what the line has reserved when none is given) and which lots may leave (the
/// serials named, the lot named, or any).
pub(crate) fn requested<'a>(
    states: &'a [reservations::LineState],
    i: usize,
    req: &ShipLine,
) -> AppResult<(&'a reservations::LineState, Decimal, Option<Vec<String>>)> {
    let f = |n: &str| format!("lines.{i}.{n}");
    let s = states
        .iter()
        .find(|s| s.line.id == req.line_id)
        .ok_or_else(|| {
            AppError::validation(f("lineId"), "no stocked line with this id on the order")
        })?;
    let serials: Vec<String> = req.serials.iter().map(|x| x.trim().to_owned()).collect();
    if s.item.tracking == Tracking::Serial
        && !serials.is_empty()
        && req
            .quantity
            .is_some_and(|q| q != Decimal::from(serials.len()))
    {
        return Err(AppError::validation(
            f("serials"),
            "one serial per unit (R-ITEM-4)",
        ));
    }
    let quantity = match req.quantity {
        Some(q) => crate::domain::validate::positive(&f("quantity"), q)?,
        None if !serials.is_empty() => Decimal::from(serials.len()),
        None => s.progress.reserved,
    };
    let lots = if !serials.is_empty() {
        Some(serials)
    } else {
        req.lot.as_ref().map(|l| vec![l.trim().to_owned()])
    };
    Ok((s, quantity, lots))
}

/// `shipSalesOrder`: ships the given lines (all reserved stock when `lines` is `None`). Each
/// line takes its own reservations first (of the lot or serials named), then available stock
/// the same way confirmation reserves (R-BO-1 order); never more than the line still needs.
pub async fn ship(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    lines: Option<Vec<ShipLine>>,
) -> AppResult<shipment::Model> {
    let tx = db::write_tx(db).await?;
    let (order, states, requests) = open(&tx, p, order_id, lines).await?;
    if requests.is_empty() {
        return Err(AppError::validation(
            "lines",
            "nothing is reserved on this order: name the lines to ship",
        ));
    }
    let mut item_ids: Vec<i64> = states.iter().map(|s| s.item.id).collect();
    item_ids.sort_unstable();
    item_ids.dedup();
    let mut slots = SlotMoves::new(stock::lock_slots(&*tx, order.company_id, &item_ids).await?);
    let setup = setup_cache::of(&*tx, order.company_id).await?;
    let priorities = &setup.warehouse_priorities;

    // Plan every move in memory against the locked slots; write them together below.
    let now = Utc::now();
    let mut note_lines = Vec::new();
    let mut consumed: Vec<(&reservation::Model, Decimal)> = Vec::new();
    let mut shipped_per_line: HashMap<i64, Decimal> = HashMap::new();
    for (i, req) in requests.iter().enumerate() {
        let f = |n: &str| format!("lines.{i}.{n}");
        let (s, quantity, lots) = requested(&states, i, req)?;
        // R-IC-3: a line may ship beyond its quantity by its over-delivery percentage.
        let over = s.progress.ordered * s.line.over_delivery_percent.0 / Decimal::ONE_HUNDRED;
        let room = s.progress.reserved + s.progress.need() + over
            - shipped_per_line
                .get(&s.line.id)
                .copied()
                .unwrap_or_default();
        if quantity > room {
            return Err(AppError::validation(
                f("quantity"),
                format!(
                    "the line has {} left to ship{}",
                    room.normalize(),
                    if over.is_zero() {
                        String::new()
                    } else {
                        format!(
                            ", its over-delivery tolerance of {}% included",
                            s.line.over_delivery_percent.0.normalize()
                        )
                    }
                ),
            ));
        }
        let allowed = |lot: &str| lots.as_ref().is_none_or(|ls| ls.iter().any(|l| l == lot));
        let mut left = quantity;
        // 1. The line's own reservations, oldest first (what earlier requests of this shipment
        //    left of them).
        for r in &s.reservations {
            let already: Decimal = consumed
                .iter()
                .filter(|(c, _)| c.id == r.id)
                .map(|(_, q)| *q)
                .sum();
            if left.is_zero() {
                break;
            }
            if !allowed(&r.lot) || already >= r.quantity.0 {
                continue;
            }
            let take = left.min(r.quantity.0 - already);
            if !slots.add_journaled(r.stock_level_id, -take, -take, "")? {
                return Err(AppError::internal(anyhow::anyhow!(
                    "slot {} below its reservations",
                    r.stock_level_id
                )));
            }
            consumed.push((r, take));
            note_lines.push((s.line.id, s.item.id, r.stock_level_id, take));
            left -= take;
        }
        // 2. Available stock, as confirmation would reserve it.
        if left > Decimal::ZERO {
            let views: Vec<SlotView> = slots
                .slots()
                .filter(|sl| sl.item_id == s.item.id && allowed(&sl.lot))
                .map(|sl| SlotView {
                    id: sl.id,
                    warehouse_priority: priorities.get(&sl.warehouse_id).copied().unwrap_or(0),
                    warehouse_id: sl.warehouse_id,
                    lot: sl.lot.clone(),
                    available: sl.on_hand.0 - sl.reserved.0,
                })
                .collect();
            for (slot_id, take) in quantities::plan(left, &views, s.line.lot.as_deref()) {
                if !slots.add_journaled(slot_id, -take, Decimal::ZERO, "")? {
                    return Err(AppError::InsufficientStock(
                        "stock moved while shipping; try again".into(),
                    ));
                }
                note_lines.push((s.line.id, s.item.id, slot_id, take));
                left -= take;
            }
        }
        if left > Decimal::ZERO {
            return Err(AppError::InsufficientStock(format!(
                "line {} ({}): {left} more than is reserved or available{}",
                s.line.position,
                s.item.sku,
                if lots.is_some() {
                    " in the lots named"
                } else {
                    ""
                }
            )));
        }
        *shipped_per_line.entry(s.line.id).or_default() += quantity;
    }

    let number =
        numbering::next(&tx, order.company_id, &order.series, DocType::DeliveryNote).await?;
    let note = shipment::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        series: Set(order.series.clone()),
        number: Set(number),
        shipped_on: Set(now.date_naive()),
        status: Set(ShipmentStatus::Shipped),
        created_by: Set(p.key()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    slots.set_reason(&format!("delivery note {}-{}", note.series, note.number));
    let mut stock_events = outbox::Batch::default();
    if !slots.apply(&*tx, p, &mut stock_events).await? {
        return Err(AppError::InsufficientStock(
            "stock moved while shipping; try again".into(),
        ));
    }
    shipment_line::Entity::insert_many(note_lines.iter().map(|(line_id, item_id, slot, q)| {
        let slot = slots.get(*slot).expect("planned slot");
        shipment_line::ActiveModel {
            company_id: Set(order.company_id),
            shipment_id: Set(note.id),
            order_line_id: Set(*line_id),
            item_id: Set(*item_id),
            warehouse_id: Set(slot.warehouse_id),
            location: Set(slot.location.clone()),
            lot: Set(slot.lot.clone()),
            quantity: Set(Dec(*q)),
            ..Default::default()
        }
    }))
    .exec_without_returning(&*tx)
    .await?;
    reservations::shrink_many(&tx, &consumed).await?;
    record_shipped(&tx, order, &states, &shipped_per_line, &note, stock_events).await?;
    tx.commit().await?;
    Ok(note)
}

/// What a delivery note that left stock does to its order: the lines' shipped quantities, the
/// order's status (R-ORD-17), the agreement lines' fulfilment (R-AGR-1) and the SHIPPED event
/// with the stock events gathered. `states` are the lines as read before the note.
pub(crate) async fn record_shipped(
    tx: &DatabaseTransaction,
    order: sales_order::Model,
    states: &[reservations::LineState],
    shipped_per_line: &HashMap<i64, Decimal>,
    note: &shipment::Model,
    stock_events: outbox::Batch,
) -> AppResult<()> {
    let mut progress = Vec::with_capacity(states.len());
    let mut shipped_lines = Vec::with_capacity(shipped_per_line.len());
    let mut closed = Vec::new();
    for s in states {
        let mut pr = s.progress;
        if let Some(q) = shipped_per_line.get(&s.line.id) {
            let mut line = s.line.clone();
            line.shipped_quantity = Dec(Dec::canonical(line.shipped_quantity.0 + q));
            pr.shipped += q;
            pr.reserved = (pr.reserved - q).max(Decimal::ZERO);
            // R-IC-3: short of its quantity but within its under-delivery tolerance, and
            // waiting for nothing else, the line is closed: the rest will not be delivered.
            let short = pr.outstanding();
            let floor = pr.ordered * (Decimal::ONE_HUNDRED - line.under_delivery_percent.0)
                / Decimal::ONE_HUNDRED;
            if short > Decimal::ZERO
                && !line.under_delivery_percent.0.is_zero()
                && pr.backordered.is_zero()
                && pr.shipped + pr.handed_over >= floor
            {
                line.closed_quantity = Dec(Dec::canonical(line.closed_quantity.0 + short));
                pr.handed_over += short;
                closed.push((line.id, line.closed_quantity));
            }
            shipped_lines.push(line);
        }
        progress.push(pr);
    }
    rows::set_each::<sales_order_line::Entity, _, _>(
        tx,
        sales_order_line::Column::Id,
        sales_order_line::Column::ClosedQuantity,
        closed.iter().copied(),
    )
    .await?;
    rows::set_each::<sales_order_line::Entity, _, _>(
        tx,
        sales_order_line::Column::Id,
        sales_order_line::Column::ShippedQuantity,
        shipped_lines.iter().map(|l| (l.id, l.shipped_quantity)),
    )
    .await?;
    // R-IC-4: an intercompany order's shipment posts the buyer's documents (boxed: posting
    // records the original's shipment through this same function).
    Box::pin(crate::domain::intercompany::posting::after_shipped(
        tx,
        &order,
        note,
        shipped_per_line,
    ))
    .await?;
    let status = quantities::status_after(&progress);
    let payload = json!({
        "shipmentId": note.id,
        "number": format!("{}-{}", note.series, note.number),
        "lines": shipped_per_line.iter().map(|(l, q)| json!({"lineId": l, "quantity": q.to_string()})).collect::<Vec<_>>(),
    });
    order_rows::track_agreements(tx, &order, &shipped_lines, None, None).await?;
    if !closed.is_empty() {
        // What the closed lines still held in reservations goes back to stock (R-RES-3).
        let ids: Vec<i64> = closed.iter().map(|(id, _)| *id).collect();
        reservations::trim(tx, &order, Some(&ids)).await?;
    }
    order_rows::save_progress_with(
        tx,
        order,
        status,
        vec![(OrderEvent::Shipped, Some(payload))],
        stock_events,
    )
    .await?;
    Ok(())
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<shipment::Model> {
    visibility::require(p, Permission::ReadOrders)?;
    shipment::Entity::find_by_id(id)
        .filter(visibility::shipments(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("shipment"))
}

/// Delivery notes of orders the caller sees, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: Option<i64>,
    args: &PageArgs,
) -> AppResult<Page<shipment::Model>> {
    visibility::require(p, Permission::ReadOrders)?;
    let mut q = shipment::Entity::find().filter(visibility::shipments(p));
    if let Some(id) = order_id {
        q = q.filter(shipment::Column::OrderId.eq(id));
    }
    page::fetch_newest_first(db, q, shipment::Column::Id, args).await
}

pub async fn by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<shipment::Model>>> {
    rows::children::<shipment::Entity, _>(
        db,
        shipment::Column::OrderId,
        ids,
        shipment::Column::Id,
        |s| s.order_id,
    )
    .await
}

pub async fn lines_by_shipments(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<shipment_line::Model>>> {
    rows::children::<shipment_line::Entity, _>(
        db,
        shipment_line::Column::ShipmentId,
        ids,
        shipment_line::Column::Id,
        |l| l.shipment_id,
    )
    .await
}
