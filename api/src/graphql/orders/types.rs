//! Output types of quotes and sales orders: statuses, amounts, lines, histories.
use super::*;
use crate::graphql::agreements::{Agreement, AgreementLine, load_agreement, load_agreement_line};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrderStatus {
    Draft,
    Confirmed,
    PartiallyShipped,
    Shipped,
    Closed,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum QuoteStatus {
    Open,
    Accepted,
    Rejected,
}

pub(super) fn order_status(s: DocStatus) -> OrderStatus {
    match s {
        DocStatus::Confirmed => OrderStatus::Confirmed,
        DocStatus::PartiallyShipped => OrderStatus::PartiallyShipped,
        DocStatus::Shipped => OrderStatus::Shipped,
        DocStatus::Closed => OrderStatus::Closed,
        DocStatus::Cancelled => OrderStatus::Cancelled,
        _ => OrderStatus::Draft,
    }
}

pub(super) fn doc_status(s: OrderStatus) -> DocStatus {
    match s {
        OrderStatus::Draft => DocStatus::Draft,
        OrderStatus::Confirmed => DocStatus::Confirmed,
        OrderStatus::PartiallyShipped => DocStatus::PartiallyShipped,
        OrderStatus::Shipped => DocStatus::Shipped,
        OrderStatus::Closed => DocStatus::Closed,
        OrderStatus::Cancelled => DocStatus::Cancelled,
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::FinancialStatus")]
pub enum FinancialStatus {
    Unpaid,
    PartiallyPaid,
    Paid,
    Overpaid,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::FreightTerms")]
pub enum FreightTerms {
    OnInvoice,
    Prepaid,
    Collect,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::PriceSource")]
pub enum PriceSource {
    Agreement,
    Customer,
    List,
    Manual,
    KitComponent,
}

/// R-ORD-8: a correction moves the promise too and is not logged; a real change is logged
/// and shows in `deliveryDelays`.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DateChangeReason {
    Correction,
    RealChange,
}

impl From<DateChangeReason> for Reason {
    fn from(r: DateChangeReason) -> Self {
        match r {
            DateChangeReason::Correction => Reason::Correction,
            DateChangeReason::RealChange => Reason::RealChange,
        }
    }
}

/// Something the caller should know although the change was saved, e.g.
/// `CREDIT_LIMIT_EXCEEDED` (R-ORD-9) or `FREIGHT_RATE_MISSING`.
#[derive(SimpleObject, Clone)]
pub struct Warning {
    pub code: String,
    pub message: String,
}

pub(crate) fn warnings(list: Vec<orders::Warning>) -> Vec<Warning> {
    list.into_iter()
        .map(|w| Warning {
            code: w.code.into(),
            message: w.message,
        })
        .collect()
}

/// Document amounts (R-ORD-4, 7, 12): rounded to 2 places at the total, in the order currency
/// and in the company currency at the order's rate. None of them includes tax.
pub struct Amounts(pub sales_order::Model);

#[Object]
impl Amounts {
    /// Σ quantity × unit price, merchandise only, before any discount.
    async fn gross(&self) -> Decimal {
        self.0.gross_amount.into()
    }
    /// Line and header discounts together.
    async fn discount(&self) -> Decimal {
        self.0.discount_amount.into()
    }
    /// The order amount: gross after line and header discounts.
    async fn net(&self) -> Decimal {
        self.0.net_amount.into()
    }
    async fn freight(&self) -> Decimal {
        self.0.freight_amount.into()
    }
    /// Net + freight.
    async fn total(&self) -> Decimal {
        self.0.total_amount.into()
    }
    async fn company_gross(&self) -> Decimal {
        self.0.company_gross_amount.into()
    }
    async fn company_net(&self) -> Decimal {
        self.0.company_net_amount.into()
    }
    async fn company_freight(&self) -> Decimal {
        self.0.company_freight_amount.into()
    }
    async fn company_total(&self) -> Decimal {
        self.0.company_total_amount.into()
    }
}

pub struct SalesOrderLine(pub sales_order_line::Model);

#[Object]
impl SalesOrderLine {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// 1-based; kit components share their kit's position (R-ORD-14).
    async fn position(&self) -> i64 {
        self.0.position
    }
    /// The kit line this component belongs to (R-ITEM-1).
    async fn parent_line_id(&self) -> Option<ID> {
        self.0.parent_line_id.map(to_id)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        Ok(loaders::get(ctx)?
            .item
            .load_one(self.0.item_id)
            .await?
            .map(Item))
    }
    /// In the order's language when the item has a description in it (R-ITEM-5).
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Charged quantity, sales units.
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    /// Ships free on top of `quantity` (R-ORD-5).
    async fn bonus_quantity(&self) -> Decimal {
        self.0.bonus_quantity.into()
    }
    /// Order currency.
    async fn unit_price(&self) -> Decimal {
        self.0.unit_price.into()
    }
    async fn discount_percent(&self) -> Decimal {
        self.0.discount_percent.into()
    }
    async fn price_source(&self) -> PriceSource {
        self.0.price_source.into()
    }
    /// The agreement line that priced it (R-AGR-2), when the caller sees its agreement.
    async fn agreement_line(&self, ctx: &Context<'_>) -> Result<Option<AgreementLine>> {
        load_agreement_line(ctx, self.0.agreement_line_id).await
    }
    /// Unit cost (company currency); internal, hidden from buyers and partners.
    async fn cost(&self, ctx: &Context<'_>) -> Result<Option<Decimal>> {
        Ok(visibility::can(principal(ctx)?, Permission::ReadItemCost).then(|| self.0.cost.into()))
    }
    /// quantity × unitPrice, exact.
    async fn gross_amount(&self) -> Decimal {
        Decimal(self.0.quantity.0 * self.0.unit_price.0)
    }
    /// After the line discount, exact (documents round only at their totals).
    async fn net_amount(&self) -> Decimal {
        Decimal(pricing::LineFigures::money_of(&self.0).net())
    }
    async fn delivery_date(&self) -> Option<NaiveDate> {
        self.0.delivery_date
    }
    /// The first date promised; moved only by corrections (R-ORD-8).
    async fn promised_date(&self) -> Option<NaiveDate> {
        self.0.promised_date
    }
    /// R-IC-3: how far a delivery may pass (fall short of) the quantity and close the line.
    async fn over_delivery_percent(&self) -> Decimal {
        self.0.over_delivery_percent.into()
    }
    async fn under_delivery_percent(&self) -> Decimal {
        self.0.under_delivery_percent.into()
    }
    /// Stock units that will not be delivered: a delivery within the under-delivery tolerance
    /// closed the line (R-IC-3).
    async fn closed_quantity(&self) -> Decimal {
        self.0.closed_quantity.into()
    }
    /// The supplier named on the line, when not the item's preferred one.
    async fn supplier_id(&self) -> Option<ID> {
        self.0.supplier_id.map(to_id)
    }
    /// The lot the line reserves from, when it names one.
    async fn lot(&self) -> Option<&str> {
        self.0.lot.as_deref()
    }
    /// Stock units shipped so far.
    async fn shipped_quantity(&self) -> Decimal {
        self.0.shipped_quantity.into()
    }
    /// Stock units billed so far, never above what shipped (R-INV-1).
    async fn invoiced_quantity(&self) -> Decimal {
        self.0.invoiced_quantity.into()
    }
    /// Stock held for this line (R-RES-1).
    async fn reservations(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::reservations::Reservation>> {
        let rows = loaders::get(ctx)?.reservations.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::reservations::Reservation)
            .collect())
    }
    /// Σ reservations, stock units.
    async fn reserved_quantity(&self, ctx: &Context<'_>) -> Result<Decimal> {
        let rows = loaders::get(ctx)?.reservations.load_one(self.0.id).await?;
        Ok(Decimal(
            rows.unwrap_or_default().iter().map(|r| r.quantity.0).sum(),
        ))
    }
    /// The line's shortages (R-BO-1).
    async fn backorders(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::backorders::Backorder>> {
        let rows = loaders::get(ctx)?.backorders.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::backorders::Backorder)
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct Installment {
    pub due_date: NaiveDate,
    pub percent: Decimal,
}

#[derive(SimpleObject)]
pub struct DeliveryDateChange {
    /// Null for the header date.
    pub line_id: Option<ID>,
    pub old_date: Option<NaiveDate>,
    pub new_date: NaiveDate,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct OrderConfirmation {
    pub confirmation_date: NaiveDate,
    pub recipient: Option<String>,
    pub sent_by: String,
    pub sent_at: DateTime<Utc>,
}

/// An entry of the order's outbox (R-ORD-17: every status change is an event).
#[derive(SimpleObject)]
pub struct OrderEventEntry {
    pub id: ID,
    /// The id subscriptions deliver it under (pass it as `after`); null for the moment between
    /// commit and relay.
    pub event_id: Option<ID>,
    pub kind: String,
    pub status: Option<String>,
    pub financial_status: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Fields quotes and orders share; `$extra` adds the type's own.
macro_rules! document_object {
    ($ty:ident, { $($extra:tt)* }) => {
        pub struct $ty(pub sales_order::Model);

        #[Object]
        impl $ty {
            async fn id(&self) -> ID {
                to_id(self.0.id)
            }
            /// Fixed once set (R-ORD-2).
            async fn series(&self) -> &str {
                &self.0.series
            }
            /// Gapless per company, series and document type (R-ORD-2).
            async fn number(&self) -> i64 {
                self.0.number
            }
            /// `SERIES-NUMBER`.
            async fn document_number(&self) -> String {
                format!("{}-{}", self.0.series, self.0.number)
            }
            async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
                load_customer(ctx, Some(self.0.customer_id)).await
            }
            /// The order's own rep, defaulted from the customer (R-ACC-2).
            async fn sales_rep(&self, ctx: &Context<'_>) -> Result<Option<SalesRep>> {
                load_sales_rep(ctx, self.0.sales_rep_id).await
            }
            async fn order_date(&self) -> NaiveDate {
                self.0.order_date
            }
            async fn delivery_date(&self) -> Option<NaiveDate> {
                self.0.delivery_date
            }
            async fn currency(&self) -> &str {
                &self.0.currency
            }
            /// Value of one unit of `currency` in the company currency, kept from the order
            /// date (R-ORD-7).
            async fn exchange_rate(&self) -> Decimal {
                self.0.exchange_rate.into()
            }
            async fn language(&self) -> &str {
                &self.0.language
            }
            async fn payment_terms(&self, ctx: &Context<'_>) -> Result<Option<PaymentTerms>> {
                let Some(id) = self.0.payment_terms_id else { return Ok(None) };
                Ok(loaders::get(ctx)?.payment_terms.load_one(id).await?.map(PaymentTerms))
            }
            async fn payment_method(&self, ctx: &Context<'_>) -> Result<Option<PaymentMethod>> {
                let Some(id) = self.0.payment_method_id else { return Ok(None) };
                Ok(loaders::get(ctx)?.payment_method.load_one(id).await?.map(PaymentMethod))
            }
            async fn bank_account(&self, ctx: &Context<'_>) -> Result<Option<BankAccount>> {
                let Some(id) = self.0.bank_account_id else { return Ok(None) };
                Ok(loaders::get(ctx)?.bank_account.load_one(id).await?.map(BankAccount))
            }
            /// Due dates and percentages for custom payment terms (R-ORD-10).
            async fn installments(&self, ctx: &Context<'_>) -> Result<Vec<Installment>> {
                let rows = loaders::get(ctx)?.installments.load_one(self.0.id).await?;
                Ok(rows
                    .unwrap_or_default()
                    .into_iter()
                    .map(|i| Installment { due_date: i.due_date, percent: i.percent.into() })
                    .collect())
            }
            /// One of the customer's addresses.
            async fn ship_to_address_id(&self) -> Option<ID> {
                self.0.ship_to_address_id.map(to_id)
            }
            async fn carrier(&self, ctx: &Context<'_>) -> Result<Option<Carrier>> {
                let Some(id) = self.0.carrier_id else { return Ok(None) };
                Ok(loaders::get(ctx)?.carrier.load_one(id).await?.map(Carrier))
            }
            /// Invoices go to the customer's group, delivery notes to the customer (R-ORD-11).
            async fn invoice_to_group(&self) -> bool {
                self.0.invoice_to_group
            }
            async fn direct_delivery(&self) -> bool {
                self.0.direct_delivery
            }
            async fn order_type(&self) -> Option<&str> {
                self.0.order_type.as_deref()
            }
            /// The customer's own reference (their PO number).
            async fn customer_reference(&self) -> Option<&str> {
                self.0.customer_reference.as_deref()
            }
            async fn freight_terms(&self) -> FreightTerms {
                self.0.freight_terms.into()
            }
            /// The freight was typed in rather than calculated (R-ORD-12).
            async fn freight_overridden(&self) -> bool {
                self.0.freight_overridden
            }
            async fn header_discount_percent(&self) -> Decimal {
                self.0.header_discount_percent.into()
            }
            async fn amounts(&self) -> Amounts {
                Amounts(self.0.clone())
            }
            /// Σ item weight × shipped stock quantity unless overridden (R-ORD-13).
            async fn weight(&self) -> Decimal {
                self.0.weight.into()
            }
            async fn weight_overridden(&self) -> bool {
                self.0.weight_overridden
            }
            async fn volume(&self) -> Decimal {
                self.0.volume.into()
            }
            async fn volume_overridden(&self) -> bool {
                self.0.volume_overridden
            }
            /// The agreement it was placed from (R-AGR-3), when the caller sees it.
            async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
                load_agreement(ctx, self.0.agreement_id).await
            }
            /// Where the goods go, as text, on the documents of an intercompany chain
            /// (R-IC-3): set from the original order's shipping address.
            async fn delivery_address(&self) -> Option<&str> {
                self.0.delivery_address.as_deref()
            }
            /// Confirmed by the supplying company on its intercompany order (R-IC-3).
            async fn confirmed_ship_date(&self) -> Option<NaiveDate> {
                self.0.confirmed_ship_date
            }
            async fn confirmed_receipt_date(&self) -> Option<NaiveDate> {
                self.0.confirmed_receipt_date
            }
            /// The intercompany chain the order is on (R-IC-3), each document shown only to
            /// its own company.
            async fn intercompany_chain(
                &self,
                ctx: &Context<'_>,
            ) -> Result<Option<crate::graphql::intercompany::IntercompanyChain>> {
                crate::graphql::intercompany::of_order(ctx, self.0.id).await
            }
            /// In position order; kit components follow their kit (R-ORD-14, R-ITEM-1).
            async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<SalesOrderLine>> {
                let rows = loaders::get(ctx)?.lines.load_one(self.0.id).await?;
                Ok(rows.unwrap_or_default().into_iter().map(SalesOrderLine).collect())
            }
            async fn notes(&self) -> Option<&str> {
                self.0.notes.as_deref()
            }
            /// Increases with every change; pass it as `expectedVersion` to update safely.
            async fn version(&self) -> i64 {
                self.0.version
            }
            async fn created_at(&self) -> DateTime<Utc> {
                self.0.created_at
            }
            async fn updated_at(&self) -> DateTime<Utc> {
                self.0.updated_at
            }
            $($extra)*
        }
    };
}

document_object!(SalesOrder, {
    /// Main status (R-ORD-17).
    async fn status(&self) -> OrderStatus {
        order_status(self.0.status)
    }
    /// Financial status, derived from payments (R-ORD-17).
    async fn financial_status(&self) -> FinancialStatus {
        self.0.financial_status.into()
    }
    /// Cannot be reserved for shipping, shipped or invoiced until released (R-ORD-9).
    async fn credit_hold(&self) -> bool {
        self.0.credit_hold
    }
    async fn credit_released_by(&self) -> Option<&str> {
        self.0.credit_released_by.as_deref()
    }
    async fn credit_released_at(&self) -> Option<DateTime<Utc>> {
        self.0.credit_released_at
    }
    /// Its order confirmation, rendered (R-DOC-1): a path on this server, fetched with the same bearer token.
    async fn document_url(&self, format: crate::render::DocumentFormat) -> String {
        crate::downloads::path(
            crate::render::DocumentKind::OrderConfirmation,
            self.0.id,
            format,
        )
    }
    /// Date the last order confirmation was sent (R-ORD-15).
    async fn confirmation_date(&self) -> Option<NaiveDate> {
        self.0.confirmation_date
    }
    async fn confirmation_history(&self, ctx: &Context<'_>) -> Result<Vec<OrderConfirmation>> {
        let rows = loaders::get(ctx)?.confirmations.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|c| OrderConfirmation {
                confirmation_date: c.confirmation_date,
                recipient: c.recipient,
                sent_by: c.sent_by,
                sent_at: c.sent_at,
            })
            .collect())
    }
    /// Real delivery-date changes (R-ORD-8).
    async fn delivery_date_changes(&self, ctx: &Context<'_>) -> Result<Vec<DeliveryDateChange>> {
        let rows = loaders::get(ctx)?.date_changes.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|c| DeliveryDateChange {
                line_id: c.line_id.map(to_id),
                old_date: c.old_date,
                new_date: c.new_date,
                changed_by: c.changed_by,
                changed_at: c.changed_at,
            })
            .collect())
    }
    /// Delivery notes, oldest first.
    async fn shipments(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::shipments::Shipment>> {
        let rows = loaders::get(ctx)?.shipments.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::shipments::Shipment)
            .collect())
    }
    /// Invoices and credit notes that bill it, oldest first (R-PAY-1).
    async fn invoices(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::invoices::Invoice>> {
        let rows = loaders::get(ctx)?.invoices.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::invoices::Invoice)
            .collect())
    }
    /// Proformas issued for it, oldest first (R-INV-1).
    async fn proformas(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::proformas::Proforma>> {
        let rows = loaders::get(ctx)?.proformas.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::proformas::Proforma)
            .collect())
    }
    /// Its payment schedule: installments over the total with tax, settled in due order by
    /// what was paid for the order (R-PAY-1, R-PAY-2); empty for callers who do not read
    /// payments. Pay a line with
    /// `scheduleLineId: "orderId:position"`.
    async fn payment_schedule(&self, ctx: &Context<'_>) -> Result<Vec<ScheduleLine>> {
        let rows = loaders::get(ctx)?.schedule.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ScheduleLine)
            .collect())
    }
    /// Its figures with tax as they would be billed now (R-TAX-1): lines at their items' tax
    /// codes under the customer's regime, freight at the highest rate of its goods.
    async fn tax_amounts(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::invoices::TaxedAmounts>> {
        let t = loaders::get(ctx)?.order_tax.load_one(self.0.id).await?;
        Ok(t.map(crate::graphql::invoices::TaxedAmounts::from))
    }
    /// Payments that settle it — against its invoices, proformas or schedule lines — oldest
    /// first, for whoever reads payments (R-PAY-1).
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::payments::Payment>> {
        let rows = loaders::get(ctx)?
            .order_payments
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::payments::Payment)
            .collect())
    }
    /// Payments made against the order itself (proformas, schedule lines) before billing;
    /// null for callers who do not read payments (the warehouse, purchasing).
    async fn advance_paid(&self, ctx: &Context<'_>) -> Result<Option<Decimal>> {
        let p = crate::graphql::principal(ctx)?;
        Ok(crate::auth::visibility::reads_payments(p).then(|| self.0.advance_amount.into()))
    }
    /// Documents attached to it (R-PAY-1), removed ones marked.
    async fn documents(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::documents::OrderDocument>> {
        let rows = loaders::get(ctx)?.documents.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::documents::OrderDocument)
            .collect())
    }
    /// The purchase orders buying its backorders (R-PAY-4), for purchasing readers.
    async fn purchase_orders(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::purchasing::PurchaseOrder>> {
        let rows = loaders::get(ctx)?
            .serving_purchase_orders
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::purchasing::PurchaseOrder)
            .collect())
    }
    /// The production order serving it, by reference (R-PAY-4).
    async fn production_reference(&self) -> Option<&str> {
        self.0.production_reference.as_deref()
    }
    /// Whether the freight went onto an invoice (it is billed once).
    async fn freight_invoiced(&self) -> bool {
        self.0.freight_invoiced
    }
    /// What happened to the order, oldest first (R-ORD-17).
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<OrderEventEntry>> {
        let rows = loaders::get(ctx)?.events.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|e| OrderEventEntry {
                id: to_id(e.id),
                event_id: e.seq.map(to_id),
                kind: e.kind,
                status: e.status,
                financial_status: e.financial_status,
                occurred_at: e.occurred_at,
            })
            .collect())
    }
    /// The quote this order was accepted from (R-ORD-3).
    async fn quote(&self, ctx: &Context<'_>) -> Result<Option<Quote>> {
        let Some(id) = self.0.quote_id else {
            return Ok(None);
        };
        Ok(loaders::get(ctx)?.order.load_one(id).await?.map(Quote))
    }
});

