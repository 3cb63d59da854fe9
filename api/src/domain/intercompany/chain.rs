//! R-IC-3: the intercompany direct-delivery chain. An order in the buying company B for an
//! external customer, delivered directly, whose items B buys from a sister company A (the
//! item's preferred supplier stands in an active link), creates in the same transaction B's
//! purchase order to A (direct delivery, linked line by line) and A's intercompany order for
//! the customer that stands for B, shipping to B's customer's address.
//!
//! What each document may change is fixed by where it sits in the chain:
//! - the delivery address and the over/under-delivery percentages only on B's original order,
//!   copied to the other two;
//! - the confirmed ship and receipt dates only on A's intercompany order, copied back to B's
//!   purchase order and original order;
//! - line quantities on the original, while nothing of the line shipped, copied to the others.
//!
//! The other documents refuse those edits with INVALID_STATE naming where to make them. Every
//! copy is made in the transaction of the change, acting in the other company as the link
//! ([`Principal::intercompany`]), with an `INTERCOMPANY_SYNCED` event in that company only.
//! Locks are taken in one order on every path — the original, then the purchase order, then
//! the intercompany order — so changes from both companies at once queue instead of deadlocking.
use super::links;
use crate::auth::{Principal, visibility};
use crate::db::{self, WriteTx};
use crate::domain::orders::{HeaderInput, LineInput, NewDocument};
use crate::domain::outbox::{self, OrderEvent};
use crate::domain::{order_rows, orders, purchasing, quantities};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    CustomerType, Dec, DocKind, ItemKind, customer, customer_address, intercompany_chain,
    intercompany_chain_line, item, purchase_order, purchase_order_line, sales_order,
    sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Starts the chain of a new directly delivered order, when its items are bought from a
