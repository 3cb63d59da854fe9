use crate::Dec;
use sea_orm::entity::prelude::*;

/// When a posted purchase invoice falls due, and how much of each due amount was paid.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_invoice_installments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub purchase_invoice_id: i64,
    pub position: i64,
    pub due_date: Date,
    pub amount: Dec,
    pub paid_amount: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
