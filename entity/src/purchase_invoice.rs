use crate::Dec;
use sea_orm::entity::prelude::*;

/// A supplier's invoice: received quantities billed at the purchase order's prices with tax;
/// numbered and due once posted.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub supplier_id: i64,
    pub series: String,
    pub number: Option<i64>,
    pub status: crate::InvoiceStatus,
    pub supplier_invoice_number: String,
    pub invoice_date: Date,
    pub currency: String,
    pub net_amount: Dec,
    pub tax_amount: Dec,
    pub total_amount: Dec,
    pub paid_amount: Dec,
    pub next_due_date: Option<Date>,
    /// A line's price or quantity differs from the order and receipt beyond the tolerance.
    pub has_variances: bool,
    /// The supplying company's invoice it was posted from (R-IC-4).
    pub chain_invoice_id: Option<i64>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub posted_by: Option<String>,
    pub posted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
