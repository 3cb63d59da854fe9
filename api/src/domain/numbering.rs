//! Gapless document numbers per (company, series, document type) (R-ORD-2).
//!
//! The counter is incremented by one `UPDATE … SET next_number = next_number + 1 … RETURNING`
//! inside the transaction that creates the document: the row stays locked until that
//! transaction ends (PostgreSQL row lock; SQLite's IMMEDIATE write lock), and a rolled-back
//! document rolls its number back too, so numbers are consecutive with no gap under any
//! concurrency and across API instances.
use crate::error::{AppError, AppResult};
use entity::{DocType, number_series};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseTransaction, EntityTrait, Set};

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

/// Takes the next number of an existing series row, or `None` when the row does not exist.
async fn increment(
    tx: &DatabaseTransaction,
    company_id: i64,
    series: &str,
    doc_type: DocType,
) -> AppResult<Option<i64>> {
    let stmt = Query::update()
        .table(number_series::Entity)
        .value(
            number_series::Column::NextNumber,
            Expr::col(number_series::Column::NextNumber).add(1),
        )
        .and_where(Expr::col(number_series::Column::CompanyId).eq(company_id))
        .and_where(Expr::col(number_series::Column::Code).eq(series))
        .and_where(Expr::col(number_series::Column::DocType).eq(doc_type.to_value()))
        .returning_col(number_series::Column::NextNumber)
        .to_owned();
    match tx.query_one(&stmt).await? {
        Some(row) => {
            let after: i64 = row.try_get("", "next_number")?;
            Ok(Some(after - 1))
        }
        None => Ok(None),
    }
}
