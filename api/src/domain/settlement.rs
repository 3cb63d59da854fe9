//! Settlement: what settles invoices and orders, shared by invoicing, payments and schedules
//! (R-PAY-1, R-PAY-2, R-PAY-5, R-ORD-17). An invoice is settled by its payments, credit notes
//! and the advances on its orders; an order by its advances and its share of its posted
//! invoices' payments. Every status here is recomputed from those sums in the transaction that
//! changes them.
//!
//! Locks: **orders before invoices**, each set in id order, on every path. An invoice is only
//! ever locked by a transaction that already holds the orders it bills, so once a transaction
//! holds an order, no other can post, pay or credit that order's invoices under it, and no two
//! transactions can wait on each other in a circle.
use crate::domain::outbox::OrderEvent;
use crate::domain::{order_rows, pricing, rows, taxes};
use crate::error::AppResult;
use chrono::{NaiveDate, Utc};
use entity::{
    Dec, DocStatus, FinancialStatus, InvoiceKind, InvoiceStatus, PaymentStatus, invoice,
    invoice_installment, invoice_line, item, payment, payment_allocation, proforma, sales_order,
    sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Financial status from what settles a document (payments and credits) against its total
/// (R-PAY-5: always the sum of what is allocated).
pub fn status_of(total: Decimal, settled: Decimal) -> FinancialStatus {
    if settled.is_zero() && !total.is_zero() {
        FinancialStatus::Unpaid
    } else if settled < total {
        FinancialStatus::PartiallyPaid
    } else if settled == total {
        FinancialStatus::Paid
    } else {
        FinancialStatus::Overpaid
    }
}

/// Due dates of an invoice of `total`: each installment's share, the last one taking the
/// rounding remainder so that they sum exactly to the total (R-PAY-1).
pub fn installments(
    total: Decimal,
    plan: &[(NaiveDate, Decimal)],
) -> Vec<(NaiveDate, Decimal, Decimal)> {
    let mut out = Vec::with_capacity(plan.len());
    let mut left = total;
    for (i, (due, pct)) in plan.iter().enumerate() {
        let amount = if i + 1 == plan.len() {
            left
        } else {
            pricing::round_money(total * pct / Decimal::ONE_HUNDRED)
        };
        left -= amount;
        out.push((*due, *pct, amount));
    }
    out
}

/// Due dates of these invoices, in due order.
pub(crate) async fn installment_rows<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<invoice_installment::Model>>> {
    rows::children::<invoice_installment::Entity, _>(
        db,
        invoice_installment::Column::InvoiceId,
        ids,
        invoice_installment::Column::Position,
        |l| l.invoice_id,
    )
    .await
}

/// Distinct invoices of these lines.
pub(crate) fn invoice_ids_of(lines: &[invoice_line::Model]) -> Vec<i64> {
    lines
        .iter()
        .map(|l| l.invoice_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What is still open on an invoice: total less payments, credit notes and advances.
pub fn open_balance(inv: &invoice::Model) -> Decimal {
    inv.total_amount.0 - settled(inv)
}

/// What settles an invoice: payments, credit notes and advances on its orders.
pub fn settled(inv: &invoice::Model) -> Decimal {
    inv.paid_amount.0 + inv.credited_amount.0 + inv.advance_amount.0
}

/// The earliest due date not covered by what settled the invoice (installments are settled in
/// due order); None once everything is settled.
pub fn first_open_due(settled: Decimal, plan: &[invoice_installment::Model]) -> Option<NaiveDate> {
    let mut left = settled;
    for i in plan {
        if left < i.amount.0 {
            return Some(i.due_date);
        }
        left -= i.amount.0;
    }
    None
}

/// Saves an invoice's settlement: its status and next due date from what settles it.
pub(crate) async fn save_settlement(
    tx: &DatabaseTransaction,
    inv: invoice::Model,
) -> AppResult<invoice::Model> {
    let plan = installment_rows(tx, &[inv.id]).await?;
    let mut am = inv.clone().into_active_model();
    am.financial_status = Set(status_of(inv.total_amount.0, settled(&inv)));
    am.next_due_date = Set(if inv.status == InvoiceStatus::Posted {
        first_open_due(settled(&inv), plan.get(&inv.id).map_or(&[][..], |v| v))
    } else {
        None
    });
    am.version = Set(inv.version + 1);
    am.updated_at = Set(Utc::now());
    Ok(am.reset_all().update(tx).await?)
}

/// Lets the order's advances not yet used settle its posted invoices, oldest first, never
/// beyond an invoice's open balance (the rest waits for the next invoice). The order must be
/// locked; the returned model carries the new `advance_applied` (saved by the caller).
pub(crate) async fn apply_advances(
    tx: &DatabaseTransaction,
    mut order: sales_order::Model,
) -> AppResult<sales_order::Model> {
    let mut left = order.advance_amount.0 - order.advance_applied.0;
    if left <= Decimal::ZERO {
        return Ok(order);
    }
    for mut inv in lock_invoices_of(tx, order.company_id, &[order.id], &[]).await? {
        let take = left.min(open_balance(&inv));
        if take <= Decimal::ZERO {
            continue;
        }
        inv.advance_amount = Dec(inv.advance_amount.0 + take);
        save_settlement(tx, inv).await?;
        order.advance_applied = Dec(order.advance_applied.0 + take);
        left -= take;
        if left.is_zero() {
            break;
        }
    }
    Ok(order)
}

/// Locks, in one statement and in id order, the posted invoices billing these orders and the
/// invoices `also`. The caller holds the orders already (see the module's lock order).
pub(crate) async fn lock_invoices_of(
    tx: &DatabaseTransaction,
    company_id: i64,
    order_ids: &[i64],
    also: &[i64],
) -> AppResult<Vec<invoice::Model>> {
    if order_ids.is_empty() && also.is_empty() {
        return Ok(vec![]);
    }
    let billing = sea_orm::Condition::all()
        .add(
            invoice::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(invoice_line::Column::InvoiceId)
                    .from(invoice_line::Entity)
                    .and_where(invoice_line::Column::OrderId.is_in(order_ids.to_vec()))
                    .to_owned(),
            ),
        )
        .add(invoice::Column::Kind.eq(InvoiceKind::Invoice))
        .add(invoice::Column::Status.eq(InvoiceStatus::Posted));
    lock_all(
        tx,
        invoice::Entity::find()
            .filter(invoice::Column::CompanyId.eq(company_id))
            .filter(
                sea_orm::Condition::any()
                    .add(billing)
                    .add(invoice::Column::Id.is_in(also.to_vec())),
            ),
    )
    .await
}

/// The orders these invoices bill.
pub(crate) async fn orders_of_invoices<C: ConnectionTrait>(
    db: &C,
    invoice_ids: &[i64],
) -> AppResult<Vec<i64>> {
    if invoice_ids.is_empty() {
        return Ok(vec![]);
    }
    let ids: BTreeSet<i64> = invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::OrderId)
        .filter(invoice_line::Column::InvoiceId.is_in(invoice_ids.to_vec()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(ids.into_iter().collect())
}

/// Locks the company's orders `ids` in id order (the first step of every settling path).
pub(crate) async fn lock_orders(
    tx: &DatabaseTransaction,
    company_id: i64,
    ids: &[i64],
) -> AppResult<Vec<sales_order::Model>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut q = sales_order::Entity::find()
        .filter(sales_order::Column::CompanyId.eq(company_id))
        .filter(sales_order::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(sales_order::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.all(tx).await?)
}

/// Locks what settling touches, in the module's order: the orders `order_ids` and those the
/// invoices `invoice_ids` bill, then those invoices and the orders' posted invoices.
pub(crate) async fn lock_for_settlement(
    tx: &DatabaseTransaction,
    company_id: i64,
    order_ids: &[i64],
    invoice_ids: &[i64],
) -> AppResult<(Vec<sales_order::Model>, Vec<invoice::Model>)> {
    let mut orders: Vec<i64> = order_ids.to_vec();
    orders.extend(orders_of_invoices(tx, invoice_ids).await?);
    orders.sort_unstable();
    orders.dedup();
    let locked = lock_orders(tx, company_id, &orders).await?;
    let invoices = lock_invoices_of(tx, company_id, &orders, invoice_ids).await?;
    Ok((locked, invoices))
}

/// What was paid for an order — its advances and its share of its posted invoices' payments —
/// and what its posted invoices and credit notes bill it (with tax). `billed` are the invoice
/// lines of the order, `docs` their posted documents.
pub fn paid_and_billed(
    order: &sales_order::Model,
    billed: &[invoice_line::Model],
    docs: &HashMap<i64, invoice::Model>,
) -> (Decimal, Decimal) {
    let mut part: HashMap<i64, Decimal> = HashMap::new();
    for l in billed.iter().filter(|l| l.order_id == order.id) {
        if docs.contains_key(&l.invoice_id) {
            *part.entry(l.invoice_id).or_default() += l.net_amount.0 + l.tax_amount.0;
        }
    }
    let paid = order.advance_amount.0
        + part
            .iter()
            .filter_map(|(id, share)| {
                let inv = &docs[id];
                (inv.kind == InvoiceKind::Invoice && !inv.total_amount.is_zero())
                    .then(|| pricing::round_money(inv.paid_amount.0 * share / inv.total_amount.0))
            })
            .sum::<Decimal>();
    (paid, part.values().sum())
}

/// Recomputes an order's financial status (R-PAY-5, R-ORD-17): what was paid for it —
/// its advances and its share of its posted invoices' payments — against what it owes — its
/// total with tax, or, once shipped and billed in full, what its invoices and credit notes
/// bill. Closes it when shipped, billed in full and paid; reopens it when that stops being
/// true. Saves it with `events` (and FINANCIAL_STATUS_CHANGED when the status moved). The
/// order must be locked.
pub(crate) async fn refresh_order(
    tx: &DatabaseTransaction,
    mut order: sales_order::Model,
    mut events: Vec<(OrderEvent, Option<serde_json::Value>)>,
) -> AppResult<sales_order::Model> {
    let billed = invoice_line::Entity::find()
        .filter(invoice_line::Column::OrderId.eq(order.id))
        .all(tx)
        .await?;
    let all: Vec<invoice::Model> = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(invoice_ids_of(&billed)))
        .all(tx)
        .await?;
    // A PENDING invoice bills the order but owes nothing yet: the order is not complete.
    let pending = all.iter().any(|i| i.status == InvoiceStatus::Pending);
    let docs: HashMap<i64, invoice::Model> = all
        .into_iter()
        .filter(|i| i.status == InvoiceStatus::Posted)
        .map(|i| (i.id, i))
        .collect();
    let (paid, billed_total) = paid_and_billed(&order, &billed, &docs);
    let order_status_before = order.status;
    let shipped = matches!(order.status, DocStatus::Shipped | DocStatus::Closed);
    let complete = shipped && !pending && billed_in_full(tx, &order).await?;
    let owed = if complete {
        billed_total
    } else {
        taxes::of_orders(tx, std::slice::from_ref(&order))
            .await?
            .get(&order.id)
            .map_or(Decimal::ZERO, |t| t.total)
    };
    let status_for = |paid: Decimal| {
        if paid.is_zero() {
            FinancialStatus::Unpaid
        } else {
            status_of(owed, paid)
        }
    };
    let mut status = status_for(paid);
    // Shipped, billed and paid closes the order; a reversed payment or a credit note that
    // undoes that reopens it (R-PAY-5: a reversal restores every status it changed).
    let settled = complete && matches!(status, FinancialStatus::Paid | FinancialStatus::Overpaid);
    let main = match (order.status, settled) {
        (DocStatus::Shipped, true) => DocStatus::Closed,
        (DocStatus::Closed, false) => DocStatus::Shipped,
        (s, _) => s,
    };
    // Closed with everything billed: no invoice will take what is left of its advances.
    if main == DocStatus::Closed {
        let mut closed = order;
        closed.status = main;
        let (mut o, released) = release_unbillable(tx, closed).await?;
        o.status = order_status_before;
        order = o;
        if released.is_some() {
            // What went back no longer pays the order: OVERPAID by its advance becomes PAID.
            status = status_for(paid_and_billed(&order, &billed, &docs).0);
        }
        events.extend(released);
    }
    if status != order.financial_status {
        events.push((
            OrderEvent::FinancialStatusChanged,
            Some(json!({"from": order.financial_status.to_value(), "to": status.to_value()})),
        ));
    }
    order.financial_status = status;
    order_rows::save_progress(tx, order, main, events).await
}

/// Whether every line of the order is billed in full and its freight too.
async fn billed_in_full(tx: &DatabaseTransaction, order: &sales_order::Model) -> AppResult<bool> {
    if !order.freight_amount.is_zero() && !order.freight_invoiced {
        return Ok(false);
    }
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order.id))
        .all(tx)
        .await?;
    let factors: HashMap<i64, Decimal> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .column(item::Column::SalesUnitFactor)
        .filter(item::Column::Id.is_in(lines.iter().map(|l| l.item_id)))
        .into_tuple::<(i64, Dec)>()
        .all(tx)
        .await?
        .into_iter()
        .map(|(id, f)| (id, f.0))
        .collect();
    Ok(lines.iter().all(|l| {
        let ordered = (l.quantity.0 + l.bonus_quantity.0)
            * factors.get(&l.item_id).copied().unwrap_or(Decimal::ONE);
        l.invoiced_quantity.0 >= ordered
    }))
}

