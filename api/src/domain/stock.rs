//! Stock per (item, warehouse, location, lot) with `0 ≤ reserved ≤ on_hand` (R-STK-1).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{Page, PageArgs, page, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{Dec, ItemKind, Tracking, item, stock_level, stock_movement, warehouse};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
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
    let now = Utc::now();
    stock_level::Entity::insert(stock_level::ActiveModel {
        company_id: Set(p.company_id),
        item_id: Set(item.id),
        warehouse_id: Set(input.warehouse_id),
        location: Set(location.clone()),
        lot: Set(lot.clone()),
        on_hand: Set(Dec::ZERO),
        reserved: Set(Dec::ZERO),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        stock_level::Column::ItemId,
        stock_level::Column::WarehouseId,
        stock_level::Column::Location,
        stock_level::Column::Lot,
    ])
    .exec(&tx)
    .await?;
    let mut select = stock_level::Entity::find()
        .filter(stock_level::Column::ItemId.eq(item.id))
        .filter(stock_level::Column::WarehouseId.eq(input.warehouse_id))
        .filter(stock_level::Column::Location.eq(&location))
        .filter(stock_level::Column::Lot.eq(&lot));
    if tx.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let slot = select
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("stock slot vanished")))?;
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
    let slot_id = slot.id;
    let mut active: stock_level::ActiveModel = slot.into();
    active.on_hand = Set(Dec(on_hand));
    active.updated_at = Set(now);
    let updated = active.update(&tx).await?;
    stock_movement::ActiveModel {
        company_id: Set(p.company_id),
        stock_level_id: Set(slot_id),
        quantity: Set(Dec(quantity)),
        reason: Set(reason),
        user_id: Set(p.user_id()),
        api_token_id: Set(p.api_token_id()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(updated)
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
