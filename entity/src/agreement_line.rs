use crate::Dec;
use sea_orm::entity::prelude::*;

/// One commitment of an agreement (R-AGR-1) and what orders placed against it released (on
/// open orders, not yet shipped or received) and fulfilled (shipped or received). Remaining
/// is the commitment less both.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agreement_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub agreement_id: i64,
    pub position: i64,
    pub commitment: crate::CommitmentType,
    /// None for a `VALUE` commitment (any item).
    pub item_id: Option<i64>,
    /// Committed quantity (`PRODUCT_QUANTITY`; sales units on a sales agreement, stock units
    /// on a purchase agreement).
    pub quantity: Dec,
    /// Committed value in the agreement currency (`PRODUCT_VALUE`, `VALUE`).
    pub value: Dec,
    /// The agreement price (product commitments); None on a `VALUE` line.
    pub unit_price: Option<Dec>,
    pub discount_percent: Dec,
    pub released_quantity: Dec,
    pub released_value: Dec,
    pub fulfilled_quantity: Dec,
    pub fulfilled_value: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
