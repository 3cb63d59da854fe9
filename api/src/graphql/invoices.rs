//! Invoices and credit notes (R-INV-1, R-TAX-1). Resolvers call `domain::invoices`.
use crate::domain::credit_notes::{self, CreditLine, NewCreditNote};
use crate::domain::invoices::{self, ListFilter, Source};
use crate::domain::{PageArgs, settlement, taxes};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::customers::Customer;
use crate::graphql::items::Item;
use crate::graphql::orders::{FinancialStatus, SalesOrder};
use crate::graphql::payments::PaymentAllocation;
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::taxes::TaxRegime;
use crate::graphql::{
    canonical, db, ids, item, loaders, order, parse_id, parse_opt_id, principal, to_id,
};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{invoice, invoice_installment, invoice_line};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::InvoiceKind")]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::InvoiceStatus")]
pub enum InvoiceStatus {
    Pending,
    Posted,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::InvoiceLineKind")]
pub enum InvoiceLineKind {
    Item,
    Freight,
}

/// An invoice or a credit note (its amounts negative).
pub struct Invoice(pub invoice::Model);

/// A document's amounts in its currency and in the company currency (R-ORD-7, R-TAX-1).
#[derive(SimpleObject)]
pub struct InvoiceAmounts {
    pub tax_base: Decimal,
    pub tax: Decimal,
    pub total_with_tax: Decimal,
    pub company_tax_base: Decimal,
    pub company_tax: Decimal,
    pub company_total_with_tax: Decimal,
    /// Σ payment allocations.
    pub paid: Decimal,
    /// Σ credit notes against it.
    pub credited: Decimal,
    /// Total − paid − credited.
    pub balance: Decimal,
}

/// A document's figures with tax, in its currency and the company's (R-TAX-1).
#[derive(SimpleObject)]
pub struct TaxedAmounts {
    pub tax_base: Decimal,
    pub tax: Decimal,
    pub total_with_tax: Decimal,
    pub company_tax_base: Decimal,
    pub company_tax: Decimal,
    pub company_total_with_tax: Decimal,
    pub taxes: Vec<TaxTotal>,
}

impl From<taxes::DocumentTax> for TaxedAmounts {
    fn from(t: taxes::DocumentTax) -> Self {
        TaxedAmounts {
            tax_base: canonical(t.base),
            tax: canonical(t.tax),
            total_with_tax: canonical(t.total),
            company_tax_base: canonical(t.company_base),
            company_tax: canonical(t.company_tax),
            company_total_with_tax: canonical(t.company_total),
            taxes: t
                .by_rate
                .into_iter()
                .map(|r| TaxTotal {
                    rate: r.rate.into(),
                    base: canonical(r.base),
                    tax: canonical(r.tax),
                })
                .collect(),
        }
    }
}

/// Base and tax of one rate on a document.
#[derive(SimpleObject)]
pub struct TaxTotal {
    pub rate: Decimal,
    pub base: Decimal,
    pub tax: Decimal,
}

#[Object]
impl Invoice {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The rendered invoice or credit note (R-DOC-1): a path on this server, fetched with the
    /// same bearer token.
    async fn document_url(&self, format: crate::render::DocumentFormat) -> String {
        crate::downloads::path(crate::domain::printing::kind_of(&self.0), self.0.id, format)
    }
    /// SHA-256 of the posted document's PDF in its own language: fixed at posting and the
    /// same forever (R-DOC-2); null before posting.
    async fn content_hash(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(crate::domain::printing::content_hash(db(ctx), principal(ctx)?, &self.0).await?)
    }
    async fn kind(&self) -> InvoiceKind {
        self.0.kind.into()
    }
    async fn status(&self) -> InvoiceStatus {
        self.0.status.into()
    }
    /// `SERIES-NUMBER`, once posted.
    async fn number(&self) -> Option<String> {
        invoices::number_of(&self.0)
    }
    /// Who is billed (the group customer under invoice-to-group, R-ORD-11).
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        crate::graphql::customers::load_customer(ctx, Some(self.0.customer_id)).await
    }
    /// Whose orders are billed.
    async fn order_customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        crate::graphql::customers::load_customer(ctx, Some(self.0.order_customer_id)).await
    }
    /// The invoice a credit note corrects.
    async fn credit_of(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        match self.0.credit_of_id {
            Some(id) => load_invoice(ctx, id).await,
            None => Ok(None),
        }
    }
    /// A credit note's reason (R-INV-6).
    async fn credit_reason(&self) -> Option<CreditReason> {
        self.0.credit_reason.map(Into::into)
    }
    /// The return note a RETURN credit note credits (R-RET-1).
    async fn return_id(&self) -> Option<ID> {
        self.0.return_id.map(to_id)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn invoice_date(&self) -> NaiveDate {
        self.0.invoice_date
    }
    async fn tax_regime(&self) -> TaxRegime {
        self.0.tax_regime.into()
    }
    /// Reverse charge: the note the law asks for (R-TAX-1).
    async fn legal_note(&self) -> Option<&str> {
        self.0.legal_note.as_deref()
    }
    async fn financial_status(&self) -> FinancialStatus {
        self.0.financial_status.into()
    }
    async fn amounts(&self) -> InvoiceAmounts {
        let i = &self.0;
        InvoiceAmounts {
            tax_base: i.tax_base.into(),
            tax: i.tax_amount.into(),
            total_with_tax: i.total_amount.into(),
            company_tax_base: i.company_tax_base.into(),
            company_tax: i.company_tax_amount.into(),
            company_total_with_tax: i.company_total_amount.into(),
            paid: i.paid_amount.into(),
            credited: i.credited_amount.into(),
            balance: canonical(settlement::open_balance(i)),
        }
    }
    /// Base and tax per rate, lowest rate first.
    async fn taxes(&self, ctx: &Context<'_>) -> Result<Vec<TaxTotal>> {
        let lines = lines_of(ctx, self.0.id).await?;
        Ok(taxes::by_rate(
            lines
                .iter()
                .map(|l| (l.net_amount.0, l.tax_rate.0, l.tax_amount.0)),
        )
        .into_iter()
        .map(|t| TaxTotal {
            rate: t.rate.into(),
            base: canonical(t.base),
            tax: canonical(t.tax),
        })
        .collect())
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<InvoiceLine>> {
        Ok(lines_of(ctx, self.0.id)
            .await?
            .into_iter()
            .map(InvoiceLine)
            .collect())
    }
    /// Due dates, fixed when the invoice is posted (R-PAY-1).
    async fn installments(&self, ctx: &Context<'_>) -> Result<Vec<InvoiceInstallment>> {
        let rows = loaders::get(ctx)?
            .invoice_installments
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(InvoiceInstallment)
            .collect())
    }
    /// The payments that settle it (R-PAY-2).
    async fn allocations(&self, ctx: &Context<'_>) -> Result<Vec<PaymentAllocation>> {
        let rows = loaders::get(ctx)?
            .invoice_allocations
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(PaymentAllocation)
            .collect())
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn posted_at(&self) -> Option<DateTime<Utc>> {
        self.0.posted_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

async fn lines_of(ctx: &Context<'_>, id: i64) -> Result<Vec<invoice_line::Model>> {
    Ok(loaders::get(ctx)?
        .invoice_lines
        .load_one(id)
        .await?
        .unwrap_or_default())
}

pub(crate) async fn load_invoice(ctx: &Context<'_>, id: i64) -> Result<Option<Invoice>> {
    Ok(loaders::get(ctx)?.invoice.load_one(id).await?.map(Invoice))
}

pub struct InvoiceLine(pub invoice_line::Model);

#[Object]
impl InvoiceLine {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn position(&self) -> i64 {
        self.0.position
    }
    async fn kind(&self) -> InvoiceLineKind {
        self.0.kind.into()
    }
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        order(ctx, self.0.order_id).await
    }
    /// The order line it bills (none for freight).
    async fn order_line_id(&self) -> Option<ID> {
        self.0.order_line_id.map(to_id)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        match self.0.item_id {
            Some(id) => item(ctx, id).await,
            None => Ok(None),
        }
    }
    /// In the customer's language (R-ITEM-5), as on the order.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Charged sales units (the bonus ships free, R-ORD-5).
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    /// Stock units billed.
    async fn stock_quantity(&self) -> Decimal {
        self.0.stock_quantity.into()
    }
    async fn unit_price(&self) -> Decimal {
        self.0.unit_price.into()
    }
    async fn discount_percent(&self) -> Decimal {
        self.0.discount_percent.into()
    }
    async fn header_discount_percent(&self) -> Decimal {
        self.0.header_discount_percent.into()
    }
    /// After discounts, rounded to cents: the line's tax base.
    async fn net_amount(&self) -> Decimal {
        self.0.net_amount.into()
    }
    async fn tax_code(&self) -> Option<&str> {
        self.0.tax_code.as_deref()
    }
    async fn tax_rate(&self) -> Decimal {
        self.0.tax_rate.into()
    }
    async fn tax_amount(&self) -> Decimal {
        self.0.tax_amount.into()
    }
}

pub struct InvoiceInstallment(pub invoice_installment::Model);

#[Object]
impl InvoiceInstallment {
    async fn position(&self) -> i64 {
        self.0.position
    }
    async fn due_date(&self) -> NaiveDate {
        self.0.due_date
    }
    async fn percent(&self) -> Decimal {
        self.0.percent.into()
    }
    async fn amount(&self) -> Decimal {
        self.0.amount.into()
    }
}

#[derive(SimpleObject)]
pub struct InvoicePayload {
    pub invoice: Invoice,
}

/// Name delivery notes or orders (one of the two).
#[derive(InputObject)]
pub struct CreateInvoiceInput {
    #[graphql(default)]
    pub shipment_ids: Vec<ID>,
    #[graphql(default)]
    pub order_ids: Vec<ID>,
    /// Today when omitted.
    pub invoice_date: Option<Date>,
}

#[derive(InputObject)]
pub struct UpdateInvoiceInput {
    pub id: ID,
    pub invoice_date: Date,
}

#[derive(InputObject)]
pub struct CreditLineInput {
    pub invoice_line_id: ID,
    /// Charged units to take back; the whole rest of the line when omitted.
    pub quantity: Option<Decimal>,
    /// PRICE_CORRECTION only: the net amount credited on the line (document currency).
    pub amount: Option<Decimal>,
}

/// Why a credit note credits (R-INV-6).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::CreditReason")]
pub enum CreditReason {
    /// What a return note brought back; the quantities stay billed.
    Return,
    /// An amount per line without quantities.
    PriceCorrection,
    /// The quantities become billable again.
    BillingError,
}

#[derive(InputObject)]
pub struct CreateCreditNoteInput {
    pub invoice_id: ID,
    /// BILLING_ERROR when omitted.
    pub reason: Option<CreditReason>,
    /// RETURN: the return note credited (name no lines).
    pub return_id: Option<ID>,
    /// Omit to credit everything not credited yet.
    pub lines: Option<Vec<CreditLineInput>>,
}

#[derive(InputObject, Default)]
pub struct InvoiceFilter {
    pub customer_id: Option<ID>,
    pub order_id: Option<ID>,
    pub status: Option<InvoiceStatus>,
    pub kind: Option<InvoiceKind>,
    pub financial_status: Option<FinancialStatus>,
}

#[derive(Default)]
pub struct InvoiceQuery;

#[Object]
impl InvoiceQuery {
    /// Invoices and credit notes the caller sees, newest first.
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InvoiceFilter>,
    ) -> Result<Conn<Invoice>> {
        let f = filter.unwrap_or_default();
        let filter = ListFilter {
            customer_id: parse_opt_id(f.customer_id.as_ref(), "filter.customerId")?,
            order_id: parse_opt_id(f.order_id.as_ref(), "filter.orderId")?,
            status: f.status.map(Into::into),
            kind: f.kind.map(Into::into),
            financial_status: f.financial_status.map(Into::into),
        };
        let page = invoices::list(
            db(ctx),
            principal(ctx)?,
            &filter,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |i| i.id, Invoice))
    }

    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> Result<Invoice> {
        let id = parse_id(&id, "id")?;
        Ok(Invoice(invoices::get(db(ctx), principal(ctx)?, id).await?))
    }
}