document_object!(Quote, {
    async fn status(&self) -> QuoteStatus {
        match self.0.status {
            DocStatus::Accepted => QuoteStatus::Accepted,
            DocStatus::Rejected => QuoteStatus::Rejected,
            _ => QuoteStatus::Open,
        }
    }
    /// The order it became when accepted (R-ORD-3).
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        let Some(id) = self.0.order_id else {
            return Ok(None);
        };
        Ok(loaders::get(ctx)?.order.load_one(id).await?.map(SalesOrder))
    }
});

/// A line delivered (or to be delivered) on another date than first promised (R-ORD-8).
pub struct DeliveryDelay(pub sales_order_line::Model);

#[Object]
impl DeliveryDelay {
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        Ok(loaders::get(ctx)?
            .order
            .load_one(self.0.order_id)
            .await?
            .map(SalesOrder))
    }
    async fn line(&self) -> SalesOrderLine {
        SalesOrderLine(self.0.clone())
    }
    async fn first_promised_date(&self) -> Option<NaiveDate> {
        self.0.promised_date
    }
    /// The current delivery date (the shipped date once shipping lands).
    async fn current_date(&self) -> Option<NaiveDate> {
        self.0.delivery_date
    }
    /// Positive when late.
    async fn delay_days(&self) -> Option<i64> {
        Some((self.0.delivery_date? - self.0.promised_date?).num_days())
    }
}

/// One installment of an order's payment schedule (R-PAY-1).
pub struct ScheduleLine(pub crate::domain::schedules::ScheduleLine);

#[Object]
impl ScheduleLine {
    /// `orderId:position`: what a payment allocation names.
    async fn id(&self) -> ID {
        ID(format!("{}:{}", self.0.order_id, self.0.position))
    }
    async fn position(&self) -> i64 {
        self.0.position
    }
    async fn due_date(&self) -> chrono::NaiveDate {
        self.0.due_date
    }
    async fn percent(&self) -> Decimal {
        self.0.percent.into()
    }
    async fn amount(&self) -> Decimal {
        crate::graphql::canonical(self.0.amount)
    }
    async fn paid(&self) -> Decimal {
        crate::graphql::canonical(self.0.paid)
    }
    async fn financial_status(&self) -> FinancialStatus {
        self.0.status.into()
    }
}
