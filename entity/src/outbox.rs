use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub kind: String,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub customer_rep_id: Option<i64>,
    pub order_rep_id: Option<i64>,
    pub status: Option<String>,
    pub financial_status: Option<String>,
    pub payload: Option<String>,
    pub occurred_at: DateTimeUtc,
    /// When the relay sequenced it (the event then exists for subscribers).
    pub published_at: Option<DateTimeUtc>,
    /// The event id subscribers see: gapless, in commit order of sequencing; None until the
    /// relay has sequenced the row.
    pub seq: Option<i64>,
    /// Stock events: the slot's item and warehouse.
    pub item_id: Option<i64>,
    pub warehouse_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
