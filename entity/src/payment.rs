use crate::Dec;
use sea_orm::entity::prelude::*;

/// Money received from a customer (R-PAY-2, R-PAY-5).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub customer_id: i64,
    pub status: crate::PaymentStatus,
    pub payment_date: Date,
    pub currency: String,
    pub amount: Dec,
    /// Company currency per unit of `currency` on the payment date.
    pub exchange_rate: Dec,
    pub company_amount: Dec,
    /// Σ allocations, in the payment currency and the company's.
    pub allocated_amount: Dec,
    pub company_allocated_amount: Dec,
    /// Σ refunds (R-PAY-6): paid back to the customer out of unallocated money.
    pub refunded_amount: Dec,
    pub company_refunded_amount: Dec,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub reversal_reason: Option<String>,
    pub reversed_by: Option<String>,
    pub reversed_at: Option<DateTimeUtc>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
