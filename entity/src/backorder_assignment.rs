use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "backorder_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub receipt_id: i64,
    pub receipt_line_id: i64,
    pub backorder_id: i64,
    pub origin_order_id: i64,
    pub sales_order_id: i64,
    pub sales_order_line_id: i64,
    pub quantity: Dec,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