/// sister company. An order without such lines is left as it is.
pub(crate) async fn start(
    tx: &WriteTx,
    p: &Principal,
    original: &sales_order::Model,
) -> AppResult<()> {
    let buyer = customer::Entity::find_by_id(original.customer_id)
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    if buyer.customer_type == CustomerType::Intercompany {
        // An order of a sister company is the far end of a chain, never its start.
        return Ok(());
    }
    let lines: Vec<sales_order_line::Model> = orders::lines_by_orders(&**tx, &[original.id])
        .await?
        .remove(&original.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.parent_line_id.is_none())
        .collect();
    let item_ids: Vec<i64> = lines.iter().map(|l| l.item_id).collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids))
        .all(&**tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    // A line is bought from the supplier it names, else from its item's preferred one.
    let supplier_of = |l: &sales_order_line::Model| {
        l.supplier_id
            .or_else(|| items.get(&l.item_id).and_then(|i| i.preferred_supplier_id))
    };
    let suppliers: Vec<i64> = lines.iter().filter_map(supplier_of).collect();
    let linked = links::by_suppliers(&**tx, &suppliers).await?;
    let chained: Vec<(&sales_order_line::Model, &item::Model)> = lines
        .iter()
        .filter_map(|l| items.get(&l.item_id).map(|i| (l, i)))
        .filter(|(l, i)| {
            i.kind == ItemKind::Stocked
                && supplier_of(l).is_some_and(|s| {
                    linked
                        .get(&s)
                        .is_some_and(|k| k.buyer_company_id == original.company_id)
                })
        })
        .collect();
    let Some((first, _)) = chained.first() else {
        return Ok(());
    };
    let supplier_id = supplier_of(first).unwrap_or_default();
    if chained
        .iter()
        .any(|(l, _)| supplier_of(l) != Some(supplier_id))
    {
        return Err(AppError::validation(
            "lines",
            "a directly delivered order takes its intercompany lines from one sister company; \
             enter one order per supplier",
        ));
    }
    let link = linked[&supplier_id].clone();
    let now = Utc::now();
    let chain = intercompany_chain::ActiveModel {
        link_id: Set(link.id),
        buying_company_id: Set(original.company_id),
        original_order_id: Set(original.id),
        purchase_order_id: Set(None),
        selling_company_id: Set(link.seller_company_id),
        intercompany_order_id: Set(None),
        created_by: Set(p.key()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    let address = delivery_address(&**tx, original.ship_to_address_id).await?;

    // B's purchase order to A, acting as the link in B (a sales rep enters the order; the
    // purchase follows from it, R-IC-3).
    let in_buyer = Principal::intercompany(link.id, link.buyer_company_id);
    let direct = chained
        .iter()
        .map(|(l, i)| purchasing::DirectLine {
            order_line_id: l.id,
            item_id: i.id,
            quantity: quantities::stock_quantity(l, i),
            over_delivery_percent: l.over_delivery_percent.0,
            under_delivery_percent: l.under_delivery_percent.0,
        })
        .collect();
    let (po, po_lines) = Box::pin(purchasing::create_direct(
        tx,
        &in_buyer,
        link.supplier_id,
        original,
        address.clone(),
        direct,
    ))
    .await?;

    // A's intercompany order for the customer that stands for B, in A's units and prices.
    let own_items: Vec<item::Model> = chained.iter().map(|(_, i)| (*i).clone()).collect();
    let counterparts =
        links::counterparts(&**tx, &own_items, link.seller_company_id, "lines").await?;
    let in_seller = Principal::intercompany(link.id, link.seller_company_id);
    let ic_lines = chained
        .iter()
        .map(|(l, i)| {
            let cp = &counterparts[&i.id];
            let factor = if cp.sales_unit_factor.0.is_zero() {
                Decimal::ONE
            } else {
                cp.sales_unit_factor.0
            };
            LineInput {
                item_id: Some(cp.id),
                quantity: quantities::stock_quantity(l, i) / factor,
                delivery_date: l.delivery_date,
                ..Default::default()
            }
        })
        .collect();
    let doc = NewDocument {
        customer_id: link.customer_id,
        header: HeaderInput {
            delivery_date: original.delivery_date,
            customer_reference: Some(format!("PO {}-{}", po.series, po.number)),
            notes: Some(format!(
                "Intercompany direct delivery for order {}-{} of the buying company",
                original.series, original.number
            )),
            ..Default::default()
        },
        lines: ic_lines,
        agreement_id: None,
        pinned: None,
    };
    let saved = Box::pin(orders::create_within(tx, &in_seller, DocKind::Order, doc))
        .await
        .map_err(|e| match e {
            AppError::Validation { field, message } => AppError::validation(
                field,
                format!("{message} (in the supplying company's intercompany order)"),
            ),
            other => other,
        })?;
    let mut am = saved.order.into_active_model();
    am.delivery_address = Set(address.clone());
    am.direct_delivery = Set(true);
    let ic_order = am.update(&**tx).await?;
    let ic_order_lines: Vec<sales_order_line::Model> =
        orders::lines_by_orders(&**tx, &[ic_order.id])
            .await?
            .remove(&ic_order.id)
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l.parent_line_id.is_none())
            .collect();
    if ic_order_lines.len() != chained.len() || po_lines.len() != chained.len() {
        return Err(AppError::internal(anyhow::anyhow!(
            "chain {}: {} original lines, {} purchase lines, {} intercompany lines",
            chain.id,
            chained.len(),
            po_lines.len(),
            ic_order_lines.len()
        )));
    }
    for (((l, _), pl), il) in chained.iter().zip(&po_lines).zip(&ic_order_lines) {
        let mut am = il.clone().into_active_model();
        am.over_delivery_percent = Set(l.over_delivery_percent);
        am.under_delivery_percent = Set(l.under_delivery_percent);
        am.update(&**tx).await?;
        intercompany_chain_line::ActiveModel {
            chain_id: Set(chain.id),
            original_line_id: Set(l.id),
            purchase_line_id: Set(pl.id),
            intercompany_line_id: Set(il.id),
            ..Default::default()
        }
        .insert(&**tx)
        .await?;
    }
    let mut am = chain.into_active_model();
    am.purchase_order_id = Set(Some(po.id));
    am.intercompany_order_id = Set(Some(ic_order.id));
    am.update(&**tx).await?;
    let mut am = original.clone().into_active_model();
    am.delivery_address = Set(address);
    am.update(&**tx).await?;
    tracing::info!(
        original = original.id,
        purchase_order = po.id,
        intercompany_order = ic_order.id,
        "intercompany chain started"
    );
    Ok(())
}

/// A shipping address as text (name, street, postal code and city, country): what travels
/// with the chain, since the seller keeps no address book of the buyer's customers.
pub(crate) async fn delivery_address<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
) -> AppResult<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    let Some(a) = customer_address::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let mut out = vec![a.name, a.line1];
    out.extend(a.line2);
    let city = match a.postal_code {
        Some(pc) => format!("{pc} {}", a.city),
        None => a.city,
    };
    out.push(city);
    out.extend(a.province);
    out.push(a.country);
    Ok(Some(out.join("\n")))
}

