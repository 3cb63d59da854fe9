//! Receivables reports (R-PAY-3): expected receipts for a period and overdue invoices.
//!
//! Expected receipts, company currency, with tax, per due date grouped by day, week or month,
//! come from two sources: the unsettled part of each posted invoice's installments (settled in
//! due order), and the value of confirmed orders that no posted invoice has billed and no
//! advance paid yet, spread over the order's own installments (`PER`) or its terms' days
//! counted from the order date (its payment schedule). An installment that fell due before
//! `from` is not expected inside the period — it is overdue.
use crate::auth::{Permission, Principal, visibility};
use crate::domain::settlement::{self, installments};
use crate::domain::{Page, PageArgs, page, pricing};
use crate::error::{AppError, AppResult};
use chrono::{Datelike, Days, NaiveDate};
use entity::{
    DocKind, DocStatus, FinancialStatus, InvoiceKind, InvoiceStatus, invoice, invoice_line,
    sales_order,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap};

/// How expected receipts are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
}

/// The first day of the period `date` falls in.
pub fn period_start(date: NaiveDate, by: GroupBy) -> NaiveDate {
    match by {
        GroupBy::Day => date,
        GroupBy::Week => date - Days::new(date.weekday().num_days_from_monday() as u64),
        GroupBy::Month => date.with_day(1).unwrap_or(date),
    }
}

/// Periods of `[from, to]`, each with its first day, in order.
pub fn periods(from: NaiveDate, to: NaiveDate, by: GroupBy) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let start = period_start(day, by);
        if out.last() != Some(&start) {
            out.push(start);
        }
        day = match day.checked_add_days(Days::new(1)) {
            Some(d) => d,
            None => break,
        };
    }
    out
}

