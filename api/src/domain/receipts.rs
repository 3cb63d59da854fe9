//! Receipts (R-BO-4): what arrived against a purchase order — the purchase invoice — per line
//! with warehouse, location and lot or serials (R-ITEM-4). A receipt adds to on-hand only when
//! confirmed; then it can be assigned to waiting backorders (R-BO-5).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{Page, PageArgs, numbering, page, purchasing, rows, stock, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    Dec, DocType, PurchaseOrderStatus, ReceiptStatus, Tracking, item, purchase_order,
    purchase_order_line, receipt, receipt_line, stock_level, warehouse,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

pub struct ReceiveLine {
    pub line_id: i64,
    /// Stock units; for serial-tracked items it defaults to the number of serials.
    pub quantity: Option<Decimal>,
    pub warehouse_id: Option<i64>,
    pub location: Option<String>,
    pub lot: Option<String>,
    pub serials: Vec<String>,
}

#[derive(Default)]
pub struct ReceiptFilter {
    pub purchase_order_id: Option<i64>,
    pub status: Option<ReceiptStatus>,
}

/// `receivePurchaseOrder`: records a DRAFT receipt. Never more than a line still expects
/// (received plus every receipt recorded so far); lots for lot-tracked items, one serial per
/// unit for serial-tracked ones (R-ITEM-4).
pub async fn receive(
    db: &DatabaseConnection,
    p: &Principal,
    purchase_order_id: i64,
    supplier_reference: Option<String>,
    lines: Vec<ReceiveLine>,
) -> AppResult<receipt::Model> {
    visibility::require(p, Permission::ReceiveGoods)?;
    if lines.is_empty() {
        return Err(AppError::validation("lines", "a receipt needs lines"));
    }
    let supplier_reference = validate::optional("supplierReference", supplier_reference, 100)?;
    let tx = db::write_tx(db).await?;
    let po = purchasing::lock(&tx, p, purchase_order_id).await?;
    if !matches!(
        po.status,
        PurchaseOrderStatus::Confirmed | PurchaseOrderStatus::PartiallyReceived
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} purchase order cannot be received (R-BO-4)",
            po.status
        )));
    }
    let po_lines: HashMap<i64, purchase_order_line::Model> = purchasing::lines_of(&*tx, po.id)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let item_ids: Vec<i64> = po_lines.values().map(|l| l.item_id).collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let warehouses: HashSet<i64> = warehouse::Entity::find()
        .filter(visibility::warehouses(p))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let mut recorded: HashMap<i64, Decimal> = HashMap::new();
    for l in receipt_line::Entity::find()
        .filter(
            receipt_line::Column::PurchaseOrderLineId
                .is_in(po_lines.keys().copied().collect::<Vec<_>>()),
        )
        .all(&*tx)
        .await?
    {
        *recorded.entry(l.purchase_order_line_id).or_default() += l.quantity.0;
    }

    let mut rows = Vec::new();
    for (i, l) in lines.into_iter().enumerate() {
        let f = |n: &str| format!("lines.{i}.{n}");
        let pl = po_lines.get(&l.line_id).ok_or_else(|| {
            AppError::validation(f("lineId"), "no such line on this purchase order")
        })?;
        let it = &items[&pl.item_id];
        let wh = l.warehouse_id.unwrap_or(po.warehouse_id);
        if !warehouses.contains(&wh) {
            return Err(AppError::validation(f("warehouseId"), "no such warehouse"));
        }
        let location = l.location.unwrap_or_default().trim().to_owned();
        let serials: Vec<String> = l.serials.iter().map(|s| s.trim().to_owned()).collect();
        let quantity = match (l.quantity, it.tracking) {
            (Some(q), _) => {
                validate::positive(&f("quantity"), validate::decimal(&f("quantity"), q)?)?
            }
            (None, Tracking::Serial) => Decimal::from(serials.len()),
            (None, _) => {
                return Err(AppError::validation(
                    f("quantity"),
                    "give the quantity received",
                ));
            }
        };
        let expected = pl.quantity.0 - recorded.get(&pl.id).copied().unwrap_or_default();
        if quantity > expected {
            return Err(AppError::validation(
                f("quantity"),
                format!(
                    "the line expects {expected} more (ordered {})",
                    pl.quantity.0
                ),
            ));
        }
        *recorded.entry(pl.id).or_default() += quantity;
        // One receipt line per slot it fills: the lot, or each serial (R-ITEM-4).
        let lots: Vec<(String, Decimal)> = match it.tracking {
            Tracking::None => vec![(String::new(), quantity)],
            Tracking::Lot => {
                let lot = l.lot.unwrap_or_default().trim().to_owned();
                if lot.is_empty() {
                    return Err(AppError::validation(
                        f("lot"),
                        format!("{} is lot-tracked: give the lot (R-ITEM-4)", it.sku),
                    ));
                }
                vec![(lot, quantity)]
            }
            Tracking::Serial => {
                let unique: HashSet<&String> = serials.iter().collect();
                if Decimal::from(serials.len()) != quantity
                    || unique.len() != serials.len()
                    || serials.iter().any(String::is_empty)
                {
                    return Err(AppError::validation(
                        f("serials"),
                        format!(
                            "{} is serial-tracked: give {quantity} distinct serials, one per unit (R-ITEM-4)",
                            it.sku
                        ),
                    ));
                }
                serials.into_iter().map(|s| (s, Decimal::ONE)).collect()
            }
        };
        for (lot, q) in lots {
            rows.push(receipt_line::ActiveModel {
                company_id: Set(p.company_id),
                receipt_id: Set(0),
                purchase_order_line_id: Set(pl.id),
                item_id: Set(it.id),
                warehouse_id: Set(wh),
                location: Set(location.clone()),
                lot: Set(lot),
                quantity: Set(Dec(q)),
                assigned_quantity: Set(Dec::ZERO),
                stock_level_id: Set(None),
                ..Default::default()
            });
        }
    }
    let serial_items: Vec<i64> = items
        .values()
        .filter(|i| i.tracking == Tracking::Serial)
        .map(|i| i.id)
        .collect();
    if !serial_items.is_empty() {
        let lots: Vec<String> = rows
            .iter()
            .filter(|r| serial_items.contains(r.item_id.as_ref()))
            .map(|r| r.lot.as_ref().clone())
            .collect();
        let known = stock_level::Entity::find()
            .filter(stock_level::Column::CompanyId.eq(p.company_id))
            .filter(stock_level::Column::ItemId.is_in(serial_items))
            .filter(stock_level::Column::Lot.is_in(lots))
            .all(&*tx)
            .await?;
        if let Some(s) = known.iter().find(|s| !s.on_hand.0.is_zero()) {
            return Err(AppError::validation(
                "serials",
                format!("serial {} is already in stock (R-ITEM-4)", s.lot),
            ));
        }
    }
    let now = Utc::now();
    let rec = receipt::ActiveModel {
        company_id: Set(p.company_id),
        purchase_order_id: Set(po.id),
        supplier_id: Set(po.supplier_id),
        series: Set(po.series.clone()),
        number: Set(-1 - i64::from(rand::random::<u32>())),
        status: Set(ReceiptStatus::Draft),
        supplier_reference: Set(supplier_reference),
        created_by: Set(p.key()),
        created_at: Set(now),
        confirmed_at: Set(None),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    for r in &mut rows {
        r.receipt_id = Set(rec.id);
    }
    receipt_line::Entity::insert_many(rows)
        .exec_without_returning(&*tx)
        .await?;
    let number = numbering::next(&tx, p.company_id, &rec.series, DocType::Receipt).await?;
    let mut am = rec.into_active_model();
    am.number = Set(number);
    let rec = am.update(&*tx).await?;
    tx.commit().await?;
    Ok(rec)
}

