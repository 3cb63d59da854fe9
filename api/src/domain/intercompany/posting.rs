//! R-IC-4: what shipping the supplying company's intercompany order posts in the buying
//! company, in the same transaction, as the buying company's settings say:
//! - `icPostPackingSlip`: a delivery note for the original order, numbered in its series,
//!   carrying the original's lines and the customer's address; the original's lines count as
//!   shipped (its status, agreements and SHIPPED event follow, R-ORD-17, R-AGR-1);
//! - `icPostReceipt`: a confirmed receipt on the purchase order, with the supplier's delivery
//!   note as reference; the purchase lines count as received (agreements follow).
//!
//! Posting the supplying company's invoice of an intercompany order posts, the same way:
//! - `icPostPurchaseInvoice`: the buyer's purchase invoice of the receipts those shipments
//!   posted, numbered with the supplier's invoice number, posted at once;
//! - `icPostInvoice`: the buyer's invoice to its external customer of the delivery notes those
//!   shipments posted, posted at once.
//!
//! The goods went from the supplier's warehouse to the customer (R-IC-2): neither document
//! moves the buyer's stock. The receipt's lines are taken in full by the order they delivered
//! (`assigned_quantity` = quantity), so no backorder can be served from goods the buyer never
//! held.
use super::chain::{self, Place};
use crate::auth::Principal;
use crate::domain::outbox::Batch;
use crate::domain::{
    invoices, numbering, purchase_invoices, purchasing, reservations, sales_setup, shipments,
};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    Dec, DocType, ReceiptStatus, ShipmentStatus, intercompany_chain, intercompany_chain_line,
    invoice, purchase_order, receipt, receipt_line, sales_order, shipment, shipment_line,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Set,
};
use std::collections::HashMap;

/// The chain's original order, locked, when `order_id` is an intercompany order: taken before
/// the intercompany order itself on every path that ships it, so that the chain's lock order
/// (original first) holds across both companies.
pub(crate) async fn lock_original_of(
    tx: &DatabaseTransaction,
    order_id: i64,
) -> AppResult<Option<intercompany_chain::Model>> {
    let Some(Place::Intercompany(c)) = chain::of_orders(tx, &[order_id]).await?.remove(&order_id)
    else {
        return Ok(None);
    };
    let mut q = sales_order::Entity::find_by_id(c.original_order_id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(tx).await?;
    Ok(Some(c))
}

/// After `note` shipped from intercompany order `order` (`shipped`: stock units per line).
pub(crate) async fn after_shipped(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    note: &shipment::Model,
    shipped: &HashMap<i64, Decimal>,
) -> AppResult<()> {
    let Some(Place::Intercompany(chain)) =
        chain::of_orders(tx, &[order.id]).await?.remove(&order.id)
    else {
        return Ok(());
    };
    let settings = sales_setup::settings(tx, chain.buying_company_id).await?;
    if !settings.ic_post_packing_slip && !settings.ic_post_receipt {
        return Ok(());
    }
    let links = intercompany_chain_line::Entity::find()
        .filter(intercompany_chain_line::Column::ChainId.eq(chain.id))
        .all(tx)
        .await?;
    let lots: HashMap<i64, String> = shipment_line::Entity::find()
        .filter(shipment_line::Column::ShipmentId.eq(note.id))
        .all(tx)
        .await?
        .into_iter()
        .map(|l| (l.order_line_id, l.lot))
        .collect();
    // (original line, purchase line, quantity, lot) of what this note shipped.
    let moved: Vec<(i64, i64, Decimal, String)> = links
        .iter()
        .filter_map(|l| {
            shipped.get(&l.intercompany_line_id).map(|q| {
                let lot = lots
                    .get(&l.intercompany_line_id)
                    .cloned()
                    .unwrap_or_default();
                (l.original_line_id, l.purchase_line_id, *q, lot)
            })
        })
        .collect();
    if moved.is_empty() {
        return Ok(());
    }
    let reference = format!("{}-{}", note.series, note.number);
    let acting = Principal::intercompany(chain.link_id, chain.buying_company_id);
    let po = purchase_order::Entity::find_by_id(chain.purchase_order_id.unwrap_or_default())
        .one(tx)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "chain {} lost its purchase order",
                chain.id
            ))
        })?;
    if settings.ic_post_packing_slip {
        packing_slip(tx, &acting, &chain, &po, note, &moved).await?;
    }
    if settings.ic_post_receipt {
        receipt_of(tx, &acting, &po, note, &reference, &moved).await?;
    }
    tracing::info!(
        chain = chain.id,
        shipment = note.id,
        "intercompany shipment posted in the buying company"
    );
    Ok(())
}

