use crate::Dec;
use sea_orm::entity::prelude::*;

/// One order line's goods on a return note, in stock units (R-RET-1).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "return_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub return_id: i64,
    pub order_line_id: i64,
    pub item_id: i64,
    /// The stock slot the goods went back into.
    pub stock_level_id: i64,
    /// The lot or serial (empty when untracked).
    pub lot: String,
    pub quantity: Dec,
    /// What `RETURN` credit notes credited of it so far (R-INV-6).
    pub credited_quantity: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
