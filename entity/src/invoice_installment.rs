use crate::Dec;
use sea_orm::entity::prelude::*;

/// A due date of a posted invoice, from the order's payment terms (R-PAY-1).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_installments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invoice_id: i64,
    pub position: i64,
    pub due_date: Date,
    pub percent: Dec,
    pub amount: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
