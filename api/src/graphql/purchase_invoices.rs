//! Purchase invoices and supplier payments (the payables side).
use super::connection::{Conn, from_page};
use super::invoices::InvoiceStatus;
use super::scalars::{Date, Decimal};
use super::suppliers::Supplier;
use super::{db, loaders, number, parse_id, parse_opt_id, principal, to_id};
use crate::domain::PageArgs;
use crate::domain::purchase_invoices::{self as pi, Filter, Period};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::{purchase_invoice, purchase_invoice_installment, purchase_invoice_line};

pub struct PurchaseInvoice(pub purchase_invoice::Model);

#[Object]
impl PurchaseInvoice {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// Ours, in the PURCHASE_INVOICE series, once posted.
    async fn number(&self) -> Option<String> {
        self.0.number.map(|n| number(&self.0.series, n))
    }
    async fn status(&self) -> InvoiceStatus {
        self.0.status.into()
    }
    async fn supplier(&self, ctx: &Context<'_>) -> Result<Option<Supplier>> {
        Ok(loaders::get(ctx)?
            .supplier
            .load_one(self.0.supplier_id)
            .await?
            .map(Supplier))
    }
    /// The supplier's own number for it (entered once per supplier).
    async fn supplier_invoice_number(&self) -> &str {
        &self.0.supplier_invoice_number
    }
    async fn invoice_date(&self) -> NaiveDate {
        self.0.invoice_date
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn net_amount(&self) -> Decimal {
        self.0.net_amount.into()
    }
    async fn tax_amount(&self) -> Decimal {
        self.0.tax_amount.into()
    }
    async fn total_amount(&self) -> Decimal {
        self.0.total_amount.into()
    }
    async fn paid_amount(&self) -> Decimal {
        self.0.paid_amount.into()
    }
    async fn open_amount(&self) -> Decimal {
        Decimal(self.0.total_amount.0 - self.0.paid_amount.0)
    }
    async fn next_due_date(&self) -> Option<NaiveDate> {
        self.0.next_due_date
    }
    /// Some line's price or quantity differs from the order and receipt beyond the tolerance.
    async fn has_variances(&self) -> bool {
        self.0.has_variances
    }
    /// Posted along an intercompany chain from the supplying company's invoice (R-IC-4).
    async fn from_intercompany(&self) -> bool {
        self.0.chain_invoice_id.is_some()
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<PurchaseInvoiceLine>> {
        let rows = loaders::get(ctx)?
            .purchase_invoice_lines
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(PurchaseInvoiceLine)
            .collect())
    }
    async fn installments(&self, ctx: &Context<'_>) -> Result<Vec<PurchaseInvoiceInstallment>> {
        let rows = loaders::get(ctx)?
            .purchase_invoice_installments
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(PurchaseInvoiceInstallment)
            .collect())
    }
}

pub struct PurchaseInvoiceLine(purchase_invoice_line::Model);

