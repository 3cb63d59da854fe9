//! Payments and what they settle (R-PAY-2, R-PAY-5). Resolvers call `domain::payments`.
use crate::domain::PageArgs;
use crate::domain::payments::{self, Allocation, NewPayment, Target};
use crate::domain::unallocated;
use crate::error::AppError;
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::customers::{Customer, load_customer};
use crate::graphql::invoices::{Invoice, load_invoice};
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::{canonical, db, loaders, parse_id, parse_opt_id, principal, to_id};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{payment, payment_allocation, payment_refund};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::PaymentStatus")]
pub enum PaymentStatus {
    Recorded,
    Reversed,
}

pub struct Payment(pub payment::Model);

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        load_customer(ctx, Some(self.0.customer_id)).await
    }
    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }
    async fn payment_date(&self) -> NaiveDate {
        self.0.payment_date
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn amount(&self) -> Decimal {
        self.0.amount.into()
    }
    /// Company currency per unit of the payment currency on its date (R-PAY-5).
    async fn exchange_rate(&self) -> Decimal {
        self.0.exchange_rate.into()
    }
    async fn company_amount(&self) -> Decimal {
        self.0.company_amount.into()
    }
    async fn allocated_amount(&self) -> Decimal {
        self.0.allocated_amount.into()
    }
    /// Paid back to the customer out of unallocated money (R-PAY-6).
    async fn refunded_amount(&self) -> Decimal {
        self.0.refunded_amount.into()
    }
    /// What is neither allocated nor refunded: it lowers the customer's risk (R-ORD-9) and
    /// can be allocated or refunded later (R-PAY-6).
    async fn unallocated_amount(&self) -> Decimal {
        canonical(payments::unallocated(&self.0))
    }
    /// Its refunds, oldest first.
    async fn refunds(&self, ctx: &Context<'_>) -> Result<Vec<PaymentRefund>> {
        let rows = loaders::get(ctx)?
            .payment_refunds
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(PaymentRefund)
            .collect())
    }
    async fn method(&self) -> Option<&str> {
        self.0.method.as_deref()
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    async fn allocations(&self, ctx: &Context<'_>) -> Result<Vec<PaymentAllocation>> {
        let rows = loaders::get(ctx)?
            .payment_allocations
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(PaymentAllocation)
            .collect())
    }
    async fn reversal_reason(&self) -> Option<&str> {
        self.0.reversal_reason.as_deref()
    }
    async fn reversed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reversed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Unallocated money of a payment paid back to the customer (R-PAY-6).
pub struct PaymentRefund(pub payment_refund::Model);

