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

mod confirmation;
mod inputs;
mod types;

pub use confirmation::*;
pub use inputs::*;
pub use types::*;

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
            from: f.from.map(Into::into),
            to: f.to.map(Into::into),
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
            ..Default::default()
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
            delivery_date: input.delivery_date.map(Into::into),
            date_reason: input.date_change_reason.map(Into::into),
            over_delivery_percent: input.over_delivery_percent.map(|d| d.0),
            under_delivery_percent: input.under_delivery_percent.map(|d| d.0),
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
                input.date.into(),
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

    /// Releases every held order of a customer, or the named ones, in one call (R-ORD-9):
    /// ADMIN, SALES_MANAGER or ACCOUNTING; each release is logged on its order.
    async fn release_credit_holds(
        &self,
        ctx: &Context<'_>,
        input: ReleaseCreditHoldsInput,
    ) -> Result<ReleaseCreditHoldsPayload> {
        let customer = parse_id(&input.customer_id, "customerId")?;
        let ids = match input.order_ids {
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(i, id)| parse_id(id, &format!("orderIds.{i}")))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let saved = orders::release_credit_holds(db(ctx), principal(ctx)?, customer, ids).await?;
        Ok(ReleaseCreditHoldsPayload {
            released: saved
                .into_iter()
                .map(|s| order_payload(s).sales_order)
                .collect(),
        })
    }

    /// A DRAFT sales order at the agreement's prices (R-AGR-2, R-AGR-3): INVALID_STATE unless
    /// the agreement is EFFECTIVE, VALIDATION when the date lies outside its validity. What a
    /// commitment no longer holds is ordered at the trade price (warning AGREEMENT_EXCEEDED).
    async fn create_sales_order_from_agreement(
        &self,
        ctx: &Context<'_>,
        input: CreateSalesOrderFromAgreementInput,
    ) -> Result<SalesOrderPayload> {
        let from = crate::domain::agreements::FromAgreement {
            agreement_id: parse_id(&input.agreement_id, "agreementId")?,
            date: input.requested_receipt_date.into(),
            warehouse_id: None,
            notes: input.notes,
            lines: crate::graphql::agreements::order_lines(input.lines)?,
        };
        Ok(order_payload(
            orders::create_from_agreement(db(ctx), principal(ctx)?, from).await?,
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
            ..Default::default()
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
