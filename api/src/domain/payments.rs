//! Payments (R-PAY-2, R-PAY-5) and the financial status they drive (R-ORD-17).
//!
//! A payment names the invoices it settles, or settles its customer's oldest due invoices
//! first. Every financial status is the sum of what is allocated, kept in the transaction of
//! the payment that changes it: on the invoice (payments + credit notes against its total),
//! and on each order it bills (its share of those invoices against what it owes). An order
//! shipped, billed in full and paid is CLOSED. A reversed payment takes back every allocation.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::outbox::OrderEvent;
use crate::domain::settlement::{
    apply_advances, lock_all, lock_for_settlement, lock_invoices_of, open_balance, refresh_order,
    save_settlement, status_of,
};
use crate::domain::{Page, PageArgs, companies, customers, page, pricing, rows};
use crate::domain::{sales_setup, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    Dec, DocStatus, FinancialStatus, InvoiceKind, InvoiceStatus, PaymentStatus, invoice,
    invoice_line, payment, payment_allocation, proforma, sales_order,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What an allocation settles (R-PAY-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Invoice(i64),
    /// An advance on the proforma's order.
    Proforma(i64),
    /// An advance on the order, against its schedule line at `position` (R-PAY-1).
    ScheduleLine {
        order_id: i64,
        position: i64,
    },
}

pub struct Allocation {
    pub target: Target,
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
    let plan: Vec<(Target, Decimal)> = match &input.allocations {
        Some(list) => {
            // The orders first, then their invoices (the lock order of `settlement`).
            let (named, advance_orders) = lock_set(&*tx, list).await?;
            lock_for_settlement(&tx, p.company_id, &advance_orders, &named).await?;
            check_allocations(&tx, p, &customer, &currency, amount, list).await?
        }
        None => {
            let candidates: Vec<i64> = open_invoices()
                .filter(invoice::Column::Currency.eq(currency.clone()))
                .filter(
                    invoice::Column::FinancialStatus
                        .is_in([FinancialStatus::Unpaid, FinancialStatus::PartiallyPaid]),
                )
                .all(&*tx)
                .await?
                .into_iter()
                .map(|i| i.id)
                .collect();
            // The orders first, then their invoices; then what is still open once locked.
            let (_, locked) = lock_for_settlement(&tx, p.company_id, &[], &candidates).await?;
            let open: Vec<invoice::Model> = locked
                .into_iter()
                .filter(|i| candidates.contains(&i.id))
                .filter(|i| {
                    matches!(
                        i.financial_status,
                        FinancialStatus::Unpaid | FinancialStatus::PartiallyPaid
                    )
                })
                .collect();
            let mut queue: Vec<(Option<NaiveDate>, i64, Decimal)> = open
                .iter()
                .map(|inv| (inv.next_due_date, inv.id, open_balance(inv)))
                .collect();
            queue.sort();
            oldest_first(
                amount,
                &queue.iter().map(|(_, id, b)| (*id, *b)).collect::<Vec<_>>(),
            )
            .into_iter()
            .map(|(id, q)| (Target::Invoice(id), q))
            .collect()
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
        refunded_amount: Set(Dec(Decimal::ZERO)),
        company_refunded_amount: Set(Dec(Decimal::ZERO)),
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
    let changes = insert_allocations(&tx, &pay, &plan).await?;
    settle(&tx, &pay, &changes, OrderEvent::PaymentRecorded, None).await?;
    tx.commit().await?;
    Ok(pay)
}

/// Writes `plan` as allocations of `pay` (in one INSERT) and returns what each settles, in
/// the payment currency and the company's (at the payment's rate).
pub(crate) async fn insert_allocations(
    tx: &DatabaseTransaction,
    pay: &payment::Model,
    plan: &[(Target, Decimal)],
) -> AppResult<Vec<Change>> {
    let company_of = |q: Decimal| pricing::round_money(q * pay.exchange_rate.0);
    if !plan.is_empty() {
        let proformas = proformas_of(tx, plan).await?;
        payment_allocation::Entity::insert_many(plan.iter().map(|(target, q)| {
            let (invoice_id, order_id, proforma_id, position) = match *target {
                Target::Invoice(id) => (Some(id), None, None, None),
                Target::Proforma(id) => (None, proformas.get(&id).copied(), Some(id), None),
                Target::ScheduleLine { order_id, position } => {
                    (None, Some(order_id), None, Some(position))
                }
            };
            payment_allocation::ActiveModel {
                company_id: Set(pay.company_id),
                payment_id: Set(pay.id),
                invoice_id: Set(invoice_id),
                order_id: Set(order_id),
                proforma_id: Set(proforma_id),
                schedule_position: Set(position),
                amount: Set(Dec(*q)),
                company_amount: Set(Dec(company_of(*q))),
                ..Default::default()
            }
        }))
        .exec_without_returning(tx)
        .await?;
    }
    Ok(plan
        .iter()
        .map(|(t, q)| Change {
            target: *t,
            amount: *q,
            company: company_of(*q),
        })
        .collect())
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
    let visible = payment::Entity::find_by_id(id)
        .filter(visibility::payments(p))
        .one(&*tx)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    let allocations_of = |id: i64| {
        payment_allocation::Entity::find()
            .filter(payment_allocation::Column::PaymentId.eq(id))
            .order_by_asc(payment_allocation::Column::Id)
            .all(&*tx)
    };
    let allocations = allocations_of(visible.id).await?;
    let named: Vec<i64> = allocations.iter().filter_map(|a| a.invoice_id).collect();
    let advance_orders: Vec<i64> = allocations
        .iter()
        .filter(|a| a.invoice_id.is_none())
        .filter_map(|a| a.order_id)
        .collect();
    // The orders and invoices first, the payment last: the lock order of `settlement`, which
    // a release of advances (holding an order, R-PAY-6) follows too. What the payment settles
    // is read again under its lock; meanwhile it can only have shrunk.
    lock_for_settlement(&tx, p.company_id, &advance_orders, &named).await?;
    let mut q = payment::Entity::find_by_id(visible.id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let pay = q.one(&*tx).await?.ok_or(AppError::NotFound("payment"))?;
    if pay.status == PaymentStatus::Reversed {
        return Err(AppError::InvalidState(
            "the payment is already reversed".into(),
        ));
    }
    if !pay.refunded_amount.0.is_zero() {
        return Err(AppError::InvalidState(format!(
            "{} of the payment was refunded to the customer: it cannot be reversed",
            Dec::canonical(pay.refunded_amount.0)
        )));
    }
    let allocations = allocations_of(pay.id).await?;
    let mut am = pay.into_active_model();
    am.status = Set(PaymentStatus::Reversed);
    am.reversal_reason = Set(Some(reason.clone()));
    am.reversed_by = Set(Some(p.key()));
    am.reversed_at = Set(Some(Utc::now()));
    let pay = am.update(&*tx).await?;
    let changes: Vec<Change> = allocations
        .iter()
        .map(|a| Change {
            target: match (a.invoice_id, a.proforma_id, a.order_id) {
                (Some(id), _, _) => Target::Invoice(id),
                (_, Some(id), _) => Target::Proforma(id),
                (_, _, order) => Target::ScheduleLine {
                    order_id: order.unwrap_or_default(),
                    position: a.schedule_position.unwrap_or_default(),
                },
            },
            amount: -a.amount.0,
            company: -a.company_amount.0,
        })
        .collect();
    settle(
        &tx,
        &pay,
        &changes,
        OrderEvent::PaymentReversed,
        Some(&reason),
    )
    .await?;
    tx.commit().await?;
    Ok(pay)
}

/// What of a payment is neither allocated nor refunded (R-PAY-6).
pub fn unallocated(pay: &payment::Model) -> Decimal {
    pay.amount.0 - pay.allocated_amount.0 - pay.refunded_amount.0
}

/// One allocation's effect: `amount` (negative when reversed) on `target`.
pub(crate) struct Change {
    pub target: Target,
    pub amount: Decimal,
    pub company: Decimal,
}

/// Checks named allocations (R-PAY-2): each target belongs to the paying customer, is in the
/// payment's currency and can take money; together they do not exceed the payment. Locks the
/// invoices and proformas named.
pub(crate) async fn check_allocations(
    tx: &DatabaseTransaction,
    p: &Principal,
    customer: &entity::customer::Model,
    currency: &str,
    amount: Decimal,
    list: &[Allocation],
) -> AppResult<Vec<(Target, Decimal)>> {
    let pick = |f: fn(&Target) -> Option<i64>| -> Vec<i64> {
        let mut v: Vec<i64> = list.iter().filter_map(|a| f(&a.target)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let invoices = lock_all(
        tx,
        invoice::Entity::find()
            .filter(invoice::Column::CompanyId.eq(p.company_id))
            .filter(invoice::Column::CustomerId.eq(customer.id))
            .filter(invoice::Column::Kind.eq(InvoiceKind::Invoice))
            .filter(invoice::Column::Status.eq(InvoiceStatus::Posted))
            .filter(invoice::Column::Id.is_in(pick(|t| match t {
                Target::Invoice(id) => Some(*id),
                _ => None,
            }))),
    )
    .await?;
    let mut q = proforma::Entity::find()
        .filter(proforma::Column::CompanyId.eq(p.company_id))
        .filter(proforma::Column::CustomerId.eq(customer.id))
        .filter(proforma::Column::Id.is_in(pick(|t| match t {
            Target::Proforma(id) => Some(*id),
            _ => None,
        })))
        .order_by_asc(proforma::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let proformas = q.all(tx).await?;
    let orders: HashMap<i64, sales_order::Model> = sales_order::Entity::find()
        .filter(sales_order::Column::CompanyId.eq(p.company_id))
        .filter(sales_order::Column::Id.is_in(pick(|t| match t {
            Target::ScheduleLine { order_id, .. } => Some(*order_id),
            _ => None,
        })))
        .all(tx)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let plans = crate::domain::schedules::plan_sizes(tx, orders.values()).await?;
    let mut plan = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let field = |n: &str| format!("allocations.{i}.{n}");
        let (name, doc_currency) = match a.target {
            Target::Invoice(id) => {
                let inv = invoices.iter().find(|x| x.id == id).ok_or_else(|| {
                    AppError::validation(
                        field("invoiceId"),
                        "no posted invoice of this customer with this id",
                    )
                })?;
                ("invoiceId", inv.currency.clone())
            }
            Target::Proforma(id) => {
                let pf = proformas.iter().find(|x| x.id == id).ok_or_else(|| {
                    AppError::validation(
                        field("proformaId"),
                        "no proforma of this customer with this id",
                    )
                })?;
                ("proformaId", pf.currency.clone())
            }
            Target::ScheduleLine { order_id, position } => {
                let o = orders
                    .get(&order_id)
                    .filter(|o| {
                        crate::domain::schedules::payer_of(o, customer)
                            && o.kind == entity::DocKind::Order
                    })
                    .filter(|o| !matches!(o.status, DocStatus::Cancelled | DocStatus::Closed))
                    .ok_or_else(|| {
                        AppError::validation(
                            field("scheduleLineId"),
                            "no open order of this customer with this schedule line",
                        )
                    })?;
                if position < 1 || position > plans.get(&o.id).copied().unwrap_or(1) {
                    return Err(AppError::validation(
                        field("scheduleLineId"),
                        "no such schedule line on the order",
                    ));
                }
                ("scheduleLineId", o.currency.clone())
            }
        };
        if doc_currency != currency {
            return Err(AppError::validation(
                field(name),
                format!("the document is in {doc_currency}, the payment in {currency}"),
            ));
        }
        let q = validate::positive(
            &field("amount"),
            validate::decimal(&field("amount"), a.amount)?,
        )?;
        plan.push((a.target, q));
    }
    let total: Decimal = plan.iter().map(|x| x.1).sum();
    if total > amount {
        return Err(AppError::validation(
            "allocations",
            format!("allocations of {total} exceed the payment of {amount}"),
        ));
    }
    Ok(plan)
}

/// What an allocation list will lock: the invoices it names and the orders it pays ahead
/// (schedule lines, and proformas' orders, read without a lock: a proforma's order never
/// changes).
pub(crate) async fn lock_set<C: ConnectionTrait>(
    db: &C,
    list: &[Allocation],
) -> AppResult<(Vec<i64>, Vec<i64>)> {
    let named: Vec<i64> = list
        .iter()
        .filter_map(|a| match a.target {
            Target::Invoice(id) => Some(id),
            _ => None,
        })
        .collect();
    let plan: Vec<(Target, Decimal)> = list.iter().map(|a| (a.target, a.amount)).collect();
    let mut orders: Vec<i64> = proformas_of(db, &plan).await?.into_values().collect();
    orders.extend(list.iter().filter_map(|a| match a.target {
        Target::ScheduleLine { order_id, .. } => Some(order_id),
        _ => None,
    }));
    orders.sort_unstable();
    orders.dedup();
    Ok((named, orders))
}

/// The orders of the proformas named in `plan`.
async fn proformas_of<C: ConnectionTrait>(
    db: &C,
    plan: &[(Target, Decimal)],
) -> AppResult<HashMap<i64, i64>> {
    let ids: Vec<i64> = plan
        .iter()
        .filter_map(|(t, _)| match t {
            Target::Proforma(id) => Some(*id),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(proforma::Entity::find()
        .filter(proforma::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.order_id))
        .collect())
}

/// Applies allocation changes: invoices take payments, proformas and schedule lines are
/// advances on their orders (which settle the order's posted invoices when there are any).
/// Then refreshes every order touched, each with `event`. Invoices are locked by the caller;
/// orders are locked here, in id order.
pub(crate) async fn settle(
    tx: &DatabaseTransaction,
    pay: &payment::Model,
    changes: &[Change],
    event: OrderEvent,
    reason: Option<&str>,
) -> AppResult<()> {
    let mut per_invoice: BTreeMap<i64, (Decimal, Decimal)> = BTreeMap::new();
    let mut per_proforma: BTreeMap<i64, Decimal> = BTreeMap::new();
    for c in changes {
        match c.target {
            Target::Invoice(id) => {
                let e = per_invoice.entry(id).or_default();
                e.0 += c.amount;
                e.1 += c.company;
            }
            Target::Proforma(id) => *per_proforma.entry(id).or_default() += c.amount,
            Target::ScheduleLine { .. } => {}
        }
    }
    let proformas = proforma::Entity::find()
        .filter(proforma::Column::Id.is_in(per_proforma.keys().copied()))
        .all(tx)
        .await?;
    let mut advances: BTreeMap<i64, Decimal> = BTreeMap::new();
    for c in changes {
        match c.target {
            Target::Proforma(id) => {
                if let Some(pf) = proformas.iter().find(|p| p.id == id) {
                    *advances.entry(pf.order_id).or_default() += c.amount;
                }
            }
            Target::ScheduleLine { order_id, .. } => {
                *advances.entry(order_id).or_default() += c.amount
            }
            Target::Invoice(_) => {}
        }
    }
    for pf in proformas {
        let paid = pf.paid_amount.0 + per_proforma[&pf.id];
        let mut am = pf.clone().into_active_model();
        am.paid_amount = Set(Dec(paid));
        am.financial_status = Set(status_of(pf.total_amount.0, paid));
        am.update(tx).await?;
    }
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(per_invoice.keys().copied()))
        .all(tx)
        .await?;
    for inv in invoices {
        let (q, cq) = per_invoice[&inv.id];
        let mut inv2 = inv.clone();
        inv2.paid_amount = Dec(inv.paid_amount.0 + q);
        inv2.company_paid_amount = Dec(inv.company_paid_amount.0 + cq);
        save_settlement(tx, inv2).await?;
    }
    let mut order_ids: BTreeSet<i64> = invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::OrderId)
        .filter(invoice_line::Column::InvoiceId.is_in(per_invoice.keys().copied()))
        .into_tuple::<i64>()
        .all(tx)
        .await?
        .into_iter()
        .collect();
    order_ids.extend(advances.keys().copied());
    // Invoices before orders, as every path that changes both locks them.
    lock_invoices_of(
        tx,
        pay.company_id,
        &advances.keys().copied().collect::<Vec<_>>(),
        &[],
    )
    .await?;
    let mut q = sales_order::Entity::find()
        .filter(sales_order::Column::Id.is_in(order_ids))
        .order_by_asc(sales_order::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    for mut order in q.all(tx).await? {
        if let Some(a) = advances.get(&order.id) {
            let advance = order.advance_amount.0 + a;
            if advance < order.advance_applied.0 {
                return Err(AppError::InvalidState(format!(
                    "order {}-{}: {} of its advances already settle its invoices; credit them \
                     before reversing this payment",
                    order.series, order.number, order.advance_applied.0
                )));
            }
            order.advance_amount = Dec(advance);
            order = apply_advances(tx, order).await?;
        }
        let mut payload = json!({
            "paymentId": pay.id,
            "invoiceIds": per_invoice.keys().collect::<Vec<_>>(),
            "amount": Dec::canonical(pay.amount.0).to_string(),
            "currency": pay.currency,
        });
        if let Some(r) = reason {
            payload["reason"] = json!(r);
        }
        refresh_order(tx, order, vec![(event, Some(payload))]).await?;
    }
    Ok(())
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

/// Visible payments that settle each order — against its invoices, its proformas or its
/// schedule lines (R-PAY-1) — oldest first.
pub async fn by_orders(
    db: &DatabaseConnection,
    p: &Principal,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<payment::Model>>> {
    if !visibility::can(p, Permission::ReadInvoices) {
        return Ok(HashMap::new());
    }
    let billing: Vec<(i64, i64)> = invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::InvoiceId)
        .column(invoice_line::Column::OrderId)
        .filter(invoice_line::Column::OrderId.is_in(order_ids.to_vec()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let allocations = payment_allocation::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(payment_allocation::Column::OrderId.is_in(order_ids.to_vec()))
                .add(
                    payment_allocation::Column::InvoiceId
                        .is_in(billing.iter().map(|b| b.0).collect::<Vec<_>>()),
                ),
        )
        .all(db)
        .await?;
    let payments = visible_by_ids(
        db,
        p,
        &allocations.iter().map(|a| a.payment_id).collect::<Vec<_>>(),
    )
    .await?;
    let mut out: HashMap<i64, Vec<payment::Model>> = HashMap::new();
    for a in &allocations {
        let orders: Vec<i64> = match (a.order_id, a.invoice_id) {
            (Some(o), _) => vec![o],
            (None, Some(inv)) => billing.iter().filter(|b| b.0 == inv).map(|b| b.1).collect(),
            _ => vec![],
        };
        let Some(pay) = payments.get(&a.payment_id) else {
            continue;
        };
        for o in orders {
            let list = out.entry(o).or_default();
            if !list.iter().any(|x| x.id == pay.id) {
                list.push(pay.clone());
            }
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|x| x.id);
    }
    Ok(out)
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
        |a| a.invoice_id.unwrap_or_default(),
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
}