/// Where a sales order sits in a chain.
#[derive(Clone, Debug)]
pub enum Place {
    Original(intercompany_chain::Model),
    Intercompany(intercompany_chain::Model),
}

/// The chains of sales orders (as original or intercompany order), by order id.
pub async fn of_orders<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<HashMap<i64, Place>> {
    let chains = intercompany_chain::Entity::find()
        .filter(
            Condition::any()
                .add(intercompany_chain::Column::OriginalOrderId.is_in(ids.to_vec()))
                .add(intercompany_chain::Column::IntercompanyOrderId.is_in(ids.to_vec())),
        )
        .all(db)
        .await?;
    let wanted: HashSet<i64> = ids.iter().copied().collect();
    let mut out = HashMap::new();
    for c in chains {
        if wanted.contains(&c.original_order_id) {
            out.insert(c.original_order_id, Place::Original(c.clone()));
        }
        if let Some(ic) = c.intercompany_order_id.filter(|id| wanted.contains(id)) {
            out.insert(ic, Place::Intercompany(c));
        }
    }
    Ok(out)
}

/// The chains of purchase orders, by purchase order id.
pub async fn of_purchase_orders<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, intercompany_chain::Model>> {
    Ok(intercompany_chain::Entity::find()
        .filter(intercompany_chain::Column::PurchaseOrderId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| c.purchase_order_id.map(|id| (id, c)))
        .collect())
}

/// What of a chain the caller sees: only its own company's documents (R-IC-3 access).
pub struct Seen {
    pub original_order_id: Option<i64>,
    pub purchase_order_id: Option<i64>,
    pub intercompany_order_id: Option<i64>,
}

pub fn seen_by(p: &Principal, c: &intercompany_chain::Model) -> Seen {
    let buyer = p.company_id == c.buying_company_id;
    let seller = p.company_id == c.selling_company_id;
    Seen {
        original_order_id: buyer.then_some(c.original_order_id),
        purchase_order_id: c.purchase_order_id.filter(|_| buyer),
        intercompany_order_id: c.intercompany_order_id.filter(|_| seller),
    }
}

async fn chain_of_order<C: ConnectionTrait>(db: &C, order_id: i64) -> AppResult<Option<Place>> {
    Ok(of_orders(db, &[order_id]).await?.remove(&order_id))
}

/// Refuses, on a document of a chain, a header change that only another document of the chain
/// takes (called by `updateSalesOrder` under the order's lock).
pub(crate) async fn check_header_change<C: ConnectionTrait>(
    db: &C,
    order: &sales_order::Model,
    header: &HeaderInput,
) -> AppResult<()> {
    if header.ship_to_address_id.is_none() && header.direct_delivery.is_none() {
        return Ok(());
    }
    match chain_of_order(db, order.id).await? {
        Some(Place::Intercompany(_)) => Err(AppError::InvalidState(
            "this is an intercompany order: its delivery address is set on the buying \
             company's original order and copied here (R-IC-3)"
                .into(),
        )),
        Some(Place::Original(_)) if header.direct_delivery == Some(false) => {
            Err(AppError::InvalidState(
                "this order is delivered by its intercompany chain; it stays a direct delivery \
                 (R-IC-3)"
                    .into(),
            ))
        }
        _ => Ok(()),
    }
}

/// After a change of an original order: its delivery address, copied to the purchase order
/// and the intercompany order when it changed.
pub(crate) async fn after_header_change(tx: &WriteTx, order: &sales_order::Model) -> AppResult<()> {
    let Some(Place::Original(chain)) = chain_of_order(&**tx, order.id).await? else {
        return Ok(());
    };
    let address = delivery_address(&**tx, order.ship_to_address_id).await?;
    if address == order.delivery_address {
        return Ok(());
    }
    let mut am = order.clone().into_active_model();
    am.delivery_address = Set(address.clone());
    am.update(&**tx).await?;
    let (po, ic) = lock_derived(tx, &chain).await?;
    let mut am = po.into_active_model();
    am.delivery_address = Set(address.clone());
    am.version = Set(am.version.as_ref() + 1);
    am.updated_at = Set(Utc::now());
    am.update(&**tx).await?;
    synced(tx, ic, json!({"deliveryAddress": address}), |am| {
        am.delivery_address = Set(address.clone());
    })
    .await
}

