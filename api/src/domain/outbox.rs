//! The outbox: every change another party should learn about writes an event row in the same
//! transaction as the change (ARCHITECTURE.md § Events; R-ORD-17 "every status change is an
//! event"). The row carries what visibility needs: company, customer, customer's rep, order rep.
use crate::error::AppResult;
use chrono::Utc;
use entity::{outbox, sales_order, stock_level};
use sea_orm::{ActiveEnum, ActiveModelTrait, ConnectionTrait, Set};

/// The kind of a stock slot's event (R-STK-1); every other kind is an [`OrderEvent`]. The
/// transport (`events::subscribe`) and the GraphQL enum (`graphql::events::OrderEventKind`,
/// a `remote` of this one) take their kinds from here.
pub const STOCK_CHANGED: &str = "STOCK_CHANGED";

/// Order event kinds written by order entry and fulfilment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    Created,
    Updated,
    Confirmed,
    StatusChanged,
    CreditHoldSet,
    CreditHoldReleased,
    DeliveryDateChanged,
    ConfirmationSent,
    Cancelled,
    Deleted,
    QuoteAccepted,
    /// Stock reserved for lines (R-RES-3).
    Reserved,
    /// Reservations released (cancelled, reduced or by hand).
    ReservationReleased,
    /// Shortages recorded as backorders (R-BO-1).
    Backordered,
    BackorderConfirmed,
    BackorderCancelled,
    /// Received stock assigned to the order's backorders (R-BO-6).
    BackorderFulfilled,
    /// A delivery note left the warehouse.
    Shipped,
    /// An invoice (PENDING) bills some of the order (R-INV-1).
    Invoiced,
    InvoicePosted,
    InvoiceCancelled,
    CreditNotePosted,
    /// A payment settles invoices of the order (R-PAY-2).
    PaymentRecorded,
    PaymentReversed,
    /// UNPAID / PARTIALLY_PAID / PAID / OVERPAID moved (R-ORD-17).
    FinancialStatusChanged,
    /// A proforma was issued for the order (R-INV-1).
    ProformaIssued,
    /// A document was attached to the order or removed from it (R-PAY-1).
    DocumentAttached,
    DocumentRemoved,
}

impl OrderEvent {
    pub const ALL: [OrderEvent; 28] = [
        OrderEvent::Created,
        OrderEvent::Updated,
        OrderEvent::Confirmed,
        OrderEvent::StatusChanged,
        OrderEvent::CreditHoldSet,
        OrderEvent::CreditHoldReleased,
        OrderEvent::DeliveryDateChanged,
        OrderEvent::ConfirmationSent,
        OrderEvent::Cancelled,
        OrderEvent::Deleted,
        OrderEvent::QuoteAccepted,
        OrderEvent::Reserved,
        OrderEvent::ReservationReleased,
        OrderEvent::Backordered,
        OrderEvent::BackorderConfirmed,
        OrderEvent::BackorderCancelled,
        OrderEvent::BackorderFulfilled,
        OrderEvent::Shipped,
        OrderEvent::Invoiced,
        OrderEvent::InvoicePosted,
        OrderEvent::InvoiceCancelled,
        OrderEvent::CreditNotePosted,
        OrderEvent::PaymentRecorded,
        OrderEvent::PaymentReversed,
        OrderEvent::FinancialStatusChanged,
        OrderEvent::ProformaIssued,
        OrderEvent::DocumentAttached,
        OrderEvent::DocumentRemoved,
    ];

    /// What `backorderEvents` delivers (R-BO-*).
    pub fn is_backorder(self) -> bool {
        matches!(
            self,
            OrderEvent::Backordered
                | OrderEvent::BackorderConfirmed
                | OrderEvent::BackorderCancelled
                | OrderEvent::BackorderFulfilled
        )
    }

