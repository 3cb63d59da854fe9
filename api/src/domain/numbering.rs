//! Gapless document numbers per (company, series, document type) (R-ORD-2).
//!
//! The counter is incremented by one `UPDATE … SET next_number = next_number + 1 … RETURNING`
//! inside the transaction that creates the document: the row stays locked until that
//! transaction ends (PostgreSQL row lock; SQLite's IMMEDIATE write lock), and a rolled-back
//! document rolls its number back too, so numbers are consecutive with no gap under any
//! concurrency and across API instances. A plain new order on PostgreSQL takes its number in
//! the statement that writes it, outside any transaction ([`insert_numbered`]): the statement
//! is the transaction, so the same holds.
use crate::domain::outbox;
use crate::error::{AppError, AppResult};
use entity::{DocType, number_series};
use sea_orm::sea_query::{
    Alias, Asterisk, CommonTableExpression, Expr, ExprTrait, IntoIden, OnConflict, Query,
    UpdateStatement, WithClause,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbBackend, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryTrait, Set,
};

pub async fn next(
    tx: &DatabaseTransaction,
    company_id: i64,
    series: &str,
    doc_type: DocType,
) -> AppResult<i64> {
    if let Some(n) = increment(tx, company_id, series, doc_type).await? {
        return Ok(n);
    }
    // A series is usable from its first document; `createNumberSeries` only sets a start.
    number_series::Entity::insert(series_row(company_id, series, doc_type, 1))
        .on_conflict_do_nothing_on(SERIES_KEY)
        .exec(tx)
        .await?;
    increment(tx, company_id, series, doc_type)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("number series row vanished")))
}

/// Takes the next number and writes it into a document in one statement (PostgreSQL):
/// `update` is the document's UPDATE without its number column; a data-modifying CTE takes the
/// number and the UPDATE sets it, returning the whole row. The series row is locked from this
/// statement to the commit, with no round trip in between — every new document of the series
/// queues on that lock, so the stretch is kept as short as it can be (issue 15).
///
/// The same statement writes the transaction's outbox rows gathered in `events` (another
/// data-modifying CTE): they were the round trip before it, and they do not carry the number.
/// When the statement runs, `events` is left empty; otherwise the caller writes it.
///
/// `None` on SQLite (one writer: there is no queue to shorten) and when the series has no row
/// yet (its first document); the caller then takes [`next`] and updates as usual. `current` is
/// the document's placeholder number, kept when no number was taken.
#[allow(clippy::too_many_arguments)]
pub async fn update_numbered<M: FromQueryResult>(
    tx: &DatabaseTransaction,
    company_id: i64,
    series: &str,
    doc_type: DocType,
    mut update: UpdateStatement,
    number: impl IntoIden,
    current: i64,
    events: &mut outbox::Batch,
) -> AppResult<Option<M>> {
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let taken = CommonTableExpression::new()
        .query(increment_statement(company_id, series, doc_type))
        .table_name("taken")
        .to_owned();
    let mut with = WithClause::new().cte(taken).to_owned();
    for carried in events.take_ctes() {
        with.cte(carried);
    }
    update
        .value(
            number,
            Expr::cust_with_values(
                "COALESCE((SELECT next_number - 1 FROM taken), $1)",
                [current],
            ),
        )
        .returning_all();
    let stmt = update.with(with);
    let Some(row) = tx.query_one(&stmt).await? else {
        return Err(AppError::internal(anyhow::anyhow!(
            "the numbered document's row vanished"
        )));
    };
    let numbered = M::from_query_result(&row, "")?;
    let number: i64 = row.try_get("", "number")?;
    Ok((number != current).then_some(numbered))
}

