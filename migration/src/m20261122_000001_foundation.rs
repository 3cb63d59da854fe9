//! Foundation: companies, people, access, master data and stock (R-ACC-*, R-ITEM-*, R-STK-1).
use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let tables = vec![
            Table::create()
                .table("companies")
                .col(id())
                .col(text("code").unique_key())
                .col(text("name"))
                .col(text("currency"))
                .col(instant("created_at"))
                .take(),
            Table::create()
                .table("sales_reps")
                .col(id())
                .col(fk("company_id"))
                .col(text("code"))
                .col(text("name"))
                .col(text_null("email"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("sales_reps", "company_id", "companies"))
                .take(),
            Table::create()
                .table("rep_associations")
                .col(fk("manager_rep_id"))
                .col(fk("rep_id"))
                .col(fk("company_id"))
                .primary_key(Index::create().col("manager_rep_id").col("rep_id"))
                .foreign_key(&mut foreign(
                    "rep_associations",
                    "manager_rep_id",
                    "sales_reps",
                ))
                .foreign_key(&mut foreign("rep_associations", "rep_id", "sales_reps"))
                .take(),
            Table::create()
                .table("customers")
                .col(id())
                .col(fk("company_id"))
                .col(text("code"))
                .col(text("name"))
                .col(text_null("email"))
                .col(text_null("phone"))
                .col(text_null("tax_id"))
                .col(fk_null("sales_rep_id"))
                .col(text("currency"))
                .col(text("language"))
                .col(dec(b, "credit_limit"))
                .col(flag("credit_blocked", false))
                .col(text("customer_type"))
                .col(fk_null("group_customer_id"))
                .col(flag("invoice_to_group", false))
                .col(text_null("zone"))
                .col(text_null("province"))
                .col(text_null("payment_terms"))
                .col(text_null("payment_method"))
                .col(text_null("bank_account"))
                .col(text_null("series"))
                .col(text_null("carrier"))
                .col(text_null("order_type"))
                .col(flag("direct_delivery", false))
                .col(fk_null("linked_company_id"))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("customers", "company_id", "companies"))
                .foreign_key(&mut foreign("customers", "sales_rep_id", "sales_reps"))
                .foreign_key(&mut foreign("customers", "group_customer_id", "customers"))
                .foreign_key(&mut foreign("customers", "linked_company_id", "companies"))
                .take(),
            Table::create()
                .table("customer_addresses")
                .col(id())
                .col(fk("company_id"))
                .col(fk("customer_id"))
                .col(text("kind"))
                .col(text("name"))
                .col(text("line1"))
                .col(text_null("line2"))
                .col(text("city"))
                .col(text_null("postal_code"))
                .col(text_null("province"))
                .col(text("country"))
                .col(flag("is_default", false))
                .foreign_key(&mut foreign(
                    "customer_addresses",
                    "customer_id",
                    "customers",
                ))
                .take(),
            Table::create()
                .table("users")
                .col(id())
                .col(fk("company_id"))
                .col(text("email").unique_key())
                .col(text("name"))
                .col(text("password_hash"))
                .col(text("role"))
                .col(fk_null("sales_rep_id"))
                .col(fk_null("customer_id"))
                .col(flag("active", true))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("users", "company_id", "companies"))
                .foreign_key(&mut foreign("users", "sales_rep_id", "sales_reps"))
                .foreign_key(&mut foreign("users", "customer_id", "customers"))
                .take(),
            Table::create()
                .table("suppliers")
                .col(id())
                .col(fk("company_id"))
                .col(text("code"))
                .col(text("name"))
                .col(text_null("email"))
                .col(text("currency"))
                .col(fk_null("linked_company_id"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("suppliers", "company_id", "companies"))
                .foreign_key(&mut foreign("suppliers", "linked_company_id", "companies"))
                .take(),
            Table::create()
                .table("items")
                .col(id())
                .col(fk("company_id"))
                .col(text("sku"))
                .col(text("name"))
                .col(text("kind"))
                .col(flag("sellable", true))
                .col(flag("purchasable", true))
                .col(text("stock_unit"))
                .col(text("sales_unit"))
                .col(dec(b, "sales_unit_factor"))
                .col(text("tracking"))
                .col(dec(b, "list_price"))
                .col(dec(b, "cost"))
                .col(dec(b, "weight"))
                .col(dec(b, "volume"))
                .col(fk_null("preferred_supplier_id"))
                .col(instant("created_at"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("items", "company_id", "companies"))
                .foreign_key(&mut foreign("items", "preferred_supplier_id", "suppliers"))
                .take(),
            Table::create()
                .table("item_barcodes")
                .col(id())
                .col(fk("company_id"))
                .col(fk("item_id"))
                .col(text("barcode"))
                .foreign_key(&mut foreign("item_barcodes", "item_id", "items"))
                .take(),
            Table::create()
                .table("item_descriptions")
                .col(id())
                .col(fk("item_id"))
                .col(text("language"))
                .col(text("description"))
                .foreign_key(&mut foreign("item_descriptions", "item_id", "items"))
                .take(),
            Table::create()
                .table("warehouses")
                .col(id())
                .col(fk("company_id"))
                .col(text("code"))
                .col(text("name"))
                .col(ColumnDef::new("priority").integer().not_null().default(0))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("warehouses", "company_id", "companies"))
                .take(),
            Table::create()
                .table("stock_levels")
                .col(id())
                .col(fk("company_id"))
                .col(fk("item_id"))
                .col(fk("warehouse_id"))
                .col(text("location"))
                .col(text("lot"))
                .col(dec(b, "on_hand"))
                .col(dec(b, "reserved"))
                .col(instant("updated_at"))
                .foreign_key(&mut foreign("stock_levels", "item_id", "items"))
                .foreign_key(&mut foreign("stock_levels", "warehouse_id", "warehouses"))
                .take(),
            Table::create()
                .table("stock_movements")
                .col(id())
                .col(fk("company_id"))
                .col(fk("stock_level_id"))
                .col(dec(b, "quantity"))
                .col(text("reason"))
                .col(fk_null("user_id"))
                .col(fk_null("api_token_id"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign(
                    "stock_movements",
                    "stock_level_id",
                    "stock_levels",
                ))
                .take(),
            Table::create()
                .table("api_tokens")
                .col(id())
                .col(fk("company_id"))
                .col(text("name"))
                .col(text("lookup").unique_key())
                .col(text("secret_hash"))
                .col(text("scopes"))
                .col(fk_null("customer_id"))
                .col(instant_null("expires_at"))
                .col(instant_null("revoked_at"))
                .col(instant_null("last_used_at"))
                .col(fk_null("created_by"))
                .col(instant("created_at"))
                .foreign_key(&mut foreign("api_tokens", "company_id", "companies"))
                .foreign_key(&mut foreign("api_tokens", "customer_id", "customers"))
                .take(),
        ];
        for table in tables {
            m.create_table(table).await?;
        }
        let indexes = [
            (
                "ux_sales_reps_code",
                "sales_reps",
                vec!["company_id", "code"],
                true,
            ),
            (
                "ux_customers_code",
                "customers",
                vec!["company_id", "code"],
                true,
            ),
            ("ix_customers_rep", "customers", vec!["sales_rep_id"], false),
            (
                "ix_customer_addresses_customer",
                "customer_addresses",
                vec!["customer_id"],
                false,
            ),
            (
                "ux_suppliers_code",
                "suppliers",
                vec!["company_id", "code"],
                true,
            ),
            ("ux_items_sku", "items", vec!["company_id", "sku"], true),
            (
                "ux_item_barcodes",
                "item_barcodes",
                vec!["company_id", "barcode"],
                true,
            ),
            (
                "ix_item_barcodes_item",
                "item_barcodes",
                vec!["item_id"],
                false,
            ),
            (
                "ux_item_descriptions",
                "item_descriptions",
                vec!["item_id", "language"],
                true,
            ),
            (
                "ux_warehouses_code",
                "warehouses",
                vec!["company_id", "code"],
                true,
            ),
            (
                "ux_stock_levels_slot",
                "stock_levels",
                vec!["item_id", "warehouse_id", "location", "lot"],
                true,
            ),
            (
                "ix_stock_levels_company",
                "stock_levels",
                vec!["company_id", "item_id"],
                false,
            ),
            ("ix_users_company", "users", vec!["company_id"], false),
            (
                "ix_api_tokens_company",
                "api_tokens",
                vec!["company_id"],
                false,
            ),
        ];
        for (name, table, cols, unique) in indexes {
            let mut index = Index::create().name(name).table(table).take();
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            m.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "api_tokens",
            "stock_movements",
            "stock_levels",
            "warehouses",
            "item_descriptions",
            "item_barcodes",
            "items",
            "suppliers",
            "users",
            "customer_addresses",
            "customers",
            "rep_associations",
            "sales_reps",
            "companies",
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
