//! Batched child lookups shared by the areas: the rows of many parents in one statement,
//! grouped by parent id (what every loader of a nested list needs).
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
