//! Shipments in preparation (R-ORD-16). `createShipment` makes a numbered delivery note
//! `PREPARING` whose lines earmark reservations of the order — nothing leaves stock;
//! `confirmShipment` ships it (the earmarked reservations are consumed, on-hand drops, the
//! order moves to PARTIALLY_SHIPPED or SHIPPED); `cancelShipment` lets the reservations go
//! back to the order, free for another shipment. While a shipment of an order is PREPARING,
//! the order's lines cannot change, its reservations cannot be released, it cannot be
//! cancelled and nothing else ships from it: what the warehouse picks is what leaves.
//!
//! Only reserved stock is prepared (reserve first, or use `shipSalesOrder`, which ships from
//! reservations and available stock in one call). The order's row lock serialises every path
//! that touches its shipments and reservations.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::outbox::{self, OrderEvent};
use crate::domain::shipments::{self, ShipLine};
use crate::domain::stock_moves::SlotMoves;
use crate::domain::{numbering, order_rows, reservations, stock};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{Dec, DocType, ShipmentStatus, reservation, shipment, shipment_line};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::HashMap;

/// INVALID_STATE while a shipment of the order is being prepared.
pub(crate) async fn none_preparing<C: ConnectionTrait>(db: &C, order_id: i64) -> AppResult<()> {
    if let Some(s) = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order_id))
        .filter(shipment::Column::Status.eq(ShipmentStatus::Preparing))
        .one(db)
        .await?
    {
        return Err(AppError::InvalidState(format!(
            "delivery note {}-{} is being prepared: confirm or cancel it first (R-ORD-16)",
            s.series, s.number
        )));
    }
    Ok(())
}

