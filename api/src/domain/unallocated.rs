//! A customer's unallocated money (R-PAY-6): what a payment holds that no invoice or order
//! took — it arrived without enough to settle, an order gave its advance back, or an
//! allocation was taken back. It lowers the credit risk while it waits, and it leaves in one
//! of three ways: `allocatePayment` applies it, `refundPayment` pays it back, `reversePayment`
//! takes the whole payment back. At every step `amount = allocated + refunded + unallocated`.
//!
//! Every mutation here locks what it settles first (orders, then invoices and proformas) and
//! the payment last — the lock order of `settlement` — and reads what is unallocated under
//! that lock, so concurrent calls never give out more than the payment holds.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::outbox::OrderEvent;
use crate::domain::payments::{
    Allocation, Change, Target, check_allocations, insert_allocations, lock_set, settle,
    unallocated,
};
use crate::domain::settlement::lock_for_settlement;
use crate::domain::{pricing, rows, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{Dec, PaymentStatus, payment, payment_allocation, payment_refund};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// The payment `id` if the caller may move its money; not locked.
async fn visible(tx: &DatabaseTransaction, p: &Principal, id: i64) -> AppResult<payment::Model> {
    visibility::require(p, Permission::RecordPayments)?;
    payment::Entity::find_by_id(id)
        .filter(visibility::payments(p))
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("payment"))
}

