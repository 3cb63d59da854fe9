use crate::Dec;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "company_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: i64,
    pub block_on_credit_excess: bool,
    pub manual_cost_for_non_stocked: bool,
    pub freight_max_order_amount: Dec,
    pub quotes_share_order_numbering: bool,
    pub default_series: String,
    pub updated_at: DateTimeUtc,
    /// R-IC-4: what shipping / invoicing an intercompany order posts (and prints) in the
    /// buying company: the original order's packing slip and invoice, the purchase order's
    /// receipt and purchase invoice. Read from the buying company's settings.
    pub ic_post_packing_slip: bool,
    pub ic_print_packing_slip: bool,
    pub ic_post_receipt: bool,
    pub ic_print_receipt: bool,
    pub ic_post_invoice: bool,
    pub ic_print_invoice: bool,
    pub ic_post_purchase_invoice: bool,
    pub ic_print_purchase_invoice: bool,
    /// Three-way match: a purchase invoice line whose price differs from the order's by more
    /// than this percentage, or whose quantity differs from the receipt's, is flagged.
    pub purchase_match_tolerance_percent: Dec,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
