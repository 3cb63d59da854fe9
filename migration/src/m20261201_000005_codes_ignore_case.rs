//! Codes are unique per company regardless of case: `acme` beside `ACME` would be two
//! customers nobody can tell apart on a document or in a search. Expression indexes on
//! `lower(code)` (the same SQL on SQLite and PostgreSQL) hold it in the database, so racing
//! creations cannot both pass; the existing case-sensitive indexes stay for lookups.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_codes_ignore_case"
    }
}

/// (table, code column) of every coded master-data and setup table.
const CODED: [(&str, &str); 9] = [
    ("sales_reps", "code"),
    ("customers", "code"),
    ("suppliers", "code"),
    ("items", "sku"),
    ("warehouses", "code"),
    ("payment_methods", "code"),
    ("payment_terms", "code"),
    ("bank_accounts", "code"),
    ("carriers", "code"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in CODED {
            m.get_connection()
                .execute_unprepared(&format!(
                    "CREATE UNIQUE INDEX ux_{table}_{col}_ci ON {table} (company_id, lower({col}))"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in CODED {
            m.drop_index(
                Index::drop()
                    .name(format!("ux_{table}_{col}_ci"))
                    .table(table)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