/// The buying company's delivery note for the original order.
async fn packing_slip(
    tx: &DatabaseTransaction,
    acting: &Principal,
    chain: &intercompany_chain::Model,
    po: &purchase_order::Model,
    from: &shipment::Model,
    moved: &[(i64, i64, Decimal, String)],
) -> AppResult<()> {
    let lines: Vec<(i64, Decimal, String)> = moved
        .iter()
        .map(|(l, _, q, lot)| (*l, *q, lot.clone()))
        .collect();
    deliver_direct(
        tx,
        acting,
        chain.original_order_id,
        po.warehouse_id,
        from.shipped_on,
        Some(from.id),
        &lines,
    )
    .await
}

/// A delivery note for goods a supplier delivered straight to the customer of `order_id`
/// (R-IC-2): numbered in the order's series, booked at `DIRECT` in `warehouse_id` without
/// moving stock, the order's lines counting as shipped (status, agreements, SHIPPED event).
/// `lines`: (order line, stock units, lot).
pub(crate) async fn deliver_direct(
    tx: &DatabaseTransaction,
    acting: &Principal,
    order_id: i64,
    warehouse_id: i64,
    shipped_on: chrono::NaiveDate,
    chain_shipment_id: Option<i64>,
    lines: &[(i64, Decimal, String)],
) -> AppResult<()> {
    let order = sales_order::Entity::find_by_id(order_id)
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {order_id} vanished")))?;
    let states = reservations::line_states(tx, order.id).await?;
    let number =
        numbering::next(tx, order.company_id, &order.series, DocType::DeliveryNote).await?;
    let now = Utc::now();
    let note = shipment::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        series: Set(order.series.clone()),
        number: Set(number),
        shipped_on: Set(shipped_on),
        status: Set(ShipmentStatus::Shipped),
        created_by: Set(acting.key()),
        created_at: Set(now),
        chain_shipment_id: Set(chain_shipment_id),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let items: HashMap<i64, i64> = states.iter().map(|s| (s.line.id, s.item.id)).collect();
    let mut per_line: HashMap<i64, Decimal> = HashMap::new();
    let mut rows = Vec::with_capacity(lines.len());
    for (line, q, lot) in lines {
        let item_id = *items.get(line).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("order line {line} is not a stocked line"))
        })?;
        *per_line.entry(*line).or_default() += *q;
        rows.push(shipment_line::ActiveModel {
            company_id: Set(order.company_id),
            shipment_id: Set(note.id),
            order_line_id: Set(*line),
            item_id: Set(item_id),
            warehouse_id: Set(warehouse_id),
            location: Set(DIRECT.into()),
            lot: Set(lot.clone()),
            quantity: Set(Dec(*q)),
            ..Default::default()
        });
    }
    shipment_line::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    shipments::record_shipped(tx, order, &states, &per_line, &note, Batch::default()).await
}

/// Where direct deliveries are booked: no place in the buyer's warehouse (R-IC-2).
pub const DIRECT: &str = "DIRECT";

/// The buying company's confirmed receipt on its purchase order.
async fn receipt_of(
    tx: &DatabaseTransaction,
    acting: &Principal,
    po: &purchase_order::Model,
    from: &shipment::Model,
    reference: &str,
    moved: &[(i64, i64, Decimal, String)],
) -> AppResult<()> {
    let now = Utc::now();
    let number = numbering::next(tx, po.company_id, &po.series, DocType::Receipt).await?;
    let rec = receipt::ActiveModel {
        company_id: Set(po.company_id),
        purchase_order_id: Set(po.id),
        supplier_id: Set(po.supplier_id),
        series: Set(po.series.clone()),
        number: Set(number),
        status: Set(ReceiptStatus::Confirmed),
        supplier_reference: Set(Some(reference.to_owned())),
        created_by: Set(acting.key()),
        created_at: Set(now),
        confirmed_at: Set(Some(now)),
        chain_shipment_id: Set(Some(from.id)),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let lines = purchasing::lines_of(tx, po.id).await?;
    let by_id: HashMap<i64, &entity::purchase_order_line::Model> =
        lines.iter().map(|l| (l.id, l)).collect();
    let mut received: HashMap<i64, Decimal> = HashMap::new();
    let mut rows = Vec::with_capacity(moved.len());
    for (_, pl, q, lot) in moved {
        let line = by_id.get(pl).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("purchase line {pl} is not on its order"))
        })?;
        *received.entry(*pl).or_default() += *q;
        rows.push(receipt_line::ActiveModel {
            company_id: Set(po.company_id),
            receipt_id: Set(rec.id),
            purchase_order_line_id: Set(*pl),
            item_id: Set(line.item_id),
            warehouse_id: Set(po.warehouse_id),
            location: Set(DIRECT.into()),
            lot: Set(lot.clone()),
            quantity: Set(Dec(*q)),
            // Delivered to the customer already: nothing of it waits for a backorder.
            assigned_quantity: Set(Dec(*q)),
            stock_level_id: Set(None),
            ..Default::default()
        });
    }
    receipt_line::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    crate::domain::receipts::record_received(tx, po, &received).await?;
    Ok(())
}

