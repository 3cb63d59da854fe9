//! Quotes and sales orders (R-ORD-1…17). Resolvers convert inputs and call `domain::orders`.
use super::connection::{Conn, from_page};
use super::customers::{Customer, load_customer};
use super::items::Item;
use super::sales_reps::{SalesRep, load_sales_rep};
use super::sales_setup::{BankAccount, Carrier, PaymentMethod, PaymentTerms};
use super::scalars::Decimal;
use super::{db, loaders, parse_id, parse_opt_id, principal, to_id};
use crate::auth::{Permission, visibility};
use crate::domain::orders::{self, DateChangeReason as Reason};
use crate::domain::{PageArgs, pricing};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{DocKind, DocStatus, sales_order, sales_order_line};

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

fn order_status(s: DocStatus) -> OrderStatus {
    match s {
        DocStatus::Confirmed => OrderStatus::Confirmed,
        DocStatus::PartiallyShipped => OrderStatus::PartiallyShipped,
        DocStatus::Shipped => OrderStatus::Shipped,
        DocStatus::Closed => OrderStatus::Closed,
        DocStatus::Cancelled => OrderStatus::Cancelled,
        _ => OrderStatus::Draft,
    }
}

fn doc_status(s: OrderStatus) -> DocStatus {
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

fn warnings(list: Vec<orders::Warning>) -> Vec<Warning> {
    list.into_iter()
        .map(|w| Warning {
            code: w.code.into(),
            message: w.message,
        })
        .collect()
}

/// Document amounts (R-ORD-4, 7, 12): rounded to 2 places at the total, in the order currency
/// and in the company currency at the order's rate. None of them includes tax.
pub struct Amounts(sales_order::Model);

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
        let f = figures(&self.0);
        Decimal(f.net())
    }
    async fn delivery_date(&self) -> Option<NaiveDate> {
        self.0.delivery_date
    }
    /// The first date promised; moved only by corrections (R-ORD-8).
    async fn promised_date(&self) -> Option<NaiveDate> {
        self.0.promised_date
    }
}

