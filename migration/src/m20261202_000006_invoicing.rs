//! Invoicing and payments (R-TAX-1, R-INV-1, R-PAY-2, R-PAY-5, R-ORD-9): tax codes, invoices
//! and credit notes with their lines and due dates, payments and what they settle.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000006_invoicing"
    }
}

/// Tables in creation order (drop runs in reverse).
const TABLES: [&str; 8] = [
    "tax_codes",
    "invoices",
    "invoice_lines",
    "invoice_installments",
    "proformas",
    "payments",
    "payment_allocations",
    "order_documents",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        // SQLite adds one column per ALTER TABLE.
        let added = [
            ("items", fk_null("tax_code_id")),
            (
                "customers",
                ColumnDef::new("tax_regime")
                    .string()
                    .not_null()
                    .default("STANDARD")
                    .take(),
            ),
            // Stock units billed so far (never above shipped, R-INV-1).
            ("sales_order_lines", dec(b, "invoiced_quantity")),
            // Freight is billed once per order, with its first invoice.
            ("sales_orders", flag("freight_invoiced", false)),
            ("shipments", fk_null("invoice_id")),
            // Payments made against the order before it is billed (proformas, schedule
            // lines), and how much of them posted invoices already took (R-PAY-2).
            ("sales_orders", dec(b, "advance_amount")),
            ("sales_orders", dec(b, "advance_applied")),
            // A free reference to the production order serving it (R-PAY-4).
            ("sales_orders", text_null("production_reference")),
        ];
        for (table, col) in added {
            m.alter_table(Table::alter().table(table).add_column(col).take())
                .await?;
        }
        let tables = vec![
            Table::create()
                .table("tax_codes")
                .col(id())
                .col(fk("company_id"))
                .col(text("code"))
                .col(text("name"))
                .col(dec(b, "rate"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("tax_codes", "company_id", "companies"))
                .take(),
            Table::create()
                .table("invoices")
                .col(id())
                .col(fk("company_id"))
                // INVOICE or CREDIT_NOTE (a negative invoice referencing `credit_of_id`).
                .col(text("kind"))
                .col(text("status"))
                // The customer billed (the group customer under invoice-to-group, R-ORD-11)
                // and the customer whose orders it bills.
                .col(fk("customer_id"))
                .col(fk("order_customer_id"))
                .col(fk_null("sales_rep_id"))
                .col(fk_null("credit_of_id"))
                .col(text_null("series"))
                .col(ColumnDef::new("number").big_integer().null().take())
                .col(text("currency"))
                .col(date("invoice_date"))
                // The earliest due date not yet settled (None once settled): what overdue
                // reports and "oldest due first" read.
                .col(date_null("next_due_date"))
                .col(text("tax_regime"))
                .col(text_null("legal_note"))
                .col(dec(b, "tax_base"))
                .col(dec(b, "tax_amount"))
                .col(dec(b, "total_amount"))
                .col(dec(b, "company_tax_base"))
                .col(dec(b, "company_tax_amount"))
                .col(dec(b, "company_total_amount"))
                .col(dec(b, "paid_amount"))
                .col(dec(b, "company_paid_amount"))
                .col(dec(b, "credited_amount"))
                // Advances on its orders applied when it was posted.
                .col(dec(b, "advance_amount"))
                .col(text("financial_status"))
                .col(int("version"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .col(text_null("posted_by"))
                .col(instant_null("posted_at"))
                .foreign_key(&mut foreign("invoices", "customer_id", "customers"))
                .foreign_key(&mut foreign("invoices", "credit_of_id", "invoices"))
                .take(),
            Table::create()
                .table("invoice_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("invoice_id"))
                .col(int("position"))
                .col(fk("order_id"))
                .col(fk_null("order_line_id"))
                .col(fk_null("item_id"))
                // ITEM or FREIGHT.
                .col(text("kind"))
                .col(text("description"))
                .col(dec(b, "quantity"))
                .col(dec(b, "stock_quantity"))
                .col(dec(b, "unit_price"))
                .col(dec(b, "discount_percent"))
                .col(dec(b, "header_discount_percent"))
                .col(dec(b, "net_amount"))
                .col(text_null("tax_code"))
                .col(dec(b, "tax_rate"))
                .col(dec(b, "tax_amount"))
                .col(dec(b, "exchange_rate"))
                .foreign_key(&mut foreign("invoice_lines", "invoice_id", "invoices"))
                .foreign_key(&mut foreign("invoice_lines", "order_id", "sales_orders"))
                .take(),
            Table::create()
                .table("invoice_installments")
                .col(id())
                .col(fk("invoice_id"))
                .col(int("position"))
                .col(date("due_date"))
                .col(dec(b, "percent"))
                .col(dec(b, "amount"))
                .foreign_key(&mut foreign(
                    "invoice_installments",
                    "invoice_id",
                    "invoices",
                ))
                .take(),
            Table::create()
                .table("proformas")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(fk("customer_id"))
                .col(text("series"))
                .col(int("number"))
                .col(date("proforma_date"))
                .col(text("currency"))
                .col(dec(b, "tax_base"))
                .col(dec(b, "tax_amount"))
                .col(dec(b, "total_amount"))
                .col(dec(b, "paid_amount"))
                .col(text("financial_status"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("proformas", "order_id", "sales_orders"))
                .take(),
            Table::create()
                .table("payments")
                .col(id())
                .col(fk("company_id"))
                .col(fk("customer_id"))
                .col(text("status"))
                .col(date("payment_date"))
                .col(text("currency"))
                .col(dec(b, "amount"))
                .col(dec(b, "exchange_rate"))
                .col(dec(b, "company_amount"))
                .col(dec(b, "allocated_amount"))
                .col(dec(b, "company_allocated_amount"))
                .col(text_null("method"))
                .col(text_null("reference"))
                .col(text_null("reversal_reason"))
                .col(text_null("reversed_by"))
                .col(instant_null("reversed_at"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("payments", "customer_id", "customers"))
                .take(),
            Table::create()
                .table("payment_allocations")
                .col(id())
                .col(fk("company_id"))
                .col(fk("payment_id"))
                // One of: an invoice; or an order (an advance), through a proforma or a
                // schedule line of it, or neither.
                .col(fk_null("invoice_id"))
                .col(fk_null("order_id"))
                .col(fk_null("proforma_id"))
                .col(
                    ColumnDef::new("schedule_position")
                        .big_integer()
                        .null()
                        .take(),
                )
                // In the invoice's currency, and in the company's at the payment's rate.
                .col(dec(b, "amount"))
                .col(dec(b, "company_amount"))
                .foreign_key(&mut foreign(
                    "payment_allocations",
                    "payment_id",
                    "payments",
                ))
                .foreign_key(&mut foreign(
                    "payment_allocations",
                    "invoice_id",
                    "invoices",
                ))
                .take(),
            Table::create()
                .table("order_documents")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(text("kind"))
                .col(text("name"))
                .col(text("url"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(text_null("removed_by"))
                .col(instant_null("removed_at"))
                .foreign_key(&mut foreign("order_documents", "order_id", "sales_orders"))
                .take(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        create_indexes(
            m,
            [
                (
                    "ux_tax_codes_code",
                    "tax_codes",
                    vec!["company_id", "code"],
                    true,
                ),
                (
                    "invoices_customer",
                    "invoices",
                    vec!["company_id", "customer_id", "status"],
                    false,
                ),
                (
                    "invoices_next_due",
                    "invoices",
                    vec!["company_id", "next_due_date"],
                    false,
                ),
                (
                    "invoices_order_customer",
                    "invoices",
                    vec!["order_customer_id"],
                    false,
                ),
                (
                    "invoice_lines_invoice",
                    "invoice_lines",
                    vec!["invoice_id"],
                    false,
                ),
                (
                    "invoice_lines_order",
                    "invoice_lines",
                    vec!["order_id"],
                    false,
                ),
                (
                    "invoice_installments_invoice",
                    "invoice_installments",
                    vec!["invoice_id"],
                    false,
                ),
                (
                    "payments_customer",
                    "payments",
                    vec!["company_id", "customer_id"],
                    false,
                ),
                (
                    "payment_allocations_payment",
                    "payment_allocations",
                    vec!["payment_id"],
                    false,
                ),
                (
                    "payment_allocations_invoice",
                    "payment_allocations",
                    vec!["invoice_id"],
                    false,
                ),
                ("shipments_invoice", "shipments", vec!["invoice_id"], false),
                ("proformas_order", "proformas", vec!["order_id"], false),
                (
                    "payment_allocations_order",
                    "payment_allocations",
                    vec!["order_id"],
                    false,
                ),
                (
                    "order_documents_order",
                    "order_documents",
                    vec!["order_id"],
                    false,
                ),
            ],
        )
        .await?;
        let conn = m.get_connection();
        // Codes unique ignoring case, like every coded table (migration 5); posted numbers
        // unique per series and kind, which the gapless counter already guarantees.
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX ux_tax_codes_code_ci ON tax_codes (company_id, lower(code))",
        )
        .await?;
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX ux_invoices_number ON invoices (company_id, kind, series, number) \
             WHERE number IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(*t).to_owned()).await?;
        }
        for (table, col) in [
            ("items", "tax_code_id"),
            ("customers", "tax_regime"),
            ("sales_order_lines", "invoiced_quantity"),
            ("sales_orders", "freight_invoiced"),
            ("shipments", "invoice_id"),
            ("sales_orders", "advance_amount"),
            ("sales_orders", "advance_applied"),
            ("sales_orders", "production_reference"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
