//! Quotes and sales orders (R-ORD-1…17, R-ITEM-1, 2, 5, 6).
//!
//! A quote and an order share one table and one set of lines (`kind` tells them apart), so a
//! quote accepted into an order (R-ORD-3) copies rows rather than translating models. Every
//! change runs in one write transaction that locks the order row, recomputes the totals from
//! the stored lines, re-judges credit, bumps `version` (optimistic locking for clients) and
//! writes its event to the outbox; a failed check rolls the whole change back.
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use entity::{DocKind, DocStatus, FinancialStatus, FreightTerms, sales_order};
use rust_decimal::Decimal;

mod changes;
mod entry;
mod for_backorders;
mod lifecycle;
pub mod queries;
mod save;

pub(crate) use changes::set_line_quantity_within;
pub use changes::{
    add_line, change_delivery_date, move_line, remove_line, send_confirmation, update, update_line,
};
pub(crate) use entry::create_within;
pub use entry::{create, create_from_agreement};
pub(crate) use for_backorders::{CopiedLine, create_for_backorders};
pub use lifecycle::{
    accept_quote, cancel, close, confirm, delete, reject_quote, release_credit_hold,
    release_credit_holds, reserve_order,
};
pub use queries::{
    confirmations_by_orders, date_changes_by_orders, delivery_delays, events_by_orders, get,
    installments_by_orders, lines_by_orders, list, visible_by_ids,
};

/// A placeholder number for a document until `save::finish` numbers it at the end of its
/// transaction; negative, so it never meets a real one under the unique index.
fn placeholder_number() -> i64 {
    -1 - i64::from(rand::random::<u32>())
}

/// One line as entered: by item id or barcode (R-ITEM-5).
#[derive(Clone, Default)]
pub struct LineInput {
    pub item_id: Option<i64>,
    pub barcode: Option<String>,
    pub quantity: Decimal,
    pub bonus_quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
    pub description: Option<String>,
    pub cost: Option<Decimal>,
    pub delivery_date: Option<NaiveDate>,
    /// Reserve only from this lot (tracked items, R-BO-1).
    pub lot: Option<String>,
    /// Buy it from this supplier rather than the item's preferred one (staff; R-IC-3).
    pub supplier_id: Option<i64>,
}

/// Header overrides; anything left `None` comes from the customer (R-ORD-1) on creation and
/// stays as it is on update.
#[derive(Clone, Default)]
pub struct HeaderInput {
    pub series: Option<String>,
    pub sales_rep_id: Option<i64>,
    pub payment_terms_id: Option<i64>,
    pub payment_method_id: Option<i64>,
    pub bank_account_id: Option<i64>,
    pub currency: Option<String>,
    pub language: Option<String>,
    pub ship_to_address_id: Option<i64>,
    pub carrier_id: Option<i64>,
    pub invoice_to_group: Option<bool>,
    pub direct_delivery: Option<bool>,
    pub order_type: Option<String>,
    pub customer_reference: Option<String>,
    pub order_date: Option<NaiveDate>,
    pub delivery_date: Option<NaiveDate>,
    pub freight_terms: Option<FreightTerms>,
    /// Overrides the calculated freight (R-ORD-12); `recalculate_freight` undoes that.
    pub freight_amount: Option<Decimal>,
    pub recalculate_freight: bool,
    /// Override the summed weight and volume (R-ORD-13).
    pub weight: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub header_discount_percent: Option<Decimal>,
    pub notes: Option<String>,
    /// Due dates and percentages for custom (`PER`) payment terms (R-ORD-10).
    pub installments: Option<Vec<(NaiveDate, Decimal)>>,
}

#[derive(Default)]
pub struct NewDocument {
    pub customer_id: i64,
    pub header: HeaderInput,
    pub lines: Vec<LineInput>,
    /// The agreement an order is placed from (R-AGR-3) and, per line, the commitment line
    /// that prices it; `None`: the effective agreements of the customer apply (R-AGR-2).
    pub agreement_id: Option<i64>,
    pub pinned: Option<Vec<crate::domain::agreements::terms::Offer>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateChangeReason {
    /// A typing error: the promise moves with it, nothing is logged.
    Correction,
    /// The delivery really moves: logged for the delay report (R-ORD-8).
    RealChange,
}

#[derive(Clone, Default)]
pub struct LineChange {
    pub quantity: Option<Decimal>,
    pub bonus_quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
    pub description: Option<String>,
    pub cost: Option<Decimal>,
    pub delivery_date: Option<NaiveDate>,
    pub date_reason: Option<DateChangeReason>,
    /// R-IC-3: delivery tolerances (the original order of a chain only).
    pub over_delivery_percent: Option<Decimal>,
    pub under_delivery_percent: Option<Decimal>,
}

#[derive(Clone, Debug)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// A saved document and what the caller should know about it.
pub struct Saved {
    pub order: sales_order::Model,
    pub warnings: Vec<Warning>,
}

#[derive(Default)]
pub struct OrderFilter {
    pub status: Option<DocStatus>,
    pub financial_status: Option<FinancialStatus>,
    pub customer_id: Option<i64>,
    pub sales_rep_id: Option<i64>,
    pub credit_hold: Option<bool>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub search: Option<String>,
}

fn editable(order: &sales_order::Model) -> AppResult<()> {
    let ok = match order.kind {
        DocKind::Quote => order.status == DocStatus::Open,
        DocKind::Order => matches!(order.status, DocStatus::Draft | DocStatus::Confirmed),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::InvalidState(format!(
            "a {:?} {} can no longer be changed (R-ORD-14, R-ORD-16)",
            order.status,
            kind_name(order.kind)
        )))
    }
}

/// [`editable`] for line changes: a PARTIALLY_SHIPPED order also takes new lines and changes
/// to lines nothing of which has shipped (Boss Manager; R-ORD-16) — what shipped stays as it
/// shipped. Such changes never complete the order, so its status holds.
fn lines_editable(order: &sales_order::Model) -> AppResult<()> {
    if order.kind == DocKind::Order && order.status == DocStatus::PartiallyShipped {
        return Ok(());
    }
    editable(order)
}

fn kind_name(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Quote => "quote",
        DocKind::Order => "order",
    }
}
