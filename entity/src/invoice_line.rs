use crate::Dec;
use sea_orm::entity::prelude::*;

/// One billed part of an order line, or an order's freight (R-INV-1, R-TAX-1).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub invoice_id: i64,
    pub position: i64,
    pub order_id: i64,
    /// None for freight.
    pub order_line_id: Option<i64>,
    pub item_id: Option<i64>,
    pub kind: crate::InvoiceLineKind,
    pub description: String,
    /// Charged sales units (the bonus ships free, R-ORD-5).
    pub quantity: Dec,
    /// Stock units billed: what counts against the line's shipped quantity.
    pub stock_quantity: Dec,
    pub unit_price: Dec,
    pub discount_percent: Dec,
    pub header_discount_percent: Dec,
    /// After line and header discounts, rounded to cents: the line's tax base.
    pub net_amount: Dec,
    pub tax_code: Option<String>,
    pub tax_rate: Dec,
    pub tax_amount: Dec,
    /// The billed order's rate (R-ORD-7).
    pub exchange_rate: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
