//! R-IC-2: direct delivery from an outside supplier. `createDirectDeliveryPurchaseOrder` buys
//! order lines from a supplier who ships them straight to the order's customer: a purchase
//! order marked direct delivery, each line linked to the order line it delivers, the
//! customer's address on it. Receiving it ships those order lines: confirming the receipt
//! posts a delivery note for the order (booked at `DIRECT`, no stock moved — the goods never
//! pass through our warehouses) and the receipt is taken in full by the order, so no backorder
//! can draw on it. A sister company's deliveries go through the intercompany chain instead
//! (R-IC-3), whose shipments post these documents themselves (R-IC-4).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::intercompany::{chain, links, posting};
use crate::domain::{order_rows, purchasing, quantities, receipts, reservations};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    DocStatus, ItemKind, PurchaseOrderStatus, ReceiptStatus, item, purchase_order,
    purchase_order_line, receipt, receipt_line, sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};
use std::collections::HashMap;

/// At most this many order lines per direct-delivery purchase order.
pub const MAX_LINES: usize = 1000;

/// `createDirectDeliveryPurchaseOrder`: a DRAFT direct-delivery purchase order for what the
/// named lines of one order still have to deliver, to `supplier_id` or the items' preferred
/// supplier.
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    order_line_ids: Vec<i64>,
    supplier_id: Option<i64>,
) -> AppResult<purchase_order::Model> {
    visibility::require(p, Permission::ManagePurchasing)?;
    let mut ids = order_line_ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_LINES {
        return Err(AppError::validation(
            "orderLineIds",
            format!("name 1 to {MAX_LINES} order lines"),
        ));
    }
    let tx = db::write_tx(db).await?;
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::Id.is_in(ids.clone()))
        .filter(sales_order_line::Column::CompanyId.eq(p.company_id))
        .all(&*tx)
        .await?;
    if lines.len() != ids.len() {
        return Err(AppError::validation("orderLineIds", "no such order line"));
    }
    let order_id = lines[0].order_id;
    if lines.iter().any(|l| l.order_id != order_id) {
        return Err(AppError::validation(
            "orderLineIds",
            "a direct-delivery purchase order delivers lines of one order",
        ));
    }
    let order = order_rows::lock(&tx, p, Some(entity::DocKind::Order), order_id)
        .await
        .map_err(|e| {
            e.when_not_found(|| AppError::validation("orderLineIds", "no such order line"))
        })?;
    if !matches!(
        order.status,
        DocStatus::Draft | DocStatus::Confirmed | DocStatus::PartiallyShipped
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} order takes no direct delivery",
            order.status
        )));
    }
    if chain::of_orders(&*tx, &[order.id])
        .await?
        .contains_key(&order.id)
    {
        return Err(AppError::InvalidState(
            "this order is delivered by its intercompany chain (R-IC-3)".into(),
        ));
    }
    let states = reservations::line_states(&*tx, order.id).await?;
    let by_line: HashMap<i64, &reservations::LineState> =
        states.iter().map(|s| (s.line.id, s)).collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(lines.iter().map(|l| l.item_id).collect::<Vec<_>>()))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let bought_lines = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::SalesOrderLineId.is_in(ids.clone()))
        .all(&*tx)
        .await?;
    let live_pos: Vec<i64> = purchase_order::Entity::find()
        .filter(
            purchase_order::Column::Id.is_in(
                bought_lines
                    .iter()
                    .map(|l| l.purchase_order_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .filter(purchase_order::Column::Status.ne(PurchaseOrderStatus::Cancelled))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|po| po.id)
        .collect();
    let bought: Vec<&purchase_order_line::Model> = bought_lines
        .iter()
        .filter(|l| live_pos.contains(&l.purchase_order_id))
        .collect();
    let mut direct = Vec::with_capacity(lines.len());
    let mut supplier = supplier_id;
    for (i, l) in lines.iter().enumerate() {
        let f = format!("orderLineIds.{i}");
        let it = &items[&l.item_id];
        if l.parent_line_id.is_some() || it.kind != ItemKind::Stocked {
            return Err(AppError::validation(
                f,
                format!(
                    "{} is not a stocked line of its own: nothing of it ships",
                    it.sku
                ),
            ));
        }
        if bought.iter().any(|pl| pl.sales_order_line_id == Some(l.id)) {
            return Err(AppError::Conflict(format!(
                "line {} is bought for direct delivery already",
                l.position
            )));
        }
        let s = by_line.get(&l.id).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("stocked line {} has no state", l.id))
        })?;
        if !s.progress.reserved.is_zero() || !s.progress.backordered.is_zero() {
            return Err(AppError::InvalidState(format!(
                "line {} holds reservations or backorders in our stock: release them before it \
                 is delivered directly",
                l.position
            )));
        }
        let outstanding = quantities::stock_quantity(l, it) - l.shipped_quantity.0;
        if outstanding <= Decimal::ZERO {
            return Err(AppError::validation(
                f,
                "the line has nothing left to deliver",
            ));
        }
        match (supplier, it.preferred_supplier_id) {
            (Some(_), _) => {}
            (None, Some(pref)) => supplier = Some(pref),
            (None, None) => {
                return Err(AppError::validation(
                    "supplierId",
                    format!("{} has no preferred supplier: name one", it.sku),
                ));
            }
        }
        if supplier_id.is_none() && it.preferred_supplier_id != supplier {
            return Err(AppError::validation(
                "supplierId",
                "the lines' items have different preferred suppliers: name one",
            ));
        }
        direct.push(purchasing::DirectLine {
            order_line_id: l.id,
            item_id: it.id,
            quantity: outstanding,
            over_delivery_percent: l.over_delivery_percent.0,
            under_delivery_percent: l.under_delivery_percent.0,
        });
    }
    let supplier = supplier.unwrap_or_default();
    if !links::by_suppliers(&*tx, &[supplier]).await?.is_empty() {
        return Err(AppError::validation(
            "supplierId",
            "a sister company delivers directly through the intercompany chain (R-IC-3)",
        ));
    }
    let address = chain::delivery_address(&*tx, order.ship_to_address_id).await?;
    let (po, _) = purchasing::create_direct(&tx, p, supplier, &order, address, direct).await?;
    tx.commit().await?;
    tracing::info!(
        order = order.id,
        purchase_order = po.id,
        "direct delivery bought"
    );
    Ok(po)
}

