use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "suppliers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub code: String,
    pub name: String,
    pub email: Option<String>,
    pub currency: String,
    pub linked_company_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// Payment terms code: due dates of its posted invoices.
    pub payment_terms: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
