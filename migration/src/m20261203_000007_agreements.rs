//! Sales and purchase agreements (R-AGR-1…3): commitments over a validity period, the prices
//! and discounts they grant, and what orders placed against each commitment released and
//! fulfilled so far.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000007_agreements"
    }
}

const TABLES: [&str; 2] = ["agreements", "agreement_lines"];

/// What an order line contributes to its agreement line, kept on the line so that any change
/// to it moves the agreement by the difference (never by scanning orders).
fn contribution(b: sea_orm_migration::sea_orm::DatabaseBackend) -> [ColumnDef; 5] {
    [
        fk_null("agreement_line_id"),
        dec(b, "agreement_released_quantity"),
        dec(b, "agreement_released_value"),
        dec(b, "agreement_fulfilled_quantity"),
        dec(b, "agreement_fulfilled_value"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let tables = vec![
            Table::create()
                .table("agreements")
                .col(id())
                .col(fk("company_id"))
                // SALES (customer_id) or PURCHASE (supplier_id).
                .col(text("kind"))
                .col(fk_null("customer_id"))
                .col(fk_null("supplier_id"))
                .col(text("series"))
                .col(ColumnDef::new("number").big_integer().not_null().take())
                .col(text("currency"))
                .col(date("valid_from"))
                .col(date("valid_to"))
                // ON_HOLD → EFFECTIVE → CLOSED (R-AGR-3).
                .col(text("status"))
                .col(text_null("notes"))
                .col(int("version"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("agreements", "company_id", "companies"))
                .foreign_key(&mut foreign("agreements", "customer_id", "customers"))
                .foreign_key(&mut foreign("agreements", "supplier_id", "suppliers"))
                .take(),
            Table::create()
                .table("agreement_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("agreement_id"))
                .col(int("position"))
                // PRODUCT_QUANTITY | PRODUCT_VALUE | VALUE (R-AGR-1).
                .col(text("commitment"))
                .col(fk_null("item_id"))
                .col(dec(b, "quantity"))
                .col(dec(b, "value"))
                .col(dec_null(b, "unit_price"))
                .col(dec(b, "discount_percent"))
                // On open orders not yet shipped (received), and shipped (received).
                .col(dec(b, "released_quantity"))
                .col(dec(b, "released_value"))
                .col(dec(b, "fulfilled_quantity"))
                .col(dec(b, "fulfilled_value"))
                .foreign_key(&mut foreign(
                    "agreement_lines",
                    "agreement_id",
                    "agreements",
                ))
                .foreign_key(&mut foreign("agreement_lines", "item_id", "items"))
                .take(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let mut added: Vec<(&str, ColumnDef)> = vec![
            ("sales_orders", fk_null("agreement_id")),
            ("purchase_orders", fk_null("agreement_id")),
            (
                "purchase_order_lines",
                ColumnDef::new("price_source")
                    .string()
                    .not_null()
                    .default("LIST")
                    .take(),
            ),
        ];
        for table in ["sales_order_lines", "purchase_order_lines"] {
            added.extend(contribution(b).into_iter().map(|c| (table, c)));
        }
        // SQLite adds one column per ALTER TABLE.
        for (table, col) in added {
            m.alter_table(Table::alter().table(table).add_column(col).take())
                .await?;
        }
        create_indexes(
            m,
            [
                (
                    "agreements_number",
                    "agreements",
                    vec!["company_id", "kind", "series", "number"],
                    true,
                ),
                (
                    "agreements_customer",
                    "agreements",
                    vec!["company_id", "customer_id", "status"],
                    false,
                ),
                (
                    "agreements_supplier",
                    "agreements",
                    vec!["company_id", "supplier_id", "status"],
                    false,
                ),
                (
                    "agreements_ending",
                    "agreements",
                    vec!["company_id", "status", "valid_to"],
                    false,
                ),
                (
                    "agreement_lines_agreement",
                    "agreement_lines",
                    vec!["agreement_id", "position"],
                    true,
                ),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let mut dropped: Vec<(&str, String)> = vec![
            ("sales_orders", "agreement_id".into()),
            ("purchase_orders", "agreement_id".into()),
            ("purchase_order_lines", "price_source".into()),
        ];
        for table in ["sales_order_lines", "purchase_order_lines"] {
            dropped.extend(contribution(b).iter().map(|c| (table, c.get_column_name())));
        }
        for (table, col) in dropped {
            m.alter_table(Table::alter().table(table).drop_column(col).take())
                .await?;
        }
        for t in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(*t).to_owned()).await?;
        }
        Ok(())
    }
}
