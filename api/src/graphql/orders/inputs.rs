//! Inputs, filters and payloads of order entry, and their conversion into domain structs.
use super::*;
use crate::graphql::scalars::Date;

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
    /// Reserve this line only from this lot (stocked items).
    pub lot: Option<String>,
    /// Buy it from this supplier rather than the item's preferred one (staff; a sister
    /// company's supplier record starts the intercompany chain, R-IC-3).
    pub supplier_id: Option<ID>,
    /// Non-stocked items only; required when the company asks for manual costs.
    pub cost: Option<Decimal>,
    /// Defaults to the header's delivery date (R-ORD-8).
    pub delivery_date: Option<Date>,
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
    pub order_date: Option<Date>,
    /// Creation only; later use `changeDeliveryDate` (R-ORD-8).
    pub delivery_date: Option<Date>,
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
    pub due_date: Date,
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
    pub delivery_date: Option<Date>,
    /// Required with `deliveryDate` (R-ORD-8).
    pub date_change_reason: Option<DateChangeReason>,
    /// How far a delivery may pass the ordered quantity and still close the line (R-IC-3;
    /// on an intercompany chain, the original order only).
    pub over_delivery_percent: Option<Decimal>,
    /// How far it may fall short and still close the line.
    pub under_delivery_percent: Option<Decimal>,
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
    pub date: Date,
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

#[derive(InputObject)]
pub struct ReleaseCreditHoldsInput {
    pub customer_id: ID,
    /// Only these orders (at most 1000); all the customer's held orders when absent.
    pub order_ids: Option<Vec<ID>>,
}

#[derive(SimpleObject)]
pub struct ReleaseCreditHoldsPayload {
    /// The orders released, in id order.
    pub released: Vec<SalesOrder>,
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
    pub from: Option<Date>,
    /// Order date to (inclusive).
    pub to: Option<Date>,
    /// Number or customer reference.
    pub search: Option<String>,
}

#[derive(InputObject, Default)]
pub struct QuoteFilter {
    pub status: Option<QuoteStatus>,
    pub customer_id: Option<ID>,
    pub search: Option<String>,
}

pub(super) fn line_input(l: SalesOrderLineInput, i: usize) -> Result<orders::LineInput> {
    Ok(orders::LineInput {
        item_id: parse_opt_id(l.item_id.as_ref(), &format!("lines.{i}.itemId"))?,
        barcode: l.barcode,
        quantity: l.quantity.0,
        bonus_quantity: l.bonus_quantity.map(|d| d.0),
        unit_price: l.unit_price.map(|d| d.0),
        discount_percent: l.discount_percent.map(|d| d.0),
        description: l.description,
        cost: l.cost.map(|d| d.0),
        delivery_date: l.delivery_date.map(Into::into),
        lot: l.lot,
        supplier_id: parse_opt_id(l.supplier_id.as_ref(), &format!("lines.{i}.supplierId"))?,
    })
}

pub(super) fn line_inputs(lines: Vec<SalesOrderLineInput>) -> Result<Vec<orders::LineInput>> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| line_input(l, i))
        .collect()
}

pub(super) fn header_input(h: OrderHeaderInput) -> Result<orders::HeaderInput> {
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
        order_date: h.order_date.map(Into::into),
        delivery_date: h.delivery_date.map(Into::into),
        freight_terms: h.freight_terms.map(Into::into),
        freight_amount: h.freight_amount.map(|d| d.0),
        recalculate_freight: h.recalculate_freight,
        weight: h.weight.map(|d| d.0),
        volume: h.volume.map(|d| d.0),
        header_discount_percent: h.header_discount_percent.map(|d| d.0),
        notes: h.notes,
        installments: h.installments.map(|list| {
            list.into_iter()
                .map(|i| (i.due_date.0, i.percent.0))
                .collect()
        }),
    })
}

pub(crate) fn order_payload(saved: orders::Saved) -> SalesOrderPayload {
    SalesOrderPayload {
        sales_order: SalesOrder(saved.order),
        warnings: warnings(saved.warnings),
    }
}

pub(super) fn quote_payload(saved: orders::Saved) -> QuotePayload {
    QuotePayload {
        quote: Quote(saved.order),
        warnings: warnings(saved.warnings),
    }
}

#[derive(InputObject)]
pub struct CreateSalesOrderFromAgreementInput {
    pub agreement_id: ID,
    /// Must lie within the agreement's validity (R-AGR-3); becomes the order's delivery date.
    pub requested_receipt_date: Date,
    pub notes: Option<String>,
    pub lines: Vec<crate::graphql::agreements::AgreementOrderLineInput>,
}
