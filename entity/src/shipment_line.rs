use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub shipment_id: i64,
    pub order_line_id: i64,
    pub item_id: i64,
    pub warehouse_id: i64,
    pub location: String,
    pub lot: String,
    pub quantity: Dec,
    /// While the shipment is PREPARING: the reservation this line earmarks (R-ORD-16).
    pub reservation_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
