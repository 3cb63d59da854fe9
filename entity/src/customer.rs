use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub code: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_id: Option<String>,
    pub sales_rep_id: Option<i64>,
    pub currency: String,
    pub language: String,
    pub credit_limit: Dec,
    pub credit_blocked: bool,
    pub customer_type: crate::CustomerType,
    pub group_customer_id: Option<i64>,
    pub invoice_to_group: bool,
    pub zone: Option<String>,
    pub province: Option<String>,
    pub payment_terms: Option<String>,
    pub payment_method: Option<String>,
    pub bank_account: Option<String>,
    pub series: Option<String>,
    pub carrier: Option<String>,
    pub order_type: Option<String>,
    pub direct_delivery: bool,
    pub linked_company_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// R-TAX-1: STANDARD, EXEMPT or REVERSE_CHARGE.
    pub tax_regime: crate::TaxRegime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
