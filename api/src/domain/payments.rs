//! Payments (R-PAY-2, R-PAY-5) and the financial status they drive (R-ORD-17).
//!
//! A payment names the invoices it settles, or settles its customer's oldest due invoices
//! first. Every financial status is the sum of what is allocated, kept in the transaction of
//! the payment that changes it: on the invoice (payments + credit notes against its total),
//! and on each order it bills (its share of those invoices against what it owes). An order
//! shipped, billed in full and paid is CLOSED. A reversed payment takes back every allocation.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::invoices::{self, status_of};
use crate::domain::outbox::OrderEvent;
use crate::domain::{Page, PageArgs, companies, customers, order_rows, page, pricing, rows};
use crate::domain::{sales_setup, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    Dec, DocStatus, FinancialStatus, InvoiceKind, InvoiceStatus, PaymentStatus, invoice,
    invoice_installment, invoice_line, item, payment, payment_allocation, sales_order,
    sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct Allocation {
    pub invoice_id: i64,
    pub amount: Decimal,
}

pub struct NewPayment {
    pub customer_id: i64,
    pub amount: Decimal,
    pub currency: String,
    pub date: NaiveDate,
    pub method: Option<String>,
    pub reference: Option<String>,
    /// None: the oldest due invoices first (R-PAY-5).
    pub allocations: Option<Vec<Allocation>>,
}

/// What is still open on an invoice: total less payments and credit notes.
pub fn open_balance(inv: &invoice::Model) -> Decimal {
    inv.total_amount.0 - inv.paid_amount.0 - inv.credited_amount.0
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

/// Spreads `amount` over open balances in the order given, never beyond a balance (R-PAY-5).
pub fn oldest_first(amount: Decimal, open: &[(i64, Decimal)]) -> Vec<(i64, Decimal)> {
    let mut left = amount;
    let mut out = Vec::new();
    for (id, balance) in open {
        if left <= Decimal::ZERO {
            break;
        }
        let take = left.min(*balance);
        if take > Decimal::ZERO {
            out.push((*id, take));
            left -= take;
        }
    }
    out
}

/// `recordPayment`.
pub async fn record(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewPayment,
) -> AppResult<payment::Model> {
    visibility::require(p, Permission::RecordPayments)?;
    let amount = validate::positive("amount", validate::decimal("amount", input.amount)?)?;
    let currency = validate::currency("currency", &input.currency)?;
    let method = validate::text("method", input.method, 40)?;
    let reference = validate::text("reference", input.reference, 200)?;
    if input.allocations.as_ref().is_some_and(|a| a.len() > 1000) {
        return Err(AppError::validation(
            "allocations",
            "at most 1000 allocations",
        ));
    }
    let customer = customers::get(db, p, input.customer_id)
        .await
        .map_err(|e| e.when_not_found(|| AppError::validation("customerId", "no such customer")))?;
    let company = companies::own(db, p).await?;
    let rate = if currency == company.currency {
        Decimal::ONE
    } else {
        sales_setup::rate_on(db, p.company_id, &currency, input.date)
            .await?
            .ok_or_else(|| {
                AppError::validation(
                    "currency",
                    format!("no exchange rate for {currency} on {}", input.date),
                )
            })?
    };

    let tx = db::write_tx(db).await?;
    let open_invoices = || {
        invoice::Entity::find()
            .filter(invoice::Column::CompanyId.eq(p.company_id))
            .filter(invoice::Column::CustomerId.eq(customer.id))
            .filter(invoice::Column::Kind.eq(InvoiceKind::Invoice))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Posted))
            .order_by_asc(invoice::Column::Id)
    };
    let plan: Vec<(i64, Decimal)> = match &input.allocations {
        Some(list) => {
            let mut ids: Vec<i64> = list.iter().map(|a| a.invoice_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let found = lock_all(
                &tx,
                open_invoices().filter(invoice::Column::Id.is_in(ids.clone())),
            )
            .await?;
            let mut plan = Vec::with_capacity(list.len());
            for (i, a) in list.iter().enumerate() {
                let field = |n: &str| format!("allocations.{i}.{n}");
                let inv = found.iter().find(|x| x.id == a.invoice_id).ok_or_else(|| {
                    AppError::validation(
                        field("invoiceId"),
                        "no posted invoice of this customer with this id",
                    )
                })?;
                if inv.currency != currency {
                    return Err(AppError::validation(
                        field("invoiceId"),
                        format!(
                            "the invoice is in {}, the payment in {currency}",
                            inv.currency
                        ),
                    ));
                }
                let q = validate::positive(
                    &field("amount"),
                    validate::decimal(&field("amount"), a.amount)?,
                )?;
                plan.push((inv.id, q));
            }
            let total: Decimal = plan.iter().map(|x| x.1).sum();
            if total > amount {
                return Err(AppError::validation(
                    "allocations",
                    format!("allocations of {total} exceed the payment of {amount}"),
                ));
            }
            plan
        }
        None => {
            let open = lock_all(
                &tx,
                open_invoices()
                    .filter(invoice::Column::Currency.eq(currency.clone()))
                    .filter(
                        invoice::Column::FinancialStatus
                            .is_in([FinancialStatus::Unpaid, FinancialStatus::PartiallyPaid]),
                    ),
            )
            .await?;
            let mut queue: Vec<(Option<NaiveDate>, i64, Decimal)> = open
                .iter()
                .map(|inv| (inv.next_due_date, inv.id, open_balance(inv)))
                .collect();
            queue.sort();
            oldest_first(
                amount,
                &queue.iter().map(|(_, id, b)| (*id, *b)).collect::<Vec<_>>(),
            )
        }
    };
    let company_of = |q: Decimal| pricing::round_money(q * rate);
    let allocated: Decimal = plan.iter().map(|x| x.1).sum();
    let company_allocated: Decimal = plan.iter().map(|x| company_of(x.1)).sum();
    let pay = payment::ActiveModel {
        company_id: Set(p.company_id),
        customer_id: Set(customer.id),
        status: Set(PaymentStatus::Recorded),
        payment_date: Set(input.date),
        currency: Set(currency),
        amount: Set(Dec(amount)),
        exchange_rate: Set(Dec(rate)),
        company_amount: Set(Dec(company_of(amount))),
        allocated_amount: Set(Dec(allocated)),
        company_allocated_amount: Set(Dec(company_allocated)),
        method: Set(method),
        reference: Set(reference),
        reversal_reason: Set(None),
        reversed_by: Set(None),
        reversed_at: Set(None),
        created_by: Set(p.key()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    if !plan.is_empty() {
        payment_allocation::Entity::insert_many(plan.iter().map(|(inv, q)| {
            payment_allocation::ActiveModel {
                company_id: Set(p.company_id),
                payment_id: Set(pay.id),
                invoice_id: Set(*inv),
                amount: Set(Dec(*q)),
                company_amount: Set(Dec(company_of(*q))),
                ..Default::default()
            }
        }))
        .exec_without_returning(&*tx)
        .await?;
    }
    let changes: Vec<(i64, Decimal, Decimal)> = plan
        .iter()
        .map(|(inv, q)| (*inv, *q, company_of(*q)))
        .collect();
    settle(&tx, &pay, &changes, OrderEvent::PaymentRecorded).await?;
    tx.commit().await?;
    Ok(pay)
}

/// `reversePayment`: the payment stops counting; every invoice and order it settled goes back
/// to what the remaining allocations say (R-PAY-5).
pub async fn reverse(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    reason: &str,
) -> AppResult<payment::Model> {
    visibility::require(p, Permission::RecordPayments)?;
    let reason = validate::required("reason", reason, 500)?;
    let tx = db::write_tx(db).await?;
    let mut q = payment::Entity::find_by_id(id).filter(visibility::payments(p));
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let pay = q.one(&*tx).await?.ok_or(AppError::NotFound("payment"))?;
    if pay.status == PaymentStatus::Reversed {
        return Err(AppError::InvalidState(
            "the payment is already reversed".into(),
        ));
    }
    let allocations = payment_allocation::Entity::find()
        .filter(payment_allocation::Column::PaymentId.eq(pay.id))
        .order_by_asc(payment_allocation::Column::InvoiceId)
        .all(&*tx)
        .await?;
    let ids: Vec<i64> = allocations.iter().map(|a| a.invoice_id).collect();
    lock_all(
        &tx,
        invoice::Entity::find().filter(invoice::Column::Id.is_in(ids)),
    )
    .await?;
    let mut am = pay.into_active_model();
    am.status = Set(PaymentStatus::Reversed);
    am.reversal_reason = Set(Some(reason));
    am.reversed_by = Set(Some(p.key()));
    am.reversed_at = Set(Some(Utc::now()));
    let pay = am.update(&*tx).await?;
    let changes: Vec<(i64, Decimal, Decimal)> = allocations
        .iter()
        .map(|a| (a.invoice_id, -a.amount.0, -a.company_amount.0))
        .collect();
    settle(&tx, &pay, &changes, OrderEvent::PaymentReversed).await?;
    tx.commit().await?;
    Ok(pay)
}

/// Applies (invoice, amount, company amount) changes to locked invoices and refreshes the
/// orders they bill, each with `event`.
async fn settle(
    tx: &DatabaseTransaction,
    pay: &payment::Model,
    changes: &[(i64, Decimal, Decimal)],
    event: OrderEvent,
) -> AppResult<()> {
    let mut per_invoice: BTreeMap<i64, (Decimal, Decimal)> = BTreeMap::new();
    for (inv, q, cq) in changes {
        let e = per_invoice.entry(*inv).or_default();
        e.0 += q;
        e.1 += cq;
    }
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(per_invoice.keys().copied()))
        .all(tx)
        .await?;
    let ids: Vec<i64> = per_invoice.keys().copied().collect();
    let plans = invoices::installment_rows(tx, &ids).await?;
    for inv in invoices {
        let (q, cq) = per_invoice[&inv.id];
        let paid = inv.paid_amount.0 + q;
        let status = status_of(inv.total_amount.0, paid + inv.credited_amount.0);
        let mut am = inv.clone().into_active_model();
        am.next_due_date = Set(first_open_due(
            paid + inv.credited_amount.0,
            plans.get(&inv.id).map_or(&[][..], |v| v),
        ));
        am.paid_amount = Set(Dec(paid));
        am.company_paid_amount = Set(Dec(inv.company_paid_amount.0 + cq));
        am.financial_status = Set(status);
        am.version = Set(inv.version + 1);
        am.updated_at = Set(Utc::now());
        am.update(tx).await?;
    }
    let order_ids: BTreeSet<i64> = invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::OrderId)
        .filter(invoice_line::Column::InvoiceId.is_in(per_invoice.keys().copied()))
        .into_tuple::<i64>()
        .all(tx)
        .await?
        .into_iter()
        .collect();
    let mut q = sales_order::Entity::find()
        .filter(sales_order::Column::Id.is_in(order_ids))
        .order_by_asc(sales_order::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    for order in q.all(tx).await? {
        let payload = json!({
            "paymentId": pay.id,
            "invoiceIds": per_invoice.keys().collect::<Vec<_>>(),
            "amount": Dec::canonical(pay.amount.0).to_string(),
            "currency": pay.currency,
        });
        refresh_order(tx, order, vec![(event, Some(payload))]).await?;
    }
    Ok(())
}

/// Recomputes an order's financial status from its posted invoices and credit notes (R-PAY-5,
/// R-ORD-17) and closes it when it is shipped, billed in full and paid. Saves it with `events`
/// (and FINANCIAL_STATUS_CHANGED when the status moved). The order must be locked.
pub(crate) async fn refresh_order(
    tx: &DatabaseTransaction,
    mut order: sales_order::Model,
    mut events: Vec<(OrderEvent, Option<serde_json::Value>)>,
) -> AppResult<sales_order::Model> {
    let billed = invoice_line::Entity::find()
        .filter(invoice_line::Column::OrderId.eq(order.id))
        .all(tx)
        .await?;
    let docs: HashMap<i64, invoice::Model> = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(invoices::invoice_ids_of(&billed)))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Posted))
        .all(tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut part: HashMap<i64, Decimal> = HashMap::new();
    for l in &billed {
        if docs.contains_key(&l.invoice_id) {
            *part.entry(l.invoice_id).or_default() += l.net_amount.0 + l.tax_amount.0;
        }
    }
    let owed: Decimal = part.values().sum();
    let paid: Decimal = part
        .iter()
        .filter_map(|(id, share)| {
            let inv = &docs[id];
            (inv.kind == InvoiceKind::Invoice && !inv.total_amount.is_zero())
                .then(|| pricing::round_money(inv.paid_amount.0 * share / inv.total_amount.0))
        })
        .sum();
    let shipped = matches!(order.status, DocStatus::Shipped | DocStatus::Closed);
    let complete = shipped && billed_in_full(tx, &order).await?;
    let status = if complete {
        status_of(owed, paid)
    } else if paid.is_zero() {
        FinancialStatus::Unpaid
    } else {
        FinancialStatus::PartiallyPaid
    };
    // Shipped, billed and paid closes the order; a reversed payment or a credit note that
    // undoes that reopens it (R-PAY-5: a reversal restores every status it changed).
    let settled = complete && matches!(status, FinancialStatus::Paid | FinancialStatus::Overpaid);
    let main = match (order.status, settled) {
        (DocStatus::Shipped, true) => DocStatus::Closed,
        (DocStatus::Closed, false) => DocStatus::Shipped,
        (s, _) => s,
    };
    if status != order.financial_status {
        events.push((
            OrderEvent::FinancialStatusChanged,
            Some(json!({"from": order.financial_status.to_value(), "to": status.to_value()})),
        ));
    }
    order.financial_status = status;
    order_rows::save_progress(tx, order, main, events).await
}

