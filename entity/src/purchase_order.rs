use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub supplier_id: i64,
    pub warehouse_id: i64,
    pub series: String,
    pub number: i64,
    pub status: crate::PurchaseOrderStatus,
    pub currency: String,
    pub order_date: Date,
    pub expected_date: Option<Date>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The agreement the order was placed from (`createPurchaseOrderFromAgreement`, R-AGR-3).
    pub agreement_id: Option<i64>,
    /// R-IC-2: the supplier ships straight to the customer of `sales_order_id`.
    pub direct_delivery: bool,
    pub sales_order_id: Option<i64>,
    pub delivery_address: Option<String>,
    pub confirmed_ship_date: Option<Date>,
    pub confirmed_receipt_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
