use crate::Dec;
use sea_orm::entity::prelude::*;

/// Unallocated money of a payment paid back to the customer (R-PAY-6).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub payment_id: i64,
    pub refund_date: Date,
    /// Payment currency.
    pub amount: Dec,
    /// Company currency at the payment's rate.
    pub company_amount: Dec,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
