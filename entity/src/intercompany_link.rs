use sea_orm::entity::prelude::*;

/// R-IC-1: the seller's customer that stands for the buying company, paired with the buyer's
/// supplier that stands for the seller. Trade follows it only once `active`: an admin of each
/// side confirmed it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "intercompany_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_company_id: i64,
    pub customer_id: i64,
    pub buyer_company_id: i64,
    pub supplier_id: i64,
    pub seller_confirmed_by: Option<String>,
    pub buyer_confirmed_by: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
