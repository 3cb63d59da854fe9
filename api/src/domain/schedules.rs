//! An order's payment schedule (R-PAY-1): its installments — its own (`PER`) or its payment
//! terms' days counted from the order date, one at once without terms — over its total with
//! tax, the last taking the rounding remainder. What was paid for the order settles them in due
//! order. The schedule is derived, never stored: it follows the order while it changes, and a
//! payment against a line is an advance on the order (see `payments`).
use crate::domain::settlement::{self, installments, status_of};
use crate::domain::taxes;
use crate::error::AppResult;
use chrono::{Days, NaiveDate};
use entity::{
    FinancialStatus, InvoiceStatus, customer, invoice, invoice_line, order_installment,
    payment_term_installment, sales_order,
};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleLine {
    pub order_id: i64,
    pub position: i64,
    pub due_date: NaiveDate,
    pub percent: Decimal,
    pub amount: Decimal,
    pub paid: Decimal,
    pub status: FinancialStatus,
}

/// Whether `customer` pays `order` (schedule-line payments name the ordering customer).
pub fn payer_of(order: &sales_order::Model, customer: &customer::Model) -> bool {
    order.customer_id == customer.id
}

/// The installment plans of some orders: their own (`PER`) and their terms', loaded once.
pub struct Dues {
    own: Vec<order_installment::Model>,
    terms: Vec<payment_term_installment::Model>,
}

impl Dues {
    /// Two batched reads for any number of orders.
    pub async fn load<'a, C: ConnectionTrait>(
        db: &C,
        orders: impl Iterator<Item = &'a sales_order::Model> + Clone,
    ) -> AppResult<Dues> {
        let own = order_installment::Entity::find()
            .filter(order_installment::Column::OrderId.is_in(orders.clone().map(|o| o.id)))
            .order_by_asc(order_installment::Column::DueDate)
            .all(db)
            .await?;
        let terms = payment_term_installment::Entity::find()
            .filter(
                payment_term_installment::Column::PaymentTermsId
                    .is_in(orders.filter_map(|o| o.payment_terms_id)),
            )
            .order_by_asc(payment_term_installment::Column::Days)
            .all(db)
            .await?;
        Ok(Dues { own, terms })
    }

    /// Due dates and percents of `order`'s schedule: its own installments, or its terms'
    /// days from the order date, or everything at once.
    pub fn of(&self, order: &sales_order::Model) -> Vec<(NaiveDate, Decimal)> {
        let mine: Vec<(NaiveDate, Decimal)> = self
            .own
            .iter()
            .filter(|i| i.order_id == order.id)
            .map(|i| (i.due_date, i.percent.0))
            .collect();
        if !mine.is_empty() {
            return mine;
        }
        let by_terms: Vec<(NaiveDate, Decimal)> = self
            .terms
            .iter()
            .filter(|t| Some(t.payment_terms_id) == order.payment_terms_id)
            .map(|t| {
                (
                    order
                        .order_date
                        .checked_add_days(Days::new(t.days.max(0) as u64))
                        .unwrap_or(order.order_date),
                    t.percent.0,
                )
            })
            .collect();
        if by_terms.is_empty() {
            vec![(order.order_date, Decimal::ONE_HUNDRED)]
        } else {
            by_terms
        }
    }
}

/// How many schedule lines each order has.
pub async fn plan_sizes<'a, C: ConnectionTrait>(
    db: &C,
    orders: impl Iterator<Item = &'a sales_order::Model> + Clone,
) -> AppResult<HashMap<i64, i64>> {
    let dues = Dues::load(db, orders.clone()).await?;
    Ok(orders.map(|o| (o.id, dues.of(o).len() as i64)).collect())
}

/// The schedules of these orders, batched (a nested field of a page of orders).
/// The schedules of the orders among `ids` that `p` sees, for callers who read payments
/// (`visibility::reads_payments`): a schedule tells what was paid.
pub async fn of_visible_orders(
    db: &sea_orm::DatabaseConnection,
    p: &crate::auth::Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<ScheduleLine>>> {
    if !crate::auth::visibility::reads_payments(p) {
        return Ok(HashMap::new());
    }
    let orders: Vec<sales_order::Model> = crate::domain::orders::visible_by_ids(db, p, ids)
        .await?
        .into_values()
        .collect();
    of_orders(db, &orders).await
}

pub async fn of_orders<C: ConnectionTrait>(
    db: &C,
    orders: &[sales_order::Model],
) -> AppResult<HashMap<i64, Vec<ScheduleLine>>> {
    let dues = Dues::load(db, orders.iter()).await?;
    let totals = taxes::of_orders(db, orders).await?;
    let billed = invoice_line::Entity::find()
        .filter(invoice_line::Column::OrderId.is_in(orders.iter().map(|o| o.id)))
        .all(db)
        .await?;
    let docs: HashMap<i64, invoice::Model> = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(settlement::invoice_ids_of(&billed)))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Posted))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    Ok(orders
        .iter()
        .map(|o| {
            let total = totals.get(&o.id).map_or(Decimal::ZERO, |t| t.total);
            let (mut paid, _) = settlement::paid_and_billed(o, &billed, &docs);
            let lines = installments(total, &dues.of(o))
                .into_iter()
                .enumerate()
                .map(|(i, (due, pct, amount))| {
                    let covered = paid.min(amount).max(Decimal::ZERO);
                    paid -= covered;
                    ScheduleLine {
                        order_id: o.id,
                        position: i as i64 + 1,
                        due_date: due,
                        percent: pct,
                        amount,
                        paid: covered,
                        status: if covered.is_zero() {
                            FinancialStatus::Unpaid
                        } else {
                            status_of(amount, covered)
                        },
                    }
                })
                .collect();
            (o.id, lines)
        })
        .collect())
}