#[Object]
impl PaymentRefund {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn refund_date(&self) -> NaiveDate {
        self.0.refund_date
    }
    /// Payment currency.
    async fn amount(&self) -> Decimal {
        self.0.amount.into()
    }
    async fn company_amount(&self) -> Decimal {
        self.0.company_amount.into()
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The part of a payment that settles one invoice.
pub struct PaymentAllocation(pub payment_allocation::Model);

#[Object]
impl PaymentAllocation {
    async fn payment(&self, ctx: &Context<'_>) -> Result<Option<Payment>> {
        Ok(loaders::get(ctx)?
            .payment
            .load_one(self.0.payment_id)
            .await?
            .map(Payment))
    }
    /// The invoice it settles, if it names one.
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        match self.0.invoice_id {
            Some(id) => load_invoice(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The proforma it pays (an advance on the proforma's order).
    async fn proforma_id(&self) -> Option<ID> {
        self.0.proforma_id.map(to_id)
    }
    /// The order it is an advance on (proforma or schedule line).
    async fn order_id(&self) -> Option<ID> {
        self.0.order_id.map(to_id)
    }
    /// The schedule line it pays, as `orderId:position` (R-PAY-1).
    async fn schedule_line_id(&self) -> Option<ID> {
        Some(ID(format!(
            "{}:{}",
            self.0.order_id?, self.0.schedule_position?
        )))
    }
    /// Invoice currency.
    async fn amount(&self) -> Decimal {
        self.0.amount.into()
    }
    async fn company_amount(&self) -> Decimal {
        self.0.company_amount.into()
    }
}

/// Names exactly one of an invoice, a proforma or a schedule line (`orderId:position`).
#[derive(InputObject)]
pub struct PaymentAllocationInput {
    pub invoice_id: Option<ID>,
    pub proforma_id: Option<ID>,
    pub schedule_line_id: Option<ID>,
    pub amount: Decimal,
}

/// The target an allocation input names, or VALIDATION.
fn target(i: usize, a: &PaymentAllocationInput) -> Result<Target> {
    let field = |n: &str| format!("allocations.{i}.{n}");
    match (&a.invoice_id, &a.proforma_id, &a.schedule_line_id) {
        (Some(id), None, None) => Ok(Target::Invoice(parse_id(id, &field("invoiceId"))?)),
        (None, Some(id), None) => Ok(Target::Proforma(parse_id(id, &field("proformaId"))?)),
        (None, None, Some(id)) => {
            let bad = || AppError::validation(field("scheduleLineId"), "expected orderId:position");
            let (o, pos) = id.split_once(':').ok_or_else(bad)?;
            Ok(Target::ScheduleLine {
                order_id: o.parse().map_err(|_| bad())?,
                position: pos.parse().map_err(|_| bad())?,
            })
        }
        _ => Err(AppError::validation(
            field("invoiceId"),
            "name one of invoiceId, proformaId or scheduleLineId",
        )
        .into()),
    }
}

#[derive(InputObject)]
pub struct RecordPaymentInput {
    pub customer_id: ID,
    pub amount: Decimal,
    pub currency: String,
    pub date: Date,
    pub method: Option<String>,
    pub reference: Option<String>,
    /// Omit to settle the customer's oldest due invoices first (R-PAY-5).
    pub allocations: Option<Vec<PaymentAllocationInput>>,
}

/// The domain's allocations of an input list, or VALIDATION naming the bad one.
fn allocations(list: Vec<PaymentAllocationInput>) -> Result<Vec<Allocation>> {
    list.into_iter()
        .enumerate()
        .map(|(i, a)| {
            Ok(Allocation {
                target: target(i, &a)?,
                amount: a.amount.0,
            })
        })
        .collect()
}

#[derive(InputObject)]
pub struct AllocatePaymentInput {
    pub payment_id: ID,
    pub allocations: Vec<PaymentAllocationInput>,
}

#[derive(InputObject)]
pub struct UnallocatePaymentInput {
    pub payment_id: ID,
    /// A posted invoice the payment settles.
    pub invoice_id: ID,
    pub amount: Decimal,
    pub reason: String,
}

#[derive(InputObject)]
pub struct RefundPaymentInput {
    pub payment_id: ID,
    pub amount: Decimal,
    pub date: Date,
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct RefundPaymentPayload {
    pub payment: Payment,
    pub refund: PaymentRefund,
}

#[derive(InputObject)]
pub struct ReversePaymentInput {
    pub id: ID,
    pub reason: String,
}

#[derive(SimpleObject)]
pub struct PaymentPayload {
    pub payment: Payment,
}

#[derive(Default)]
pub struct PaymentQuery;

#[Object]
impl PaymentQuery {
    /// Payments of customers the caller sees, newest first.
    async fn payments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        customer_id: Option<ID>,
    ) -> Result<Conn<Payment>> {
        let customer_id = parse_opt_id(customer_id.as_ref(), "customerId")?;
        let page = payments::list(
            db(ctx),
            principal(ctx)?,
            customer_id,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |p| p.id, Payment))
    }

    async fn payment(&self, ctx: &Context<'_>, id: ID) -> Result<Payment> {
        let id = parse_id(&id, "id")?;
        Ok(Payment(payments::get(db(ctx), principal(ctx)?, id).await?))
    }
}

#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// Records money received; the invoices and orders it settles change financial status in
    /// the same transaction (R-PAY-2, R-PAY-5).
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> Result<PaymentPayload> {
        let allocations = input.allocations.map(allocations).transpose()?;
        let pay = payments::record(
            db(ctx),
            principal(ctx)?,
            NewPayment {
                customer_id: parse_id(&input.customer_id, "customerId")?,
                amount: input.amount.0,
                currency: input.currency,
                date: input.date.into(),
                method: input.method,
                reference: input.reference,
                allocations,
            },
        )
        .await?;
        Ok(PaymentPayload {
            payment: Payment(pay),
        })
    }

    /// Applies a payment's unallocated money (what no invoice took, or an advance its order
    /// gave back) to invoices, proformas or schedule lines of its customer (R-PAY-6).
    async fn allocate_payment(
        &self,
        ctx: &Context<'_>,
        input: AllocatePaymentInput,
    ) -> Result<PaymentPayload> {
        let id = parse_id(&input.payment_id, "paymentId")?;
        let list = allocations(input.allocations)?;
        Ok(PaymentPayload {
            payment: Payment(unallocated::allocate(db(ctx), principal(ctx)?, id, list).await?),
        })
    }

    /// Takes part of what a payment settles on a posted invoice back to its unallocated
    /// money; the invoice's and its orders' statuses follow (R-PAY-6).
    async fn unallocate_payment(
        &self,
        ctx: &Context<'_>,
        input: UnallocatePaymentInput,
    ) -> Result<PaymentPayload> {
        let id = parse_id(&input.payment_id, "paymentId")?;
        let invoice = parse_id(&input.invoice_id, "invoiceId")?;
        let pay = unallocated::unallocate(
            db(ctx),
            principal(ctx)?,
            id,
            invoice,
            input.amount.0,
            &input.reason,
        )
        .await?;
        Ok(PaymentPayload {
            payment: Payment(pay),
        })
    }

    /// Pays unallocated money of a payment back to the customer, never more than it holds
    /// unallocated (R-PAY-6).
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        input: RefundPaymentInput,
    ) -> Result<RefundPaymentPayload> {
        let id = parse_id(&input.payment_id, "paymentId")?;
        let (pay, refund) = unallocated::refund(
            db(ctx),
            principal(ctx)?,
            id,
            input.amount.0,
            input.date.0,
            &input.reason,
        )
        .await?;
        Ok(RefundPaymentPayload {
            payment: Payment(pay),
            refund: PaymentRefund(refund),
        })
    }

    /// Takes a payment back: every status it changed returns (R-PAY-5).
    async fn reverse_payment(
        &self,
        ctx: &Context<'_>,
        input: ReversePaymentInput,
    ) -> Result<PaymentPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(PaymentPayload {
            payment: Payment(payments::reverse(db(ctx), principal(ctx)?, id, &input.reason).await?),
        })
    }
}
