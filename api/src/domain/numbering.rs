//! Gapless document numbers per (company, series, document type) (R-ORD-2).
//!
//! The counter is incremented by one `UPDATE … SET next_number = next_number + 1 … RETURNING`
//! inside the transaction that creates the document: the row stays locked until that
//! transaction ends (PostgreSQL row lock; SQLite's IMMEDIATE write lock), and a rolled-back
//! document rolls its number back too, so numbers are consecutive with no gap under any
//! concurrency and across API instances.
use crate::domain::outbox;
use crate::error::{AppError, AppResult};
use entity::{DocType, number_series};
use sea_orm::sea_query::{
    CommonTableExpression, Expr, ExprTrait, IntoIden, Query, UpdateStatement, WithClause,
};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult, Set,
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
    number_series::Entity::insert(number_series::ActiveModel {
        company_id: Set(company_id),
        code: Set(series.to_owned()),
        doc_type: Set(doc_type),
        next_number: Set(1),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        number_series::Column::CompanyId,
        number_series::Column::Code,
        number_series::Column::DocType,
    ])
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
