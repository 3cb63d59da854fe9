//! Proformas (R-INV-1, R-PAY-1). Resolvers call `domain::proformas`.
use crate::domain::proformas;
use crate::graphql::customers::{Customer, load_customer};
use crate::graphql::orders::{FinancialStatus, SalesOrder};
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::{canonical, db, order, parse_id, principal, to_id};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::proforma;

pub struct Proforma(pub proforma::Model);

#[Object]
impl Proforma {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The rendered document (R-DOC-1): a path on this server, fetched with the same bearer token.
    async fn document_url(&self, format: crate::render::DocumentFormat) -> String {
        crate::downloads::path(crate::render::DocumentKind::Proforma, self.0.id, format)
    }
    /// `SERIES-NUMBER` in the PROFORMA series.
    async fn number(&self) -> String {
        format!("{}-{}", self.0.series, self.0.number)
    }
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        order(ctx, self.0.order_id).await
    }
    /// Who is asked to pay (the group customer under invoice-to-group).
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        load_customer(ctx, Some(self.0.customer_id)).await
    }
    async fn proforma_date(&self) -> NaiveDate {
        self.0.proforma_date
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The order's figures when it was issued.
    async fn tax_base(&self) -> Decimal {
        self.0.tax_base.into()
    }
    async fn tax(&self) -> Decimal {
        self.0.tax_amount.into()
    }
    async fn total_with_tax(&self) -> Decimal {
        self.0.total_amount.into()
    }
    async fn paid(&self) -> Decimal {
        self.0.paid_amount.into()
    }
    async fn balance(&self) -> Decimal {
        canonical(self.0.total_amount.0 - self.0.paid_amount.0)
    }
    async fn financial_status(&self) -> FinancialStatus {
        self.0.financial_status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct IssueProformaInput {
    pub order_id: ID,
    /// Today when omitted.
    pub date: Option<Date>,
}

#[derive(SimpleObject)]
pub struct ProformaPayload {
    pub proforma: Proforma,
}

#[derive(Default)]
pub struct ProformaQuery;

#[Object]
impl ProformaQuery {
    async fn proforma(&self, ctx: &Context<'_>, id: ID) -> Result<Proforma> {
        let id = parse_id(&id, "id")?;
        Ok(Proforma(
            proformas::get(db(ctx), principal(ctx)?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct ProformaMutation;

#[Object]
impl ProformaMutation {
    /// A numbered proforma with the order's figures as they are now; it moves no stock, and
    /// payments against it are advances on the order.
    async fn issue_proforma(
        &self,
        ctx: &Context<'_>,
        input: IssueProformaInput,
    ) -> Result<ProformaPayload> {
        let order_id = parse_id(&input.order_id, "orderId")?;
        let pf = proformas::issue(
            db(ctx),
            principal(ctx)?,
            order_id,
            input.date.map(Into::into),
        )
        .await?;
        Ok(ProformaPayload {
            proforma: Proforma(pf),
        })
    }
}