#[derive(Default)]
pub struct InvoiceMutation;

#[Object]
impl InvoiceMutation {
    /// A PENDING invoice for what the named delivery notes or orders shipped and was not
    /// billed (R-INV-1); one customer, currency and order rep per invoice.
    async fn create_invoice(
        &self,
        ctx: &Context<'_>,
        input: CreateInvoiceInput,
    ) -> Result<InvoicePayload> {
        let source = match (input.shipment_ids.is_empty(), input.order_ids.is_empty()) {
            (false, true) => Source::Shipments(ids(&input.shipment_ids, "shipmentIds")?),
            (true, false) => Source::Orders(ids(&input.order_ids, "orderIds")?),
            _ => {
                return Err(crate::error::AppError::validation(
                    "shipmentIds",
                    "name delivery notes or orders, not both",
                )
                .into());
            }
        };
        let inv = invoices::create(
            db(ctx),
            principal(ctx)?,
            source,
            input.invoice_date.map(Into::into),
        )
        .await?;
        Ok(InvoicePayload {
            invoice: Invoice(inv),
        })
    }

    /// Re-dates a PENDING invoice.
    async fn update_invoice(
        &self,
        ctx: &Context<'_>,
        input: UpdateInvoiceInput,
    ) -> Result<InvoicePayload> {
        let id = parse_id(&input.id, "id")?;
        let inv = invoices::update(db(ctx), principal(ctx)?, id, input.invoice_date.into()).await?;
        Ok(InvoicePayload {
            invoice: Invoice(inv),
        })
    }

