use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub purchase_order_id: i64,
    pub position: i64,
    pub item_id: i64,
    pub quantity: Dec,
    pub received_quantity: Dec,
    pub unit_cost: Dec,
    /// Where the cost came from: AGREEMENT, LIST (the item's cost) or MANUAL.
    pub price_source: crate::PriceSource,
    /// The agreement line it was placed against (R-AGR-2) and what it contributes to that
    /// line's released and fulfilled figures right now (moved by the difference on change).
    pub agreement_line_id: Option<i64>,
    pub agreement_released_quantity: Dec,
    pub agreement_released_value: Dec,
    pub agreement_fulfilled_quantity: Dec,
    pub agreement_fulfilled_value: Dec,
    /// The sales order line a direct-delivery line delivers (R-IC-2).
    pub sales_order_line_id: Option<i64>,
    pub over_delivery_percent: Dec,
    pub under_delivery_percent: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
