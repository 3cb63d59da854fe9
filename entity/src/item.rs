use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub sku: String,
    pub name: String,
    pub kind: crate::ItemKind,
    pub sellable: bool,
    pub purchasable: bool,
    pub stock_unit: String,
    pub sales_unit: String,
    pub sales_unit_factor: Dec,
    pub tracking: crate::Tracking,
    pub list_price: Dec,
    pub cost: Dec,
    pub weight: Dec,
    pub volume: Dec,
    pub preferred_supplier_id: Option<i64>,
    /// Default tax code (R-TAX-1).
    pub tax_code_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
