//! Column and index helpers shared by migrations.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// An exact decimal (money, quantity): `NUMERIC(19,4)` on PostgreSQL, `TEXT` on SQLite so that
/// no digit is lost (see `entity::Dec`).
pub fn dec(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let ty = match backend {
        DatabaseBackend::Postgres => "NUMERIC(19,4)",
        _ => "TEXT",
    };
    ColumnDef::new(name)
        .custom(ty)
        .not_null()
        .default(Expr::cust("'0'"))
        .take()
}

pub fn id() -> ColumnDef {
    ColumnDef::new("id")
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

pub fn fk(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

pub fn fk_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

pub fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().take()
}

pub fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().null().take()
}

pub fn flag(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(default)
        .take()
}

pub fn instant(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

pub fn instant_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .take()
}

pub fn foreign(
    from: &'static str,
    col: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{col}"))
        .from(from, col)
        .to(to, "id")
        .take()
}

/// A nullable exact decimal ("not set" differs from zero, e.g. a customer price).
pub fn dec_null(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let ty = match backend {
        DatabaseBackend::Postgres => "NUMERIC(19,4)",
        _ => "TEXT",
    };
    ColumnDef::new(name).custom(ty).null().take()
}

pub fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().not_null().take()
}

pub fn date_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().null().take()
}

pub fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

pub fn long_text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

/// Creates `(name, table, columns, unique)` indexes in order.
pub async fn create_indexes<const N: usize>(
    m: &SchemaManager<'_>,
    indexes: [(&'static str, &'static str, Vec<&'static str>, bool); N],
) -> Result<(), DbErr> {
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
