//! Subscriptions over `/graphql/ws`: `orderEvents`, `backorderEvents`, `stockEvents`. Resolvers
//! turn arguments into an `events::subscribe` call; which events a caller receives is decided
//! by `auth::visibility` there, and nested orders, items and warehouses come through the same
//! visibility-filtered loaders as queries.
use super::agreements::{Agreement, load_agreement};
use super::items::Item;
use super::orders::SalesOrder;
use super::scalars::Decimal;
use super::warehouses::Warehouse;
use super::{db, parse_opt_id, principal, services, to_id};
use super::{item, order, warehouse};
use crate::auth::visibility::{self, EventDetails};
use crate::domain::outbox::{AgreementEvent as AgreementKind, OrderEvent as Kind};
use crate::domain::principals;
use crate::events::Event;
use crate::events::subscribe::{self, Filter, Recheck, Topic};
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use entity::AgreementKind as Side;
use futures_util::{Stream, StreamExt};
use std::str::FromStr;
use std::sync::Arc;

/// What happened to an order (R-ORD-17 and fulfilment).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::outbox::OrderEvent")]
pub enum OrderEventKind {
    #[graphql(name = "ORDER_CREATED")]
    Created,
    #[graphql(name = "ORDER_UPDATED")]
    Updated,
    #[graphql(name = "ORDER_CONFIRMED")]
    Confirmed,
    StatusChanged,
    CreditHoldSet,
    CreditHoldReleased,
    DeliveryDateChanged,
    ConfirmationSent,
    #[graphql(name = "ORDER_CANCELLED")]
    Cancelled,
    #[graphql(name = "ORDER_DELETED")]
    Deleted,
    QuoteAccepted,
    Reserved,
    ReservationReleased,
    Backordered,
    BackorderConfirmed,
    BackorderCancelled,
    BackorderFulfilled,
    Shipped,
    Invoiced,
    InvoicePosted,
    InvoiceCancelled,
    CreditNotePosted,
    PaymentRecorded,
    PaymentReversed,
    FinancialStatusChanged,
    ProformaIssued,
    DocumentAttached,
    DocumentRemoved,
    PaymentAllocated,
    PaymentUnallocated,
    Returned,
    ShipmentPrepared,
    ShipmentCancelled,
    AdvanceReleased,
    IntercompanySynced,
}

#[derive(InputObject, Default)]
pub struct OrderEventFilter {
    pub order_id: Option<ID>,
    pub customer_id: Option<ID>,
    /// Only these kinds; all when omitted.
    pub kinds: Option<Vec<OrderEventKind>>,
}

#[derive(InputObject, Default)]
pub struct BackorderEventFilter {
    pub order_id: Option<ID>,
    pub customer_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct StockEventFilter {
    pub item_id: Option<ID>,
    pub warehouse_id: Option<ID>,
}

fn kind(e: &Event) -> Option<OrderEventKind> {
    Kind::parse(&e.kind).map(OrderEventKind::from)
}

/// The fields order and backorder events share; `$extra` adds the type's own.
macro_rules! order_event_object {
    ($ty:ident, { $($extra:tt)* }) => {
        #[Object]
        impl $ty {
            /// Increasing, without gaps across all events: pass the last one seen as `after`.
            async fn id(&self) -> ID {
                to_id(self.0.seq)
            }
            async fn kind(&self) -> Option<OrderEventKind> {
                kind(&self.0)
            }
            async fn occurred_at(&self) -> DateTime<Utc> {
                self.0.occurred_at
            }
            async fn order_id(&self) -> Option<ID> {
                self.0.order_id.map(to_id)
            }
            async fn customer_id(&self) -> Option<ID> {
                self.0.customer_id.map(to_id)
            }
            /// The order as it is now (null once deleted or out of the caller's sight).
            async fn order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
                match self.0.order_id {
                    Some(id) => order(ctx, id).await,
                    None => Ok(None),
                }
            }
            /// Kind-specific details (quantities, ids), as recorded; null when they name
            /// invoices or payments the caller may not read.
            async fn details(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
                let kind = Kind::parse(&self.0.kind).map_or(EventDetails::Goods, Kind::details);
                let owner = subscribe::owner(&self.0);
                let readable = visibility::reads_event_details(principal(ctx)?, kind, &owner);
                Ok(self.0.payload.clone().filter(|_| readable).map(Json))
            }
            $($extra)*
        }
    };
}

/// An order event as delivered.
pub struct OrderEvent(pub Arc<Event>);