/// [`release_advance`] when nothing more will be billed: the order is cancelled, or closed
/// (in full or short) with everything it shipped and its freight billed and no invoice
/// pending. A closed order whose shipped goods still await their invoice keeps its advance
/// for that invoice; posting it comes back here through [`refresh_order`].
pub(crate) async fn release_unbillable(
    tx: &DatabaseTransaction,
    order: sales_order::Model,
) -> AppResult<(
    sales_order::Model,
    Option<(OrderEvent, Option<serde_json::Value>)>,
)> {
    let done = match order.status {
        DocStatus::Cancelled => true,
        DocStatus::Closed => {
            let pending = invoice::Entity::find()
                .filter(invoice::Column::Status.eq(InvoiceStatus::Pending))
                .filter(
                    invoice::Column::Id.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(invoice_line::Column::InvoiceId)
                            .from(invoice_line::Entity)
                            .and_where(invoice_line::Column::OrderId.eq(order.id))
                            .to_owned(),
                    ),
                )
                .one(tx)
                .await?
                .is_some();
            let unbilled = sales_order_line::Entity::find()
                .filter(sales_order_line::Column::OrderId.eq(order.id))
                .all(tx)
                .await?
                .iter()
                .any(|l| l.invoiced_quantity.0 < l.shipped_quantity.0);
            let freight_due = !order.freight_amount.is_zero() && !order.freight_invoiced;
            !pending && !unbilled && !freight_due
        }
        _ => false,
    };
    if done {
        release_advance(tx, order).await
    } else {
        Ok((order, None))
    }
}