/// `createShipment`: a PREPARING delivery note of the given lines (every reserved line when
/// `None`), each earmarking the line's reservations of the lot or serials named.
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    lines: Option<Vec<ShipLine>>,
) -> AppResult<shipment::Model> {
    let tx = db::write_tx(db).await?;
    let (order, states, requests) = shipments::open(&tx, p, order_id, lines).await?;
    if requests.is_empty() {
        return Err(AppError::validation(
            "lines",
            "nothing is reserved on this order: reserve stock before preparing a shipment",
        ));
    }
    let mut earmarked: Vec<(&reservation::Model, Decimal)> = Vec::new();
    for (i, req) in requests.iter().enumerate() {
        let f = |n: &str| format!("lines.{i}.{n}");
        let (s, quantity, lots) = shipments::requested(&states, i, req)?;
        let allowed = |lot: &str| lots.as_ref().is_none_or(|ls| ls.iter().any(|l| l == lot));
        let mut left = quantity;
        for r in &s.reservations {
            if left.is_zero() {
                break;
            }
            let already: Decimal = earmarked
                .iter()
                .filter(|(e, _)| e.id == r.id)
                .map(|(_, q)| *q)
                .sum();
            if !allowed(&r.lot) || already >= r.quantity.0 {
                continue;
            }
            let take = left.min(r.quantity.0 - already);
            earmarked.push((r, take));
            left -= take;
        }
        if left > Decimal::ZERO {
            return Err(AppError::validation(
                f("quantity"),
                format!(
                    "line {} ({}): {} more than is reserved{}; reserve it first",
                    s.line.position,
                    s.item.sku,
                    Dec::canonical(left),
                    if lots.is_some() {
                        " in the lots named"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    let now = Utc::now();
    let number =
        numbering::next(&tx, order.company_id, &order.series, DocType::DeliveryNote).await?;
    let note = shipment::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        series: Set(order.series.clone()),
        number: Set(number),
        shipped_on: Set(now.date_naive()),
        status: Set(ShipmentStatus::Preparing),
        created_by: Set(p.key()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    shipment_line::Entity::insert_many(earmarked.iter().map(|(r, q)| shipment_line::ActiveModel {
        company_id: Set(order.company_id),
        shipment_id: Set(note.id),
        order_line_id: Set(r.order_line_id),
        item_id: Set(r.item_id),
        warehouse_id: Set(r.warehouse_id),
        location: Set(r.location.clone()),
        lot: Set(r.lot.clone()),
        quantity: Set(Dec(Dec::canonical(*q))),
        reservation_id: Set(Some(r.id)),
        ..Default::default()
    }))
    .exec_without_returning(&*tx)
    .await?;
    let payload = json!({
        "shipmentId": note.id,
        "number": format!("{}-{}", note.series, note.number),
    });
    order_rows::record_event(&*tx, &order, OrderEvent::ShipmentPrepared, Some(payload)).await?;
    tx.commit().await?;
    Ok(note)
}

/// The shipment `id` the caller sees, with its order locked first and the shipment read again
/// under that lock; INVALID_STATE unless PREPARING.
async fn lock_preparing(
    tx: &DatabaseTransaction,
    p: &Principal,
    id: i64,
) -> AppResult<(entity::sales_order::Model, shipment::Model)> {
    visibility::require(p, Permission::ShipOrders)?;
    let seen = shipment::Entity::find_by_id(id)
        .filter(visibility::shipments(p))
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("shipment"))?;
    let order = order_rows::lock_order(tx, p, seen.order_id).await?;
    let note = shipment::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("shipment"))?;
    if note.status != ShipmentStatus::Preparing {
        return Err(AppError::InvalidState(format!(
            "delivery note {}-{} is {:?}, not being prepared",
            note.series, note.number, note.status
        )));
    }
    Ok((order, note))
}

/// `confirmShipment`: the prepared goods leave — each line consumes the reservation it
/// earmarked, on-hand drops, and the order moves on as `shipSalesOrder` would move it.
pub async fn confirm(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<shipment::Model> {
    let tx = db::write_tx(db).await?;
    if let Some(s) = shipment::Entity::find_by_id(id).one(&*tx).await? {
        // The chain's lock order: an intercompany order's original first (R-IC-3).
        crate::domain::intercompany::posting::lock_original_of(&tx, s.order_id).await?;
    }
    let (order, note) = lock_preparing(&tx, p, id).await?;
    reservations::may_take_stock(&order)?;
    let lines = shipment_line::Entity::find()
        .filter(shipment_line::Column::ShipmentId.eq(note.id))
        .order_by_asc(shipment_line::Column::Id)
        .all(&*tx)
        .await?;
    let states = reservations::line_states(&*tx, order.id).await?;
    let reservations: HashMap<i64, &reservation::Model> = states
        .iter()
        .flat_map(|s| s.reservations.iter())
        .map(|r| (r.id, r))
        .collect();
    let mut item_ids: Vec<i64> = lines.iter().map(|l| l.item_id).collect();
    item_ids.sort_unstable();
    item_ids.dedup();
    let mut slots = SlotMoves::new(stock::lock_slots(&*tx, order.company_id, &item_ids).await?);
    let mut consumed: Vec<(&reservation::Model, Decimal)> = Vec::new();
    let mut shipped_per_line: HashMap<i64, Decimal> = HashMap::new();
    for l in &lines {
        let r = l
            .reservation_id
            .and_then(|id| reservations.get(&id))
            .filter(|r| r.quantity.0 >= l.quantity.0)
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!(
                    "shipment {} line {}: its earmarked reservation is gone",
                    note.id,
                    l.id
                ))
            })?;
        if !slots.add_journaled(r.stock_level_id, -l.quantity.0, -l.quantity.0, "")? {
            return Err(AppError::internal(anyhow::anyhow!(
                "slot {} below its reservations",
                r.stock_level_id
            )));
        }
        consumed.push((r, l.quantity.0));
        *shipped_per_line.entry(l.order_line_id).or_default() += l.quantity.0;
    }
    slots.set_reason(&format!("delivery note {}-{}", note.series, note.number));
    let mut stock_events = outbox::Batch::default();
    if !slots.apply(&*tx, p, &mut stock_events).await? {
        return Err(AppError::InsufficientStock(
            "stock moved while shipping; try again".into(),
        ));
    }
    reservations::shrink_many(&tx, &consumed).await?;
    let mut am = note.clone().into_active_model();
    am.status = Set(ShipmentStatus::Shipped);
    am.shipped_on = Set(Utc::now().date_naive());
    let note = am.update(&*tx).await?;
    shipments::record_shipped(&tx, order, &states, &shipped_per_line, &note, stock_events).await?;
    tx.commit().await?;
    Ok(note)
}

/// `cancelShipment`: the prepared delivery note is cancelled (its number kept, the series
/// stays gapless); the reservations it earmarked stay the order's.
pub async fn cancel(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<shipment::Model> {
    let tx = db::write_tx(db).await?;
    let (order, note) = lock_preparing(&tx, p, id).await?;
    let mut am = note.into_active_model();
    am.status = Set(ShipmentStatus::Cancelled);
    let note = am.update(&*tx).await?;
    let payload = json!({
        "shipmentId": note.id,
        "number": format!("{}-{}", note.series, note.number),
    });
    order_rows::record_event(&*tx, &order, OrderEvent::ShipmentCancelled, Some(payload)).await?;
    tx.commit().await?;
    Ok(note)
}