use sea_orm::ActiveEnum;

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

async fn lock_all(
    tx: &DatabaseTransaction,
    q: sea_orm::Select<invoice::Entity>,
) -> AppResult<Vec<invoice::Model>> {
    let mut q = q.order_by_asc(invoice::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.all(tx).await?)
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<payment::Model> {
    visibility::require(p, Permission::ReadInvoices)?;
    payment::Entity::find_by_id(id)
        .filter(visibility::payments(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("payment"))
}

/// Payments the caller sees, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: Option<i64>,
    args: &PageArgs,
) -> AppResult<Page<payment::Model>> {
    visibility::require(p, Permission::ReadInvoices)?;
    let mut q = payment::Entity::find().filter(visibility::payments(p));
    if let Some(c) = customer_id {
        q = q.filter(payment::Column::CustomerId.eq(c));
    }
    page::fetch_newest_first(db, q, payment::Column::Id, args).await
}

pub async fn allocations_by_payments(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<payment_allocation::Model>>> {
    rows::children::<payment_allocation::Entity, _>(
        db,
        payment_allocation::Column::PaymentId,
        ids,
        payment_allocation::Column::Id,
        |a| a.payment_id,
    )
    .await
}

pub async fn allocations_by_invoices(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<payment_allocation::Model>>> {
    rows::children::<payment_allocation::Entity, _>(
        db,
        payment_allocation::Column::InvoiceId,
        ids,
        payment_allocation::Column::Id,
        |a| a.invoice_id,
    )
    .await
}

/// Payments by id among those `p` sees (nested fields).
pub async fn visible_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::Id.is_in(ids.to_vec()))
        .filter(visibility::payments(p))
        .all(db)
        .await?
        .into_iter()
        .map(|x| (x.id, x))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn an_unallocated_payment_settles_the_oldest_due_first_r_pay_5() {
        let open = [(7, d("30")), (3, d("50")), (9, d("100"))];
        assert_eq!(
            oldest_first(d("60"), &open),
            vec![(7, d("30")), (3, d("30"))]
        );
        assert_eq!(
            oldest_first(d("500"), &open),
            vec![(7, d("30")), (3, d("50")), (9, d("100"))],
            "never beyond a balance: the rest stays unallocated"
        );
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