/// Creates a numbered document with its lines in one statement (PostgreSQL), outside any
/// transaction: the statement is atomic by itself, so it needs no BEGIN and no COMMIT, and the
/// series row is locked only while it runs (issue 15). Common table expressions take the
/// number (an upsert: a series is usable from its first document, R-ORD-2), insert the
/// document with it, insert the lines and write `events` (left empty); the lines' foreign key
/// to the document is checked at the statement's end. What the database stored comes back:
/// the document (NUMERIC columns rounded to their scale) and its lines, in `position` order.
///
/// `document`'s `number` column is ignored: the number is the one taken. `lines` must not be
/// empty, and `events` must hold no guarded write (`outbox::Batch::take_ctes`).
#[allow(clippy::too_many_arguments)]
pub async fn insert_numbered<D, L, C>(
    db: &C,
    company_id: i64,
    series: &str,
    doc_type: DocType,
    document: D::ActiveModel,
    number: D::Column,
    lines: Vec<L::ActiveModel>,
    position: L::Column,
    events: &mut outbox::Batch,
) -> AppResult<(D::Model, Vec<L::Model>)>
where
    D: EntityTrait,
    L: EntityTrait,
    C: ConnectionTrait,
    D::Model: FromQueryResult,
    L::Model: FromQueryResult,
{
    let mut taken = number_series::Entity::insert(series_row(company_id, series, doc_type, 2))
        .on_conflict(
            OnConflict::columns(SERIES_KEY)
                .value(
                    number_series::Column::NextNumber,
                    Expr::col((number_series::Entity, number_series::Column::NextNumber)).add(1),
                )
                .to_owned(),
        )
        .into_query();
    taken.returning_col(number_series::Column::NextNumber);

    let (mut columns, mut values) = (Vec::new(), Vec::new());
    for col in D::Column::iter() {
        if col.as_str() == number.as_str() {
            columns.push(col);
            values.push(Expr::cust("(SELECT next_number - 1 FROM taken)"));
        } else if let ActiveValue::Set(v) | ActiveValue::Unchanged(v) = document.get(col) {
            columns.push(col);
            values.push(col.save_as(Expr::val(v)));
        }
    }
    let mut new_document = Query::insert();
    new_document
        .into_table(D::default().table_ref())
        .columns(columns)
        .values_panic(values)
        .returning_all();
    let mut new_lines = L::insert_many(lines).into_query();
    new_lines.returning_all();

    let mut with = WithClause::new();
    for (name, write) in [
        ("taken", taken),
        ("new_document", new_document),
        ("new_lines", new_lines),
    ] {
        with.cte(
            CommonTableExpression::new()
                .query(write)
                .table_name(Alias::new(name))
                .to_owned(),
        );
    }
    for carried in events.take_ctes() {
        with.cte(carried);
    }
    let mut select = Query::select();
    select
        .column((Alias::new("new_lines"), Asterisk))
        .from(Alias::new("new_lines"))
        .from(Alias::new("new_document"))
        .order_by((Alias::new("new_lines"), position), sea_orm::Order::Asc);
    for col in D::Column::iter() {
        select.expr_as(
            Expr::col((Alias::new("new_document"), col)),
            Alias::new(format!("{DOCUMENT}{}", col.as_str())),
        );
    }
    let rows = db.query_all(&select.with(with)).await?;
    let Some(first) = rows.first() else {
        return Err(AppError::internal(anyhow::anyhow!(
            "a numbered document was written without lines"
        )));
    };
    let document = D::Model::from_query_result(first, DOCUMENT)?;
    let lines = rows
        .iter()
        .map(|r| L::Model::from_query_result(r, ""))
        .collect::<Result<_, _>>()?;
    Ok((document, lines))
}

/// What identifies a series row: (company, series, document type).
const SERIES_KEY: [number_series::Column; 3] = [
    number_series::Column::CompanyId,
    number_series::Column::Code,
    number_series::Column::DocType,
];

/// A new series row whose next document takes `next_number`.
fn series_row(
    company_id: i64,
    series: &str,
    doc_type: DocType,
    next_number: i64,
) -> number_series::ActiveModel {
    number_series::ActiveModel {
        company_id: Set(company_id),
        code: Set(series.to_owned()),
        doc_type: Set(doc_type),
        next_number: Set(next_number),
        ..Default::default()
    }
}

/// The prefix of the document's columns beside its lines' in [`insert_numbered`]'s rows.
const DOCUMENT: &str = "document__";

fn increment_statement(company_id: i64, series: &str, doc_type: DocType) -> UpdateStatement {
    Query::update()
        .table(number_series::Entity)
        .value(
            number_series::Column::NextNumber,
            Expr::col(number_series::Column::NextNumber).add(1),
        )
        .and_where(Expr::col(number_series::Column::CompanyId).eq(company_id))
        .and_where(Expr::col(number_series::Column::Code).eq(series))
        .and_where(Expr::col(number_series::Column::DocType).eq(doc_type.to_value()))
        .returning_col(number_series::Column::NextNumber)
        .to_owned()
}

/// Takes the next number of an existing series row, or `None` when the row does not exist.
async fn increment(
    tx: &DatabaseTransaction,
    company_id: i64,
    series: &str,
    doc_type: DocType,
) -> AppResult<Option<i64>> {
    let stmt = increment_statement(company_id, series, doc_type);
    match tx.query_one(&stmt).await? {
        Some(row) => {
            let after: i64 = row.try_get("", "next_number")?;
            Ok(Some(after - 1))
        }
        None => Ok(None),
    }
}
