//! The e-mail outbox (R-DOC-4): one row per send, delivered after its transaction commits.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub document_kind: String,
    pub document_id: i64,
    pub document_number: String,
    pub to_address: String,
    pub language: String,
    pub subject: String,
    pub status: crate::MailStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTimeUtc,
    /// Set by the instance delivering it; another instance leaves the row alone until then.
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
