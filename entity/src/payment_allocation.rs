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
    /// An invoice, or else an order (an advance: through a proforma, a schedule line, or none).
    pub invoice_id: Option<i64>,
    pub order_id: Option<i64>,
    pub proforma_id: Option<i64>,
    /// The schedule line's position on the order (R-PAY-1).
    pub schedule_position: Option<i64>,
    /// Invoice currency.
    pub amount: Dec,
    /// Company currency at the payment's rate.
    pub company_amount: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
