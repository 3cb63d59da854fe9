//! Purchase orders (R-BO-3, R-BO-4): entered by hand or generated from confirmed backorders,
//! one per supplier with quantities summed per item, each backorder linked to the purchase
//! line that buys it (and through it to its sales order, R-ORD-16, R-PAY-4).
use crate::auth::{Permission, Principal, visibility};
use crate::db::{self, WriteTx};
use crate::domain::{Page, PageArgs, numbering, page, rows, sales_setup, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    BackorderStatus, Dec, DocType, ItemKind, PurchaseOrderStatus, backorder, item, purchase_order,
    purchase_order_line, supplier, warehouse,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, HashMap};

pub struct PoLineInput {
    pub item_id: i64,
    /// Stock units.
    pub quantity: Decimal,
    /// Defaults to the item's cost.
    pub unit_cost: Option<Decimal>,
}

pub struct NewPurchaseOrder {
    pub supplier_id: i64,
    /// Where the goods arrive; defaults to the company's first warehouse by priority.
    pub warehouse_id: Option<i64>,
    pub expected_date: Option<NaiveDate>,
    pub notes: Option<String>,
    pub lines: Vec<PoLineInput>,
}

#[derive(Default)]
pub struct PurchaseOrderFilter {
    pub status: Option<PurchaseOrderStatus>,
    pub supplier_id: Option<i64>,
}

/// `createPurchaseOrder`: a DRAFT purchase order (R-BO-4) of purchasable stocked items
/// (R-ITEM-2).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewPurchaseOrder,
) -> AppResult<purchase_order::Model> {
    visibility::require(p, Permission::ManagePurchasing)?;
    if input.lines.is_empty() {
        return Err(AppError::validation(
            "lines",
            "a purchase order needs lines",
        ));
    }
    let tx = db::write_tx(db).await?;
    let sup = own_supplier(&tx, p, input.supplier_id).await?;
    let wh = receiving_warehouse(&tx, p, input.warehouse_id).await?;
    let ids: Vec<i64> = input.lines.iter().map(|l| l.item_id).collect();
    let items = purchasable(&tx, p, &ids, "lines").await?;
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        let f = |n: &str| format!("lines.{i}.{n}");
        let it = &items[&l.item_id];
        let quantity = validate::positive(
            &f("quantity"),
            validate::decimal(&f("quantity"), l.quantity)?,
        )?;
        let cost = match l.unit_cost {
            Some(c) => {
                validate::non_negative(&f("unitCost"), validate::decimal(&f("unitCost"), c)?)?
            }
            None => it.cost.0,
        };
        lines.push((it.id, quantity, cost));
    }
    let notes = validate::text("notes", input.notes, 2000)?;
    let po = insert(&tx, p, &sup, wh, input.expected_date, notes, lines).await?;
    tx.commit().await?;
    Ok(po.0)
}

async fn own_supplier<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    id: i64,
) -> AppResult<supplier::Model> {
    supplier::Entity::find_by_id(id)
        .filter(visibility::suppliers(p))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("supplierId", "no such supplier"))
}

/// The given warehouse, or the company's first by priority.
async fn receiving_warehouse<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    id: Option<i64>,
) -> AppResult<i64> {
    let mut q = warehouse::Entity::find().filter(visibility::warehouses(p));
    if let Some(id) = id {
        q = q.filter(warehouse::Column::Id.eq(id));
    }
    q.order_by_asc(warehouse::Column::Priority)
        .order_by_asc(warehouse::Column::Id)
        .one(db)
        .await?
        .map(|w| w.id)
        .ok_or_else(|| AppError::validation("warehouseId", "no such warehouse"))
}

/// Items by id that may be bought: the company's, STOCKED and `purchasable` (R-ITEM-2).
async fn purchasable<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    ids: &[i64],
    field: &str,
) -> AppResult<HashMap<i64, item::Model>> {
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(visibility::items(p))
        .filter(item::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        match items.get(id) {
            None => {
                return Err(AppError::validation(
                    format!("{field}.{i}.itemId"),
                    "no such item",
                ));
            }
            Some(it) if !it.purchasable || it.kind != ItemKind::Stocked => {
                return Err(AppError::validation(
                    format!("{field}.{i}.itemId"),
                    format!("{} is not a purchasable stocked item (R-ITEM-2)", it.sku),
                ));
            }
            _ => {}
        }
    }
    Ok(items)
}

