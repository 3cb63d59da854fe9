use sea_orm::entity::prelude::*;

/// The partner company's item an item trades as across an intercompany link; without one the
/// partner item with the same SKU is the counterpart.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "intercompany_item_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub item_id: i64,
    pub partner_company_id: i64,
    pub partner_item_id: i64,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