fn figures(l: &sales_order_line::Model) -> pricing::LineFigures {
    pricing::LineFigures {
        quantity: l.quantity.0,
        bonus_quantity: l.bonus_quantity.0,
        unit_price: l.unit_price.0,
        discount_percent: l.discount_percent.0,
        unit_weight: Default::default(),
        unit_volume: Default::default(),
        factor: rust_decimal::Decimal::ONE,
        counts_for_freight: false,
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
    /// What happened to the order, oldest first (R-ORD-17).
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<OrderEventEntry>> {
        let rows = loaders::get(ctx)?.events.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|e| OrderEventEntry {
                id: to_id(e.id),
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

#[derive(InputObject, Clone)]
pub struct SalesOrderLineInput {
    /// Give the item by id or by barcode (R-ITEM-5).
    pub item_id: Option<ID>,
    pub barcode: Option<String>,
    /// Sales units.
    pub quantity: Decimal,
    /// Ships free on top of the quantity (R-ORD-5).
    pub bonus_quantity: Option<Decimal>,
    /// Staff only: replaces the resolved price (order currency).
    pub unit_price: Option<Decimal>,
    /// Staff only: replaces the resolved discount.
    pub discount_percent: Option<Decimal>,
    /// Non-stocked items only (R-ITEM-1).
    pub description: Option<String>,
    /// Non-stocked items only; required when the company asks for manual costs.
    pub cost: Option<Decimal>,
    /// Defaults to the header's delivery date (R-ORD-8).
    pub delivery_date: Option<NaiveDate>,
}

/// Header overrides; omitted fields come from the customer on creation (R-ORD-1) and keep
/// their value on update.
#[derive(InputObject, Clone, Default)]
pub struct OrderHeaderInput {
    /// Fixed once set (R-ORD-2).
    pub series: Option<String>,
    pub sales_rep_id: Option<ID>,
    pub payment_terms_id: Option<ID>,
    pub payment_method_id: Option<ID>,
    pub bank_account_id: Option<ID>,
    /// Creation only.
    pub currency: Option<String>,
    pub language: Option<String>,
    pub ship_to_address_id: Option<ID>,
    pub carrier_id: Option<ID>,
    pub invoice_to_group: Option<bool>,
    pub direct_delivery: Option<bool>,
    pub order_type: Option<String>,
    pub customer_reference: Option<String>,
    /// Creation only; today by default. Picks the exchange rate (R-ORD-7).
    pub order_date: Option<NaiveDate>,
    /// Creation only; later use `changeDeliveryDate` (R-ORD-8).
    pub delivery_date: Option<NaiveDate>,
    pub freight_terms: Option<FreightTerms>,
    /// Typed-in freight instead of the carrier's table (R-ORD-12).
    pub freight_amount: Option<Decimal>,
    /// Drops a typed-in freight and calculates again.
    #[graphql(default)]
    pub recalculate_freight: bool,
    pub weight: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub header_discount_percent: Option<Decimal>,
    pub notes: Option<String>,
    /// For custom (`PER`) payment terms: percentages summing to 100 (R-ORD-10).
    pub installments: Option<Vec<InstallmentInput>>,
}

#[derive(InputObject, Clone)]
pub struct InstallmentInput {
    pub due_date: NaiveDate,
    pub percent: Decimal,
}

#[derive(InputObject)]
pub struct CreateSalesOrderInput {
    pub customer_id: ID,
    #[graphql(default)]
    pub lines: Vec<SalesOrderLineInput>,
    #[graphql(flatten)]
    pub header: OrderHeaderInput,
}

#[derive(InputObject)]
pub struct UpdateSalesOrderInput {
    pub id: ID,
    /// CONFLICT when the order has changed since this version.
    pub expected_version: Option<i64>,
    #[graphql(flatten)]
    pub header: OrderHeaderInput,
}

#[derive(InputObject)]
pub struct UpdateQuoteInput {
    pub id: ID,
    pub expected_version: Option<i64>,
    /// Replaces all lines when given.
    pub lines: Option<Vec<SalesOrderLineInput>>,
    #[graphql(flatten)]
    pub header: OrderHeaderInput,
}

#[derive(InputObject)]
pub struct AddSalesOrderLineInput {
    pub order_id: ID,
    pub expected_version: Option<i64>,
    pub line: SalesOrderLineInput,
}

#[derive(InputObject)]
pub struct UpdateSalesOrderLineInput {
    pub line_id: ID,
    pub quantity: Option<Decimal>,
    pub bonus_quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
    pub description: Option<String>,
    pub cost: Option<Decimal>,
    pub delivery_date: Option<NaiveDate>,
    /// Required with `deliveryDate` (R-ORD-8).
    pub date_change_reason: Option<DateChangeReason>,
}

#[derive(InputObject)]
pub struct SalesOrderLineRef {
    pub line_id: ID,
}

#[derive(InputObject)]
pub struct MoveSalesOrderLineInput {
    pub line_id: ID,
    /// 1-based target position among the order's lines.
    pub position: i64,
}

#[derive(InputObject)]
pub struct ChangeDeliveryDateInput {
    pub order_id: ID,
    pub date: NaiveDate,
    pub reason: DateChangeReason,
}

#[derive(InputObject)]
pub struct SendOrderConfirmationInput {
    pub order_id: ID,
    /// Defaults to the customer's e-mail.
    pub recipient: Option<String>,
}

#[derive(InputObject)]
pub struct DocumentRef {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct SalesOrderPayload {
    pub sales_order: SalesOrder,
    pub warnings: Vec<Warning>,
}

#[derive(SimpleObject)]
pub struct QuotePayload {
    pub quote: Quote,
    pub warnings: Vec<Warning>,
}

#[derive(SimpleObject)]
pub struct AcceptQuotePayload {
    pub quote: Quote,
    pub sales_order: SalesOrder,
    pub warnings: Vec<Warning>,
}

#[derive(SimpleObject)]
pub struct DeletePayload {
    pub deleted_id: ID,
}

#[derive(InputObject, Default)]
pub struct SalesOrderFilter {
    pub status: Option<OrderStatus>,
    pub financial_status: Option<FinancialStatus>,
    pub customer_id: Option<ID>,
    pub sales_rep_id: Option<ID>,
    pub credit_hold: Option<bool>,
    /// Order date from (inclusive).
    pub from: Option<NaiveDate>,
    /// Order date to (inclusive).
    pub to: Option<NaiveDate>,
    /// Number or customer reference.
    pub search: Option<String>,
}

#[derive(InputObject, Default)]
pub struct QuoteFilter {
    pub status: Option<QuoteStatus>,
    pub customer_id: Option<ID>,
    pub search: Option<String>,
}

/// A line delivered (or to be delivered) on another date than first promised (R-ORD-8).
pub struct DeliveryDelay(sales_order_line::Model);

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

fn line_input(l: SalesOrderLineInput, i: usize) -> Result<orders::LineInput> {
    Ok(orders::LineInput {
        item_id: parse_opt_id(l.item_id.as_ref(), &format!("lines.{i}.itemId"))?,
        barcode: l.barcode,
        quantity: l.quantity.0,
        bonus_quantity: l.bonus_quantity.map(|d| d.0),
        unit_price: l.unit_price.map(|d| d.0),
        discount_percent: l.discount_percent.map(|d| d.0),
        description: l.description,
        cost: l.cost.map(|d| d.0),
        delivery_date: l.delivery_date,
    })
}

fn line_inputs(lines: Vec<SalesOrderLineInput>) -> Result<Vec<orders::LineInput>> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| line_input(l, i))
        .collect()
}

fn header_input(h: OrderHeaderInput) -> Result<orders::HeaderInput> {
    Ok(orders::HeaderInput {
        series: h.series,
        sales_rep_id: parse_opt_id(h.sales_rep_id.as_ref(), "salesRepId")?,
        payment_terms_id: parse_opt_id(h.payment_terms_id.as_ref(), "paymentTermsId")?,
        payment_method_id: parse_opt_id(h.payment_method_id.as_ref(), "paymentMethodId")?,
        bank_account_id: parse_opt_id(h.bank_account_id.as_ref(), "bankAccountId")?,
        currency: h.currency,
        language: h.language,
        ship_to_address_id: parse_opt_id(h.ship_to_address_id.as_ref(), "shipToAddressId")?,
        carrier_id: parse_opt_id(h.carrier_id.as_ref(), "carrierId")?,
        invoice_to_group: h.invoice_to_group,
        direct_delivery: h.direct_delivery,
        order_type: h.order_type,
        customer_reference: h.customer_reference,
        order_date: h.order_date,
        delivery_date: h.delivery_date,
        freight_terms: h.freight_terms.map(Into::into),
        freight_amount: h.freight_amount.map(|d| d.0),
        recalculate_freight: h.recalculate_freight,
        weight: h.weight.map(|d| d.0),
        volume: h.volume.map(|d| d.0),
        header_discount_percent: h.header_discount_percent.map(|d| d.0),
        notes: h.notes,
        installments: h.installments.map(|list| {
            list.into_iter()
                .map(|i| (i.due_date, i.percent.0))
                .collect()
        }),
    })
}

fn order_payload(saved: orders::Saved) -> SalesOrderPayload {
    SalesOrderPayload {
        sales_order: SalesOrder(saved.order),
        warnings: warnings(saved.warnings),
    }
}

fn quote_payload(saved: orders::Saved) -> QuotePayload {
    QuotePayload {
        quote: Quote(saved.order),
        warnings: warnings(saved.warnings),
    }
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// Newest first; a rep sees orders of their customers and orders they are the rep of
    /// (R-ACC-3…5).
    async fn sales_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SalesOrderFilter>,
    ) -> Result<Conn<SalesOrder>> {
        let f = filter.unwrap_or_default();
        let filter = orders::OrderFilter {
            status: f.status.map(doc_status),
            financial_status: f.financial_status.map(Into::into),
            customer_id: parse_opt_id(f.customer_id.as_ref(), "customerId")?,
            sales_rep_id: parse_opt_id(f.sales_rep_id.as_ref(), "salesRepId")?,
            credit_hold: f.credit_hold,
            from: f.from,
            to: f.to,
            search: f.search,
        };
        let page = orders::list(
            db(ctx),
            principal(ctx)?,
            DocKind::Order,
            filter,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |o| o.id, SalesOrder))
    }

    async fn sales_order(&self, ctx: &Context<'_>, id: ID) -> Result<SalesOrder> {
        let id = parse_id(&id, "id")?;
        Ok(SalesOrder(
            orders::get(db(ctx), principal(ctx)?, DocKind::Order, id).await?,
        ))
    }

    /// Newest first.
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<QuoteFilter>,
    ) -> Result<Conn<Quote>> {
        let f = filter.unwrap_or_default();
        let filter = orders::OrderFilter {
            status: f.status.map(|s| match s {
                QuoteStatus::Open => DocStatus::Open,
                QuoteStatus::Accepted => DocStatus::Accepted,
                QuoteStatus::Rejected => DocStatus::Rejected,
            }),
            customer_id: parse_opt_id(f.customer_id.as_ref(), "customerId")?,
            search: f.search,
            ..Default::default()
        };
        let page = orders::list(
            db(ctx),
            principal(ctx)?,
            DocKind::Quote,
            filter,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |o| o.id, Quote))
    }

    async fn quote(&self, ctx: &Context<'_>, id: ID) -> Result<Quote> {
        let id = parse_id(&id, "id")?;
        Ok(Quote(
            orders::get(db(ctx), principal(ctx)?, DocKind::Quote, id).await?,
        ))
    }

    /// Lines whose delivery moved later (or earlier) than first promised (R-ORD-8), oldest
    /// line first.
    async fn delivery_delays(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        customer_id: Option<ID>,
    ) -> Result<Conn<DeliveryDelay>> {
        let customer = parse_opt_id(customer_id.as_ref(), "customerId")?;
        let page = orders::delivery_delays(
            db(ctx),
            principal(ctx)?,
            customer,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |l| l.id, DeliveryDelay))
    }
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// R-ORD-1: the header comes from the customer; overrides apply to this order only.
    async fn create_sales_order(
        &self,
        ctx: &Context<'_>,
        input: CreateSalesOrderInput,
    ) -> Result<SalesOrderPayload> {
        let doc = orders::NewDocument {
            customer_id: parse_id(&input.customer_id, "customerId")?,
            header: header_input(input.header)?,
            lines: line_inputs(input.lines)?,
        };
        Ok(order_payload(
            orders::create(db(ctx), principal(ctx)?, DocKind::Order, doc).await?,
        ))
    }

    async fn update_sales_order(
        &self,
        ctx: &Context<'_>,
        input: UpdateSalesOrderInput,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        let saved = orders::update(
            db(ctx),
            principal(ctx)?,
            DocKind::Order,
            id,
            input.expected_version,
            header_input(input.header)?,
            None,
        )
        .await?;
        Ok(order_payload(saved))
    }

    async fn add_sales_order_line(
        &self,
        ctx: &Context<'_>,
        input: AddSalesOrderLineInput,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.order_id, "orderId")?;
        let saved = orders::add_line(
            db(ctx),
            principal(ctx)?,
            id,
            line_input(input.line, 0)?,
            input.expected_version,
        )
        .await?;
        Ok(order_payload(saved))
    }

    async fn update_sales_order_line(
        &self,
        ctx: &Context<'_>,
        input: UpdateSalesOrderLineInput,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.line_id, "lineId")?;
        let change = orders::LineChange {
            quantity: input.quantity.map(|d| d.0),
            bonus_quantity: input.bonus_quantity.map(|d| d.0),
            unit_price: input.unit_price.map(|d| d.0),
            discount_percent: input.discount_percent.map(|d| d.0),
            description: input.description,
            cost: input.cost.map(|d| d.0),
            delivery_date: input.delivery_date,
            date_reason: input.date_change_reason.map(Into::into),
        };
        Ok(order_payload(
            orders::update_line(db(ctx), principal(ctx)?, id, change).await?,
        ))
    }

    async fn remove_sales_order_line(
        &self,
        ctx: &Context<'_>,
        input: SalesOrderLineRef,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.line_id, "lineId")?;
        Ok(order_payload(
            orders::remove_line(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    /// R-ORD-14: only while the order is open.
    async fn move_sales_order_line(
        &self,
        ctx: &Context<'_>,
        input: MoveSalesOrderLineInput,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.line_id, "lineId")?;
        Ok(order_payload(
            orders::move_line(db(ctx), principal(ctx)?, id, input.position).await?,
        ))
    }

    /// R-ORD-8: lines on the old header date follow; a REAL_CHANGE is logged.
    async fn change_delivery_date(
        &self,
        ctx: &Context<'_>,
        input: ChangeDeliveryDateInput,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.order_id, "orderId")?;
        Ok(order_payload(
            orders::change_delivery_date(
                db(ctx),
                principal(ctx)?,
                id,
                input.date,
                input.reason.into(),
            )
            .await?,
        ))
    }

    /// R-ORD-15: stamps today as the confirmation date and keeps a history.
    async fn send_order_confirmation(
        &self,
        ctx: &Context<'_>,
        input: SendOrderConfirmationInput,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.order_id, "orderId")?;
        Ok(order_payload(
            orders::send_confirmation(db(ctx), principal(ctx)?, id, input.recipient).await?,
        ))
    }

    /// DRAFT → CONFIRMED; credit is judged again (R-ORD-9, R-ORD-17).
    async fn confirm_sales_order(
        &self,
        ctx: &Context<'_>,
        input: DocumentRef,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(order_payload(
            orders::confirm(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    async fn cancel_sales_order(
        &self,
        ctx: &Context<'_>,
        input: DocumentRef,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(order_payload(
            orders::cancel(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    /// A closed order can no longer change or be deleted (R-ORD-16).
    async fn close_sales_order(
        &self,
        ctx: &Context<'_>,
        input: DocumentRef,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(order_payload(
            orders::close(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    async fn delete_sales_order(
        &self,
        ctx: &Context<'_>,
        input: DocumentRef,
    ) -> Result<DeletePayload> {
        let id = parse_id(&input.id, "id")?;
        let deleted = orders::delete(db(ctx), principal(ctx)?, DocKind::Order, id).await?;
        Ok(DeletePayload {
            deleted_id: to_id(deleted),
        })
    }

    /// R-ORD-9: ADMIN or SALES_MANAGER.
    async fn release_credit_hold(
        &self,
        ctx: &Context<'_>,
        input: DocumentRef,
    ) -> Result<SalesOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(order_payload(
            orders::release_credit_hold(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    async fn create_quote(
        &self,
        ctx: &Context<'_>,
        input: CreateSalesOrderInput,
    ) -> Result<QuotePayload> {
        let doc = orders::NewDocument {
            customer_id: parse_id(&input.customer_id, "customerId")?,
            header: header_input(input.header)?,
            lines: line_inputs(input.lines)?,
        };
        Ok(quote_payload(
            orders::create(db(ctx), principal(ctx)?, DocKind::Quote, doc).await?,
        ))
    }

    async fn update_quote(
        &self,
        ctx: &Context<'_>,
        input: UpdateQuoteInput,
    ) -> Result<QuotePayload> {
        let id = parse_id(&input.id, "id")?;
        let lines = input.lines.map(line_inputs).transpose()?;
        let saved = orders::update(
            db(ctx),
            principal(ctx)?,
            DocKind::Quote,
            id,
            input.expected_version,
            header_input(input.header)?,
            lines,
        )
        .await?;
        Ok(quote_payload(saved))
    }

    /// The customer declined: the quote can no longer be accepted.
    async fn reject_quote(&self, ctx: &Context<'_>, input: DocumentRef) -> Result<QuotePayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(quote_payload(
            orders::reject_quote(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    /// An open or rejected quote; an accepted one stays as the record of its order.
    async fn delete_quote(&self, ctx: &Context<'_>, input: DocumentRef) -> Result<DeletePayload> {
        let id = parse_id(&input.id, "id")?;
        let deleted = orders::delete(db(ctx), principal(ctx)?, DocKind::Quote, id).await?;
        Ok(DeletePayload {
            deleted_id: to_id(deleted),
        })
    }

    /// R-ORD-3: the quote becomes a DRAFT order with its header and lines.
    async fn accept_quote(
        &self,
        ctx: &Context<'_>,
        input: DocumentRef,
    ) -> Result<AcceptQuotePayload> {
        let p = principal(ctx)?;
        let id = parse_id(&input.id, "id")?;
        let saved = orders::accept_quote(db(ctx), p, id).await?;
        let quote = orders::get(db(ctx), p, DocKind::Quote, id).await?;
        Ok(AcceptQuotePayload {
            quote: Quote(quote),
            sales_order: SalesOrder(saved.order),
            warnings: warnings(saved.warnings),
        })
    }
}
