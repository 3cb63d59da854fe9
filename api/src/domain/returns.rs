//! Returns (R-RET-1): shipped goods received back into a warehouse on a return note numbered
//! in the order's `RETURN_NOTE` series, each line naming its order line, lot or serials. A
//! line never returns more than its order line shipped less what earlier returns took, per
//! lot too; the order's row lock serialises returns of one order, so two returns racing for
//! one shipped line cannot both take the last units. A return moves no billed quantity: a
//! `RETURN` credit note (R-INV-6, `invoices::credit`) credits what it brought back.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::outbox::OrderEvent;
use crate::domain::{Page, PageArgs, numbering, order_rows, page, rows, stock, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    Dec, DocStatus, DocType, Tracking, item, return_line, return_note, sales_order_line,
    shipment_line, warehouse,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// The most lines one return note takes.
pub const MAX_LINES: usize = 1000;

pub struct ReturnLineInput {
    pub order_line_id: i64,
    /// Stock units; the number of serials when serials are named.
    pub quantity: Option<Decimal>,
    pub lot: Option<String>,
    pub serials: Vec<String>,
}

pub struct NewReturn {
    pub order_id: i64,
    pub warehouse_id: i64,
    pub date: Option<NaiveDate>,
    pub reason: String,
    pub lines: Vec<ReturnLineInput>,
}

/// `createReturn`: receives shipped goods back (see the module).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewReturn,
) -> AppResult<return_note::Model> {
    visibility::require(p, Permission::ShipOrders)?;
    let reason = validate::required("reason", &input.reason, 500)?;
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(AppError::validation(
            "lines",
            format!("between 1 and {MAX_LINES} lines"),
        ));
    }
    let tx = db::write_tx(db).await?;
    let order = order_rows::lock_order(&tx, p, input.order_id).await?;
    if !matches!(
        order.status,
        DocStatus::PartiallyShipped | DocStatus::Shipped | DocStatus::Closed
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} order has shipped nothing to return",
            order.status
        )));
    }
    let wh = warehouse::Entity::find_by_id(input.warehouse_id)
        .filter(warehouse::Column::CompanyId.eq(order.company_id))
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::validation("warehouseId", "no such warehouse"))?;
    let line_ids: Vec<i64> = input.lines.iter().map(|l| l.order_line_id).collect();
    let lines: HashMap<i64, sales_order_line::Model> = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order.id))
        .filter(sales_order_line::Column::Id.is_in(line_ids.clone()))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(lines.values().map(|l| l.item_id)))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    // What may still come back, per (order line, lot): shipped less returned.
    let mut open: HashMap<(i64, String), Decimal> = HashMap::new();
    for s in shipment_line::Entity::find()
        .filter(shipment_line::Column::OrderLineId.is_in(line_ids.clone()))
        .filter(
            shipment_line::Column::ShipmentId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::shipment::Column::Id)
                    .from(entity::shipment::Entity)
                    .and_where(entity::shipment::Column::Status.eq(entity::ShipmentStatus::Shipped))
                    .and_where(entity::shipment::Column::OrderId.eq(order.id))
                    .to_owned(),
            ),
        )
        .all(&*tx)
        .await?
    {
        *open.entry((s.order_line_id, s.lot)).or_default() += s.quantity.0;
    }
    for r in returned_of(&*tx, &line_ids).await? {
        *open.entry((r.order_line_id, r.lot)).or_default() -= r.quantity.0;
    }
    // The planned lines: (order line, item, lot, quantity), in input order.
    let mut planned: Vec<(i64, i64, String, Decimal)> = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let f = |n: &str| format!("lines.{i}.{n}");
        let line = lines.get(&l.order_line_id).ok_or_else(|| {
            AppError::validation(f("orderLineId"), "no line with this id on the order")
        })?;
        let item = items.get(&line.item_id).ok_or(AppError::NotFound("item"))?;
        let serials: Vec<String> = l.serials.iter().map(|s| s.trim().to_owned()).collect();
        let lots: Vec<(String, Decimal)> = match item.tracking {
            Tracking::Serial => {
                if serials.is_empty()
                    || l.quantity
                        .is_some_and(|q| q != Decimal::from(serials.len()))
                {
                    return Err(AppError::validation(
                        f("serials"),
                        "name one serial per unit returned (R-ITEM-4)",
                    ));
                }
                serials.into_iter().map(|s| (s, Decimal::ONE)).collect()
            }
            tracking => {
                let q = validate::positive(
                    &f("quantity"),
                    l.quantity
                        .ok_or_else(|| AppError::validation(f("quantity"), "required"))?,
                )?;
                let lot = l.lot.as_deref().map(str::trim).unwrap_or_default();
                if tracking == Tracking::Lot && lot.is_empty() {
                    return Err(AppError::validation(f("lot"), "name the lot returned"));
                }
                vec![(lot.to_owned(), q)]
            }
        };
        for (lot, q) in lots {
            let left = open.entry((line.id, lot.clone())).or_default();
            if q > *left {
                return Err(AppError::validation(
                    f("quantity"),
                    format!(
                        "line {} ({}{}): {} shipped and not yet returned",
                        line.position,
                        item.sku,
                        if lot.is_empty() {
                            String::new()
                        } else {
                            format!(", lot {lot}")
                        },
                        Dec::canonical((*left).max(Decimal::ZERO))
                    ),
                ));
            }
            *left -= q;
            planned.push((line.id, item.id, lot, q));
        }
    }
    let number = numbering::next(&tx, order.company_id, &order.series, DocType::ReturnNote).await?;
    let now = Utc::now();
    let note = return_note::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        customer_id: Set(order.customer_id),
        warehouse_id: Set(wh.id),
        series: Set(order.series.clone()),
        number: Set(number),
        return_date: Set(input.date.unwrap_or(now.date_naive())),
        reason: Set(reason.clone()),
        created_by: Set(p.key()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    // Slots are opened in a fixed order (item, lot) against deadlocks, as receipts do.
    let mut into_slots: BTreeMap<(i64, String), Decimal> = BTreeMap::new();
    for (_, item_id, lot, q) in &planned {
        *into_slots.entry((*item_id, lot.clone())).or_default() += q;
    }
    let journal = format!("return note {}-{}", note.series, note.number);
    let mut slot_of: HashMap<(i64, String), i64> = HashMap::new();
    for ((item_id, lot), q) in &into_slots {
        let mut slot = stock::open_slot(&*tx, order.company_id, *item_id, wh.id, "", lot).await?;
        if !stock::move_slot(&*tx, &mut slot, *q, Decimal::ZERO).await? {
            return Err(AppError::internal(anyhow::anyhow!(
                "returning into slot {} failed",
                slot.id
            )));
        }
        stock::journal(&*tx, p, slot.id, *q, journal.clone()).await?;
        slot_of.insert((*item_id, lot.clone()), slot.id);
    }
    return_line::Entity::insert_many(planned.iter().map(|(line, item_id, lot, q)| {
        return_line::ActiveModel {
            company_id: Set(order.company_id),
            return_id: Set(note.id),
            order_line_id: Set(*line),
            item_id: Set(*item_id),
            stock_level_id: Set(slot_of[&(*item_id, lot.clone())]),
            lot: Set(lot.clone()),
            quantity: Set(Dec(*q)),
            credited_quantity: Set(Dec::ZERO),
            ..Default::default()
        }
    }))
    .exec_without_returning(&*tx)
    .await?;
    let payload = json!({
        "returnId": note.id,
        "number": format!("{}-{}", note.series, note.number),
        "warehouseId": wh.id,
        "reason": reason,
        "lines": planned.iter().map(|(l, _, lot, q)| json!({"lineId": l, "lot": lot, "quantity": Dec::canonical(*q).to_string()})).collect::<Vec<_>>(),
    });
    order_rows::record_event(&*tx, &order, OrderEvent::Returned, Some(payload)).await?;
    tx.commit().await?;
    Ok(note)
}

