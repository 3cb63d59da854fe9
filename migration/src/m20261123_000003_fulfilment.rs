//! Fulfilment: reservations, backorders, purchase orders, receipts, backorder assignment and
//! shipments (R-RES-1…3, R-BO-1…6, R-STK-1, R-ORD-16).
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000003_fulfilment"
    }
}

/// Tables in creation order (drop runs in reverse).
const TABLES: [&str; 9] = [
    "reservations",
    "purchase_orders",
    "purchase_order_lines",
    "backorders",
    "receipts",
    "receipt_lines",
    "backorder_assignments",
    "shipments",
    "shipment_lines",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        // What a line has shipped (stock units) and the lot it asks for, if any (R-BO-1).
        m.alter_table(
            Table::alter()
                .table("sales_order_lines")
                .add_column(dec(b, "shipped_quantity"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("sales_order_lines")
                .add_column(text_null("lot"))
                .take(),
        )
        .await?;
        let tables = vec![
            Table::create()
                .table("reservations")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(fk("order_line_id"))
                .col(fk("item_id"))
                .col(fk("stock_level_id"))
                .col(fk("warehouse_id"))
                .col(text("location"))
                .col(text("lot"))
                .col(dec(b, "quantity"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("reservations", "order_id", "sales_orders"))
                .foreign_key(&mut foreign(
                    "reservations",
                    "order_line_id",
                    "sales_order_lines",
                ))
                .foreign_key(&mut foreign(
                    "reservations",
                    "stock_level_id",
                    "stock_levels",
                ))
                .take(),
            Table::create()
                .table("purchase_orders")
                .col(id())
                .col(fk("company_id"))
                .col(fk("supplier_id"))
                .col(fk("warehouse_id"))
                .col(text("series"))
                .col(int("number"))
                .col(text("status"))
                .col(text("currency"))
                .col(date("order_date"))
                .col(date_null("expected_date"))
                .col(text_null("notes"))
                .col(int("version"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("purchase_orders", "supplier_id", "suppliers"))
                .foreign_key(&mut foreign(
                    "purchase_orders",
                    "warehouse_id",
                    "warehouses",
                ))
                .take(),
            Table::create()
                .table("purchase_order_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("purchase_order_id"))
                .col(int("position"))
                .col(fk("item_id"))
                .col(dec(b, "quantity"))
                .col(dec(b, "received_quantity"))
                .col(dec(b, "unit_cost"))
                .foreign_key(&mut foreign(
                    "purchase_order_lines",
                    "purchase_order_id",
                    "purchase_orders",
                ))
                .foreign_key(&mut foreign("purchase_order_lines", "item_id", "items"))
                .take(),
            Table::create()
                .table("backorders")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(fk("order_line_id"))
                .col(fk("customer_id"))
                .col(fk("item_id"))
                .col(dec(b, "quantity"))
                .col(dec(b, "open_quantity"))
                .col(text("status"))
                .col(int("priority"))
                .col(fk_null("purchase_order_line_id"))
                .col(instant("created_at"))
                .col(instant_null("confirmed_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("backorders", "order_id", "sales_orders"))
                .foreign_key(&mut foreign(
                    "backorders",
                    "order_line_id",
                    "sales_order_lines",
                ))
                .foreign_key(&mut foreign(
                    "backorders",
                    "purchase_order_line_id",
                    "purchase_order_lines",
                ))
                .take(),
            Table::create()
                .table("receipts")
                .col(id())
                .col(fk("company_id"))
                .col(fk("purchase_order_id"))
                .col(fk("supplier_id"))
                .col(text("series"))
                .col(int("number"))
                .col(text("status"))
                .col(text_null("supplier_reference"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(instant_null("confirmed_at"))
                .foreign_key(&mut foreign(
                    "receipts",
                    "purchase_order_id",
                    "purchase_orders",
                ))
                .take(),
            Table::create()
                .table("receipt_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("receipt_id"))
                .col(fk("purchase_order_line_id"))
                .col(fk("item_id"))
                .col(fk("warehouse_id"))
                .col(text("location"))
                .col(text("lot"))
                .col(dec(b, "quantity"))
                .col(dec(b, "assigned_quantity"))
                .col(fk_null("stock_level_id"))
                .foreign_key(&mut foreign("receipt_lines", "receipt_id", "receipts"))
                .foreign_key(&mut foreign(
                    "receipt_lines",
                    "purchase_order_line_id",
                    "purchase_order_lines",
                ))
                .take(),
            Table::create()
                .table("backorder_assignments")
                .col(id())
                .col(fk("company_id"))
                .col(fk("receipt_id"))
                .col(fk("receipt_line_id"))
                .col(fk("backorder_id"))
                .col(fk("origin_order_id"))
                .col(fk("sales_order_id"))
                .col(fk("sales_order_line_id"))
                .col(dec(b, "quantity"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign(
                    "backorder_assignments",
                    "receipt_line_id",
                    "receipt_lines",
                ))
                .foreign_key(&mut foreign(
                    "backorder_assignments",
                    "backorder_id",
                    "backorders",
                ))
                .foreign_key(&mut foreign(
                    "backorder_assignments",
                    "sales_order_line_id",
                    "sales_order_lines",
                ))
                .take(),
            Table::create()
                .table("shipments")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(text("series"))
                .col(int("number"))
                .col(date("shipped_on"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("shipments", "order_id", "sales_orders"))
                .take(),
            Table::create()
                .table("shipment_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("shipment_id"))
                .col(fk("order_line_id"))
                .col(fk("item_id"))
                .col(fk("warehouse_id"))
                .col(text("location"))
                .col(text("lot"))
                .col(dec(b, "quantity"))
                .foreign_key(&mut foreign("shipment_lines", "shipment_id", "shipments"))
                .foreign_key(&mut foreign(
                    "shipment_lines",
                    "order_line_id",
                    "sales_order_lines",
                ))
                .take(),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = [
            (
                "ix_reservations_line",
                "reservations",
                vec!["order_line_id"],
                false,
            ),
            (
                "ix_reservations_order",
                "reservations",
                vec!["order_id"],
                false,
            ),
            (
                "ix_reservations_slot",
                "reservations",
                vec!["stock_level_id"],
                false,
            ),
            (
                "ux_purchase_orders_number",
                "purchase_orders",
                vec!["company_id", "series", "number"],
                true,
            ),
            (
                "ix_purchase_order_lines_po",
                "purchase_order_lines",
                vec!["purchase_order_id"],
                false,
            ),
            (
                "ix_backorders_item",
                "backorders",
                vec!["company_id", "item_id", "status"],
                false,
            ),
            ("ix_backorders_order", "backorders", vec!["order_id"], false),
            (
                "ix_backorders_line",
                "backorders",
                vec!["order_line_id"],
                false,
            ),
            (
                "ix_backorders_po_line",
                "backorders",
                vec!["purchase_order_line_id"],
                false,
            ),
            (
                "ux_receipts_number",
                "receipts",
                vec!["company_id", "series", "number"],
                true,
            ),
            (
                "ix_receipts_po",
                "receipts",
                vec!["purchase_order_id"],
                false,
            ),
            (
                "ix_receipt_lines_receipt",
                "receipt_lines",
                vec!["receipt_id"],
                false,
            ),
            (
                "ix_assignments_backorder",
                "backorder_assignments",
                vec!["backorder_id"],
                false,
            ),
            (
                "ix_assignments_receipt",
                "backorder_assignments",
                vec!["receipt_id"],
                false,
            ),
            (
                "ix_assignments_order_line",
                "backorder_assignments",
                vec!["sales_order_line_id"],
                false,
            ),
            (
                "ux_shipments_number",
                "shipments",
                vec!["company_id", "series", "number"],
                true,
            ),
            ("ix_shipments_order", "shipments", vec!["order_id"], false),
            (
                "ix_shipment_lines_shipment",
                "shipment_lines",
                vec!["shipment_id"],
                false,
            ),
        ];
        create_indexes(m, indexes).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(*table).take()).await?;
        }
        for col in ["shipped_quantity", "lot"] {
            m.alter_table(
                Table::alter()
                    .table("sales_order_lines")
                    .drop_column(col)
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
