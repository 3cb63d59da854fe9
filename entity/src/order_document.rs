use sea_orm::entity::prelude::*;

/// A document attached to an order: a quote, a contract or another (R-PAY-1). Removing one
/// keeps the row (who, when) and logs an event.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub order_id: i64,
    pub kind: crate::OrderDocumentKind,
    pub name: String,
    pub url: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub removed_by: Option<String>,
    pub removed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
