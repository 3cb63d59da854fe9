use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub order_id: i64,
    pub series: String,
    pub number: i64,
    pub shipped_on: Date,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    /// The invoice that billed this delivery note.
    pub invoice_id: Option<i64>,
    pub status: crate::ShipmentStatus,
    /// The intercompany shipment this delivery note was posted from (R-IC-4).
    pub chain_shipment_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
