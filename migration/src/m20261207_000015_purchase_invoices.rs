//! Purchase invoices and supplier payments (the payables side; R-IC-4 posts them along the
//! chain).
//!
//! - `purchase_invoices` bill received quantities (`receipt_lines.invoiced_quantity` never
//!   passes the received quantity) at the purchase order's price with tax; a supplier's invoice
//!   number is entered once per supplier. Posting numbers them in the `PURCHASE_INVOICE` series
//!   and fixes their due dates from the supplier's payment terms (`suppliers.payment_terms`).
//! - Each line records the order's price beside the invoiced one, and whether price or quantity
//!   differ beyond the company's `purchase_match_tolerance_percent` (three-way match).
//! - `supplier_payments` settle posted invoices through allocations.
use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000015_purchase_invoices"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table("purchase_invoices")
                .col(id())
                .col(fk("company_id"))
                .col(fk("supplier_id"))
                .col(text("series"))
                .col(ColumnDef::new("number").big_integer().null().take())
                .col(text("status"))
                .col(text("supplier_invoice_number"))
                .col(date("invoice_date"))
                .col(text("currency"))
                .col(dec(b, "net_amount"))
                .col(dec(b, "tax_amount"))
                .col(dec(b, "total_amount"))
                .col(dec(b, "paid_amount"))
                .col(date_null("next_due_date"))
                .col(flag("has_variances", false))
                .col(fk_null("chain_invoice_id"))
                .col(int("version"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(text_null("posted_by"))
                .col(instant_null("posted_at"))
                .foreign_key(&mut foreign(
                    "purchase_invoices",
                    "supplier_id",
                    "suppliers",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("purchase_invoice_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("purchase_invoice_id"))
                .col(fk("receipt_line_id"))
                .col(fk("purchase_order_line_id"))
                .col(fk("item_id"))
                .col(dec(b, "quantity"))
                .col(dec(b, "unit_cost"))
                .col(dec(b, "order_unit_cost"))
                .col(dec(b, "net_amount"))
                .col(dec(b, "tax_rate"))
                .col(dec(b, "tax_amount"))
                .col(flag("price_variance", false))
                .col(flag("quantity_variance", false))
                .foreign_key(&mut foreign(
                    "purchase_invoice_lines",
                    "purchase_invoice_id",
                    "purchase_invoices",
                ))
                .foreign_key(&mut foreign(
                    "purchase_invoice_lines",
                    "receipt_line_id",
                    "receipt_lines",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("purchase_invoice_installments")
                .col(id())
                .col(fk("purchase_invoice_id"))
                .col(int("position"))
                .col(date("due_date"))
                .col(dec(b, "amount"))
                .col(dec(b, "paid_amount"))
                .foreign_key(&mut foreign(
                    "purchase_invoice_installments",
                    "purchase_invoice_id",
                    "purchase_invoices",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("supplier_payments")
                .col(id())
                .col(fk("company_id"))
                .col(fk("supplier_id"))
                .col(dec(b, "amount"))
                .col(date("paid_on"))
                .col(text_null("reference"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign(
                    "supplier_payments",
                    "supplier_id",
                    "suppliers",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("supplier_payment_allocations")
                .col(id())
                .col(fk("payment_id"))
                .col(fk("purchase_invoice_id"))
                .col(dec(b, "amount"))
                .foreign_key(&mut foreign(
                    "supplier_payment_allocations",
                    "payment_id",
                    "supplier_payments",
                ))
                .foreign_key(&mut foreign(
                    "supplier_payment_allocations",
                    "purchase_invoice_id",
                    "purchase_invoices",
                ))
                .take(),
        )
        .await?;
        create_indexes(
            m,
            [
                (
                    "purchase_invoices_supplier_number",
                    "purchase_invoices",
                    vec!["company_id", "supplier_id", "supplier_invoice_number"],
                    true,
                ),
                (
                    "purchase_invoice_lines_invoice",
                    "purchase_invoice_lines",
                    vec!["purchase_invoice_id"],
                    false,
                ),
                (
                    "purchase_invoice_lines_receipt_line",
                    "purchase_invoice_lines",
                    vec!["receipt_line_id"],
                    false,
                ),
                (
                    "purchase_invoice_installments_invoice",
                    "purchase_invoice_installments",
                    vec!["purchase_invoice_id"],
                    false,
                ),
                (
                    "supplier_payment_allocations_invoice",
                    "supplier_payment_allocations",
                    vec!["purchase_invoice_id"],
                    false,
                ),
            ],
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("receipt_lines")
                .add_column(dec(b, "invoiced_quantity"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("suppliers")
                .add_column(text_null("payment_terms"))
                .take(),
        )
        .await?;
        let ty = match b {
            DatabaseBackend::Postgres => "NUMERIC(19,4)",
            _ => "TEXT",
        };
        m.alter_table(
            Table::alter()
                .table("company_settings")
                .add_column(
                    ColumnDef::new("purchase_match_tolerance_percent")
                        .custom(ty)
                        .not_null()
                        .default(Expr::cust("'2'"))
                        .take(),
                )
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "supplier_payment_allocations",
            "supplier_payments",
            "purchase_invoice_installments",
            "purchase_invoice_lines",
            "purchase_invoices",
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        for (table, col) in [
            ("receipt_lines", "invoiced_quantity"),
            ("suppliers", "payment_terms"),
            ("company_settings", "purchase_match_tolerance_percent"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
