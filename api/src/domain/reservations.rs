//! Reservations (R-RES-1…3) and confirmation with stock (R-BO-1).
//!
//! A reservation names one stock slot (warehouse, location, lot) and holds a quantity of it for
//! one order line, in stock units. Stock moves only through `stock::move_slot`, one conditional
//! statement, so `0 ≤ reserved ≤ on_hand` holds whatever the concurrency (R-STK-1). Slots are
//! locked in id order and orders before slots, so transactions that touch several never
//! deadlock one another.
use crate::auth::{Permission, Principal, visibility};
use crate::db::{self, Template};
use crate::domain::order_rows;
use crate::domain::outbox::{self, OrderEvent};
use crate::domain::quantities::{self, LineProgress, SlotView};
use crate::domain::setup_cache::{self, Setup};
use crate::domain::stock_moves::SlotMoves;
use crate::domain::{rows, stock, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    BackorderStatus, Dec, DocStatus, ItemKind, backorder, item, reservation, sales_order,
    sales_order_line, stock_level, warehouse,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{DynIden, Expr, ExprTrait, IntoIden, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, FromQueryResult, IntoActiveModel, JoinType, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// `reserveStock`: one slot, one line, a quantity in stock units.
pub struct ReserveInput {
    pub order_line_id: i64,
    pub warehouse_id: i64,
    pub location: Option<String>,
    pub lot: Option<String>,
    pub quantity: Decimal,
}

/// What confirmation (or `reserveSalesOrder`) did for one line, in stock units.
#[derive(Clone, Debug)]
pub struct LineOutcome {
    pub line_id: i64,
    pub item_id: i64,
    pub reserved: Decimal,
    pub backordered: Decimal,
}

/// One stocked line with everything that says where it stands.
pub(crate) struct LineState {
    pub line: sales_order_line::Model,
    pub item: item::Model,
    pub progress: LineProgress,
    pub reservations: Vec<reservation::Model>,
    pub backorders: Vec<backorder::Model>,
}

/// An order's lines (in line order) and their items: what confirmation, reservation and
/// shipping start from. One statement, which also says whether the order holds any
/// reservation or backorder (a draft being confirmed mostly holds neither, and then
/// [`OrderLines::states`] reads nothing more).
pub(crate) struct OrderLines {
    pub lines: Vec<sales_order_line::Model>,
    pub items: HashMap<i64, item::Model>,
    has_reservations: bool,
    has_backorders: bool,
}

/// The order's lines with their items, and whether it has reservations or backorders (built
/// once: see `db::template`).
fn lines_query([order_id]: [i64; 1]) -> SelectStatement {
    let any = |table: DynIden, column: DynIden| {
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(table.clone())
                .and_where(Expr::col((table, column)).eq(order_id))
                .to_owned(),
        )
    };
    // Each line with its item (an inner join: items are never deleted while referenced).
    sales_order_line::Entity::find()
        .select_also(item::Entity)
        .join(
            JoinType::InnerJoin,
            sales_order_line::Entity::belongs_to(item::Entity)
                .from(sales_order_line::Column::ItemId)
                .to(item::Column::Id)
                .into(),
        )
        .expr_as(
            any(
                reservation::Entity.into_iden(),
                reservation::Column::OrderId.into_iden(),
            ),
            "has_reservations",
        )
        .expr_as(
            any(
                backorder::Entity.into_iden(),
                backorder::Column::OrderId.into_iden(),
            ),
            "has_backorders",
        )
        .filter(sales_order_line::Column::OrderId.eq(order_id))
        .order_by_asc(sales_order_line::Column::Position)
        .order_by_asc(sales_order_line::Column::Id)
        .into_query()
}

impl OrderLines {
    pub async fn read<C: ConnectionTrait>(c: &C, order_id: i64) -> AppResult<OrderLines> {
        static QUERY: LazyLock<Template<1>> = LazyLock::new(Template::new);
        let statement = QUERY.statement(c.get_database_backend(), 0, [order_id], lines_query);
        let rows = c.query_all_raw(statement).await?;
        let mut out = OrderLines {
            lines: Vec::with_capacity(rows.len()),
            items: HashMap::new(),
            has_reservations: false,
            has_backorders: false,
        };
        for row in rows {
            out.lines
                .push(sales_order_line::Model::from_query_result(&row, "A_")?);
            let item = item::Model::from_query_result(&row, "B_")?;
            out.items.entry(item.id).or_insert(item);
            out.has_reservations = row.try_get("", "has_reservations")?;
            out.has_backorders = row.try_get("", "has_backorders")?;
        }
        Ok(out)
    }

    /// The stocked lines (kit parents and non-stocked lines move no stock) with their
    /// reservations and backorders, in line order: a statement for each of the two the order
    /// holds any of.
    pub async fn states<C: ConnectionTrait>(
        self,
        c: &C,
        order_id: i64,
    ) -> AppResult<Vec<LineState>> {
        let OrderLines {
            lines,
            items,
            has_reservations,
            has_backorders,
        } = self;
        let mut reservations = if has_reservations {
            by_order(c, order_id).await?
        } else {
            HashMap::new()
        };
        let mut backorders: HashMap<i64, Vec<backorder::Model>> = HashMap::new();
        if has_backorders {
            for b in backorder::Entity::find()
                .filter(backorder::Column::OrderId.eq(order_id))
                .order_by_asc(backorder::Column::Id)
                .all(c)
                .await?
            {
                backorders.entry(b.order_line_id).or_default().push(b);
            }
        }
        Ok(lines
            .into_iter()
            .filter_map(|line| {
                let item = items.get(&line.item_id)?.clone();
                if item.kind != ItemKind::Stocked {
                    return None;
                }
                let reservations = reservations.remove(&line.id).unwrap_or_default();
                let backorders = backorders.remove(&line.id).unwrap_or_default();
                let mut progress = LineProgress {
                    ordered: quantities::stock_quantity(&line, &item),
                    shipped: line.shipped_quantity.0,
                    reserved: reservations.iter().map(|r| r.quantity.0).sum(),
                    // Closed short within its tolerance: will not be delivered (R-IC-3).
                    handed_over: line.closed_quantity.0,
                    ..Default::default()
                };
                for b in &backorders {
                    progress.add_backorder(b);
                }
                Some(LineState {
                    line,
                    item,
                    progress,
                    reservations,
                    backorders,
                })
            })
            .collect())
    }
}

/// The stocked lines of an order with their reservations and backorders, in line order
/// ([`OrderLines::states`]). One to three statements.
pub(crate) async fn line_states<C: ConnectionTrait>(
    c: &C,
    order_id: i64,
) -> AppResult<Vec<LineState>> {
    OrderLines::read(c, order_id)
        .await?
        .states(c, order_id)
        .await
}

async fn by_order<C: ConnectionTrait>(
    c: &C,
    order_id: i64,
) -> AppResult<HashMap<i64, Vec<reservation::Model>>> {
    let mut out: HashMap<i64, Vec<reservation::Model>> = HashMap::new();
    for r in reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(order_id))
        .order_by_asc(reservation::Column::Id)
        .all(c)
        .await?
    {
        out.entry(r.order_line_id).or_default().push(r);
    }
    Ok(out)
}

