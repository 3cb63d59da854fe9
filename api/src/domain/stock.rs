//! Stock per (item, warehouse, location, lot) with `0 ≤ reserved ≤ on_hand` (R-STK-1).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{Page, PageArgs, outbox, page, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{Dec, ItemKind, Tracking, item, stock_level, stock_movement, warehouse};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use std::collections::HashMap;

pub struct Adjustment {
    pub item_id: i64,
    pub warehouse_id: i64,
    pub location: Option<String>,
    pub lot: Option<String>,
    /// Signed change of on-hand, in stock units.
    pub quantity: Decimal,
    pub reason: String,
}

#[derive(Default)]
pub struct StockFilter {
    pub item_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub location: Option<String>,
    pub lot: Option<String>,
}

/// Adds `quantity` (may be negative) to on-hand of one slot, creating the slot on first use.
/// On-hand never drops below reserved, under any concurrency: the slot row is locked
/// (`FOR UPDATE` on PostgreSQL; the IMMEDIATE transaction holds SQLite's write lock) before it
/// is read, so concurrent adjustments serialise and none is lost.
pub async fn adjust(
    db: &DatabaseConnection,
    p: &Principal,
    input: Adjustment,
) -> AppResult<stock_level::Model> {
    visibility::require(p, Permission::WriteInventory)?;
    let quantity = validate::decimal("quantity", input.quantity)?;
    if quantity.is_zero() {
        return Err(AppError::validation(
            "quantity",
            "quantity must not be zero",
        ));
    }
    let reason = validate::required("reason", &input.reason, 200)?;
    let location = input
        .location
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    let lot = input.lot.map(|l| l.trim().to_owned()).unwrap_or_default();
    let item = item::Entity::find_by_id(input.item_id)
        .filter(visibility::items(p))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("itemId", "no such item"))?;
    if item.kind != ItemKind::Stocked {
        return Err(AppError::validation(
            "itemId",
            "only STOCKED items hold stock (R-ITEM-1)",
        ));
    }
    if item.tracking != Tracking::None && lot.is_empty() {
        return Err(AppError::validation(
            "lot",
            "this item is tracked: give its lot or serial (R-ITEM-4)",
        ));
    }
    warehouse::Entity::find_by_id(input.warehouse_id)
        .filter(visibility::warehouses(p))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("warehouseId", "no such warehouse"))?;

    let tx = db::write_tx(db).await?;
    let slot = open_slot(
        &tx,
        p.company_id,
        item.id,
        input.warehouse_id,
        &location,
        &lot,
    )
    .await?;
    let on_hand = slot.on_hand.0 + quantity;
    if on_hand < slot.reserved.0 {
        return Err(AppError::validation(
            "quantity",
            format!(
                "on hand would drop to {on_hand}, below the {} reserved (R-STK-1)",
                slot.reserved.0
            ),
        ));
    }
    if item.tracking == Tracking::Serial && on_hand > Decimal::ONE {
        return Err(AppError::validation(
            "quantity",
            "a serial number has quantity 1 (R-ITEM-4)",
        ));
    }
    let mut slot = slot;
    if !move_slot(&tx, &mut slot, quantity, Decimal::ZERO).await? {
        return Err(AppError::Conflict(
            "the stock slot changed while it was adjusted; try again".into(),
        ));
    }
    journal(&tx, p, slot.id, quantity, reason).await?;
    tx.commit().await?;
    Ok(slot)
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: StockFilter,
    args: &PageArgs,
) -> AppResult<Page<stock_level::Model>> {
    visibility::require(p, Permission::ReadInventory)?;
    let mut select = stock_level::Entity::find().filter(visibility::stock_levels(p));
    if let Some(id) = filter.item_id {
        select = select.filter(stock_level::Column::ItemId.eq(id));
    }
    if let Some(id) = filter.warehouse_id {
        select = select.filter(stock_level::Column::WarehouseId.eq(id));
    }
    if let Some(l) = filter.location {
        select = select.filter(stock_level::Column::Location.eq(l.trim()));
    }
    if let Some(l) = filter.lot {
        select = select.filter(stock_level::Column::Lot.eq(l.trim()));
    }
    page::fetch(db, select, stock_level::Column::Id, args).await
}

