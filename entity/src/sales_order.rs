use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub kind: crate::DocKind,
    pub series: String,
    pub number: i64,
    pub customer_id: i64,
    pub sales_rep_id: Option<i64>,
    pub status: crate::DocStatus,
    pub financial_status: crate::FinancialStatus,
    pub credit_hold: bool,
    pub credit_released_amount: Dec,
    pub credit_released_by: Option<String>,
    pub credit_released_at: Option<DateTimeUtc>,
    pub order_date: Date,
    pub delivery_date: Option<Date>,
    pub currency: String,
    pub exchange_rate: Dec,
    pub language: String,
    pub payment_terms_id: Option<i64>,
    pub payment_method_id: Option<i64>,
    pub bank_account_id: Option<i64>,
    pub ship_to_address_id: Option<i64>,
    pub carrier_id: Option<i64>,
    pub invoice_to_group: bool,
    pub direct_delivery: bool,
    pub order_type: Option<String>,
    pub customer_reference: Option<String>,
    pub freight_terms: crate::FreightTerms,
    pub freight_overridden: bool,
    pub freight_amount: Dec,
    pub weight_overridden: bool,
    pub weight: Dec,
    pub volume_overridden: bool,
    pub volume: Dec,
    pub header_discount_percent: Dec,
    pub gross_amount: Dec,
    pub discount_amount: Dec,
    pub net_amount: Dec,
    pub total_amount: Dec,
    pub company_gross_amount: Dec,
    pub company_net_amount: Dec,
    pub company_freight_amount: Dec,
    pub company_total_amount: Dec,
    pub confirmation_date: Option<Date>,
    pub quote_id: Option<i64>,
    pub order_id: Option<i64>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The freight went onto an invoice (billed once per order).
    pub freight_invoiced: bool,
    /// Σ payments against the order before billing (proformas, schedule lines, R-PAY-2).
    pub advance_amount: Dec,
    /// What posted invoices of the order took of those advances.
    pub advance_applied: Dec,
    /// Free reference to the production order serving it (R-PAY-4).
    pub production_reference: Option<String>,
    /// The agreement the order was placed from (`createSalesOrderFromAgreement`, R-AGR-3).
    pub agreement_id: Option<i64>,
    /// Where the goods go, as text: kept on every document of an intercompany chain, where the
    /// seller's order ships to an address of the buyer's customer (R-IC-3).
    pub delivery_address: Option<String>,
    /// Set only by the supplying company on its intercompany order, copied back (R-IC-3).
    pub confirmed_ship_date: Option<Date>,
    pub confirmed_receipt_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