    /// The kind stored in an outbox row, back.
    pub fn parse(kind: &str) -> Option<OrderEvent> {
        OrderEvent::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderEvent::Created => "ORDER_CREATED",
            OrderEvent::Updated => "ORDER_UPDATED",
            OrderEvent::Confirmed => "ORDER_CONFIRMED",
            OrderEvent::StatusChanged => "STATUS_CHANGED",
            OrderEvent::CreditHoldSet => "CREDIT_HOLD_SET",
            OrderEvent::CreditHoldReleased => "CREDIT_HOLD_RELEASED",
            OrderEvent::DeliveryDateChanged => "DELIVERY_DATE_CHANGED",
            OrderEvent::ConfirmationSent => "CONFIRMATION_SENT",
            OrderEvent::Cancelled => "ORDER_CANCELLED",
            OrderEvent::Deleted => "ORDER_DELETED",
            OrderEvent::QuoteAccepted => "QUOTE_ACCEPTED",
            OrderEvent::Reserved => "RESERVED",
            OrderEvent::ReservationReleased => "RESERVATION_RELEASED",
            OrderEvent::Backordered => "BACKORDERED",
            OrderEvent::BackorderConfirmed => "BACKORDER_CONFIRMED",
            OrderEvent::BackorderCancelled => "BACKORDER_CANCELLED",
            OrderEvent::BackorderFulfilled => "BACKORDER_FULFILLED",
            OrderEvent::Shipped => "SHIPPED",
            OrderEvent::Invoiced => "INVOICED",
            OrderEvent::InvoicePosted => "INVOICE_POSTED",
            OrderEvent::InvoiceCancelled => "INVOICE_CANCELLED",
            OrderEvent::CreditNotePosted => "CREDIT_NOTE_POSTED",
            OrderEvent::PaymentRecorded => "PAYMENT_RECORDED",
            OrderEvent::PaymentReversed => "PAYMENT_REVERSED",
            OrderEvent::FinancialStatusChanged => "FINANCIAL_STATUS_CHANGED",
            OrderEvent::ProformaIssued => "PROFORMA_ISSUED",
            OrderEvent::DocumentAttached => "DOCUMENT_ATTACHED",
            OrderEvent::DocumentRemoved => "DOCUMENT_REMOVED",
        }
    }
}

pub async fn record<C: ConnectionTrait>(
    db: &C,
    order: &sales_order::Model,
    customer_rep_id: Option<i64>,
    kind: OrderEvent,
    payload: Option<serde_json::Value>,
) -> AppResult<outbox::Model> {
    Ok(outbox::ActiveModel {
        company_id: Set(order.company_id),
        kind: Set(kind.as_str().to_owned()),
        order_id: Set(Some(order.id)),
        customer_id: Set(Some(order.customer_id)),
        customer_rep_id: Set(customer_rep_id),
        order_rep_id: Set(order.sales_rep_id),
        status: Set(Some(order.status.to_value())),
        financial_status: Set(Some(order.financial_status.to_value())),
        payload: Set(payload.map(|p| p.to_string())),
        occurred_at: Set(Utc::now()),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A stock slot's on-hand or reserved changed (availability, R-STK-1): one row per slot move,
/// written by `stock::move_slot` in the mover's transaction.
pub async fn record_stock<C: ConnectionTrait>(db: &C, slot: &stock_level::Model) -> AppResult<()> {
    let payload = serde_json::json!({
        "stockLevelId": slot.id,
        "location": slot.location,
        "lot": slot.lot,
        "onHand": entity::Dec::canonical(slot.on_hand.0).to_string(),
        "reserved": entity::Dec::canonical(slot.reserved.0).to_string(),
    });
    outbox::ActiveModel {
        company_id: Set(slot.company_id),
        kind: Set(STOCK_CHANGED.to_owned()),
        item_id: Set(Some(slot.item_id)),
        warehouse_id: Set(Some(slot.warehouse_id)),
        payload: Set(Some(payload.to_string())),
        occurred_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
