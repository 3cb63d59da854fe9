use sea_orm::entity::prelude::*;

/// Shipped goods received back from the customer (R-RET-1), numbered in the order's series.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "return_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub warehouse_id: i64,
    pub series: String,
    pub number: i64,
    pub return_date: Date,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
