use sea_orm::entity::prelude::*;

/// R-IC-3: an order of the buying company for an external customer, the purchase order it
/// placed with the selling company, and the seller's intercompany order that ships straight
/// to that customer.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "intercompany_chains")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub link_id: i64,
    pub buying_company_id: i64,
    pub original_order_id: i64,
    pub purchase_order_id: Option<i64>,
    pub selling_company_id: i64,
    pub intercompany_order_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
