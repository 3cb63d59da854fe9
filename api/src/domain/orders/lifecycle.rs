//! Status changes (R-ORD-17): confirm, cancel, close, delete (R-ORD-16), credit-hold release
//! (R-ORD-9) and quotes accepted or rejected (R-ORD-3).
use super::entry::replace_installments;
use super::queries::lines_by_orders;
use super::save::{context, customer_of, finish, judge, save_status};
use super::{Saved, kind_name, placeholder_number};
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::agreements::tracking;
use crate::domain::order_rows::{self, lock};
use crate::domain::outbox::OrderEvent;
use crate::domain::{outbox, reservations, settlement};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, SubsecRound, Utc};
use entity::{
    DocKind, DocStatus, PurchaseOrderStatus, backorder, backorder_assignment, customer,
    delivery_date_change, order_confirmation, order_document, order_installment,
    payment_allocation, proforma, purchase_order, purchase_order_line, sales_order,
    sales_order_line, unique_item_claim,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, Set,
};
use std::collections::HashMap;

/// DRAFT → CONFIRMED, judging credit again (R-ORD-9, R-ORD-17), then covering the lines from
/// stock (R-BO-1): available stock is reserved and, when `create_backorders`, the shortage is
/// backordered; otherwise a shortage fails with INSUFFICIENT_STOCK and nothing changes. An
/// order that lands on credit hold is confirmed without taking stock.
///
/// Confirmation changes the status only: the figures, payment rules, unique-item claims and
/// agreement quantities were settled by the order's last save and hold for CONFIRMED as for
/// DRAFT, so the save is not run again. Its cost does not grow with the lines.
pub async fn confirm(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    create_backorders: bool,
) -> AppResult<(Saved, Vec<reservations::LineOutcome>)> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let (mut order, c, setup) =
        order_rows::lock_with_context(&tx, p, DocKind::Order, order_id).await?;
    if order.status != DocStatus::Draft {
        return Err(AppError::InvalidState(format!(
            "only a DRAFT order can be confirmed; this one is {:?}",
            order.status
        )));
    }
    let lines = reservations::OrderLines::read(&*tx, order.id).await?;
    if lines.lines.is_empty() {
        return Err(AppError::validation(
            "id",
            "an order without lines cannot be confirmed",
        ));
    }
    order.status = DocStatus::Confirmed;
    let mut warnings = Vec::new();
    let mut events = vec![(OrderEvent::Confirmed, None)];
    if judge(&tx, p, &c, &setup.settings, &mut order, &mut warnings).await? {
        events.push((OrderEvent::CreditHoldSet, None));
    }
    // The status change is written last, with the events (`outbox::Batch::carry`): the row is
    // locked, and nothing before the commit reads it back. Its new state is known here; the
    // timestamp is cut to the microseconds the database keeps.
    let saved = sales_order::Model {
        version: order.version + 1,
        updated_at: Utc::now().trunc_subsecs(6),
        ..order
    };
    let status_change = sales_order::Entity::update_many()
        .set(sales_order::ActiveModel {
            status: Set(saved.status),
            credit_hold: Set(saved.credit_hold),
            version: Set(saved.version),
            updated_at: Set(saved.updated_at),
            ..Default::default()
        })
        .filter(sales_order::Column::Id.eq(saved.id))
        .into_query();
    // The slots' stock events and the order's own go out in one INSERT.
    let (outcomes, mut batch) = if saved.credit_hold {
        (vec![], outbox::Batch::default())
    } else {
        let covered =
            reservations::cover_lines(&tx, p, &saved, &setup, lines, create_backorders).await?;
        events.extend(covered.events);
        (covered.outcomes, covered.outbox)
    };
    batch.carry(status_change);
    batch.order_events(&saved, c.sales_rep_id, events);
    batch.write(&*tx).await?;
    tx.commit().await?;
    Ok((
        Saved {
            order: saved,
            warnings,
        },
        outcomes,
    ))
}