/// The originals of the intercompany orders an invoice bills, locked before the invoice and
/// its orders (the chain's lock order, original first).
pub(crate) async fn lock_originals_of_invoice(
    tx: &DatabaseTransaction,
    invoice_id: i64,
) -> AppResult<()> {
    let orders: Vec<i64> = shipment::Entity::find()
        .filter(shipment::Column::InvoiceId.eq(invoice_id))
        .all(tx)
        .await?
        .into_iter()
        .map(|n| n.order_id)
        .collect();
    for id in orders {
        lock_original_of(tx, id).await?;
    }
    Ok(())
}

/// After the supplying company posted `inv`: the buyer's purchase invoice and customer
/// invoice for what the chain's shipments it billed posted, as the buyer's settings say.
pub(crate) async fn after_invoiced(
    tx: &DatabaseTransaction,
    inv: &invoice::Model,
) -> AppResult<()> {
    let notes = shipment::Entity::find()
        .filter(shipment::Column::InvoiceId.eq(inv.id))
        .all(tx)
        .await?;
    let order_ids: Vec<i64> = notes.iter().map(|n| n.order_id).collect();
    if order_ids.is_empty() {
        return Ok(());
    }
    let places = chain::of_orders(tx, &order_ids).await?;
    for (order_id, place) in places {
        let Place::Intercompany(chain) = place else {
            continue;
        };
        let settings = sales_setup::settings(tx, chain.buying_company_id).await?;
        let from: Vec<i64> = notes
            .iter()
            .filter(|n| n.order_id == order_id)
            .map(|n| n.id)
            .collect();
        let acting = Principal::intercompany(chain.link_id, chain.buying_company_id);
        let number = invoices::number_of(inv).unwrap_or_else(|| inv.id.to_string());
        if settings.ic_post_purchase_invoice {
            let receipts: Vec<i64> = receipt::Entity::find()
                .filter(receipt::Column::CompanyId.eq(chain.buying_company_id))
                .filter(receipt::Column::ChainShipmentId.is_in(from.clone()))
                .all(tx)
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect();
            if !receipts.is_empty() {
                let pi = purchase_invoices::create_in(
                    tx,
                    &acting,
                    purchase_invoices::NewPurchaseInvoice {
                        receipt_ids: receipts,
                        supplier_invoice_number: number.clone(),
                        invoice_date: inv.invoice_date,
                        lines: None,
                        chain_invoice_id: Some(inv.id),
                    },
                )
                .await?;
                purchase_invoices::post_in(tx, &acting, pi.id).await?;
            }
        }
        if settings.ic_post_invoice {
            let own: Vec<i64> = shipment::Entity::find()
                .filter(shipment::Column::CompanyId.eq(chain.buying_company_id))
                .filter(shipment::Column::ChainShipmentId.is_in(from.clone()))
                .filter(shipment::Column::InvoiceId.is_null())
                .all(tx)
                .await?
                .into_iter()
                .map(|n| n.id)
                .collect();
            if !own.is_empty() {
                let b = invoices::create_in(
                    tx,
                    &acting,
                    invoices::Source::Shipments(own),
                    Some(inv.invoice_date),
                )
                .await?;
                invoices::post_in(tx, &acting, b.id).await?;
            }
        }
        tracing::info!(
            chain = chain.id,
            invoice = inv.id,
            "intercompany invoice posted in the buying company"
        );
    }
    Ok(())
}