/// The payment again, locked (after what it settles), and refused when reversed.
async fn locked(tx: &DatabaseTransaction, id: i64, doing: &str) -> AppResult<payment::Model> {
    let mut q = payment::Entity::find_by_id(id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let pay = q.one(tx).await?.ok_or(AppError::NotFound("payment"))?;
    if pay.status == PaymentStatus::Reversed {
        return Err(AppError::InvalidState(format!(
            "the payment is reversed: nothing of it can be {doing}"
        )));
    }
    Ok(pay)
}

/// A positive amount with at most two decimals.
fn amount(field: &str, q: Decimal) -> AppResult<Decimal> {
    if q <= Decimal::ZERO || q.normalize().scale() > 2 {
        return Err(AppError::validation(
            field,
            "a positive amount with at most two decimals",
        ));
    }
    Ok(q)
}

/// `allocatePayment`: applies unallocated money to invoices, proformas or schedule lines of
/// the payment's customer, as `recordPayment` would have (R-PAY-2).
pub async fn allocate(
    db: &DatabaseConnection,
    p: &Principal,
    payment_id: i64,
    list: Vec<Allocation>,
) -> AppResult<payment::Model> {
    visibility::require(p, Permission::RecordPayments)?;
    if list.is_empty() || list.len() > 1000 {
        return Err(AppError::validation(
            "allocations",
            "between 1 and 1000 allocations",
        ));
    }
    let tx = db::write_tx(db).await?;
    let seen = visible(&tx, p, payment_id).await?;
    let customer = entity::customer::Entity::find_by_id(seen.customer_id)
        .one(&*tx)
        .await?
        .ok_or(AppError::NotFound("payment"))?;
    let (named, advance_orders) = lock_set(&*tx, &list).await?;
    lock_for_settlement(&tx, p.company_id, &advance_orders, &named).await?;
    let plan = check_allocations(&tx, p, &customer, &seen.currency, seen.amount.0, &list).await?;
    let pay = locked(&tx, seen.id, "allocated").await?;
    let free = unallocated(&pay);
    let total: Decimal = plan.iter().map(|x| x.1).sum();
    if total > free {
        return Err(AppError::validation(
            "allocations",
            format!(
                "allocations of {} exceed the {} the payment has unallocated",
                Dec::canonical(total),
                Dec::canonical(free)
            ),
        ));
    }
    let changes = insert_allocations(&tx, &pay, &plan).await?;
    let mut am = pay.clone().into_active_model();
    am.allocated_amount = Set(Dec(pay.allocated_amount.0 + total));
    am.company_allocated_amount = Set(Dec(
        pay.company_allocated_amount.0 + changes.iter().map(|c| c.company).sum::<Decimal>()
    ));
    let pay = am.update(&*tx).await?;
    settle(&tx, &pay, &changes, OrderEvent::PaymentAllocated, None).await?;
    tx.commit().await?;
    Ok(pay)
}

/// `unallocatePayment`: takes `amount` of what the payment settles on a posted invoice back
/// to the payment's unallocated money (a payment applied to the wrong invoice). The newest
/// allocations give first; the invoice's and its orders' statuses follow, with a
/// PAYMENT_UNALLOCATED event carrying the reason.
pub async fn unallocate(
    db: &DatabaseConnection,
    p: &Principal,
    payment_id: i64,
    invoice_id: i64,
    q: Decimal,
    reason: &str,
) -> AppResult<payment::Model> {
    visibility::require(p, Permission::RecordPayments)?;
    let q = amount("amount", q)?;
    let reason = validate::required("reason", reason, 500)?;
    let tx = db::write_tx(db).await?;
    let seen = visible(&tx, p, payment_id).await?;
    lock_for_settlement(&tx, p.company_id, &[], &[invoice_id]).await?;
    let pay = locked(&tx, seen.id, "taken back").await?;
    let allocations = payment_allocation::Entity::find()
        .filter(payment_allocation::Column::PaymentId.eq(pay.id))
        .filter(payment_allocation::Column::InvoiceId.eq(invoice_id))
        .order_by_desc(payment_allocation::Column::Id)
        .all(&*tx)
        .await?;
    let held: Decimal = allocations.iter().map(|a| a.amount.0).sum();
    if allocations.is_empty() {
        return Err(AppError::validation(
            "invoiceId",
            "the payment settles nothing on this invoice",
        ));
    }
    if q > held {
        return Err(AppError::validation(
            "amount",
            format!(
                "the payment settles {} of this invoice: at most that can be taken back",
                Dec::canonical(held)
            ),
        ));
    }
    let (mut left, mut company) = (q, Decimal::ZERO);
    for a in allocations {
        if left.is_zero() {
            break;
        }
        let take = left.min(a.amount.0);
        let company_take = if take == a.amount.0 {
            payment_allocation::Entity::delete_by_id(a.id)
                .exec(&*tx)
                .await?;
            a.company_amount.0
        } else {
            let c = pricing::round_money(take * pay.exchange_rate.0);
            let mut am = a.clone().into_active_model();
            am.amount = Set(Dec(a.amount.0 - take));
            am.company_amount = Set(Dec(a.company_amount.0 - c));
            am.update(&*tx).await?;
            c
        };
        left -= take;
        company += company_take;
    }
    let mut am = pay.clone().into_active_model();
    am.allocated_amount = Set(Dec(pay.allocated_amount.0 - q));
    am.company_allocated_amount = Set(Dec(pay.company_allocated_amount.0 - company));
    let pay = am.update(&*tx).await?;
    let change = Change {
        target: Target::Invoice(invoice_id),
        amount: -q,
        company: -company,
    };
    settle(
        &tx,
        &pay,
        &[change],
        OrderEvent::PaymentUnallocated,
        Some(&reason),
    )
    .await?;
    tx.commit().await?;
    Ok(pay)
}

/// `refundPayment`: pays `amount` of the payment's unallocated money back to the customer.
/// Never more than is unallocated; the refund is kept as its own record and lowers what the
/// customer holds (the risk rises by it, R-ORD-9).
pub async fn refund(
    db: &DatabaseConnection,
    p: &Principal,
    payment_id: i64,
    q: Decimal,
    date: NaiveDate,
    reason: &str,
) -> AppResult<(payment::Model, payment_refund::Model)> {
    visibility::require(p, Permission::RecordPayments)?;
    let q = amount("amount", q)?;
    let reason = validate::required("reason", reason, 500)?;
    let tx = db::write_tx(db).await?;
    let seen = visible(&tx, p, payment_id).await?;
    let pay = locked(&tx, seen.id, "refunded").await?;
    if date < pay.payment_date {
        return Err(AppError::validation(
            "date",
            format!("a refund cannot precede its payment ({})", pay.payment_date),
        ));
    }
    let free = unallocated(&pay);
    if q > free {
        return Err(AppError::validation(
            "amount",
            format!(
                "the payment has {} unallocated: at most that can be refunded",
                Dec::canonical(free)
            ),
        ));
    }
    // The last cent of a payment refunds what its company amount still holds, so the kept
    // company sums add up exactly.
    let company = if q == free {
        pay.company_amount.0 - pay.company_allocated_amount.0 - pay.company_refunded_amount.0
    } else {
        pricing::round_money(q * pay.exchange_rate.0)
    };
    let refund = payment_refund::ActiveModel {
        company_id: Set(pay.company_id),
        payment_id: Set(pay.id),
        refund_date: Set(date),
        amount: Set(Dec(q)),
        company_amount: Set(Dec(company)),
        reason: Set(reason),
        created_by: Set(p.key()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    let mut am = pay.clone().into_active_model();
    am.refunded_amount = Set(Dec(pay.refunded_amount.0 + q));
    am.company_refunded_amount = Set(Dec(pay.company_refunded_amount.0 + company));
    let pay = am.update(&*tx).await?;
    tx.commit().await?;
    Ok((pay, refund))
}

/// The refunds of these payments, oldest first, per payment (one statement for a page).
pub async fn refunds_by_payments(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<payment_refund::Model>>> {
    rows::children::<payment_refund::Entity, _>(
        db,
        payment_refund::Column::PaymentId,
        ids,
        payment_refund::Column::Id,
        |r| r.payment_id,
    )
    .await
}