    /// Cancels a PENDING invoice; what it billed becomes billable again.
    async fn cancel_invoice(
        &self,
        ctx: &Context<'_>,
        input: crate::graphql::IdInput,
    ) -> Result<InvoicePayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(InvoicePayload {
            invoice: Invoice(invoices::cancel(db(ctx), principal(ctx)?, id).await?),
        })
    }

    /// Numbers a PENDING invoice gaplessly, fixes its due dates, makes it immutable.
    async fn post_invoice(
        &self,
        ctx: &Context<'_>,
        input: crate::graphql::IdInput,
    ) -> Result<InvoicePayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(InvoicePayload {
            invoice: Invoice(invoices::post(db(ctx), principal(ctx)?, id).await?),
        })
    }

    /// A credit note against a POSTED invoice, posted at once in the CREDIT_NOTE series
    /// (R-INV-6): BILLING_ERROR makes its quantities billable again, RETURN credits what a
    /// return note brought back, PRICE_CORRECTION credits amounts without quantities.
    async fn create_credit_note(
        &self,
        ctx: &Context<'_>,
        input: CreateCreditNoteInput,
    ) -> Result<InvoicePayload> {
        let invoice_id = parse_id(&input.invoice_id, "invoiceId")?;
        let lines = match input.lines {
            Some(list) => Some(
                list.into_iter()
                    .enumerate()
                    .map(|(i, l)| {
                        Ok(CreditLine {
                            invoice_line_id: parse_id(
                                &l.invoice_line_id,
                                &format!("lines.{i}.invoiceLineId"),
                            )?,
                            quantity: l.quantity.map(|q| q.0),
                            amount: l.amount.map(|q| q.0),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        Ok(InvoicePayload {
            invoice: Invoice(
                credit_notes::credit(
                    db(ctx),
                    principal(ctx)?,
                    NewCreditNote {
                        invoice_id,
                        reason: input
                            .reason
                            .map_or(entity::CreditReason::BillingError, Into::into),
                        return_id: parse_opt_id(input.return_id.as_ref(), "returnId")?,
                        lines,
                    },
                )
                .await?,
            ),
        })
    }
}
