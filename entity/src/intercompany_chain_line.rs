use sea_orm::entity::prelude::*;

/// One line through the chain: the original order line, the purchase line and the
/// intercompany order line that serve it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "intercompany_chain_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chain_id: i64,
    pub original_line_id: i64,
    pub purchase_line_id: i64,
    pub intercompany_line_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
