//! Returns and the reasons of credit notes (R-RET-1, R-INV-6).
//!
//! A return note receives shipped goods back into a warehouse, numbered in its own series
//! (`RETURN_NOTE`); each line names the order line, the lot or serial and the quantity in
//! stock units, and counts what `RETURN` credit notes have credited of it so far. A credit
//! note records its reason and, for `RETURN`, the return note it credits.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000012_returns"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table("return_notes")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(fk("customer_id"))
                .col(fk("warehouse_id"))
                .col(text("series"))
                .col(int("number"))
                .col(date("return_date"))
                .col(text("reason"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("return_notes", "order_id", "sales_orders"))
                .foreign_key(&mut foreign("return_notes", "warehouse_id", "warehouses"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("return_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("return_id"))
                .col(fk("order_line_id"))
                .col(fk("item_id"))
                .col(fk("stock_level_id"))
                .col(text("lot"))
                // Stock units.
                .col(dec(b, "quantity"))
                .col(dec(b, "credited_quantity"))
                .foreign_key(&mut foreign("return_lines", "return_id", "return_notes"))
                .foreign_key(&mut foreign(
                    "return_lines",
                    "order_line_id",
                    "sales_order_lines",
                ))
                .take(),
        )
        .await?;
        for (name, table, col) in [
            ("return_notes_order", "return_notes", "order_id"),
            ("return_lines_return", "return_lines", "return_id"),
            ("return_lines_order_line", "return_lines", "order_line_id"),
        ] {
            m.create_index(Index::create().name(name).table(table).col(col).take())
                .await?;
        }
        for col in [text_null("credit_reason"), fk_null("return_id")] {
            m.alter_table(Table::alter().table("invoices").add_column(col).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["credit_reason", "return_id"] {
            m.alter_table(Table::alter().table("invoices").drop_column(col).take())
                .await?;
        }
        for t in ["return_lines", "return_notes"] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