/// Stock slots per item, for `item.stockLevels` (one statement for a whole page of items).
pub async fn by_items(
    db: &DatabaseConnection,
    p: &Principal,
    item_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<stock_level::Model>>> {
    let rows = stock_level::Entity::find()
        .filter(visibility::stock_levels(p))
        .filter(stock_level::Column::ItemId.is_in(item_ids.to_vec()))
        .order_by_asc(stock_level::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<stock_level::Model>> = HashMap::new();
    for r in rows {
        out.entry(r.item_id).or_default().push(r);
    }
    Ok(out)
}

/// The slot of (item, warehouse, location, lot), created empty on first use and locked
/// (`FOR UPDATE` on PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock).
pub(crate) async fn open_slot<C: ConnectionTrait>(
    tx: &C,
    company_id: i64,
    item_id: i64,
    warehouse_id: i64,
    location: &str,
    lot: &str,
) -> AppResult<stock_level::Model> {
    stock_level::Entity::insert(stock_level::ActiveModel {
        company_id: Set(company_id),
        item_id: Set(item_id),
        warehouse_id: Set(warehouse_id),
        location: Set(location.to_owned()),
        lot: Set(lot.to_owned()),
        on_hand: Set(Dec::ZERO),
        reserved: Set(Dec::ZERO),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        stock_level::Column::ItemId,
        stock_level::Column::WarehouseId,
        stock_level::Column::Location,
        stock_level::Column::Lot,
    ])
    .exec_without_returning(tx)
    .await?;
    let mut select = stock_level::Entity::find()
        .filter(stock_level::Column::ItemId.eq(item_id))
        .filter(stock_level::Column::WarehouseId.eq(warehouse_id))
        .filter(stock_level::Column::Location.eq(location))
        .filter(stock_level::Column::Lot.eq(lot));
    if tx.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("stock slot vanished")))
}

