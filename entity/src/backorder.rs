use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "backorders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub order_id: i64,
    pub order_line_id: i64,
    pub customer_id: i64,
    pub item_id: i64,
    pub quantity: Dec,
    pub open_quantity: Dec,
    pub status: crate::BackorderStatus,
    pub priority: i64,
    pub purchase_order_line_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
