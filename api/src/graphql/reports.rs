//! Receivables reports (R-PAY-3): expected receipts and overdue invoices. Resolvers call
//! `domain::reports`.
use crate::domain::{PageArgs, credit, reports};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::invoices::Invoice;
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::{canonical, db, loaders, parse_opt_id, principal};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::invoice;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::reports::GroupBy")]
pub enum ReportGrouping {
    Day,
    /// ISO weeks, from Monday.
    Week,
    Month,
}

/// What is expected in one period, company currency.
#[derive(SimpleObject)]
pub struct ExpectedReceipt {
    /// The period's first day.
    pub period_start: NaiveDate,
    /// Unsettled installments of posted invoices (with tax).
    pub invoiced: Decimal,
    /// Confirmed orders' value not billed or paid ahead yet, by their payment schedule (with
    /// tax).
    pub ordered: Decimal,
    pub total: Decimal,
}

#[derive(SimpleObject)]
pub struct ExpectedReceipts {
    pub periods: Vec<ExpectedReceipt>,
    pub invoiced: Decimal,
    pub ordered: Decimal,
    pub total: Decimal,
}

#[derive(SimpleObject)]
pub struct ForecastYear {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Orders entered in that period (company currency, without tax).
    pub ordered: Decimal,
    pub orders: i64,
}

#[derive(SimpleObject)]
pub struct ReceiptsForecast {
    pub forecast: Decimal,
    pub years: Vec<ForecastYear>,
}

/// A posted invoice with an installment past due.
pub struct OverduePayment {
    invoice: invoice::Model,
    today: NaiveDate,
}

#[Object]
impl OverduePayment {
    async fn invoice(&self) -> Invoice {
        Invoice(self.invoice.clone())
    }
    /// The earliest due date not settled.
    async fn due_date(&self) -> Option<NaiveDate> {
        self.invoice.next_due_date
    }
    async fn days_overdue(&self) -> i64 {
        self.invoice
            .next_due_date
            .map_or(0, |d| (self.today - d).num_days())
    }
    /// What of the installments due before today is not settled (invoice currency).
    async fn amount(&self, ctx: &Context<'_>) -> Result<Decimal> {
        let plan = loaders::get(ctx)?
            .invoice_installments
            .load_one(self.invoice.id)
            .await?
            .unwrap_or_default();
        Ok(canonical(credit::overdue_of(
            crate::domain::settlement::settled(&self.invoice),
            &plan,
            self.today,
        )))
    }
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Receipts expected between `from` and `to` (at most 366 days by day, 10 years otherwise),
    /// from unsettled invoice installments and not yet billed open orders (R-PAY-3).
    async fn expected_receipts(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        group_by: ReportGrouping,
        customer_id: Option<ID>,
    ) -> Result<ExpectedReceipts> {
        let customer_id = parse_opt_id(customer_id.as_ref(), "customerId")?;
        let r = reports::expected_receipts(
            db(ctx),
            principal(ctx)?,
            from.into(),
            to.into(),
            group_by.into(),
            customer_id,
        )
        .await?;
        let (mut invoiced, mut ordered) =
            (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
        let periods = r
            .periods
            .into_iter()
            .map(|(start, e)| {
                invoiced += e.invoiced;
                ordered += e.ordered;
                ExpectedReceipt {
                    period_start: start,
                    invoiced: canonical(e.invoiced),
                    ordered: canonical(e.ordered),
                    total: canonical(e.invoiced + e.ordered),
                }
            })
            .collect();
        Ok(ExpectedReceipts {
            periods,
            invoiced: canonical(invoiced),
            ordered: canonical(ordered),
            total: canonical(invoiced + ordered),
        })
    }

    /// A forecast of what `from`…`to` will bring in: the mean of what the same period of each
    /// of the last `years` (default 3) years ordered, over the years that had orders (company
    /// currency, without tax), with those years' figures (R-PAY-3).
    async fn receipts_forecast(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        #[graphql(default = 3)] years: i32,
    ) -> Result<ReceiptsForecast> {
        let years = u32::try_from(years)
            .map_err(|_| crate::error::AppError::validation("years", "1 to 10 years"))?;
        let f = reports::forecast(db(ctx), principal(ctx)?, from.into(), to.into(), years).await?;
        Ok(ReceiptsForecast {
            forecast: canonical(f.forecast),
            years: f
                .years
                .into_iter()
                .map(|y| ForecastYear {
                    from: y.from,
                    to: y.to,
                    ordered: canonical(y.ordered),
                    orders: y.orders as i64,
                })
                .collect(),
        })
    }

    /// Posted invoices with an installment past due and not settled, oldest first.
    async fn overdue_payments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        customer_id: Option<ID>,
    ) -> Result<Conn<OverduePayment>> {
        let customer_id = parse_opt_id(customer_id.as_ref(), "customerId")?;
        let today = chrono::Utc::now().date_naive();
        let page = reports::overdue(
            db(ctx),
            principal(ctx)?,
            today,
            customer_id,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(
            page,
            |i| i.id,
            |invoice| OverduePayment { invoice, today },
        ))
    }
}
