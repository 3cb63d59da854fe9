use crate::Dec;
use sea_orm::entity::prelude::*;

/// A proforma: the order's figures frozen when it was issued, a request for payment that moves
/// no stock (R-INV-1, R-PAY-1). Payments against it are advances on the order.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "proformas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub order_id: i64,
    /// Who is billed (the group customer under invoice-to-group, R-ORD-11).
    pub customer_id: i64,
    pub series: String,
    pub number: i64,
    pub proforma_date: Date,
    pub currency: String,
    pub tax_base: Dec,
    pub tax_amount: Dec,
    pub total_amount: Dec,
    pub paid_amount: Dec,
    pub financial_status: crate::FinancialStatus,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
