//! A version of the setup data (companies, their settings, payment terms and their
//! restrictions, payment methods, bank accounts, carriers, freight rates, the unique-per-customer
//! item list, warehouses), raised by triggers on every change to those tables. The API serves setup data
//! from memory and compares this one number to know whether its copy is current: one small
//! read instead of a dozen, and correct across API instances and for changes made with plain
//! SQL, because the database itself bumps it. `db_id` names the database, so that one process
//! serving several databases (the test suite) never mixes their setup.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000008_setup_version"
    }
}

/// The tables whose rows the setup cache holds.
const SETUP_TABLES: [&str; 10] = [
    "companies",
    "company_settings",
    "payment_terms",
    "payment_term_restrictions",
    "payment_methods",
    "bank_accounts",
    "carriers",
    "freight_rates",
    "unique_sale_items",
    "warehouses",
];

const BUMP: &str = "UPDATE setup_version SET version = version + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let postgres = m.get_database_backend() == DbBackend::Postgres;
        db.execute_unprepared(
            "CREATE TABLE setup_version (id INTEGER PRIMARY KEY, db_id VARCHAR(64) NOT NULL, \
             version BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared(if postgres {
            "INSERT INTO setup_version (id, db_id, version) VALUES (1, gen_random_uuid()::text, 0)"
        } else {
            "INSERT INTO setup_version (id, db_id, version) VALUES (1, lower(hex(randomblob(16))), 0)"
        })
        .await?;
        if postgres {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION mercato_setup_changed() RETURNS trigger AS $$ BEGIN {BUMP}; \
                 RETURN NULL; END $$ LANGUAGE plpgsql"
            ))
            .await?;
        }
        for table in SETUP_TABLES {
            if postgres {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_setup_changed AFTER INSERT OR UPDATE OR DELETE OR \
                     TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION \
                     mercato_setup_changed()"
                ))
                .await?;
            } else {
                for (op, suffix) in [("INSERT", "ins"), ("UPDATE", "upd"), ("DELETE", "del")] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_setup_changed_{suffix} AFTER {op} ON {table} \
                         BEGIN {BUMP}; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let postgres = m.get_database_backend() == DbBackend::Postgres;
        for table in SETUP_TABLES {
            if postgres {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS {table}_setup_changed ON {table}"
                ))
                .await?;
            } else {
                for suffix in ["ins", "upd", "del"] {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS {table}_setup_changed_{suffix}"
                    ))
                    .await?;
                }
            }
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS mercato_setup_changed()")
                .await?;
        }
        db.execute_unprepared("DROP TABLE setup_version").await?;
        Ok(())
    }
}