/// Locks the chain's purchase order and intercompany order (after the original, which the
/// caller holds), in the chain's lock order.
async fn lock_derived(
    tx: &WriteTx,
    chain: &intercompany_chain::Model,
) -> AppResult<(purchase_order::Model, sales_order::Model)> {
    let pg = tx.get_database_backend() == DbBackend::Postgres;
    let missing = || AppError::internal(anyhow::anyhow!("chain {} is incomplete", chain.id));
    let mut q = purchase_order::Entity::find_by_id(chain.purchase_order_id.ok_or_else(missing)?);
    if pg {
        q = q.lock_exclusive();
    }
    let po = q.one(&**tx).await?.ok_or_else(missing)?;
    let mut q = sales_order::Entity::find_by_id(chain.intercompany_order_id.ok_or_else(missing)?);
    if pg {
        q = q.lock_exclusive();
    }
    let ic = q.one(&**tx).await?.ok_or_else(missing)?;
    Ok((po, ic))
}

/// Writes a copied change onto a sales order of the chain, bumps its version and records
/// `INTERCOMPANY_SYNCED` in its own company.
async fn synced(
    tx: &WriteTx,
    order: sales_order::Model,
    what: serde_json::Value,
    set: impl FnOnce(&mut sales_order::ActiveModel),
) -> AppResult<()> {
    let version = order.version;
    let mut am = order.into_active_model();
    set(&mut am);
    am.version = Set(version + 1);
    am.updated_at = Set(Utc::now());
    let order = am.update(&**tx).await?;
    let rep = customer::Entity::find_by_id(order.customer_id)
        .one(&**tx)
        .await?
        .and_then(|c| c.sales_rep_id);
    outbox::record(
        &**tx,
        &order,
        rep,
        OrderEvent::IntercompanySynced,
        Some(what),
    )
    .await?;
    Ok(())
}

/// Refuses, on a line of a chain, a change only the original order takes: quantities and
/// delivery tolerances are the original's (R-IC-3).
pub(crate) async fn check_line_change<C: ConnectionTrait>(
    db: &C,
    line: &sales_order_line::Model,
    quantity: bool,
    tolerances: bool,
) -> AppResult<()> {
    if !(quantity || tolerances) {
        return Ok(());
    }
    match chain_of_order(db, line.order_id).await? {
        Some(Place::Intercompany(_)) => Err(AppError::InvalidState(
            "this is an intercompany order: quantities and over/under-delivery percentages are \
             changed on the buying company's original order and copied here (R-IC-3)"
                .into(),
        )),
        _ => Ok(()),
    }
}

/// After a line of an original order changed: its quantity and tolerances copied to the
/// purchase line and the intercompany line — refused once any of it shipped.
pub(crate) async fn after_line_change(
    tx: &WriteTx,
    original: &sales_order::Model,
    line: &sales_order_line::Model,
) -> AppResult<()> {
    let Some(Place::Original(chain)) = chain_of_order(&**tx, original.id).await? else {
        return Ok(());
    };
    let Some(link) = intercompany_chain_line::Entity::find()
        .filter(intercompany_chain_line::Column::ChainId.eq(chain.id))
        .filter(intercompany_chain_line::Column::OriginalLineId.eq(line.id))
        .one(&**tx)
        .await?
    else {
        return Ok(());
    };
    let (po, ic) = lock_derived(tx, &chain).await?;
    let item = item::Entity::find_by_id(line.item_id)
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("item"))?;
    let stock = quantities::stock_quantity(line, &item);
    let pl = purchase_order_line::Entity::find_by_id(link.purchase_line_id)
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("purchase order line"))?;
    let il = sales_order_line::Entity::find_by_id(link.intercompany_line_id)
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("sales order line"))?;
    let same = pl.quantity.0 == stock
        && pl.over_delivery_percent == line.over_delivery_percent
        && pl.under_delivery_percent == line.under_delivery_percent;
    if same {
        return Ok(());
    }
    if pl.quantity.0 != stock && (!il.shipped_quantity.is_zero() || !pl.received_quantity.is_zero())
    {
        return Err(AppError::InvalidState(
            "the supplying company shipped part of this line: its quantity no longer changes \
             (R-IC-3)"
                .into(),
        ));
    }
    let mut am = pl.clone().into_active_model();
    am.quantity = Set(Dec(stock));
    am.over_delivery_percent = Set(line.over_delivery_percent);
    am.under_delivery_percent = Set(line.under_delivery_percent);
    let pl = am.update(&**tx).await?;
    purchasing::track(&**tx, &po, std::slice::from_ref(&pl)).await?;
    let mut am = po.into_active_model();
    am.version = Set(am.version.as_ref() + 1);
    am.updated_at = Set(Utc::now());
    am.update(&**tx).await?;
    let in_seller = Principal::intercompany(chain.link_id, chain.selling_company_id);
    let ic_item = item::Entity::find_by_id(il.item_id)
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("item"))?;
    let factor = if ic_item.sales_unit_factor.0.is_zero() {
        Decimal::ONE
    } else {
        ic_item.sales_unit_factor.0
    };
    let mut am = il.clone().into_active_model();
    am.over_delivery_percent = Set(line.over_delivery_percent);
    am.under_delivery_percent = Set(line.under_delivery_percent);
    am.update(&**tx).await?;
    if il.quantity.0 * factor != stock {
        orders::set_line_quantity_within(tx, &in_seller, il.id, stock / factor).await?;
    }
    // The intercompany order moved: its own event says it came from the chain.
    let ic = sales_order::Entity::find_by_id(ic.id)
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("sales order"))?;
    let what = json!({
        "lineId": il.id.to_string(),
        "quantity": (stock / factor).normalize().to_string(),
        "overDeliveryPercent": line.over_delivery_percent.0.normalize().to_string(),
        "underDeliveryPercent": line.under_delivery_percent.0.normalize().to_string(),
    });
    synced(tx, ic, what, |_| {}).await
}

