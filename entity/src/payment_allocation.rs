use crate::Dec;
use sea_orm::entity::prelude::*;

/// What part of a payment settles which invoice (R-PAY-2).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_allocations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub payment_id: i64,
    pub invoice_id: i64,
    /// Invoice currency.
    pub amount: Dec,
    /// Company currency at the payment's rate.
    pub company_amount: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