order_event_object!(OrderEvent, {
    /// Main status right after the event (R-ORD-17).
    async fn status(&self) -> Option<&str> {
        self.0.status.as_deref()
    }
    async fn financial_status(&self) -> Option<&str> {
        self.0.financial_status.as_deref()
    }
});

/// A backorder event (R-BO-1…6) as delivered.
pub struct BackorderEvent(pub Arc<Event>);

order_event_object!(BackorderEvent, {
    /// The backorders concerned (empty for BACKORDERED, whose details list the lines).
    async fn backorder_ids(&self) -> Vec<ID> {
        let Some(p) = &self.0.payload else {
            return vec![];
        };
        let many = p["backorderIds"].as_array().cloned().unwrap_or_default();
        many.iter()
            .chain(std::iter::once(&p["backorderId"]))
            .filter_map(|v| v.as_i64())
            .map(to_id)
            .collect()
    }
});

/// A stock slot's quantities after a change (R-STK-1), stock units.
pub struct StockEvent(pub Arc<Event>);

impl StockEvent {
    fn quantity(&self, field: &str) -> Decimal {
        let v = self.0.payload.as_ref().and_then(|p| p[field].as_str());
        Decimal(
            v.and_then(|s| rust_decimal::Decimal::from_str(s).ok())
                .unwrap_or_default(),
        )
    }
    fn text(&self, field: &str) -> String {
        self.0
            .payload
            .as_ref()
            .and_then(|p| p[field].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

#[Object]
impl StockEvent {
    async fn id(&self) -> ID {
        to_id(self.0.seq)
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn item_id(&self) -> Option<ID> {
        self.0.item_id.map(to_id)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        match self.0.item_id {
            Some(id) => item(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn warehouse_id(&self) -> Option<ID> {
        self.0.warehouse_id.map(to_id)
    }
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        match self.0.warehouse_id {
            Some(id) => warehouse(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn location(&self) -> String {
        self.text("location")
    }
    async fn lot(&self) -> String {
        self.text("lot")
    }
    async fn on_hand(&self) -> Decimal {
        self.quantity("onHand")
    }
    async fn reserved(&self) -> Decimal {
        self.quantity("reserved")
    }
    async fn available(&self) -> Decimal {
        Decimal(entity::Dec::canonical(
            self.quantity("onHand").0 - self.quantity("reserved").0,
        ))
    }
}

#[derive(Default)]
pub struct EventSubscription;

/// The bearer token a WebSocket connection authenticated with (connection data), so that
/// subscriptions can re-check access while they run.
pub struct Bearer(pub String);

/// Opens the subscription, mapping each event into its GraphQL type.
pub(crate) async fn open<T: Send + 'static>(
    ctx: &Context<'_>,
    topic: Topic,
    filter: Filter,
    after: Option<ID>,
    wrap: fn(Arc<Event>) -> T,
) -> Result<impl Stream<Item = Result<T>> + use<T>> {
    let p = principal(ctx)?;
    let after = parse_opt_id(after.as_ref(), "after")?;
    let s = services(ctx);
    // On a WebSocket the connection carries the token it authenticated with.
    let recheck = ctx.data_opt::<Bearer>().map(|bearer| {
        let (db, keys, bearer) = (s.db.clone(), s.keys.clone(), bearer.0.clone());
        Recheck {
            every: s.access_recheck,
            principal: Box::new(move || {
                let (db, keys, bearer) = (db.clone(), keys.clone(), bearer.clone());
                Box::pin(async move { principals::resolve(&db, &keys, &bearer).await })
            }),
        }
    });
    let stream = subscribe::subscribe(
        s.hub.clone(),
        db(ctx).clone(),
        p,
        topic,
        filter,
        after,
        recheck,
    )
    .await?;
    Ok(stream.map(move |r| r.map(wrap).map_err(Into::into)))
}

#[Subscription]
impl EventSubscription {
    /// Every change to the orders the caller sees (R-ORD-17), live; with `after`, first the
    /// ones after that event id (no gap, no duplicate).
    async fn order_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderEventFilter>,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<OrderEvent>> + use<>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            order_id: parse_opt_id(f.order_id.as_ref(), "filter.orderId")?,
            customer_id: parse_opt_id(f.customer_id.as_ref(), "filter.customerId")?,
            kinds: f.kinds.map(|ks| {
                ks.into_iter()
                    .map(|k| Kind::from(k).as_str().to_owned())
                    .collect()
            }),
            ..Default::default()
        };
        open(ctx, Topic::Orders, filter, after, OrderEvent).await
    }

    /// Backorders recorded, confirmed, cancelled and fulfilled on the orders the caller sees.
    async fn backorder_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<BackorderEventFilter>,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<BackorderEvent>> + use<>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            order_id: parse_opt_id(f.order_id.as_ref(), "filter.orderId")?,
            customer_id: parse_opt_id(f.customer_id.as_ref(), "filter.customerId")?,
            ..Default::default()
        };
        open(ctx, Topic::Backorders, filter, after, BackorderEvent).await
    }

    /// Availability changes of stock slots (on-hand or reserved moved), for inventory readers.
    async fn stock_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<StockEventFilter>,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<StockEvent>> + use<>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            item_id: parse_opt_id(f.item_id.as_ref(), "filter.itemId")?,
            warehouse_id: parse_opt_id(f.warehouse_id.as_ref(), "filter.warehouseId")?,
            ..Default::default()
        };
        open(ctx, Topic::Stock, filter, after, StockEvent).await
    }
}

/// What happened to an agreement.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::outbox::AgreementEvent")]
pub enum AgreementEventKind {
    Created,
    Updated,
    StatusChanged,
    LineFulfilled,
}

#[derive(InputObject, Default)]
pub struct AgreementEventFilter {
    pub agreement_id: Option<ID>,
    /// Sales agreements only.
    pub customer_id: Option<ID>,
    pub kinds: Option<Vec<AgreementEventKind>>,
}

/// An agreement event as delivered.
pub struct AgreementEvent(pub Arc<Event>);

impl AgreementEvent {
    fn agreement(&self) -> Option<i64> {
        self.0
            .payload
            .as_ref()
            .and_then(|p| p["agreementId"].as_i64())
    }
}

#[Object]
impl AgreementEvent {
    /// Increasing, without gaps across all events: pass the last one seen as `after`.
    async fn id(&self) -> ID {
        to_id(self.0.seq)
    }
    async fn kind(&self) -> Option<AgreementEventKind> {
        AgreementKind::parse(&self.0.kind).map(Into::into)
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn agreement_id(&self) -> Option<ID> {
        self.agreement().map(to_id)
    }
    /// The agreement's status right after the event.
    async fn status(&self) -> Option<&str> {
        self.0.status.as_deref()
    }
    /// The agreement as it is now (null when out of the caller's sight).
    #[graphql(name = "agreement")]
    async fn current_agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        load_agreement(ctx, self.agreement()).await
    }
    /// Kind-specific details (status from/to, fulfilled lines), as recorded.
    async fn details(&self) -> Option<Json<serde_json::Value>> {
        self.0.payload.clone().map(Json)
    }
}

fn agreement_filter(f: Option<AgreementEventFilter>, side: Side) -> Result<Filter> {
    let f = f.unwrap_or_default();
    Ok(Filter {
        agreement_id: parse_opt_id(f.agreement_id.as_ref(), "filter.agreementId")?,
        customer_id: parse_opt_id(f.customer_id.as_ref(), "filter.customerId")?,
        kinds: f.kinds.map(|ks| {
            ks.into_iter()
                .map(|k| AgreementKind::from(k).stored(side))
                .collect()
        }),
        ..Default::default()
    })
}

#[derive(Default)]
pub struct AgreementSubscription;

#[Subscription]
impl AgreementSubscription {
    /// Sales agreements created, changed, set to a status or fulfilled, for those who see them
    /// (like their customer's orders); with `after`, first the ones after that event id.
    async fn sales_agreement_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgreementEventFilter>,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<AgreementEvent>> + use<>> {
        let filter = agreement_filter(filter, Side::Sales)?;
        open(ctx, Topic::SalesAgreements, filter, after, AgreementEvent).await
    }

    /// The same for purchase agreements (purchasing).
    async fn purchase_agreement_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgreementEventFilter>,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<AgreementEvent>> + use<>> {
        let filter = agreement_filter(filter, Side::Purchase)?;
        open(
            ctx,
            Topic::PurchaseAgreements,
            filter,
            after,
            AgreementEvent,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The GraphQL enum is derived from the domain's kinds (`remote`); its names are the kinds
    /// stored in the outbox, so clients filter by what they receive.
    #[test]
    fn graphql_kind_names_are_the_stored_kinds() {
        for k in Kind::ALL {
            let name = async_graphql::resolver_utils::enum_value(OrderEventKind::from(k));
            assert_eq!(
                name,
                async_graphql::Value::Enum(async_graphql::Name::new(k.as_str()))
            );
        }
    }
}