/// Confirming a receipt of a direct-delivery purchase order: the order lines it delivers ship
/// (a delivery note, no stock moved), the receipt is taken in full by them, the purchase order
/// counts it received. Called by `confirmReceipt` under the receipt's and the order's locks.
pub(crate) async fn confirm_receipt(
    tx: &DatabaseTransaction,
    p: &Principal,
    rec: receipt::Model,
    po: &purchase_order::Model,
) -> AppResult<receipt::Model> {
    let order_id = po.sales_order_id.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "direct purchase order {} names no order",
            po.id
        ))
    })?;
    if chain::of_purchase_orders(tx, &[po.id])
        .await?
        .contains_key(&po.id)
    {
        return Err(AppError::InvalidState(
            "the supplying company's shipment posts this purchase order's receipts (R-IC-4)".into(),
        ));
    }
    let po_lines: HashMap<i64, purchase_order_line::Model> = purchasing::lines_of(tx, po.id)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let lines = receipt_line::Entity::find()
        .filter(receipt_line::Column::ReceiptId.eq(rec.id))
        .all(tx)
        .await?;
    let mut received: HashMap<i64, Decimal> = HashMap::new();
    let mut delivered = Vec::with_capacity(lines.len());
    for l in lines {
        let order_line = po_lines
            .get(&l.purchase_order_line_id)
            .and_then(|pl| pl.sales_order_line_id)
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!(
                    "direct purchase line {} names no order line",
                    l.purchase_order_line_id
                ))
            })?;
        *received.entry(l.purchase_order_line_id).or_default() += l.quantity.0;
        delivered.push((order_line, l.quantity.0, l.lot.clone()));
        let q = l.quantity;
        let mut am = l.into_active_model();
        am.assigned_quantity = Set(q);
        am.location = Set(posting::DIRECT.into());
        am.update(tx).await?;
    }
    // The order is locked before its delivery note is written.
    order_rows::lock(tx, p, Some(entity::DocKind::Order), order_id).await?;
    posting::deliver_direct(
        tx,
        p,
        order_id,
        po.warehouse_id,
        Utc::now().date_naive(),
        None,
        &delivered,
    )
    .await?;
    receipts::record_received(tx, po, &received).await?;
    let mut am = rec.into_active_model();
    am.status = Set(ReceiptStatus::Confirmed);
    am.confirmed_at = Set(Some(Utc::now()));
    Ok(am.update(tx).await?)
}