#[Object]
impl PurchaseInvoiceLine {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn receipt_line_id(&self) -> ID {
        to_id(self.0.receipt_line_id)
    }
    async fn purchase_order_line_id(&self) -> ID {
        to_id(self.0.purchase_order_line_id)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<super::Item>> {
        super::item(ctx, self.0.item_id).await
    }
    /// Stock units.
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    async fn unit_cost(&self) -> Decimal {
        self.0.unit_cost.into()
    }
    /// The purchase order's price, for the three-way match.
    async fn order_unit_cost(&self) -> Decimal {
        self.0.order_unit_cost.into()
    }
    async fn net_amount(&self) -> Decimal {
        self.0.net_amount.into()
    }
    async fn tax_rate(&self) -> Decimal {
        self.0.tax_rate.into()
    }
    async fn tax_amount(&self) -> Decimal {
        self.0.tax_amount.into()
    }
    /// The price differs from the order's beyond the company's tolerance.
    async fn price_variance(&self) -> bool {
        self.0.price_variance
    }
    /// The quantity differs from what the receipt line had open.
    async fn quantity_variance(&self) -> bool {
        self.0.quantity_variance
    }
}

pub struct PurchaseInvoiceInstallment(purchase_invoice_installment::Model);

#[Object]
impl PurchaseInvoiceInstallment {
    async fn due_date(&self) -> NaiveDate {
        self.0.due_date
    }
    async fn amount(&self) -> Decimal {
        self.0.amount.into()
    }
    async fn paid_amount(&self) -> Decimal {
        self.0.paid_amount.into()
    }
}

#[derive(SimpleObject)]
pub struct SupplierBalance {
    pub invoiced: Decimal,
    pub paid: Decimal,
    pub open: Decimal,
    pub overdue: Decimal,
}

#[derive(SimpleObject)]
pub struct ExpectedPayment {
    /// The first day of the period.
    pub period: NaiveDate,
    pub amount: Decimal,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PeriodGrouping {
    Day,
    Week,
    Month,
}

#[derive(InputObject)]
pub struct PurchaseInvoiceLineInput {
    pub receipt_line_id: ID,
    /// Stock units; what the receipt line has open when omitted.
    pub quantity: Option<Decimal>,
    /// The supplier's price; the purchase order's when omitted.
    pub unit_cost: Option<Decimal>,
}

#[derive(InputObject)]
pub struct CreatePurchaseInvoiceInput {
    pub receipt_ids: Vec<ID>,
    pub supplier_invoice_number: String,
    pub invoice_date: Date,
    /// Bill only these lines; every open line of the receipts in full when omitted.
    pub lines: Option<Vec<PurchaseInvoiceLineInput>>,
}

#[derive(InputObject)]
pub struct SupplierAllocationInput {
    pub purchase_invoice_id: ID,
    pub amount: Decimal,
}

#[derive(InputObject)]
pub struct RecordSupplierPaymentInput {
    pub supplier_id: ID,
    pub amount: Decimal,
    pub paid_on: Date,
    pub reference: Option<String>,
    /// The oldest due first when omitted.
    pub allocations: Option<Vec<SupplierAllocationInput>>,
}

#[derive(SimpleObject)]
pub struct SupplierPayment {
    pub id: ID,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
}

#[derive(InputObject, Default)]
pub struct PurchaseInvoiceFilter {
    pub supplier_id: Option<ID>,
    pub status: Option<InvoiceStatus>,
}

#[derive(Default)]
pub struct PurchaseInvoiceQuery;

#[Object]
impl PurchaseInvoiceQuery {
    /// Newest first (accounting).
    async fn purchase_invoices(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PurchaseInvoiceFilter>,
    ) -> Result<Conn<PurchaseInvoice>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            supplier_id: parse_opt_id(f.supplier_id.as_ref(), "filter.supplierId")?,
            status: f.status.map(Into::into),
        };
        let page = pi::list(
            db(ctx),
            principal(ctx)?,
            &filter,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |i| i.id, PurchaseInvoice))
    }

    async fn purchase_invoice(&self, ctx: &Context<'_>, id: ID) -> Result<PurchaseInvoice> {
        let id = parse_id(&id, "id")?;
        Ok(PurchaseInvoice(
            pi::get(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    /// What the company owes a supplier: posted invoices, paid, open, overdue.
    async fn supplier_balance(
        &self,
        ctx: &Context<'_>,
        supplier_id: ID,
    ) -> Result<SupplierBalance> {
        let id = parse_id(&supplier_id, "supplierId")?;
        let b = pi::balance(db(ctx), principal(ctx)?, id).await?;
        Ok(SupplierBalance {
            invoiced: Decimal(b.invoiced),
            paid: Decimal(b.paid),
            open: Decimal(b.open),
            overdue: Decimal(b.overdue),
        })
    }

    /// What falls due to suppliers between `from` and `to` and is not paid, per period.
    async fn expected_payments(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        group_by: PeriodGrouping,
    ) -> Result<Vec<ExpectedPayment>> {
        let by = match group_by {
            PeriodGrouping::Day => Period::Day,
            PeriodGrouping::Week => Period::Week,
            PeriodGrouping::Month => Period::Month,
        };
        let rows = pi::expected(db(ctx), principal(ctx)?, from.into(), to.into(), by).await?;
        Ok(rows
            .into_iter()
            .map(|(period, amount)| ExpectedPayment {
                period,
                amount: Decimal(amount),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PurchaseInvoiceMutation;

#[Object]
impl PurchaseInvoiceMutation {
    /// A PENDING purchase invoice of confirmed receipts of one supplier: what they brought in
    /// and was not billed yet, at the order's prices with tax, never twice.
    async fn create_purchase_invoice(
        &self,
        ctx: &Context<'_>,
        input: CreatePurchaseInvoiceInput,
    ) -> Result<PurchaseInvoice> {
        if input.receipt_ids.len() > pi::MAX_RECEIPTS {
            return Err(crate::error::AppError::validation(
                "receiptIds",
                format!("name 1 to {} receipts", pi::MAX_RECEIPTS),
            )
            .into());
        }
        let receipt_ids = input
            .receipt_ids
            .iter()
            .enumerate()
            .map(|(i, id)| parse_id(id, &format!("receiptIds.{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        let lines = match input.lines {
            Some(lines) if lines.len() > pi::MAX_LINES => {
                return Err(crate::error::AppError::validation(
                    "lines",
                    format!("name 1 to {} lines", pi::MAX_LINES),
                )
                .into());
            }
            Some(lines) => Some(
                lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| {
                        Ok(pi::LineInput {
                            receipt_line_id: parse_id(
                                &l.receipt_line_id,
                                &format!("lines.{i}.receiptLineId"),
                            )?,
                            quantity: l.quantity.map(|d| d.0),
                            unit_cost: l.unit_cost.map(|d| d.0),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        let new = pi::NewPurchaseInvoice {
            receipt_ids,
            supplier_invoice_number: input.supplier_invoice_number,
            invoice_date: input.invoice_date.into(),
            lines,
            chain_invoice_id: None,
        };
        Ok(PurchaseInvoice(
            pi::create(db(ctx), principal(ctx)?, new).await?,
        ))
    }

    /// Numbers it and fixes its due dates from the supplier's payment terms.
    async fn post_purchase_invoice(&self, ctx: &Context<'_>, id: ID) -> Result<PurchaseInvoice> {
        let id = parse_id(&id, "id")?;
        Ok(PurchaseInvoice(
            pi::post(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    /// Money paid to a supplier, settling its posted invoices.
    async fn record_supplier_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordSupplierPaymentInput,
    ) -> Result<SupplierPayment> {
        let allocations = match input.allocations {
            Some(list) if list.len() > pi::MAX_LINES => {
                return Err(crate::error::AppError::validation(
                    "allocations",
                    format!("name 1 to {} invoices", pi::MAX_LINES),
                )
                .into());
            }
            Some(list) => Some(
                list.into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        Ok((
                            parse_id(
                                &a.purchase_invoice_id,
                                &format!("allocations.{i}.purchaseInvoiceId"),
                            )?,
                            a.amount.0,
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        let p = pi::record_payment(
            db(ctx),
            principal(ctx)?,
            pi::NewSupplierPayment {
                supplier_id: parse_id(&input.supplier_id, "supplierId")?,
                amount: input.amount.0,
                paid_on: input.paid_on.into(),
                reference: input.reference,
                allocations,
            },
        )
        .await?;
        Ok(SupplierPayment {
            id: to_id(p.id),
            amount: p.amount.into(),
            paid_on: p.paid_on,
        })
    }
}
