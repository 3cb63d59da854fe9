//! A customer's credit standing (R-ORD-9): the terms of its risk. Resolvers call
//! `domain::credit`.
use crate::domain::credit;
use crate::graphql::customers::Customer;
use crate::graphql::scalars::Decimal;
use crate::graphql::{canonical, db, parse_id, principal};
use async_graphql::{Context, ID, Object, Result};

pub struct CustomerBalance(pub credit::Balance);

#[Object]
impl CustomerBalance {
    async fn customer(&self) -> Customer {
        Customer(self.0.customer.clone())
    }
    /// Open orders' value that has not shipped (company currency, without tax).
    async fn undelivered(&self) -> Decimal {
        canonical(self.0.exposure.undelivered)
    }
    /// Shipped, not invoiced yet (without tax).
    async fn to_invoice(&self) -> Decimal {
        canonical(self.0.exposure.to_invoice)
    }
    /// Open balances of posted invoices (with tax).
    async fn receivable(&self) -> Decimal {
        canonical(self.0.exposure.receivable)
    }
    /// Of the receivable, installments past their due date.
    async fn overdue(&self) -> Decimal {
        canonical(self.0.overdue)
    }
    /// Payments no invoice took yet.
    async fn unallocated_payments(&self) -> Decimal {
        canonical(self.0.exposure.unallocated)
    }
    /// undelivered + toInvoice + receivable − unallocatedPayments (R-ORD-9).
    async fn risk(&self) -> Decimal {
        canonical(self.0.exposure.total())
    }
    /// Zero means no limit.
    async fn credit_limit(&self) -> Decimal {
        self.0.customer.credit_limit.into()
    }
}

#[derive(Default)]
pub struct CreditQuery;

#[Object]
impl CreditQuery {
    /// Where a customer stands: the terms of its risk against its limit (R-ORD-9).
    async fn customer_balance(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
    ) -> Result<CustomerBalance> {
        let id = parse_id(&customer_id, "customerId")?;
        let today = chrono::Utc::now().date_naive();
        Ok(CustomerBalance(
            credit::balance(db(ctx), principal(ctx)?, id, today).await?,
        ))
    }
}