/// Every return line of these order lines.
pub(crate) async fn returned_of<C: ConnectionTrait>(
    db: &C,
    order_line_ids: &[i64],
) -> AppResult<Vec<return_line::Model>> {
    Ok(return_line::Entity::find()
        .filter(return_line::Column::OrderLineId.is_in(order_line_ids.iter().copied()))
        .order_by_asc(return_line::Column::Id)
        .all(db)
        .await?)
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<return_note::Model> {
    visibility::require(p, Permission::ReadOrders)?;
    return_note::Entity::find_by_id(id)
        .filter(visibility::return_notes(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("return note"))
}

/// Return notes the caller sees, newest first; of one order when `order_id` is given.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: Option<i64>,
    args: &PageArgs,
) -> AppResult<Page<return_note::Model>> {
    visibility::require(p, Permission::ReadOrders)?;
    let mut q = return_note::Entity::find().filter(visibility::return_notes(p));
    if let Some(o) = order_id {
        q = q.filter(return_note::Column::OrderId.eq(o));
    }
    page::fetch_newest_first(db, q, return_note::Column::Id, args).await
}

/// The lines of these return notes, per note.
pub async fn lines_by_returns(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<return_line::Model>>> {
    rows::children::<return_line::Entity, _>(
        db,
        return_line::Column::ReturnId,
        ids,
        return_line::Column::Id,
        |l| l.return_id,
    )
    .await
}
