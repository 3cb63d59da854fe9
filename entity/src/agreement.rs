use sea_orm::entity::prelude::*;

/// A sales agreement (with a customer) or a purchase agreement (with a supplier): commitments
/// over a validity period in exchange for prices and discounts (R-AGR-1…3).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agreements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub kind: crate::AgreementKind,
    pub customer_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub series: String,
    pub number: i64,
    pub currency: String,
    pub valid_from: Date,
    pub valid_to: Date,
    pub status: crate::AgreementStatus,
    pub notes: Option<String>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// R-IC-1: the mirrored agreement in the partner company (intercompany agreements).
    pub partner_agreement_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
