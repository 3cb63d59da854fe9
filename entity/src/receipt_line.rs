use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "receipt_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub receipt_id: i64,
    pub purchase_order_line_id: i64,
    pub item_id: i64,
    pub warehouse_id: i64,
    pub location: String,
    pub lot: String,
    pub quantity: Dec,
    pub assigned_quantity: Dec,
    pub stock_level_id: Option<i64>,
    /// Billed by purchase invoices so far: never above `quantity`.
    pub invoiced_quantity: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
