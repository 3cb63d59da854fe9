//! Row lookups shared by the areas: the rows of many parents in one statement, grouped by
//! parent id (what every loader of a nested list needs), and a coded row's id by its code.
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Rows of `E` whose `parent` column is in `ids`, ordered by `order`, grouped by `key`; no
/// statement at all for no `ids`.
pub async fn children<E, C>(
    db: &C,
    parent: E::Column,
    ids: &[i64],
    order: E::Column,
    key: impl Fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, Vec<E::Model>>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    // No parents, no statement (a `WHERE id IN ()` would still be a round trip).
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = E::find()
        .filter(parent.is_in(ids.to_vec()))
        .order_by_asc(order)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<E::Model>> = HashMap::new();
    for row in rows {
        out.entry(key(&row)).or_default().push(row);
    }
    Ok(out)
}

/// The id of a company's setup record by its code (customer defaults are codes, R-ORD-1).
pub async fn id_by_code<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    company_col: E::Column,
    code_col: E::Column,
    company_id: i64,
    code: &Option<String>,
    id: impl Fn(&E::Model) -> i64,
) -> AppResult<Option<i64>> {
    let Some(code) = code.as_deref() else {
        return Ok(None);
    };
    Ok(E::find()
        .filter(company_col.eq(company_id))
        .filter(code_col.eq(code.to_uppercase()))
        .one(db)
        .await?
        .map(|m| id(&m)))
}

/// Sets `column` of many rows of `E`, each to its own value, in one statement (`SET column =
/// CASE id WHEN … END WHERE id IN (…)`): a document's lines change together, not one
/// statement per line. The caller holds the rows (the document is locked).
pub async fn set_each<E, C, V>(
    db: &C,
    id: E::Column,
    column: E::Column,
    values: impl IntoIterator<Item = (i64, V)>,
) -> AppResult<()>
where
    E: EntityTrait,
    C: ConnectionTrait,
    V: Into<sea_orm::Value>,
{
    use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, Query};
    let values: Vec<(i64, sea_orm::Value)> =
        values.into_iter().map(|(k, v)| (k, v.into())).collect();
    for chunk in values.chunks(500) {
        let mut case = CaseStatement::new();
        for (k, v) in chunk {
            case = case.case(Expr::col(id).eq(*k), Expr::val(v.clone()));
        }
        let mut stmt = Query::update();
        stmt.table(E::default())
            .value(column, case.finally(Expr::col(column)))
            .and_where(Expr::col(id).is_in(chunk.iter().map(|(k, _)| *k)));
        db.execute(&stmt).await?;
    }
    Ok(())
}