/// `reserveSalesOrder`: covers a confirmed order's remaining need from stock, as confirmation
/// does (after a credit hold is released, or when stock arrived).
pub async fn reserve_order(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    create_backorders: bool,
) -> AppResult<(sales_order::Model, Vec<reservations::LineOutcome>)> {
    visibility::require(p, Permission::ReserveStock)?;
    let tx = db::write_tx(db).await?;
    let order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    if !matches!(
        order.status,
        DocStatus::Confirmed | DocStatus::PartiallyShipped
    ) {
        return Err(AppError::InvalidState(format!(
            "only a confirmed order is reserved; this one is {:?}",
            order.status
        )));
    }
    reservations::may_take_stock(&order)?;
    let outcomes = reservations::cover(&tx, p, &order, create_backorders).await?;
    tx.commit().await?;
    Ok((order, outcomes))
}

/// DRAFT/CONFIRMED → CANCELLED (R-ORD-17): releases its reservations, cancels its waiting
/// backorders (R-RES-3) and its unique-item claims.
pub async fn cancel(db: &DatabaseConnection, p: &Principal, order_id: i64) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let mut order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    crate::domain::shipment_preparation::none_preparing(&*tx, order.id).await?;
    if !matches!(order.status, DocStatus::Draft | DocStatus::Confirmed) {
        return Err(AppError::InvalidState(format!(
            "a {:?} order cannot become CANCELLED (R-ORD-17)",
            order.status
        )));
    }
    reservations::release_all(&tx, &order, None).await?;
    let c = customer_of(&tx, &order).await?;
    order.status = DocStatus::Cancelled;
    let saved = save_released(&tx, &c, order, OrderEvent::Cancelled).await?;
    tx.commit().await?;
    Ok(saved)
}

/// → CLOSED: after this the order can neither change nor be deleted (R-ORD-16).
pub async fn close(db: &DatabaseConnection, p: &Principal, order_id: i64) -> AppResult<Saved> {
    transition(
        db,
        p,
        order_id,
        &[
            DocStatus::Confirmed,
            DocStatus::PartiallyShipped,
            DocStatus::Shipped,
        ],
        DocStatus::Closed,
        OrderEvent::StatusChanged,
    )
    .await
}

/// A quote the customer turned down: it can no longer be accepted (R-ORD-3).
pub async fn reject_quote(
    db: &DatabaseConnection,
    p: &Principal,
    quote_id: i64,
) -> AppResult<Saved> {
    transition_of(
        db,
        p,
        DocKind::Quote,
        quote_id,
        &[DocStatus::Open],
        DocStatus::Rejected,
        OrderEvent::StatusChanged,
    )
    .await
}

pub(super) async fn transition(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    from: &[DocStatus],
    to: DocStatus,
    event: OrderEvent,
) -> AppResult<Saved> {
    transition_of(db, p, DocKind::Order, order_id, from, to, event).await
}

