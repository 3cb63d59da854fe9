//! Order entry: sales setup data, quotes and sales orders, the outbox and idempotency keys
//! (R-ORD-1…17, R-ITEM-1, R-ITEM-6).
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_order_entry"
    }
}

/// Tables in creation order (drop runs in reverse).
const TABLES: [&str; 20] = [
    "company_settings",
    "number_series",
    "exchange_rates",
    "payment_methods",
    "payment_terms",
    "payment_term_installments",
    "payment_term_restrictions",
    "bank_accounts",
    "carriers",
    "freight_rates",
    "customer_prices",
    "kit_components",
    "unique_sale_items",
    "sales_orders",
    "sales_order_lines",
    "order_installments",
    "delivery_date_changes",
    "order_confirmations",
    "unique_item_claims",
    "outbox",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let code_table = |name: &'static str| {
            Table::create()
                .table(name)
                .col(id())
                .col(fk("company_id"))
                .col(text("code"))
                .col(text("name"))
                .foreign_key(&mut foreign(name, "company_id", "companies"))
                .take()
        };
        let tables = vec![
            Table::create()
                .table("company_settings")
                .col(fk("company_id").primary_key())
                .col(flag("block_on_credit_excess", false))
                .col(flag("manual_cost_for_non_stocked", false))
                .col(dec(b, "freight_max_order_amount"))
                .col(flag("quotes_share_order_numbering", false))
                .col(text("default_series"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("company_settings", "company_id", "companies"))
                .take(),
            Table::create()
                .table("number_series")
                .col(id())
                .col(fk("company_id"))
                .col(text("code"))
                .col(text("doc_type"))
                .col(int("next_number"))
                .foreign_key(&mut foreign("number_series", "company_id", "companies"))
                .take(),
            Table::create()
                .table("exchange_rates")
                .col(id())
                .col(fk("company_id"))
                .col(text("currency"))
                .col(dec(b, "rate"))
                .col(date("valid_from"))
                .foreign_key(&mut foreign("exchange_rates", "company_id", "companies"))
                .take(),
            code_table("payment_methods")
                .col(flag("requires_bank_account", false))
                .take(),
            code_table("payment_terms")
                .col(flag("custom", false))
                .take(),
            Table::create()
                .table("payment_term_installments")
                .col(id())
                .col(fk("payment_terms_id"))
                .col(int("days"))
                .col(dec(b, "percent"))
                .foreign_key(&mut foreign(
                    "payment_term_installments",
                    "payment_terms_id",
                    "payment_terms",
                ))
                .take(),
            Table::create()
                .table("payment_term_restrictions")
                .col(id())
                .col(fk("company_id"))
                .col(fk("payment_terms_id"))
                .col(dec(b, "min_order_amount"))
                .foreign_key(&mut foreign(
                    "payment_term_restrictions",
                    "payment_terms_id",
                    "payment_terms",
                ))
                .take(),
            code_table("bank_accounts").col(text("iban")).take(),
            code_table("carriers").col(text("calc_type")).take(),
            Table::create()
                .table("freight_rates")
                .col(id())
                .col(fk("company_id"))
                .col(fk("carrier_id"))
                .col(text_null("zone"))
                .col(text_null("province"))
                .col(dec(b, "reference_quantity"))
                .col(dec(b, "max_weight"))
                .col(dec(b, "amount"))
                .foreign_key(&mut foreign("freight_rates", "carrier_id", "carriers"))
                .take(),
            Table::create()
                .table("customer_prices")
                .col(id())
                .col(fk("company_id"))
                .col(fk("customer_id"))
                .col(fk("item_id"))
                .col(dec_null(b, "price"))
                .col(dec_null(b, "discount_percent"))
                .foreign_key(&mut foreign("customer_prices", "customer_id", "customers"))
                .foreign_key(&mut foreign("customer_prices", "item_id", "items"))
                .take(),
            Table::create()
                .table("kit_components")
                .col(id())
                .col(fk("company_id"))
                .col(fk("kit_item_id"))
                .col(fk("component_item_id"))
                .col(dec(b, "quantity"))
                .foreign_key(&mut foreign("kit_components", "kit_item_id", "items"))
                .foreign_key(&mut foreign("kit_components", "component_item_id", "items"))
                .take(),
            Table::create()
                .table("unique_sale_items")
                .col(fk("item_id").primary_key())
                .col(fk("company_id"))
                .foreign_key(&mut foreign("unique_sale_items", "item_id", "items"))
                .take(),
            Table::create()
                .table("sales_orders")
                .col(id())
                .col(fk("company_id"))
                .col(text("kind"))
                .col(text("series"))
                .col(int("number"))
                .col(fk("customer_id"))
                .col(fk_null("sales_rep_id"))
                .col(text("status"))
                .col(text("financial_status"))
                .col(flag("credit_hold", false))
                .col(dec(b, "credit_released_amount"))
                .col(text_null("credit_released_by"))
                .col(instant_null("credit_released_at"))
                .col(date("order_date"))
                .col(date_null("delivery_date"))
                .col(text("currency"))
                .col(dec(b, "exchange_rate"))
                .col(text("language"))
                .col(fk_null("payment_terms_id"))
                .col(fk_null("payment_method_id"))
                .col(fk_null("bank_account_id"))
                .col(fk_null("ship_to_address_id"))
                .col(fk_null("carrier_id"))
                .col(flag("invoice_to_group", false))
                .col(flag("direct_delivery", false))
                .col(text_null("order_type"))
                .col(text_null("customer_reference"))
                .col(text("freight_terms"))
                .col(flag("freight_overridden", false))
                .col(dec(b, "freight_amount"))
                .col(flag("weight_overridden", false))
                .col(dec(b, "weight"))
                .col(flag("volume_overridden", false))
                .col(dec(b, "volume"))
                .col(dec(b, "header_discount_percent"))
                .col(dec(b, "gross_amount"))
                .col(dec(b, "discount_amount"))
                .col(dec(b, "net_amount"))
                .col(dec(b, "total_amount"))
                .col(dec(b, "company_gross_amount"))
                .col(dec(b, "company_net_amount"))
                .col(dec(b, "company_freight_amount"))
                .col(dec(b, "company_total_amount"))
                .col(date_null("confirmation_date"))
                .col(fk_null("quote_id"))
                .col(fk_null("order_id"))
                .col(long_text_null("notes"))
                .col(int("version"))
                .col(text("created_by"))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("sales_orders", "company_id", "companies"))
                .foreign_key(&mut foreign("sales_orders", "customer_id", "customers"))
                .foreign_key(&mut foreign("sales_orders", "sales_rep_id", "sales_reps"))
                .foreign_key(&mut foreign(
                    "sales_orders",
                    "payment_terms_id",
                    "payment_terms",
                ))
                .foreign_key(&mut foreign(
                    "sales_orders",
                    "payment_method_id",
                    "payment_methods",
                ))
                .foreign_key(&mut foreign(
                    "sales_orders",
                    "bank_account_id",
                    "bank_accounts",
                ))
                .foreign_key(&mut foreign(
                    "sales_orders",
                    "ship_to_address_id",
                    "customer_addresses",
                ))
                .foreign_key(&mut foreign("sales_orders", "carrier_id", "carriers"))
                .take(),
            Table::create()
                .table("sales_order_lines")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(int("position"))
                .col(fk_null("parent_line_id"))
                .col(fk("item_id"))
                .col(text("description"))
                .col(dec(b, "quantity"))
                .col(dec(b, "bonus_quantity"))
                .col(dec(b, "unit_price"))
                .col(dec(b, "discount_percent"))
                .col(text("price_source"))
                .col(dec(b, "cost"))
                .col(date_null("delivery_date"))
                .col(date_null("promised_date"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign(
                    "sales_order_lines",
                    "order_id",
                    "sales_orders",
                ))
                .foreign_key(&mut foreign("sales_order_lines", "item_id", "items"))
                .take(),
            Table::create()
                .table("order_installments")
                .col(id())
                .col(fk("order_id"))
                .col(date("due_date"))
                .col(dec(b, "percent"))
                .foreign_key(&mut foreign(
                    "order_installments",
                    "order_id",
                    "sales_orders",
                ))
                .take(),
            Table::create()
                .table("delivery_date_changes")
                .col(id())
                .col(fk("company_id"))
                .col(fk("order_id"))
                .col(fk_null("line_id"))
                .col(date_null("old_date"))
                .col(date("new_date"))
                .col(text("changed_by"))
                .col(instant("changed_at"))
                .foreign_key(&mut foreign(
                    "delivery_date_changes",
                    "order_id",
                    "sales_orders",
                ))
                .take(),
            Table::create()
                .table("order_confirmations")
                .col(id())
                .col(fk("order_id"))
                .col(date("confirmation_date"))
                .col(text_null("recipient"))
                .col(text("sent_by"))
                .col(instant("sent_at"))
                .foreign_key(&mut foreign(
                    "order_confirmations",
                    "order_id",
                    "sales_orders",
                ))
                .take(),
            Table::create()
                .table("unique_item_claims")
                .col(id())
                .col(fk("customer_id"))
                .col(fk("item_id"))
                .col(fk("order_id"))
                .foreign_key(&mut foreign(
                    "unique_item_claims",
                    "order_id",
                    "sales_orders",
                ))
                .take(),
            Table::create()
                .table("outbox")
                .col(id())
                .col(fk("company_id"))
                .col(text("kind"))
                .col(fk_null("order_id"))
                .col(fk_null("customer_id"))
                .col(fk_null("customer_rep_id"))
                .col(fk_null("order_rep_id"))
                .col(text_null("status"))
                .col(text_null("financial_status"))
                .col(long_text_null("payload"))
                .col(instant("occurred_at"))
                .col(instant_null("published_at"))
                .take(),
            Table::create()
                .table("idempotency_keys")
                .col(id())
                .col(text("principal"))
                .col(text("key"))
                .col(text("request_hash"))
                .col(long_text_null("response"))
                .col(instant("created_at"))
                .take(),
        ];
        for table in tables {
            m.create_table(table).await?;
        }
        let indexes = [
            (
                "ux_number_series",
                "number_series",
                vec!["company_id", "code", "doc_type"],
                true,
            ),
            (
                "ux_exchange_rates",
                "exchange_rates",
                vec!["company_id", "currency", "valid_from"],
                true,
            ),
            (
                "ux_payment_methods_code",
                "payment_methods",
                vec!["company_id", "code"],
                true,
            ),
            (
                "ux_payment_terms_code",
                "payment_terms",
                vec!["company_id", "code"],
                true,
            ),
            (
                "ix_payment_term_installments",
                "payment_term_installments",
                vec!["payment_terms_id"],
                false,
            ),
            (
                "ux_bank_accounts_code",
                "bank_accounts",
                vec!["company_id", "code"],
                true,
            ),
            (
                "ux_carriers_code",
                "carriers",
                vec!["company_id", "code"],
                true,
            ),
            (
                "ix_freight_rates",
                "freight_rates",
                vec!["carrier_id"],
                false,
            ),
            (
                "ux_customer_prices",
                "customer_prices",
                vec!["customer_id", "item_id"],
                true,
            ),
            (
                "ux_kit_components",
                "kit_components",
                vec!["kit_item_id", "component_item_id"],
                true,
            ),
            (
                "ux_sales_orders_number",
                "sales_orders",
                vec!["company_id", "kind", "series", "number"],
                true,
            ),
            (
                "ix_sales_orders_customer",
                "sales_orders",
                vec!["customer_id"],
                false,
            ),
            (
                "ix_sales_orders_rep",
                "sales_orders",
                vec!["sales_rep_id"],
                false,
            ),
            (
                "ix_sales_order_lines_order",
                "sales_order_lines",
                vec!["order_id"],
                false,
            ),
            (
                "ix_order_installments",
                "order_installments",
                vec!["order_id"],
                false,
            ),
            (
                "ix_delivery_date_changes",
                "delivery_date_changes",
                vec!["order_id"],
                false,
            ),
            (
                "ix_order_confirmations",
                "order_confirmations",
                vec!["order_id"],
                false,
            ),
            (
                "ux_unique_item_claims",
                "unique_item_claims",
                vec!["customer_id", "item_id"],
                true,
            ),
            ("ix_outbox_order", "outbox", vec!["order_id"], false),
            (
                "ux_idempotency_keys",
                "idempotency_keys",
                vec!["principal", "key"],
                true,
            ),
            (
                "ix_idempotency_keys_created",
                "idempotency_keys",
                vec!["created_at"],
                false,
            ),
        ];
        create_indexes(m, indexes).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("idempotency_keys").take())
            .await?;
        for table in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(*table).take()).await?;
        }
        Ok(())
    }
}