/// `confirmReceipt` (R-BO-4): adds every line to on-hand in its slot, counts it as received
/// on the purchase order, and moves the purchase order to PARTIALLY_RECEIVED or RECEIVED.
pub async fn confirm(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<receipt::Model> {
    visibility::require(p, Permission::ReceiveGoods)?;
    let tx = db::write_tx(db).await?;
    let rec = lock(&tx, p, id).await?;
    if rec.status != ReceiptStatus::Draft {
        return Err(AppError::InvalidState(
            "the receipt is already confirmed".into(),
        ));
    }
    let po = purchasing::lock(&tx, p, rec.purchase_order_id).await?;
    if po.status == PurchaseOrderStatus::Cancelled {
        return Err(AppError::InvalidState(
            "its purchase order was cancelled".into(),
        ));
    }
    if po.direct_delivery {
        // R-IC-2: the goods went to the customer; the receipt ships the order lines instead.
        let rec = crate::domain::direct_delivery::confirm_receipt(&tx, p, rec, &po).await?;
        tx.commit().await?;
        return Ok(rec);
    }
    let mut lines = lines_of(&tx, rec.id).await?;
    // Slots are opened in a fixed order (item, warehouse, location, lot) against deadlocks.
    lines.sort_by(|a, b| {
        (a.item_id, a.warehouse_id, &a.location, &a.lot).cmp(&(
            b.item_id,
            b.warehouse_id,
            &b.location,
            &b.lot,
        ))
    });
    let mut received: HashMap<i64, Decimal> = HashMap::new();
    let reason = format!("receipt {}-{}", rec.series, rec.number);
    for l in &lines {
        let mut slot = stock::open_slot(
            &*tx,
            p.company_id,
            l.item_id,
            l.warehouse_id,
            &l.location,
            &l.lot,
        )
        .await?;
        if !stock::move_slot(&*tx, &mut slot, l.quantity.0, Decimal::ZERO).await? {
            return Err(AppError::internal(anyhow::anyhow!(
                "receiving into slot {} failed",
                slot.id
            )));
        }
        stock::journal(&*tx, p, slot.id, l.quantity.0, reason.clone()).await?;
        let mut am = l.clone().into_active_model();
        am.stock_level_id = Set(Some(slot.id));
        am.update(&*tx).await?;
        *received.entry(l.purchase_order_line_id).or_default() += l.quantity.0;
    }
    record_received(&tx, &po, &received).await?;
    let mut am = rec.into_active_model();
    am.status = Set(ReceiptStatus::Confirmed);
    am.confirmed_at = Set(Some(Utc::now()));
    let rec = am.update(&*tx).await?;
    tx.commit().await?;
    Ok(rec)
}

/// What a confirmed receipt does to its purchase order: the lines' received quantities, the
/// agreement lines' fulfilment (R-AGR-1), and the order RECEIVED or PARTIALLY_RECEIVED.
/// `received`: stock units per purchase line.
pub(crate) async fn record_received(
    tx: &sea_orm::DatabaseTransaction,
    po: &purchase_order::Model,
    received: &HashMap<i64, Decimal>,
) -> AppResult<()> {
    let mut complete = true;
    let mut received_lines = Vec::with_capacity(received.len());
    for pl in purchasing::lines_of(tx, po.id).await? {
        let now_received =
            pl.received_quantity.0 + received.get(&pl.id).copied().unwrap_or_default();
        // Within its under-delivery tolerance a line counts as received in full (R-IC-3).
        let floor = pl.quantity.0 * (Decimal::ONE_HUNDRED - pl.under_delivery_percent.0)
            / Decimal::ONE_HUNDRED;
        complete &= now_received >= floor;
        if received.contains_key(&pl.id) {
            let mut am = pl.into_active_model();
            am.received_quantity = Set(Dec(now_received));
            received_lines.push(am.update(tx).await?);
        }
    }
    // What arrived moves from released to fulfilled on its agreement lines (R-AGR-1).
    purchasing::track(tx, po, &received_lines).await?;
    let mut am: purchase_order::ActiveModel = po.clone().into_active_model();
    am.status = Set(if complete {
        PurchaseOrderStatus::Received
    } else {
        PurchaseOrderStatus::PartiallyReceived
    });
    am.version = Set(po.version + 1);
    am.updated_at = Set(Utc::now());
    am.update(tx).await?;
    Ok(())
}

/// Loads a receipt of the caller's company and locks it until the transaction ends.
pub(crate) async fn lock(tx: &db::WriteTx, p: &Principal, id: i64) -> AppResult<receipt::Model> {
    let mut q = receipt::Entity::find_by_id(id).filter(receipt::Column::CompanyId.eq(p.company_id));
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(&**tx).await?.ok_or(AppError::NotFound("receipt"))
}

pub(crate) async fn lines_of(tx: &db::WriteTx, id: i64) -> AppResult<Vec<receipt_line::Model>> {
    let mut q = receipt_line::Entity::find()
        .filter(receipt_line::Column::ReceiptId.eq(id))
        .order_by_asc(receipt_line::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.all(&**tx).await?)
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<receipt::Model> {
    visibility::require(p, Permission::ReadPurchasing)?;
    receipt::Entity::find_by_id(id)
        .filter(receipt::Column::CompanyId.eq(p.company_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("receipt"))
}

/// Receipts, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: ReceiptFilter,
    args: &PageArgs,
) -> AppResult<Page<receipt::Model>> {
    visibility::require(p, Permission::ReadPurchasing)?;
    let mut q = receipt::Entity::find().filter(receipt::Column::CompanyId.eq(p.company_id));
    if let Some(id) = filter.purchase_order_id {
        q = q.filter(receipt::Column::PurchaseOrderId.eq(id));
    }
    if let Some(s) = filter.status {
        q = q.filter(receipt::Column::Status.eq(s));
    }
    page::fetch_newest_first(db, q, receipt::Column::Id, args).await
}

/// Lines of many receipts, one statement.
pub async fn lines_by_receipts(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<receipt_line::Model>>> {
    rows::children::<receipt_line::Entity, _>(
        db,
        receipt_line::Column::ReceiptId,
        ids,
        receipt_line::Column::Id,
        |l| l.receipt_id,
    )
    .await
}