/// R-ORD-9 / R-ORD-17: only a live order that is not on credit hold takes stock.
pub(crate) fn may_take_stock(order: &sales_order::Model) -> AppResult<()> {
    if !matches!(
        order.status,
        DocStatus::Draft | DocStatus::Confirmed | DocStatus::PartiallyShipped
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} order takes no stock",
            order.status
        )));
    }
    if order.credit_hold {
        return Err(AppError::CreditHold(
            "the order is on credit hold: it cannot be reserved or shipped until the hold is \
             released (R-ORD-9)"
                .into(),
        ));
    }
    Ok(())
}

/// `reserveStock` (R-RES-1, R-RES-2, R-RES-3): reserves `quantity` of one slot for a line,
/// never beyond what the slot has available nor beyond what the line still needs.
pub async fn reserve(
    db: &DatabaseConnection,
    p: &Principal,
    input: ReserveInput,
) -> AppResult<reservation::Model> {
    visibility::require(p, Permission::ReserveStock)?;
    let quantity = validate::positive("quantity", validate::decimal("quantity", input.quantity)?)?;
    let location = input.location.unwrap_or_default().trim().to_owned();
    let lot = input.lot.unwrap_or_default().trim().to_owned();
    let tx = db::write_tx(db).await?;
    let line = sales_order_line::Entity::find_by_id(input.order_line_id)
        .filter(sales_order_line::Column::CompanyId.eq(p.company_id))
        .one(&*tx)
        .await?
        .ok_or(AppError::NotFound("sales order line"))?;
    let order = order_rows::lock_order(&tx, p, line.order_id)
        .await
        .map_err(|e| e.when_not_found(|| AppError::NotFound("sales order line")))?;
    may_take_stock(&order)?;
    let state = line_states(&*tx, order.id)
        .await?
        .into_iter()
        .find(|s| s.line.id == line.id)
        .ok_or_else(|| {
            AppError::validation(
                "orderLineId",
                "only lines of stocked items hold reservations",
            )
        })?;
    if let Some(wanted) = &state.line.lot
        && *wanted != lot
    {
        return Err(AppError::validation(
            "lot",
            format!("the line asks for lot {wanted}"),
        ));
    }
    if quantity > state.progress.need() {
        return Err(AppError::validation(
            "quantity",
            format!(
                "the line needs {} more stock units (ordered {} incl. bonus, reserved {}, \
                 backordered {}, shipped {}; R-RES-2)",
                state.progress.need(),
                state.progress.ordered,
                state.progress.reserved,
                state.progress.backordered,
                state.progress.shipped
            ),
        ));
    }
    warehouse::Entity::find_by_id(input.warehouse_id)
        .filter(visibility::warehouses(p))
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::validation("warehouseId", "no such warehouse"))?;
    let mut slot = stock_level::Entity::find()
        .filter(stock_level::Column::CompanyId.eq(p.company_id))
        .filter(stock_level::Column::ItemId.eq(line.item_id))
        .filter(stock_level::Column::WarehouseId.eq(input.warehouse_id))
        .filter(stock_level::Column::Location.eq(&location))
        .filter(stock_level::Column::Lot.eq(&lot))
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::InsufficientStock("no stock in that slot".into()))?;
    if !stock::move_slot(&*tx, &mut slot, Decimal::ZERO, quantity).await? {
        return Err(AppError::InsufficientStock(format!(
            "only {} available in that slot (R-RES-3)",
            slot.on_hand.0 - slot.reserved.0
        )));
    }
    let row = insert(&tx, p, &line, &slot, quantity).await?;
    order_rows::record_event(
        &*tx,
        &order,
        OrderEvent::Reserved,
        Some(json!({"lines": [{"lineId": line.id, "quantity": quantity.to_string()}]})),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

async fn insert(
    tx: &DatabaseTransaction,
    p: &Principal,
    line: &sales_order_line::Model,
    slot: &stock_level::Model,
    quantity: Decimal,
) -> AppResult<reservation::Model> {
    Ok(row(p, line, slot, quantity, Utc::now()).insert(tx).await?)
}

fn row(
    p: &Principal,
    line: &sales_order_line::Model,
    slot: &stock_level::Model,
    quantity: Decimal,
    now: chrono::DateTime<Utc>,
) -> reservation::ActiveModel {
    reservation::ActiveModel {
        company_id: Set(line.company_id),
        order_id: Set(line.order_id),
        order_line_id: Set(line.id),
        item_id: Set(line.item_id),
        stock_level_id: Set(slot.id),
        warehouse_id: Set(slot.warehouse_id),
        location: Set(slot.location.clone()),
        lot: Set(slot.lot.clone()),
        quantity: Set(Dec(quantity)),
        created_by: Set(p.key()),
        created_at: Set(now),
        ..Default::default()
    }
}

/// `releaseReservation`: gives a reservation's quantity back to available stock.
pub async fn release(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<reservation::Model> {
    visibility::require(p, Permission::ReserveStock)?;
    let tx = db::write_tx(db).await?;
    let row = reservation::Entity::find_by_id(id)
        .filter(reservation::Column::CompanyId.eq(p.company_id))
        .one(&*tx)
        .await?
        .ok_or(AppError::NotFound("reservation"))?;
    let order = order_rows::lock_order(&tx, p, row.order_id)
        .await
        .map_err(|e| e.when_not_found(|| AppError::NotFound("reservation")))?;
    // A shipment being prepared holds the order's reservations (R-ORD-16).
    crate::domain::shipment_preparation::none_preparing(&*tx, order.id).await?;
    give_back(&tx, &row, row.quantity.0).await?;
    order_rows::record_event(
        &*tx,
        &order,
        OrderEvent::ReservationReleased,
        Some(json!({"reservationId": row.id, "quantity": row.quantity.0.to_string()})),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Returns `quantity` of a reservation to available stock; the row shrinks or goes.
async fn give_back(
    tx: &DatabaseTransaction,
    row: &reservation::Model,
    quantity: Decimal,
) -> AppResult<()> {
    let mut slot = stock_level::Entity::find_by_id(row.stock_level_id)
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("stock slot"))?;
    if !stock::move_slot(tx, &mut slot, Decimal::ZERO, -quantity).await? {
        return Err(AppError::internal(anyhow::anyhow!(
            "slot {} holds less reserved than reservation {}",
            slot.id,
            row.id
        )));
    }
    shrink(tx, row, quantity).await
}

/// Lowers a reservation row by `quantity` (deleting it at zero); stock is moved by the caller.
pub(crate) async fn shrink(
    tx: &DatabaseTransaction,
    row: &reservation::Model,
    quantity: Decimal,
) -> AppResult<()> {
    if quantity >= row.quantity.0 {
        reservation::Entity::delete_by_id(row.id).exec(tx).await?;
    } else {
        let mut am = row.clone().into_active_model();
        am.quantity = Set(Dec(row.quantity.0 - quantity));
        am.update(tx).await?;
    }
    Ok(())
}

/// [`shrink`] for many reservations at once (a shipment consuming them): the emptied ones
/// deleted in one statement, the rest lowered in another. `taken` may name a row several times.
pub(crate) async fn shrink_many(
    tx: &DatabaseTransaction,
    taken: &[(&reservation::Model, Decimal)],
) -> AppResult<()> {
    let mut left: BTreeMap<i64, Decimal> = BTreeMap::new();
    for (r, q) in taken {
        *left.entry(r.id).or_insert(r.quantity.0) -= *q;
    }
    let (gone, lowered): (Vec<_>, Vec<_>) =
        left.into_iter().partition(|(_, q)| *q <= Decimal::ZERO);
    if !gone.is_empty() {
        reservation::Entity::delete_many()
            .filter(reservation::Column::Id.is_in(gone.into_iter().map(|(id, _)| id)))
            .exec(tx)
            .await?;
    }
    rows::set_each::<reservation::Entity, _, _>(
        tx,
        reservation::Column::Id,
        reservation::Column::Quantity,
        lowered.into_iter().map(|(id, q)| (id, Dec(q))),
    )
    .await
}

/// What covering an order did: per line, and the events to record with the caller's own.
pub(crate) struct Covered {
    pub outcomes: Vec<LineOutcome>,
    pub events: Vec<(OrderEvent, Option<serde_json::Value>)>,
    /// The slots' STOCK_CHANGED rows and the new reservations and backorders, for the caller
    /// to write with its own events before anything reads them.
    pub outbox: outbox::Batch,
}

/// [`cover_lines`] reading the order's lines itself, and recording its events.
pub(crate) async fn cover(
    tx: &DatabaseTransaction,
    p: &Principal,
    order: &sales_order::Model,
    create_backorders: bool,
) -> AppResult<Vec<LineOutcome>> {
    let lines = OrderLines::read(tx, order.id).await?;
    let setup = setup_cache::of(tx, order.company_id).await?;
    let covered = cover_lines(tx, p, order, &setup, lines, create_backorders).await?;
    let mut batch = covered.outbox;
    if !covered.events.is_empty() {
        let rep = order_rows::customer_rep(tx, order).await?;
        batch.order_events(order, rep, covered.events);
    }
    batch.write(tx).await?;
    Ok(covered.outcomes)
}

/// Covers what the order's lines still need (R-BO-1): reserves what is available (warehouses
/// in priority order, oldest slot first, only the line's lot when it names one) and, when
/// `create_backorders`, records each shortage as a PENDING backorder; otherwise a shortage is
/// INSUFFICIENT_STOCK and the caller's transaction rolls everything back. The order row must be
/// locked by the caller. Set-based: the same statements for 3 lines or 300 (`stock_moves`).
pub(crate) async fn cover_lines(
    tx: &DatabaseTransaction,
    p: &Principal,
    order: &sales_order::Model,
    setup: &Setup,
    lines: OrderLines,
    create_backorders: bool,
) -> AppResult<Covered> {
    let states: Vec<LineState> = lines
        .states(tx, order.id)
        .await?
        .into_iter()
        .filter(|s| s.progress.need() > Decimal::ZERO)
        .collect();
    if states.is_empty() {
        return Ok(Covered {
            outcomes: vec![],
            events: vec![],
            outbox: outbox::Batch::default(),
        });
    }
    let mut item_ids: Vec<i64> = states.iter().map(|s| s.item.id).collect();
    item_ids.sort_unstable();
    item_ids.dedup();
    let priorities = &setup.warehouse_priorities;
    let mut slots = SlotMoves::new(stock::lock_slots(tx, order.company_id, &item_ids).await?);

    // Plan every line against the locked snapshot first: a refusal then costs no writes.
    let mut plans = Vec::with_capacity(states.len());
    let mut short = Vec::new();
    for s in &states {
        let views: Vec<SlotView> = slots
            .slots()
            .filter(|sl| sl.item_id == s.item.id)
            .map(|sl| SlotView {
                id: sl.id,
                warehouse_priority: priorities.get(&sl.warehouse_id).copied().unwrap_or(0),
                warehouse_id: sl.warehouse_id,
                lot: sl.lot.clone(),
                available: sl.on_hand.0 - sl.reserved.0,
            })
            .collect();
        let need = s.progress.need();
        let pieces = quantities::plan(need, &views, s.line.lot.as_deref());
        let got: Decimal = pieces.iter().map(|(_, q)| *q).sum();
        if got < need {
            short.push(format!(
                "line {} ({}): needs {}, {} available",
                s.line.position,
                s.item.sku,
                need.normalize(),
                got.normalize()
            ));
        }
        for (slot_id, q) in &pieces {
            if !slots.add(*slot_id, Decimal::ZERO, *q)? {
                return Err(AppError::internal(anyhow::anyhow!(
                    "planned more than slot {slot_id} has available"
                )));
            }
        }
        plans.push(pieces);
    }
    if !short.is_empty() && !create_backorders {
        return Err(AppError::InsufficientStock(format!(
            "not enough stock and backorders were not requested (R-BO-1): {}",
            short.join("; ")
        )));
    }
    // The moves go out with the caller's events; nothing reads the slots before that.
    let mut stock_events = outbox::Batch::default();
    slots
        .apply_with_events(tx, p, &mut stock_events, || {
            AppError::InsufficientStock(
                "stock moved while the order was being reserved; try again".into(),
            )
        })
        .await?;

    let now = Utc::now();
    let mut outcomes = Vec::with_capacity(states.len());
    let mut new_reservations = Vec::new();
    let mut new_backorders = Vec::new();
    for (s, pieces) in states.iter().zip(plans) {
        let mut reserved = Decimal::ZERO;
        for (slot_id, q) in pieces {
            let slot = slots.get(slot_id).expect("planned slot");
            new_reservations.push(row(p, &s.line, slot, q, now));
            reserved += q;
        }
        let shortage = s.progress.need() - reserved;
        if shortage > Decimal::ZERO {
            new_backorders.push(backorder::ActiveModel {
                company_id: Set(order.company_id),
                order_id: Set(order.id),
                order_line_id: Set(s.line.id),
                customer_id: Set(order.customer_id),
                item_id: Set(s.item.id),
                quantity: Set(Dec(shortage)),
                open_quantity: Set(Dec(shortage)),
                status: Set(BackorderStatus::Pending),
                priority: Set(0),
                purchase_order_line_id: Set(None),
                created_at: Set(now),
                confirmed_at: Set(None),
                updated_at: Set(now),
                ..Default::default()
            });
        }
        outcomes.push(LineOutcome {
            line_id: s.line.id,
            item_id: s.item.id,
            reserved,
            backordered: shortage.max(Decimal::ZERO),
        });
    }
    // Nothing reads them before the commit: they go out with the outbox rows.
    if !new_reservations.is_empty() {
        stock_events.carry(reservation::Entity::insert_many(new_reservations).into_query());
    }
    if !new_backorders.is_empty() {
        stock_events.carry(backorder::Entity::insert_many(new_backorders).into_query());
    }
    let summary = |pick: fn(&LineOutcome) -> Decimal| {
        let lines: Vec<_> = outcomes
            .iter()
            .filter(|o| !pick(o).is_zero())
            .map(|o| json!({"lineId": o.line_id, "quantity": pick(o).to_string()}))
            .collect();
        (!lines.is_empty()).then(|| json!({ "lines": lines }))
    };
    let mut events = Vec::new();
    if let Some(payload) = summary(|o| o.reserved) {
        events.push((OrderEvent::Reserved, Some(payload)));
    }
    if let Some(payload) = summary(|o| o.backordered) {
        events.push((OrderEvent::Backordered, Some(payload)));
    }
    Ok(Covered {
        outcomes,
        events,
        outbox: stock_events,
    })
}

/// After a line shrank (R-RES-3 "reducing a line releases"): what is reserved or backordered
/// beyond what the line still needs is given up, the waiting backorders first (the shortage
/// shrinks before any reserved unit goes back), then the newest reservations.
pub(crate) async fn trim(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    line_ids: Option<&[i64]>,
) -> AppResult<Decimal> {
    let mut released = Decimal::ZERO;
    for s in line_states(tx, order.id).await? {
        if line_ids.is_some_and(|ids| !ids.contains(&s.line.id)) {
            continue;
        }
        let p = s.progress;
        let mut excess = p.reserved + p.backordered - p.outstanding();
        for b in s.backorders.iter().rev() {
            if excess <= Decimal::ZERO {
                break;
            }
            let (open, _) = quantities::backorder_split(b);
            let cut = excess.min(open);
            if cut.is_zero() {
                continue;
            }
            let mut am = b.clone().into_active_model();
            am.quantity = Set(Dec(b.quantity.0 - cut));
            am.open_quantity = Set(Dec(b.open_quantity.0 - cut));
            if b.open_quantity.0 == cut && b.quantity.0 == cut {
                am.status = Set(BackorderStatus::Cancelled);
                am.open_quantity = Set(Dec::ZERO);
                am.quantity = Set(Dec::ZERO);
            } else if b.open_quantity.0 == cut {
                am.status = Set(BackorderStatus::Fulfilled);
            }
            am.updated_at = Set(Utc::now());
            am.update(tx).await?;
            excess -= cut;
        }
        for r in s.reservations.iter().rev() {
            if excess <= Decimal::ZERO {
                break;
            }
            let cut = excess.min(r.quantity.0);
            give_back(tx, r, cut).await?;
            released += cut;
            excess -= cut;
        }
    }
    if !released.is_zero() {
        order_rows::record_event(
            tx,
            order,
            OrderEvent::ReservationReleased,
            Some(json!({"quantity": released.to_string()})),
        )
        .await?;
    }
    Ok(released)
}

/// Cancelling an order or a line (R-RES-3): every reservation goes back to available stock and
/// every waiting backorder is cancelled.
pub(crate) async fn release_all(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    line_ids: Option<&[i64]>,
) -> AppResult<()> {
    let mut released = Decimal::ZERO;
    let mut cancelled = 0;
    for s in line_states(tx, order.id).await? {
        if line_ids.is_some_and(|ids| !ids.contains(&s.line.id)) {
            continue;
        }
        for r in &s.reservations {
            give_back(tx, r, r.quantity.0).await?;
            released += r.quantity.0;
        }
        for b in &s.backorders {
            if matches!(
                b.status,
                BackorderStatus::Pending
                    | BackorderStatus::Confirmed
                    | BackorderStatus::PartiallyFulfilled
            ) {
                let mut am = b.clone().into_active_model();
                am.status = Set(BackorderStatus::Cancelled);
                am.updated_at = Set(Utc::now());
                am.update(tx).await?;
                cancelled += 1;
            }
        }
    }
    if !released.is_zero() {
        order_rows::record_event(
            tx,
            order,
            OrderEvent::ReservationReleased,
            Some(json!({"quantity": released.to_string()})),
        )
        .await?;
    }
    if cancelled > 0 {
        order_rows::record_event(
            tx,
            order,
            OrderEvent::BackorderCancelled,
            Some(json!({ "count": cancelled })),
        )
        .await?;
    }
    Ok(())
}

/// Reservations of many lines (for `SalesOrderLine.reservations`), one statement.
pub async fn by_lines(
    db: &DatabaseConnection,
    line_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<reservation::Model>>> {
    crate::domain::rows::children::<reservation::Entity, _>(
        db,
        reservation::Column::OrderLineId,
        line_ids,
        reservation::Column::Id,
        |r| r.order_line_id,
    )
    .await
}
