//! Intercompany trade (R-IC-1…4).
//!
//! - `intercompany_links`: a customer of the selling company that stands for the buying
//!   company, paired with the buying company's supplier that stands for the seller; active once
//!   an admin of each side confirmed it.
//! - `intercompany_item_links`: which partner item an item trades as (else the same SKU).
//! - `agreements.partner_agreement_id`: the mirrored agreement in the other company.
//! - `intercompany_chains` / `intercompany_chain_lines`: the original order in the buying
//!   company, its purchase order to the seller and the seller's intercompany order, line by line.
//! - Delivery address snapshots, confirmed dates, over/under-delivery percentages, direct
//!   delivery on purchase orders, and the company's automatic-posting settings.
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000014_intercompany"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table("intercompany_links")
                .col(id())
                .col(fk("seller_company_id"))
                .col(fk("customer_id"))
                .col(fk("buyer_company_id"))
                .col(fk("supplier_id"))
                .col(text_null("seller_confirmed_by"))
                .col(text_null("buyer_confirmed_by"))
                .col(flag("active", false))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign(
                    "intercompany_links",
                    "customer_id",
                    "customers",
                ))
                .foreign_key(&mut foreign(
                    "intercompany_links",
                    "supplier_id",
                    "suppliers",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("intercompany_item_links")
                .col(id())
                .col(fk("company_id"))
                .col(fk("item_id"))
                .col(fk("partner_company_id"))
                .col(fk("partner_item_id"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("intercompany_item_links", "item_id", "items"))
                .foreign_key(&mut foreign(
                    "intercompany_item_links",
                    "partner_item_id",
                    "items",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("intercompany_chains")
                .col(id())
                .col(fk("link_id"))
                .col(fk("buying_company_id"))
                .col(fk("original_order_id"))
                .col(fk_null("purchase_order_id"))
                .col(fk("selling_company_id"))
                .col(fk_null("intercompany_order_id"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign(
                    "intercompany_chains",
                    "link_id",
                    "intercompany_links",
                ))
                .foreign_key(&mut foreign(
                    "intercompany_chains",
                    "original_order_id",
                    "sales_orders",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("intercompany_chain_lines")
                .col(id())
                .col(fk("chain_id"))
                .col(fk("original_line_id"))
                .col(fk("purchase_line_id"))
                .col(fk("intercompany_line_id"))
                .foreign_key(&mut foreign(
                    "intercompany_chain_lines",
                    "chain_id",
                    "intercompany_chains",
                ))
                .take(),
        )
        .await?;
        create_indexes(
            m,
            [
                (
                    "ic_links_customer",
                    "intercompany_links",
                    vec!["customer_id"],
                    true,
                ),
                (
                    "ic_links_supplier",
                    "intercompany_links",
                    vec!["supplier_id"],
                    true,
                ),
                (
                    "ic_item_links_item",
                    "intercompany_item_links",
                    vec!["company_id", "item_id", "partner_company_id"],
                    true,
                ),
                (
                    "ic_chains_original",
                    "intercompany_chains",
                    vec!["original_order_id"],
                    true,
                ),
                (
                    "ic_chains_purchase",
                    "intercompany_chains",
                    vec!["purchase_order_id"],
                    false,
                ),
                (
                    "ic_chains_intercompany",
                    "intercompany_chains",
                    vec!["intercompany_order_id"],
                    false,
                ),
                (
                    "ic_chain_lines_chain",
                    "intercompany_chain_lines",
                    vec!["chain_id"],
                    false,
                ),
            ],
        )
        .await?;
        for (table, cols) in [
            ("agreements", vec![fk_null("partner_agreement_id")]),
            (
                "sales_orders",
                vec![
                    long_text_null("delivery_address"),
                    date_null("confirmed_ship_date"),
                    date_null("confirmed_receipt_date"),
                ],
            ),
            (
                "sales_order_lines",
                vec![
                    dec(b, "over_delivery_percent"),
                    dec(b, "under_delivery_percent"),
                    // Stock units written off when a delivery within the under-delivery
                    // tolerance closed the line.
                    dec(b, "closed_quantity"),
                    // The supplier a line is bought from, when not its item's preferred one.
                    fk_null("supplier_id"),
                ],
            ),
            (
                "purchase_orders",
                vec![
                    flag("direct_delivery", false),
                    fk_null("sales_order_id"),
                    long_text_null("delivery_address"),
                    date_null("confirmed_ship_date"),
                    date_null("confirmed_receipt_date"),
                ],
            ),
            (
                "purchase_order_lines",
                vec![
                    fk_null("sales_order_line_id"),
                    dec(b, "over_delivery_percent"),
                    dec(b, "under_delivery_percent"),
                ],
            ),
            // The intercompany shipment a delivery note or a receipt was posted from (R-IC-4).
            ("shipments", vec![fk_null("chain_shipment_id")]),
            ("receipts", vec![fk_null("chain_shipment_id")]),
            (
                "company_settings",
                vec![
                    flag("ic_post_packing_slip", true),
                    flag("ic_print_packing_slip", false),
                    flag("ic_post_receipt", true),
                    flag("ic_print_receipt", false),
                    flag("ic_post_invoice", true),
                    flag("ic_print_invoice", false),
                    flag("ic_post_purchase_invoice", true),
                    flag("ic_print_purchase_invoice", false),
                ],
            ),
        ] {
            for col in cols {
                m.alter_table(Table::alter().table(table).add_column(col).take())
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "intercompany_chain_lines",
            "intercompany_chains",
            "intercompany_item_links",
            "intercompany_links",
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        for (table, cols) in [
            ("agreements", vec!["partner_agreement_id"]),
            (
                "sales_orders",
                vec![
                    "delivery_address",
                    "confirmed_ship_date",
                    "confirmed_receipt_date",
                ],
            ),
            (
                "sales_order_lines",
                vec![
                    "over_delivery_percent",
                    "under_delivery_percent",
                    "closed_quantity",
                    "supplier_id",
                ],
            ),
            (
                "purchase_orders",
                vec![
                    "direct_delivery",
                    "sales_order_id",
                    "delivery_address",
                    "confirmed_ship_date",
                    "confirmed_receipt_date",
                ],
            ),
            (
                "purchase_order_lines",
                vec![
                    "sales_order_line_id",
                    "over_delivery_percent",
                    "under_delivery_percent",
                ],
            ),
            ("shipments", vec!["chain_shipment_id"]),
            ("receipts", vec!["chain_shipment_id"]),
            (
                "company_settings",
                vec![
                    "ic_post_packing_slip",
                    "ic_print_packing_slip",
                    "ic_post_receipt",
                    "ic_print_receipt",
                    "ic_post_invoice",
                    "ic_print_invoice",
                    "ic_post_purchase_invoice",
                    "ic_print_purchase_invoice",
                ],
            ),
        ] {
            for col in cols {
                m.alter_table(Table::alter().table(table).drop_column(col).take())
                    .await?;
            }
        }
        Ok(())
    }
}