/// Every slot of these items in the company, locked in id order: the fixed order keeps two
/// transactions that reserve several items from deadlocking each other (ARCHITECTURE.md).
pub(crate) async fn lock_slots<C: ConnectionTrait>(
    tx: &C,
    company_id: i64,
    item_ids: &[i64],
) -> AppResult<Vec<stock_level::Model>> {
    let mut select = stock_level::Entity::find()
        .filter(stock_level::Column::CompanyId.eq(company_id))
        .filter(stock_level::Column::ItemId.is_in(item_ids.to_vec()))
        .order_by_asc(stock_level::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    Ok(select.all(tx).await?)
}

/// Moves one slot by `on_hand` and `reserved` in a single conditional statement that holds
/// `0 ≤ reserved ≤ on_hand` (R-STK-1, R-RES-3); `false` (and nothing changed) when the slot
/// cannot take the move. Reserving is `(0, +q)`, releasing `(0, −q)`, shipping `(−q, −q)`,
/// receiving `(+q, 0)`.
///
/// PostgreSQL does the arithmetic itself: `SET reserved = reserved + q WHERE on_hand -
/// (reserved + q) >= 0`. SQLite stores decimals as text and must not compute with them, so
/// there the statement is a compare-and-set on the values read in this transaction (`WHERE
/// on_hand = :read AND reserved = :read`), the new values computed exactly in Rust; either way
/// the database, not this process, decides.
pub(crate) async fn move_slot<C: ConnectionTrait>(
    tx: &C,
    slot: &mut stock_level::Model,
    on_hand: Decimal,
    reserved: Decimal,
) -> AppResult<bool> {
    use stock_level::Column as C;
    let now = Utc::now();
    let mut stmt = Query::update();
    stmt.table(stock_level::Entity)
        .and_where(Expr::col(C::Id).eq(slot.id))
        .value(C::UpdatedAt, now);
    let (new_on_hand, new_reserved) = (slot.on_hand.0 + on_hand, slot.reserved.0 + reserved);
    if tx.get_database_backend() == DbBackend::Postgres {
        stmt.value(C::OnHand, Expr::col(C::OnHand).add(Dec(on_hand)))
            .value(C::Reserved, Expr::col(C::Reserved).add(Dec(reserved)))
            .and_where(Expr::col(C::Reserved).add(Dec(reserved)).gte(Dec::ZERO))
            .and_where(
                Expr::col(C::OnHand)
                    .add(Dec(on_hand))
                    .gte(Expr::col(C::Reserved).add(Dec(reserved))),
            )
            .returning(Query::returning().columns([C::OnHand, C::Reserved]));
        let Some(row) = tx.query_one(&stmt).await? else {
            return Ok(false);
        };
        slot.on_hand = row.try_get("", "on_hand")?;
        slot.reserved = row.try_get("", "reserved")?;
    } else {
        if new_reserved < Decimal::ZERO || new_reserved > new_on_hand {
            return Ok(false);
        }
        stmt.value(C::OnHand, Dec(new_on_hand))
            .value(C::Reserved, Dec(new_reserved))
            .and_where(Expr::col(C::OnHand).eq(slot.on_hand))
            .and_where(Expr::col(C::Reserved).eq(slot.reserved));
        if tx.execute(&stmt).await?.rows_affected() != 1 {
            return Ok(false);
        }
        slot.on_hand = Dec(Dec::canonical(new_on_hand));
        slot.reserved = Dec(Dec::canonical(new_reserved));
    }
    slot.updated_at = now;
    outbox::record_stock(tx, slot).await?;
    Ok(true)
}

/// Records a change of on-hand in the movement journal.
pub(crate) async fn journal<C: ConnectionTrait>(
    tx: &C,
    p: &Principal,
    slot_id: i64,
    quantity: Decimal,
    reason: String,
) -> AppResult<()> {
    stock_movement::ActiveModel {
        company_id: Set(p.company_id),
        stock_level_id: Set(slot_id),
        quantity: Set(Dec(quantity)),
        reason: Set(reason),
        user_id: Set(p.user_id()),
        api_token_id: Set(p.api_token_id()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// What a frontend shows for an item: on-hand, reserved, available and incoming (open
/// purchase-order quantity), in stock units, over one warehouse or all.
#[derive(Clone, Copy, Debug, Default)]
pub struct Availability {
    pub on_hand: Decimal,
    pub reserved: Decimal,
    pub incoming: Decimal,
}

impl Availability {
    pub fn available(&self) -> Decimal {
        self.on_hand - self.reserved
    }
}

/// Availability of many items in two statements (slots, open purchase-order lines).
pub async fn availability(
    db: &DatabaseConnection,
    p: &Principal,
    item_ids: &[i64],
    warehouse_id: Option<i64>,
) -> AppResult<HashMap<i64, Availability>> {
    use entity::{PurchaseOrderStatus, purchase_order, purchase_order_line};
    let mut slots = stock_level::Entity::find()
        .filter(visibility::stock_levels(p))
        .filter(stock_level::Column::ItemId.is_in(item_ids.to_vec()));
    if let Some(w) = warehouse_id {
        slots = slots.filter(stock_level::Column::WarehouseId.eq(w));
    }
    let mut out: HashMap<i64, Availability> = item_ids
        .iter()
        .map(|id| (*id, Availability::default()))
        .collect();
    for s in slots.all(db).await? {
        let a = out.entry(s.item_id).or_default();
        a.on_hand += s.on_hand.0;
        a.reserved += s.reserved.0;
    }
    let mut open_pos = purchase_order::Entity::find()
        .select_only()
        .column(purchase_order::Column::Id)
        .filter(purchase_order::Column::CompanyId.eq(p.company_id))
        .filter(purchase_order::Column::Status.is_in([
            PurchaseOrderStatus::Confirmed,
            PurchaseOrderStatus::PartiallyReceived,
        ]));
    if let Some(w) = warehouse_id {
        open_pos = open_pos.filter(purchase_order::Column::WarehouseId.eq(w));
    }
    let lines = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::ItemId.is_in(item_ids.to_vec()))
        .filter(purchase_order_line::Column::PurchaseOrderId.in_subquery(open_pos.into_query()))
        .all(db)
        .await?;
    for l in lines {
        let a = out.entry(l.item_id).or_default();
        a.incoming += (l.quantity.0 - l.received_quantity.0).max(Decimal::ZERO);
    }
    Ok(out)
}