/// Longest period a report covers (bounds the answer: at most 366 days, or 10 years by week
/// or month).
pub fn check_range(from: NaiveDate, to: NaiveDate, by: GroupBy) -> AppResult<()> {
    if to < from {
        return Err(AppError::validation("to", "`to` lies before `from`"));
    }
    // Both ends count: 2026-01-01 … 2026-01-01 is one day.
    let days = (to - from).num_days() + 1;
    let max = if by == GroupBy::Day { 366 } else { 3_660 };
    if days > max {
        return Err(AppError::validation(
            "to",
            format!("a report covers at most {max} days grouped this way"),
        ));
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Expected {
    /// Posted invoices' unsettled installments (with tax).
    pub invoiced: Decimal,
    /// Open orders' value not billed or paid ahead yet (with tax).
    pub ordered: Decimal,
}

pub struct ExpectedReceipts {
    pub periods: Vec<(NaiveDate, Expected)>,
}

/// `expectedReceipts`: for whoever reads invoices; reps see their customers' (R-ACC-3).
pub async fn expected_receipts(
    db: &DatabaseConnection,
    p: &Principal,
    from: NaiveDate,
    to: NaiveDate,
    by: GroupBy,
    customer_id: Option<i64>,
) -> AppResult<ExpectedReceipts> {
    visibility::require(p, Permission::ReadInvoices)?;
    check_range(from, to, by)?;
    let mut sums: BTreeMap<NaiveDate, Expected> = periods(from, to, by)
        .into_iter()
        .map(|d| (d, Expected::default()))
        .collect();
    let mut add = |due: NaiveDate, amount: Decimal, invoiced: bool| {
        if due < from || due > to || amount.is_zero() {
            return;
        }
        let e = sums.entry(period_start(due, by)).or_default();
        if invoiced {
            e.invoiced += amount;
        } else {
            e.ordered += amount;
        }
    };

    // 1. Posted invoices still open.
    let mut q = invoice::Entity::find()
        .filter(visibility::invoices(p))
        .filter(invoice::Column::Kind.eq(InvoiceKind::Invoice))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Posted))
        .filter(
            invoice::Column::FinancialStatus
                .is_in([FinancialStatus::Unpaid, FinancialStatus::PartiallyPaid]),
        );
    if let Some(c) = customer_id {
        q = q.filter(invoice::Column::CustomerId.eq(c));
    }
    let open = q.all(db).await?;
    let plans =
        settlement::installment_rows(db, &open.iter().map(|i| i.id).collect::<Vec<_>>()).await?;
    for inv in &open {
        if inv.total_amount.is_zero() {
            continue;
        }
        let mut settled = settlement::settled(inv);
        for i in plans.get(&inv.id).map_or(&[][..], |v| v) {
            let covered = settled.min(i.amount.0).max(Decimal::ZERO);
            settled -= covered;
            let due = i.amount.0 - covered;
            add(
                i.due_date,
                pricing::round_money(inv.company_total_amount.0 * due / inv.total_amount.0),
                true,
            );
        }
    }

    // 2. Open orders' value not billed by a posted invoice yet.
    let mut q = sales_order::Entity::find()
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(DocKind::Order))
        .filter(sales_order::Column::Status.is_in([
            DocStatus::Confirmed,
            DocStatus::PartiallyShipped,
            DocStatus::Shipped,
        ]));
    if let Some(c) = customer_id {
        q = q.filter(sales_order::Column::CustomerId.eq(c));
    }
    let orders = q.all(db).await?;
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let mut billed: HashMap<i64, Decimal> = HashMap::new();
    let taxed = crate::domain::taxes::of_orders(db, &orders).await?;
    for l in invoice_line::Entity::find()
        .filter(invoice_line::Column::OrderId.is_in(ids.clone()))
        .filter(
            invoice_line::Column::InvoiceId.in_subquery(
                Query::select()
                    .column(invoice::Column::Id)
                    .from(invoice::Entity)
                    .and_where(invoice::Column::Status.eq(InvoiceStatus::Posted))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
    {
        *billed.entry(l.order_id).or_default() +=
            pricing::round_money((l.net_amount.0 + l.tax_amount.0) * l.exchange_rate.0);
    }
    let dues = crate::domain::schedules::Dues::load(db, orders.iter()).await?;
    for o in &orders {
        // With tax, less what posted invoices bill and what was paid ahead and not yet taken
        // by an invoice.
        let left = taxed.get(&o.id).map_or(Decimal::ZERO, |t| t.company_total)
            - billed.get(&o.id).copied().unwrap_or_default()
            - pricing::round_money((o.advance_amount.0 - o.advance_applied.0) * o.exchange_rate.0);
        if left <= Decimal::ZERO {
            continue;
        }
        let plan = dues.of(o);
        for (due, _, amount) in installments(left, &plan) {
            add(due, amount, false);
        }
    }
    Ok(ExpectedReceipts {
        periods: sums.into_iter().collect(),
    })
}

/// The same period in one earlier year, and what was ordered in it.
#[derive(Clone, Debug, PartialEq)]
pub struct YearBasis {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Company currency, without tax: orders entered in the period and not cancelled.
    pub ordered: Decimal,
    pub orders: u64,
}

pub struct Forecast {
    pub years: Vec<YearBasis>,
    /// The mean of the years that had orders (none: zero).
    pub forecast: Decimal,
}

/// The mean order value of the years that had orders; a year without orders says nothing
/// about demand (the company may not have traded yet), so it does not pull the mean down.
pub fn mean_of_trading_years(years: &[YearBasis]) -> Decimal {
    let trading: Vec<&YearBasis> = years.iter().filter(|y| y.orders > 0).collect();
    if trading.is_empty() {
        return Decimal::ZERO;
    }
    pricing::round_money(
        trading.iter().map(|y| y.ordered).sum::<Decimal>() / Decimal::from(trading.len()),
    )
}

/// `receiptsForecast` (R-PAY-3): what the same period of each of the last `years` years
/// ordered (orders entered then, company currency, without tax), and their mean as the
/// forecast of what the period will bring in.
pub async fn forecast(
    db: &DatabaseConnection,
    p: &Principal,
    from: NaiveDate,
    to: NaiveDate,
    years: u32,
) -> AppResult<Forecast> {
    visibility::require(p, Permission::ReadInvoices)?;
    check_range(from, to, GroupBy::Month)?;
    if !(1..=10).contains(&years) {
        return Err(AppError::validation("years", "1 to 10 years"));
    }
    let mut out = Vec::with_capacity(years as usize);
    for y in 1..=years {
        let back = |d: NaiveDate| {
            d.with_year(d.year() - y as i32)
                .or_else(|| (d - Days::new(1)).with_year(d.year() - y as i32))
                .unwrap_or(d)
        };
        let (f, t) = (back(from), back(to));
        let amounts: Vec<entity::Dec> = sales_order::Entity::find()
            .select_only()
            .column(sales_order::Column::CompanyTotalAmount)
            .filter(visibility::sales_orders(p))
            .filter(sales_order::Column::Kind.eq(DocKind::Order))
            .filter(sales_order::Column::Status.ne(DocStatus::Cancelled))
            .filter(sales_order::Column::OrderDate.between(f, t))
            .into_tuple()
            .all(db)
            .await?;
        out.push(YearBasis {
            from: f,
            to: t,
            ordered: amounts.iter().map(|a| a.0).sum(),
            orders: amounts.len() as u64,
        });
    }
    Ok(Forecast {
        forecast: mean_of_trading_years(&out),
        years: out,
    })
}

/// Posted invoices with an installment past its due date and not settled, oldest first.
pub async fn overdue(
    db: &DatabaseConnection,
    p: &Principal,
    today: NaiveDate,
    customer_id: Option<i64>,
    args: &PageArgs,
) -> AppResult<Page<invoice::Model>> {
    visibility::require(p, Permission::ReadInvoices)?;
    let mut q = invoice::Entity::find()
        .filter(visibility::invoices(p))
        .filter(invoice::Column::Kind.eq(InvoiceKind::Invoice))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Posted))
        .filter(invoice::Column::NextDueDate.lt(today));
    if let Some(c) = customer_id {
        q = q.filter(invoice::Column::CustomerId.eq(c));
    }
    page::fetch(db, q, invoice::Column::Id, args).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_day_report_covers_at_most_366_days_both_ends_counted() {
        let from = day(2026, 1, 1);
        assert!(
            check_range(from, day(2027, 1, 1), GroupBy::Day).is_ok(),
            "366 days"
        );
        assert!(
            check_range(from, day(2027, 1, 2), GroupBy::Day).is_err(),
            "367 days"
        );
        assert_eq!(periods(from, day(2027, 1, 1), GroupBy::Day).len(), 366);
    }

    #[test]
    fn periods_start_on_the_day_the_monday_or_the_first_of_the_month() {
        assert_eq!(
            periods(day(2026, 10, 15), day(2026, 12, 3), GroupBy::Month),
            vec![day(2026, 10, 1), day(2026, 11, 1), day(2026, 12, 1)]
        );
        // 2026-12-02 is a Wednesday.
        assert_eq!(
            period_start(day(2026, 12, 2), GroupBy::Week),
            day(2026, 11, 30)
        );
        assert_eq!(
            periods(day(2026, 12, 1), day(2026, 12, 14), GroupBy::Week),
            vec![day(2026, 11, 30), day(2026, 12, 7), day(2026, 12, 14)]
        );
        assert_eq!(
            periods(day(2026, 12, 1), day(2026, 12, 3), GroupBy::Day).len(),
            3
        );
    }

    #[test]
    fn the_forecast_is_the_mean_of_the_years_that_traded() {
        let year = |ordered: i64, orders| YearBasis {
            from: day(2025, 1, 1),
            to: day(2025, 3, 31),
            ordered: Decimal::from(ordered),
            orders,
        };
        assert_eq!(
            mean_of_trading_years(&[year(100, 2), year(50, 1), year(0, 0)]),
            Decimal::from(75)
        );
        assert_eq!(mean_of_trading_years(&[year(0, 0)]), Decimal::ZERO);
    }

    #[test]
    fn a_report_range_is_bounded() {
        assert!(check_range(day(2026, 1, 1), day(2026, 12, 31), GroupBy::Day).is_ok());
        assert!(check_range(day(2026, 1, 1), day(2027, 1, 3), GroupBy::Day).is_err());
        assert!(check_range(day(2026, 1, 1), day(2030, 1, 1), GroupBy::Month).is_ok());
        assert!(check_range(day(2026, 2, 1), day(2026, 1, 1), GroupBy::Month).is_err());
    }
}