pub(super) async fn transition_of(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    id: i64,
    from: &[DocStatus],
    to: DocStatus,
    event: OrderEvent,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let mut order = lock(&tx, p, Some(kind), id).await?;
    if kind == DocKind::Order {
        crate::domain::shipment_preparation::none_preparing(&*tx, order.id).await?;
    }
    if !from.contains(&order.status) {
        return Err(AppError::InvalidState(format!(
            "a {:?} {} cannot become {:?} (R-ORD-17)",
            order.status,
            kind_name(kind),
            to
        )));
    }
    let c = customer_of(&tx, &order).await?;
    order.status = to;
    let saved = save_released(&tx, &c, order, event).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Saves a status change after giving back what of the order's advances no invoice will take
/// (R-PAY-6: cancelled, or closed with everything billed), logging `ADVANCE_RELEASED`.
async fn save_released(
    tx: &DatabaseTransaction,
    c: &customer::Model,
    order: sales_order::Model,
    event: OrderEvent,
) -> AppResult<Saved> {
    let (order, released) = settlement::release_unbillable(tx, order).await?;
    let saved = save_status(tx, c, order, event).await?;
    if let Some((kind, payload)) = released {
        outbox::record(tx, &saved.order, c.sales_rep_id, kind, payload).await?;
    }
    Ok(saved)
}

/// R-ORD-16: a CLOSED order (or one already shipping) cannot be deleted, nor one whose
/// backorders stand on a live purchase order; deleting releases its reservations.
pub async fn delete(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    id: i64,
) -> AppResult<i64> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let order = lock(&tx, p, Some(kind), id).await?;
    if matches!(
        order.status,
        DocStatus::Closed | DocStatus::PartiallyShipped | DocStatus::Shipped | DocStatus::Accepted
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} {} cannot be deleted (R-ORD-16)",
            order.status,
            kind_name(kind)
        )));
    }
    blocked_by_purchasing(&tx, &order).await?;
    blocked_by_money(&tx, &order).await?;
    reservations::release_all(&tx, &order, None).await?;
    // Attached documents go with a draft; the order's events keep the log of each.
    order_document::Entity::delete_many()
        .filter(order_document::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    backorder::Entity::delete_many()
        .filter(backorder::Column::OrderId.eq(id))
        .exec(&*tx)
        .await?;
    let c = customer::Entity::find_by_id(order.customer_id)
        .one(&*tx)
        .await?;
    // What its lines released on agreements goes back (R-AGR-1).
    let doomed = lines_by_orders(&tx, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    tracking::withdraw_sales(&*tx, &doomed).await?;
    sales_order_line::Entity::delete_many()
        .filter(sales_order_line::Column::ParentLineId.is_not_null())
        .filter(sales_order_line::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    sales_order_line::Entity::delete_many()
        .filter(sales_order_line::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    order_installment::Entity::delete_many()
        .filter(order_installment::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    delivery_date_change::Entity::delete_many()
        .filter(delivery_date_change::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    order_confirmation::Entity::delete_many()
        .filter(order_confirmation::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    unique_item_claim::Entity::delete_many()
        .filter(unique_item_claim::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    // The quote that led here (if any) no longer points at a deleted order.
    sales_order::Entity::update_many()
        .col_expr(
            sales_order::Column::OrderId,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(sales_order::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    sales_order::Entity::delete_by_id(id).exec(&tx).await?;
    outbox::record(
        &tx,
        &order,
        c.and_then(|c| c.sales_rep_id),
        OrderEvent::Deleted,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// R-ORD-9: lifts a credit hold; it stays lifted until the order grows beyond this amount.
pub async fn release_credit_hold(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
) -> AppResult<Saved> {
    visibility::require(p, Permission::ReleaseCreditHold)?;
    let tx = db::write_tx(db).await?;
    let order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    if !order.credit_hold {
        return Err(AppError::InvalidState(
            "the order is not on credit hold".into(),
        ));
    }
    let c = customer_of(&tx, &order).await?;
    let saved = release_one(&tx, p, &c, order).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The most orders one `releaseCreditHolds` names.
pub const MAX_RELEASED: usize = 1000;

/// `releaseCreditHolds`: accounting releases a customer's risk from the receivables
/// portfolio (Boss Manager) — every held order of the customer the caller sees, or the named
/// ones, in one transaction; each release is logged on its order (CREDIT_HOLD_RELEASED). A
/// named order that is not a held order of this customer is VALIDATION naming it, and nothing
/// is released. Orders are locked in id order, as every path that locks several does.
pub async fn release_credit_holds(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: i64,
    order_ids: Option<Vec<i64>>,
) -> AppResult<Vec<Saved>> {
    visibility::require(p, Permission::ReleaseCreditHold)?;
    if order_ids
        .as_ref()
        .is_some_and(|v| v.is_empty() || v.len() > MAX_RELEASED)
    {
        return Err(AppError::validation(
            "orderIds",
            format!("between 1 and {MAX_RELEASED} orders, or none for all held orders"),
        ));
    }
    let tx = db::write_tx(db).await?;
    let c = customer::Entity::find_by_id(customer_id)
        .filter(visibility::customers(p))
        .one(&*tx)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    let mut q = sales_order::Entity::find()
        .select_only()
        .column(sales_order::Column::Id)
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(DocKind::Order))
        .filter(sales_order::Column::CustomerId.eq(c.id))
        .filter(sales_order::Column::CreditHold.eq(true));
    if let Some(ids) = &order_ids {
        q = q.filter(sales_order::Column::Id.is_in(ids.iter().copied()));
    }
    let mut held: Vec<i64> = q.into_tuple().all(&*tx).await?;
    held.sort_unstable();
    if let Some(ids) = &order_ids
        && let Some((i, _)) = ids.iter().enumerate().find(|(_, id)| !held.contains(id))
    {
        return Err(AppError::validation(
            format!("orderIds.{i}"),
            "not an order of this customer on credit hold",
        ));
    }
    let mut saved = Vec::with_capacity(held.len());
    for id in held {
        let order = lock(&tx, p, Some(DocKind::Order), id).await?;
        // Read again under the lock: a concurrent release may have come first.
        if order.credit_hold {
            saved.push(release_one(&tx, p, &c, order).await?);
        }
    }
    tx.commit().await?;
    Ok(saved)
}

/// Lifts the hold of a locked order and logs who did it.
async fn release_one(
    tx: &DatabaseTransaction,
    p: &Principal,
    c: &customer::Model,
    mut order: sales_order::Model,
) -> AppResult<Saved> {
    order.credit_hold = false;
    order.credit_released_amount = order.company_total_amount;
    order.credit_released_by = Some(p.key());
    order.credit_released_at = Some(Utc::now());
    save_status(tx, c, order, OrderEvent::CreditHoldReleased).await
}

/// R-ORD-3: an open quote becomes a DRAFT sales order with its header and lines (prices as
/// quoted); the quote is ACCEPTED and links to it. With shared numbering the order keeps the
/// quote's number, which was drawn from the order counter (R-ORD-2).
pub async fn accept_quote(
    db: &DatabaseConnection,
    p: &Principal,
    quote_id: i64,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let mut quote = lock(&tx, p, Some(DocKind::Quote), quote_id).await?;
    if quote.status != DocStatus::Open {
        return Err(AppError::InvalidState(format!(
            "a {:?} quote cannot be accepted",
            quote.status
        )));
    }
    let (c, setup) = context(&tx, &quote).await?;
    let number = if setup.settings.quotes_share_order_numbering
        && sales_order::Entity::find()
            .filter(sales_order::Column::CompanyId.eq(quote.company_id))
            .filter(sales_order::Column::Kind.eq(DocKind::Order))
            .filter(sales_order::Column::Series.eq(quote.series.clone()))
            .filter(sales_order::Column::Number.eq(quote.number))
            .count(&tx)
            .await?
            == 0
    {
        quote.number
    } else {
        placeholder_number()
    };
    let now = Utc::now();
    let mut order = quote.clone();
    order.kind = DocKind::Order;
    order.status = DocStatus::Draft;
    order.number = number;
    order.quote_id = Some(quote.id);
    order.order_id = None;
    order.version = 1;
    order.created_by = p.key();
    order.created_at = now;
    order.updated_at = now;
    let mut am = order.into_active_model().reset_all();
    am.id = sea_orm::ActiveValue::NotSet;
    let order = am.insert(&tx).await?;
    let lines = lines_by_orders(&tx, &[quote.id])
        .await?
        .remove(&quote.id)
        .unwrap_or_default();
    // Copied in two statements: the top-level lines, then the kit components pointing at the
    // copies of their kits (a kit and its components share a position).
    let copy = |l: &sales_order_line::Model, parent: Option<i64>| {
        let mut am = l.clone().into_active_model().reset_all();
        am.id = sea_orm::ActiveValue::NotSet;
        am.order_id = Set(order.id);
        am.parent_line_id = Set(parent);
        am.created_at = Set(now);
        am
    };
    let (top, components): (Vec<_>, Vec<_>) =
        lines.iter().partition(|l| l.parent_line_id.is_none());
    if !top.is_empty() {
        sales_order_line::Entity::insert_many(top.iter().map(|l| copy(l, None)))
            .exec(&tx)
            .await?;
    }
    if !components.is_empty() {
        let kit_by_position: HashMap<i64, i64> = sales_order_line::Entity::find()
            .filter(sales_order_line::Column::OrderId.eq(order.id))
            .all(&tx)
            .await?
            .into_iter()
            .map(|l| (l.position, l.id))
            .collect();
        sales_order_line::Entity::insert_many(
            components
                .iter()
                .map(|l| copy(l, kit_by_position.get(&l.position).copied())),
        )
        .exec(&tx)
        .await?;
    }
    let installments = order_installment::Entity::find()
        .filter(order_installment::Column::OrderId.eq(quote.id))
        .all(&tx)
        .await?;
    let inst: Vec<(NaiveDate, Decimal)> = installments
        .iter()
        .map(|i| (i.due_date, i.percent.0))
        .collect();
    if !inst.is_empty() {
        replace_installments(&tx, order.id, &inst).await?;
    }
    quote.status = DocStatus::Accepted;
    quote.order_id = Some(order.id);
    save_status(&tx, &c, quote, OrderEvent::QuoteAccepted).await?;
    let saved = finish(&tx, p, &c, &setup, order, None, OrderEvent::Created).await?;
    tx.commit().await?;
    Ok(saved)
}

/// R-ORD-16: an order whose backorders stand on a live purchase order cannot be deleted, nor
/// one whose lines came from backorder assignment (R-BO-6 keeps that link; cancel it instead).
/// Money stands in the way of deleting an order: a proforma was issued for it, or a payment
/// was recorded against it (an advance, even one reversed since). Deleting would take the
/// record of that money with it; cancelling keeps it (R-ORD-16, R-PAY-6).
async fn blocked_by_money(tx: &DatabaseTransaction, order: &sales_order::Model) -> AppResult<()> {
    let what = |s: &str| {
        Err(AppError::InvalidState(format!(
            "order {}-{} {s}: cancel it instead of deleting it",
            order.series, order.number
        )))
    };
    if !order.advance_amount.is_zero() {
        return what(&format!("holds an advance of {}", order.advance_amount.0));
    }
    if let Some(pf) = proforma::Entity::find()
        .filter(proforma::Column::OrderId.eq(order.id))
        .one(tx)
        .await?
    {
        return what(&format!("has proforma {}-{}", pf.series, pf.number));
    }
    let paid = payment_allocation::Entity::find()
        .filter(payment_allocation::Column::OrderId.eq(order.id))
        .count(tx)
        .await?;
    if paid > 0 {
        return what("has payments recorded against it");
    }
    Ok(())
}

async fn blocked_by_purchasing(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
) -> AppResult<()> {
    let live_po_lines = Query::select()
        .column((purchase_order_line::Entity, purchase_order_line::Column::Id))
        .from(purchase_order_line::Entity)
        .inner_join(
            purchase_order::Entity,
            Expr::col((purchase_order::Entity, purchase_order::Column::Id)).equals((
                purchase_order_line::Entity,
                purchase_order_line::Column::PurchaseOrderId,
            )),
        )
        .and_where(
            Expr::col((purchase_order::Entity, purchase_order::Column::Status))
                .ne(PurchaseOrderStatus::Cancelled.to_value()),
        )
        .to_owned();
    let on_po = backorder::Entity::find()
        .filter(backorder::Column::OrderId.eq(order.id))
        .filter(backorder::Column::PurchaseOrderLineId.in_subquery(live_po_lines))
        .count(tx)
        .await?;
    if on_po > 0 {
        return Err(AppError::InvalidState(
            "the order caused a purchase order that still exists: it cannot be deleted \
             (R-ORD-16); cancel the purchase order first, or cancel the order"
                .into(),
        ));
    }
    let assigned = backorder_assignment::Entity::find()
        .filter(
            Condition::any()
                .add(backorder_assignment::Column::SalesOrderId.eq(order.id))
                .add(backorder_assignment::Column::OriginOrderId.eq(order.id)),
        )
        .count(tx)
        .await?;
    if assigned > 0 {
        return Err(AppError::InvalidState(
            "the order is linked to a backorder assignment (R-BO-6): cancel it instead".into(),
        ));
    }
    Ok(())
}
