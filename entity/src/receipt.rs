use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "receipts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub purchase_order_id: i64,
    pub supplier_id: i64,
    pub series: String,
    pub number: i64,
    pub status: crate::ReceiptStatus,
    pub supplier_reference: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    /// The intercompany shipment this receipt was posted from (R-IC-4).
    pub chain_shipment_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
