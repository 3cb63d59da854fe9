use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub order_id: i64,
    pub position: i64,
    pub parent_line_id: Option<i64>,
    pub item_id: i64,
    pub description: String,
    pub quantity: Dec,
    pub bonus_quantity: Dec,
    pub unit_price: Dec,
    pub discount_percent: Dec,
    pub price_source: crate::PriceSource,
    pub cost: Dec,
    pub delivery_date: Option<Date>,
    pub promised_date: Option<Date>,
    /// Stock units shipped so far.
    pub shipped_quantity: Dec,
    /// The lot the customer asked for, if any: reservations then take only that lot.
    pub lot: Option<String>,
    /// Stock units billed so far (R-INV-1: never above what shipped).
    pub invoiced_quantity: Dec,
    /// The agreement line it was placed against (R-AGR-2) and what it contributes to that
    /// line's released and fulfilled figures right now (moved by the difference on change).
    pub agreement_line_id: Option<i64>,
    pub agreement_released_quantity: Dec,
    pub agreement_released_value: Dec,
    pub agreement_fulfilled_quantity: Dec,
    pub agreement_fulfilled_value: Dec,
    /// R-IC-3: how far a delivery may pass (fall short of) the ordered quantity and still
    /// close the line.
    pub over_delivery_percent: Dec,
    pub under_delivery_percent: Dec,
    /// Stock units that will not be delivered: a delivery within the under-delivery tolerance
    /// closed the line (R-IC-3).
    pub closed_quantity: Dec,
    /// The supplier the line is bought from when not its item's preferred supplier (an
    /// intercompany chain follows it, R-IC-3).
    pub supplier_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