/// R-PAY-6: the part of an order's advances that no invoice of it will take — the order was
/// cancelled, or it is closed with nothing left to bill — goes back to the payments it came
/// from, as unallocated money of the customer (visible in `customerBalance.unallocatedPayments`,
/// lowering the risk, usable by another allocation or a refund). Allocations are given back
/// newest first; a proforma's paid amount follows. Returns the order with its advance cut to
/// what its invoices took, and the `ADVANCE_RELEASED` event saying which payment got what.
///
/// The caller holds the order (and its invoices); the payments are locked here, after them,
/// in id order — the lock order of this module (orders, invoices, proformas, payments).
pub(crate) async fn release_advance(
    tx: &DatabaseTransaction,
    mut order: sales_order::Model,
) -> AppResult<(
    sales_order::Model,
    Option<(OrderEvent, Option<serde_json::Value>)>,
)> {
    let free = order.advance_amount.0 - order.advance_applied.0;
    if free <= Decimal::ZERO {
        return Ok((order, None));
    }
    let allocations = payment_allocation::Entity::find()
        .filter(payment_allocation::Column::OrderId.eq(order.id))
        .filter(payment_allocation::Column::InvoiceId.is_null())
        .order_by_desc(payment_allocation::Column::Id)
        .all(tx)
        .await?;
    let payment_ids: BTreeSet<i64> = allocations.iter().map(|a| a.payment_id).collect();
    let mut q = payment::Entity::find()
        .filter(payment::Column::Id.is_in(payment_ids))
        .filter(payment::Column::Status.eq(PaymentStatus::Recorded))
        .order_by_asc(payment::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let mut payments: BTreeMap<i64, payment::Model> =
        q.all(tx).await?.into_iter().map(|p| (p.id, p)).collect();
    let mut left = free;
    let mut per_proforma: BTreeMap<i64, Decimal> = BTreeMap::new();
    let mut released: Vec<serde_json::Value> = Vec::new();
    for a in allocations {
        if left.is_zero() {
            break;
        }
        let Some(pay) = payments.get_mut(&a.payment_id) else {
            continue; // a reversed payment's allocation no longer counts
        };
        let take = left.min(a.amount.0);
        if take <= Decimal::ZERO {
            continue;
        }
        let company_take = if take == a.amount.0 {
            a.company_amount.0
        } else {
            pricing::round_money(take * pay.exchange_rate.0)
        };
        if take == a.amount.0 {
            payment_allocation::Entity::delete_by_id(a.id)
                .exec(tx)
                .await?;
        } else {
            let mut am = a.clone().into_active_model();
            am.amount = Set(Dec(a.amount.0 - take));
            am.company_amount = Set(Dec(a.company_amount.0 - company_take));
            am.update(tx).await?;
        }
        pay.allocated_amount = Dec(pay.allocated_amount.0 - take);
        pay.company_allocated_amount = Dec(pay.company_allocated_amount.0 - company_take);
        if let Some(pf) = a.proforma_id {
            *per_proforma.entry(pf).or_default() += take;
        }
        released.push(json!({"paymentId": pay.id, "amount": Dec::canonical(take).to_string()}));
        left -= take;
    }
    for pay in payments.into_values() {
        let mut am = pay.clone().into_active_model();
        am.allocated_amount = Set(pay.allocated_amount);
        am.company_allocated_amount = Set(pay.company_allocated_amount);
        am.update(tx).await?;
    }
    let mut q = proforma::Entity::find()
        .filter(proforma::Column::Id.is_in(per_proforma.keys().copied()))
        .order_by_asc(proforma::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    for pf in q.all(tx).await? {
        let paid = pf.paid_amount.0 - per_proforma[&pf.id];
        let mut am = pf.clone().into_active_model();
        am.paid_amount = Set(Dec(paid));
        am.financial_status = Set(status_of(pf.total_amount.0, paid));
        am.update(tx).await?;
    }
    let amount = free - left;
    order.advance_amount = Dec(order.advance_amount.0 - amount);
    let payload = json!({
        "amount": Dec::canonical(amount).to_string(),
        "currency": order.currency,
        "payments": released,
    });
    Ok((order, Some((OrderEvent::AdvanceReleased, Some(payload)))))
}

pub(crate) async fn lock_all(
    tx: &DatabaseTransaction,
    q: sea_orm::Select<invoice::Entity>,
) -> AppResult<Vec<invoice::Model>> {
    let mut q = q.order_by_asc(invoice::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.all(tx).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn due_dates_sum_exactly_to_the_total_r_pay_1() {
        let day = |n| NaiveDate::from_ymd_opt(2026, 12, n).unwrap();
        let plan = [
            (day(1), d("33.33")),
            (day(2), d("33.33")),
            (day(3), d("33.34")),
        ];
        let lines = installments(d("100.01"), &plan);
        let amounts: Vec<Decimal> = lines.iter().map(|l| l.2).collect();
        assert_eq!(amounts, vec![d("33.33"), d("33.33"), d("33.35")]);
        assert_eq!(amounts.iter().sum::<Decimal>(), d("100.01"));
    }

    #[test]
    fn financial_status_is_what_settles_against_the_total_r_pay_5() {
        assert_eq!(status_of(d("100"), d("0")), FinancialStatus::Unpaid);
        assert_eq!(status_of(d("100"), d("30")), FinancialStatus::PartiallyPaid);
        assert_eq!(status_of(d("100"), d("100.00")), FinancialStatus::Paid);
        assert_eq!(status_of(d("100"), d("100.01")), FinancialStatus::Overpaid);
        assert_eq!(status_of(d("0"), d("0")), FinancialStatus::Paid);
    }

    #[test]
    fn installments_are_settled_in_due_order() {
        let day = |n| NaiveDate::from_ymd_opt(2026, 12, n).unwrap();
        let inst = |pos, due, amount: &str| invoice_installment::Model {
            id: pos,
            invoice_id: 1,
            position: pos,
            due_date: due,
            percent: Dec::ZERO,
            amount: Dec(d(amount)),
        };
        let plan = [inst(1, day(1), "30"), inst(2, day(31), "70")];
        let mut inv = invoice::Model {
            id: 1,
            company_id: 1,
            kind: InvoiceKind::Invoice,
            status: InvoiceStatus::Posted,
            customer_id: 1,
            order_customer_id: 1,
            sales_rep_id: None,
            credit_of_id: None,
            credit_reason: None,
            return_id: None,
            series: None,
            number: None,
            currency: "EUR".into(),
            invoice_date: day(1),
            next_due_date: Some(day(1)),
            tax_regime: entity::TaxRegime::Standard,
            legal_note: None,
            tax_base: Dec::ZERO,
            tax_amount: Dec::ZERO,
            total_amount: Dec(d("100")),
            company_tax_base: Dec::ZERO,
            company_tax_amount: Dec::ZERO,
            company_total_amount: Dec(d("100")),
            paid_amount: Dec(d("29.99")),
            company_paid_amount: Dec::ZERO,
            credited_amount: Dec::ZERO,
            advance_amount: Dec::ZERO,
            financial_status: FinancialStatus::PartiallyPaid,
            version: 1,
            created_by: String::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            posted_by: None,
            posted_at: None,
        };
        assert_eq!(first_open_due(inv.paid_amount.0, &plan), Some(day(1)));
        inv.paid_amount = Dec(d("30"));
        assert_eq!(first_open_due(inv.paid_amount.0, &plan), Some(day(31)));
        assert_eq!(open_balance(&inv), d("70"));
        assert_eq!(first_open_due(d("100"), &plan), None, "settled");
    }
}