/// Inserts a numbered DRAFT purchase order with its lines; the number is taken last.
async fn insert(
    tx: &WriteTx,
    p: &Principal,
    sup: &supplier::Model,
    warehouse_id: i64,
    expected_date: Option<NaiveDate>,
    notes: Option<String>,
    lines: Vec<(i64, Decimal, Decimal)>,
) -> AppResult<(purchase_order::Model, Vec<purchase_order_line::Model>)> {
    let now = Utc::now();
    let series = sales_setup::settings(&**tx, p.company_id)
        .await?
        .default_series;
    let mut po = purchase_order::ActiveModel {
        company_id: Set(p.company_id),
        supplier_id: Set(sup.id),
        warehouse_id: Set(warehouse_id),
        series: Set(series.clone()),
        number: Set(-1 - i64::from(rand::random::<u32>())),
        status: Set(PurchaseOrderStatus::Draft),
        currency: Set(sup.currency.clone()),
        order_date: Set(now.date_naive()),
        expected_date: Set(expected_date),
        notes: Set(notes),
        version: Set(1),
        created_by: Set(p.key()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    purchase_order_line::Entity::insert_many(lines.into_iter().enumerate().map(
        |(i, (item_id, quantity, cost))| purchase_order_line::ActiveModel {
            company_id: Set(p.company_id),
            purchase_order_id: Set(po.id),
            position: Set(i as i64 + 1),
            item_id: Set(item_id),
            quantity: Set(Dec(quantity)),
            received_quantity: Set(Dec::ZERO),
            unit_cost: Set(Dec(cost)),
            ..Default::default()
        },
    ))
    .exec_without_returning(&**tx)
    .await?;
    let inserted = lines_of(&**tx, po.id).await?;
    let number = numbering::next(tx, p.company_id, &series, DocType::PurchaseOrder).await?;
    let mut am = po.into_active_model();
    am.number = Set(number);
    po = am.update(&**tx).await?;
    Ok((po, inserted))
}

pub(crate) async fn lines_of<C: ConnectionTrait>(
    db: &C,
    po_id: i64,
) -> AppResult<Vec<purchase_order_line::Model>> {
    Ok(purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(po_id))
        .order_by_asc(purchase_order_line::Column::Position)
        .all(db)
        .await?)
}

/// Loads a purchase order of the caller's company and locks it until the transaction ends.
pub(crate) async fn lock(tx: &WriteTx, p: &Principal, id: i64) -> AppResult<purchase_order::Model> {
    let mut q = purchase_order::Entity::find_by_id(id)
        .filter(purchase_order::Column::CompanyId.eq(p.company_id));
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(&**tx)
        .await?
        .ok_or(AppError::NotFound("purchase order"))
}

async fn transition(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    from: &[PurchaseOrderStatus],
    to: PurchaseOrderStatus,
) -> AppResult<purchase_order::Model> {
    visibility::require(p, Permission::ManagePurchasing)?;
    let tx = db::write_tx(db).await?;
    let po = lock(&tx, p, id).await?;
    if !from.contains(&po.status) {
        return Err(AppError::InvalidState(format!(
            "a {:?} purchase order cannot become {to:?} (R-BO-4)",
            po.status
        )));
    }
    if to == PurchaseOrderStatus::Cancelled {
        // Its backorders wait for another purchase order (R-BO-3) and no longer lock their
        // sales orders (R-ORD-16).
        let line_ids: Vec<i64> = lines_of(&*tx, po.id).await?.iter().map(|l| l.id).collect();
        backorder::Entity::update_many()
            .col_expr(
                backorder::Column::PurchaseOrderLineId,
                sea_orm::sea_query::Expr::value(Option::<i64>::None),
            )
            .filter(backorder::Column::PurchaseOrderLineId.is_in(line_ids))
            .exec(&*tx)
            .await?;
    }
    let version = po.version;
    let mut am = po.into_active_model();
    am.status = Set(to);
    am.version = Set(version + 1);
    am.updated_at = Set(Utc::now());
    let po = am.update(&*tx).await?;
    tx.commit().await?;
    Ok(po)
}

/// DRAFT → CONFIRMED (R-BO-4): sent to the supplier; its open quantity now counts as incoming.
pub async fn confirm(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_order::Model> {
    transition(
        db,
        p,
        id,
        &[PurchaseOrderStatus::Draft],
        PurchaseOrderStatus::Confirmed,
    )
    .await
}

/// DRAFT/CONFIRMED → CANCELLED (R-BO-4); nothing may have been received yet.
pub async fn cancel(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_order::Model> {
    transition(
        db,
        p,
        id,
        &[PurchaseOrderStatus::Draft, PurchaseOrderStatus::Confirmed],
        PurchaseOrderStatus::Cancelled,
    )
    .await
}

/// `createPurchaseOrdersForBackorders` (R-BO-3): confirmed backorders not yet on a purchase
/// order, one DRAFT purchase order per supplier (the given one, or each item's preferred
/// supplier), their open quantities summed per item; each backorder is linked to its line.
pub async fn create_for_backorders(
    db: &DatabaseConnection,
    p: &Principal,
    backorder_ids: &[i64],
    supplier_id: Option<i64>,
    warehouse_id: Option<i64>,
) -> AppResult<Vec<purchase_order::Model>> {
    visibility::require(p, Permission::ManagePurchasing)?;
    if backorder_ids.is_empty() {
        return Err(AppError::validation(
            "backorderIds",
            "name at least one backorder",
        ));
    }
    let tx = db::write_tx(db).await?;
    let mut q = backorder::Entity::find()
        .filter(visibility::backorders(p))
        .filter(backorder::Column::Id.is_in(backorder_ids.to_vec()))
        .order_by_asc(backorder::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let backorders = q.all(&*tx).await?;
    for (i, id) in backorder_ids.iter().enumerate() {
        let Some(b) = backorders.iter().find(|b| b.id == *id) else {
            return Err(AppError::validation(
                format!("backorderIds.{i}"),
                "no such backorder",
            ));
        };
        if !matches!(
            b.status,
            BackorderStatus::Confirmed | BackorderStatus::PartiallyFulfilled
        ) {
            return Err(AppError::validation(
                format!("backorderIds.{i}"),
                format!(
                    "backorder {} is {:?}: only confirmed backorders are bought (R-BO-2, R-BO-3)",
                    b.id, b.status
                ),
            ));
        }
        if b.purchase_order_line_id.is_some() {
            return Err(AppError::validation(
                format!("backorderIds.{i}"),
                format!("backorder {} is already on a purchase order", b.id),
            ));
        }
    }
    let item_ids: Vec<i64> = backorders.iter().map(|b| b.item_id).collect();
    let items = purchasable(&*tx, p, &item_ids, "backorderIds").await?;
    let given = match supplier_id {
        Some(id) => Some(own_supplier(&*tx, p, id).await?),
        None => None,
    };
    // supplier → item → (quantity, backorders)
    let mut plan: BTreeMap<i64, BTreeMap<i64, (Decimal, Vec<i64>)>> = BTreeMap::new();
    for b in &backorders {
        let it = &items[&b.item_id];
        let sup = match (&given, it.preferred_supplier_id) {
            (Some(s), _) => s.id,
            (None, Some(s)) => s,
            (None, None) => {
                return Err(AppError::validation(
                    "supplierId",
                    format!("{} has no preferred supplier: name one (R-BO-3)", it.sku),
                ));
            }
        };
        let entry = plan.entry(sup).or_default().entry(it.id).or_default();
        entry.0 += b.open_quantity.0;
        entry.1.push(b.id);
    }
    let wh = receiving_warehouse(&*tx, p, warehouse_id).await?;
    let mut created = Vec::with_capacity(plan.len());
    for (sup_id, per_item) in plan {
        let sup = own_supplier(&*tx, p, sup_id).await?;
        let lines: Vec<(i64, Decimal, Decimal)> = per_item
            .iter()
            .map(|(item_id, (q, _))| (*item_id, *q, items[item_id].cost.0))
            .collect();
        let (po, po_lines) = insert(&tx, p, &sup, wh, None, None, lines).await?;
        for l in &po_lines {
            let ids = per_item[&l.item_id].1.clone();
            backorder::Entity::update_many()
                .col_expr(
                    backorder::Column::PurchaseOrderLineId,
                    sea_orm::sea_query::Expr::value(Some(l.id)),
                )
                .filter(backorder::Column::Id.is_in(ids))
                .exec(&*tx)
                .await?;
        }
        created.push(po);
    }
    tx.commit().await?;
    Ok(created)
}

pub async fn get(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_order::Model> {
    visibility::require(p, Permission::ReadPurchasing)?;
    purchase_order::Entity::find_by_id(id)
        .filter(purchase_order::Column::CompanyId.eq(p.company_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("purchase order"))
}

/// Purchase orders, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: PurchaseOrderFilter,
    args: &PageArgs,
) -> AppResult<Page<purchase_order::Model>> {
    visibility::require(p, Permission::ReadPurchasing)?;
    let mut q =
        purchase_order::Entity::find().filter(purchase_order::Column::CompanyId.eq(p.company_id));
    if let Some(s) = filter.status {
        q = q.filter(purchase_order::Column::Status.eq(s));
    }
    if let Some(s) = filter.supplier_id {
        q = q.filter(purchase_order::Column::SupplierId.eq(s));
    }
    page::fetch_newest_first(db, q, purchase_order::Column::Id, args).await
}

/// Lines of many purchase orders, one statement.
pub async fn lines_by_pos(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<purchase_order_line::Model>>> {
    rows::children::<purchase_order_line::Entity, _>(
        db,
        purchase_order_line::Column::PurchaseOrderId,
        ids,
        purchase_order_line::Column::Position,
        |l| l.purchase_order_id,
    )
    .await
}

/// Purchase orders by id in the caller's company (for nested fields).
pub async fn by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, purchase_order::Model>> {
    if !visibility::can(p, Permission::ReadPurchasing) {
        return Ok(HashMap::new());
    }
    Ok(purchase_order::Entity::find()
        .filter(purchase_order::Column::CompanyId.eq(p.company_id))
        .filter(purchase_order::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|po| (po.id, po))
        .collect())
}

/// Purchase order lines by id (for `Backorder.purchaseOrderLine`).
pub async fn lines_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, purchase_order_line::Model>> {
    if !visibility::can(p, Permission::ReadPurchasing) {
        return Ok(HashMap::new());
    }
    Ok(purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::CompanyId.eq(p.company_id))
        .filter(purchase_order_line::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect())
}

/// The purchase orders buying each order's backorders (R-PAY-4: what serves an order), for
/// whoever reads purchasing; nobody else learns of them.
pub async fn by_sales_orders(
    db: &DatabaseConnection,
    p: &Principal,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<purchase_order::Model>>> {
    if !visibility::can(p, Permission::ReadPurchasing) {
        return Ok(HashMap::new());
    }
    let links: Vec<(i64, Option<i64>)> = entity::backorder::Entity::find()
        .select_only()
        .column(entity::backorder::Column::OrderId)
        .column(entity::backorder::Column::PurchaseOrderLineId)
        .filter(entity::backorder::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(entity::backorder::Column::PurchaseOrderLineId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let lines = lines_by_ids(db, p, &links.iter().filter_map(|l| l.1).collect::<Vec<_>>()).await?;
    let pos = by_ids(
        db,
        p,
        &lines
            .values()
            .map(|l| l.purchase_order_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut out: HashMap<i64, Vec<purchase_order::Model>> = HashMap::new();
    for (order, line) in links {
        let Some(po) = line
            .and_then(|l| lines.get(&l))
            .and_then(|l| pos.get(&l.purchase_order_id))
        else {
            continue;
        };
        let list = out.entry(order).or_default();
        if !list.iter().any(|x| x.id == po.id) {
            list.push(po.clone());
        }
    }
    Ok(out)
}
