//! Documents people read (R-DOC-1…4).
//!
//! - `companies` gain what a document prints of its issuer (address, tax id, e-mail) and the
//!   language a document falls back to.
//! - `document_snapshots` freeze what a posted invoice or credit note says, as JSON, at posting.
//! - `document_files` keep the bytes once rendered for such a document (one per language and
//!   format): a posted document renders the same bytes forever, whatever the templates become.
//! - `mails` is the e-mail outbox: a send is a row written in the sender's transaction, and
//!   delivered after the commit by whichever instance claims it first.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000016_documents"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            text_null("address"),
            text_null("tax_id"),
            text_null("email"),
            ColumnDef::new("language")
                .string()
                .not_null()
                .default("en")
                .take(),
        ] {
            let mut col = col;
            m.alter_table(
                Table::alter()
                    .table("companies")
                    .add_column(&mut col)
                    .take(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("document_snapshots")
                .col(id())
                .col(fk("company_id"))
                .col(text("kind"))
                .col(fk("document_id"))
                .col(ColumnDef::new("body").text().not_null().take())
                .col(instant("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("document_files")
                .col(id())
                .col(fk("company_id"))
                .col(text("kind"))
                .col(fk("document_id"))
                .col(text("language"))
                .col(text("format"))
                .col(ColumnDef::new("content").blob().not_null().take())
                .col(text("sha256"))
                .col(instant("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("mails")
                .col(id())
                .col(fk("company_id"))
                .col(text("document_kind"))
                .col(fk("document_id"))
                .col(text("document_number"))
                .col(text("to_address"))
                .col(text("language"))
                .col(text("subject"))
                .col(text("status"))
                .col(int("attempts"))
                .col(instant("next_attempt_at"))
                .col(instant_null("claimed_until"))
                .col(text_null("last_error"))
                .col(text("message_id"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(instant_null("sent_at"))
                .take(),
        )
        .await?;
        create_indexes(
            m,
            [
                (
                    "ux_document_snapshots",
                    "document_snapshots",
                    vec!["kind", "document_id"],
                    true,
                ),
                (
                    "ux_document_files",
                    "document_files",
                    vec!["kind", "document_id", "language", "format"],
                    true,
                ),
                (
                    "ix_mails_due",
                    "mails",
                    vec!["status", "next_attempt_at"],
                    false,
                ),
                (
                    "ix_mails_document",
                    "mails",
                    vec!["company_id", "document_kind", "document_id"],
                    false,
                ),
            ],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["mails", "document_files", "document_snapshots"] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
