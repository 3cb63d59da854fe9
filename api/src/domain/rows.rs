//! Row lookups shared by the areas: the rows of many parents in one statement, grouped by
//! parent id (what every loader of a nested list needs), and a coded row's id by its code.
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Rows of `E` whose `parent` column is in `ids`, ordered by `order`, grouped by `key`.
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
