use crate::Dec;
use sea_orm::entity::prelude::*;

/// One received line billed: the invoiced quantity and price beside the order's (three-way
/// match).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub purchase_invoice_id: i64,
    pub receipt_line_id: i64,
    pub purchase_order_line_id: i64,
    pub item_id: i64,
    pub quantity: Dec,
    pub unit_cost: Dec,
    pub order_unit_cost: Dec,
    pub net_amount: Dec,
    pub tax_rate: Dec,
    pub tax_amount: Dec,
    pub price_variance: bool,
    pub quantity_variance: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