/// `confirmDeliveryDates`: the confirmed ship and receipt dates, set by the supplying company
/// on its intercompany order and copied back to the buyer's purchase order and original order
/// (R-IC-3). The original refuses them (INVALID_STATE naming the intercompany order); an order
/// outside any chain takes them as its own.
pub async fn confirm_dates(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    ship: Option<NaiveDate>,
    receipt: Option<NaiveDate>,
) -> AppResult<sales_order::Model> {
    visibility::require(p, crate::auth::Permission::WriteOrders)?;
    if let (Some(s), Some(r)) = (ship, receipt)
        && r < s
    {
        return Err(AppError::validation(
            "confirmedReceiptDate",
            "the goods cannot arrive before they ship",
        ));
    }
    let tx = db::write_tx(db).await?;
    let seen = sales_order::Entity::find_by_id(order_id)
        .filter(visibility::sales_orders(p))
        .one(&*tx)
        .await?
        .ok_or(AppError::NotFound("sales order"))?;
    let place = chain_of_order(&*tx, seen.id).await?;
    if let Some(Place::Original(_)) = place {
        return Err(AppError::InvalidState(
            "only the supplying company confirms ship and receipt dates, on its intercompany \
             order; they are copied here (R-IC-3)"
                .into(),
        ));
    }
    // The chain's lock order: the original first.
    let original = match &place {
        Some(Place::Intercompany(chain)) => {
            let mut q = sales_order::Entity::find_by_id(chain.original_order_id);
            if tx.get_database_backend() == DbBackend::Postgres {
                q = q.lock_exclusive();
            }
            q.one(&*tx).await?
        }
        _ => None,
    };
    let order = order_rows::lock(&tx, p, Some(DocKind::Order), order_id).await?;
    let what = json!({
        "confirmedShipDate": ship.map(|d| d.to_string()),
        "confirmedReceiptDate": receipt.map(|d| d.to_string()),
    });
    let set = |am: &mut sales_order::ActiveModel| {
        if ship.is_some() {
            am.confirmed_ship_date = Set(ship);
        }
        if receipt.is_some() {
            am.confirmed_receipt_date = Set(receipt);
        }
    };
    let version = order.version;
    let mut am = order.into_active_model();
    set(&mut am);
    am.version = Set(version + 1);
    am.updated_at = Set(Utc::now());
    let order = am.update(&*tx).await?;
    let rep = customer::Entity::find_by_id(order.customer_id)
        .one(&*tx)
        .await?
        .and_then(|c| c.sales_rep_id);
    outbox::record(&*tx, &order, rep, OrderEvent::Updated, Some(what.clone())).await?;
    if let (Some(Place::Intercompany(chain)), Some(original)) = (place, original) {
        let (po, _) = lock_derived(&tx, &chain).await?;
        let mut am = po.into_active_model();
        if ship.is_some() {
            am.confirmed_ship_date = Set(ship);
        }
        if receipt.is_some() {
            am.confirmed_receipt_date = Set(receipt);
        }
        am.version = Set(am.version.as_ref() + 1);
        am.updated_at = Set(Utc::now());
        am.update(&*tx).await?;
        synced(&tx, original, what, set).await?;
    }
    tx.commit().await?;
    Ok(order)
}
