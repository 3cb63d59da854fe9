//! The outbox: every change another party should learn about writes an event row in the same
//! transaction as the change (ARCHITECTURE.md § Events; R-ORD-17 "every status change is an
//! event"). The row carries what visibility needs: company, customer, customer's rep, order rep.
use crate::error::AppResult;
use chrono::Utc;
use entity::{outbox, sales_order};
use sea_orm::{ActiveEnum, ActiveModelTrait, ConnectionTrait, Set};

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
}

impl OrderEvent {
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
