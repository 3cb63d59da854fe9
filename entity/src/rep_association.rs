use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rep_associations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub manager_rep_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub rep_id: i64,
    pub company_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
