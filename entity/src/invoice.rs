use crate::Dec;
use sea_orm::entity::prelude::*;

/// An invoice or credit note (R-INV-1). Amounts are in `currency` and, `company_*`, in the
/// company currency at each billed order's rate (R-ORD-7). A credit note's amounts are negative.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub kind: crate::InvoiceKind,
    pub status: crate::InvoiceStatus,
    /// Who is billed: the group customer under invoice-to-group (R-ORD-11).
    pub customer_id: i64,
    /// Whose orders are billed.
    pub order_customer_id: i64,
    /// The order rep of the billed orders (one per invoice, like assignment orders, R-BO-6).
    pub sales_rep_id: Option<i64>,
    pub credit_of_id: Option<i64>,
    /// A credit note's reason (R-INV-6); `None` on invoices.
    pub credit_reason: Option<crate::CreditReason>,
    /// The return note a `RETURN` credit note credits (R-RET-1).
    pub return_id: Option<i64>,
    /// Set when posted (R-INV-1: numbered at posting, gapless).
    pub series: Option<String>,
    pub number: Option<i64>,
    pub currency: String,
    pub invoice_date: Date,
    /// The earliest due date not yet settled (None while PENDING and once settled).
    pub next_due_date: Option<Date>,
    pub tax_regime: crate::TaxRegime,
    pub legal_note: Option<String>,
    pub tax_base: Dec,
    pub tax_amount: Dec,
    pub total_amount: Dec,
    pub company_tax_base: Dec,
    pub company_tax_amount: Dec,
    pub company_total_amount: Dec,
    /// Σ payment allocations (R-PAY-5), in the invoice currency and the company's.
    pub paid_amount: Dec,
    pub company_paid_amount: Dec,
    /// Σ posted credit notes that reference this invoice (positive).
    pub credited_amount: Dec,
    /// Advances on its orders taken when it was posted (they settle it like payments).
    pub advance_amount: Dec,
    pub financial_status: crate::FinancialStatus,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub posted_by: Option<String>,
    pub posted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
