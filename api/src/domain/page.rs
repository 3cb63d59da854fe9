//! Keyset pagination for Relay connections: stable order by id, opaque cursors.
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
}

#[derive(Debug)]
pub struct Page<M> {
    pub items: Vec<M>,
    pub has_next: bool,
    pub has_previous: bool,
    pub total: u64,
}

pub fn encode_cursor(id: i64) -> String {
    format!("c{id}")
}

fn decode_cursor(cursor: &str) -> AppResult<i64> {
    cursor
        .strip_prefix('c')
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::validation("after", "invalid cursor"))
}

/// Runs `select` (already filtered by visibility) as one page ordered by `id`: two statements,
/// one for the rows and one for the total.
pub async fn fetch<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    args: &PageArgs,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    fetch_ordered(db, select, id, args, false).await
}

/// As [`fetch`], newest (highest id) first: documents such as orders list this way.
pub async fn fetch_newest_first<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    args: &PageArgs,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    fetch_ordered(db, select, id, args, true).await
}

async fn fetch_ordered<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    args: &PageArgs,
    newest_first: bool,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let first = match args.first {
        None => DEFAULT_PAGE,
        Some(n) if n < 0 => return Err(AppError::validation("first", "must not be negative")),
        Some(n) => std::cmp::min(n as u64, MAX_PAGE),
    };
    let total = select.clone().count(db).await?;
    let mut query = if newest_first {
        select.order_by_desc(id)
    } else {
        select.order_by_asc(id)
    };
    let has_previous = args.after.is_some();
    if let Some(after) = &args.after {
        let after = decode_cursor(after)?;
        query = query.filter(if newest_first {
            id.lt(after)
        } else {
            id.gt(after)
        });
    }
    let mut items = query.limit(first + 1).all(db).await?;
    let has_next = items.len() as u64 > first;
    items.truncate(first as usize);
    Ok(Page {
        items,
        has_next,
        has_previous,
        total,
    })
}

/// Longest search text: enough for any name or reference, short enough that the LIKE pattern
/// stays cheap (SQLite refuses patterns over 50,000 bytes as "too complex").
pub const MAX_SEARCH_CHARS: usize = 200;

/// Case-insensitive substring match on any of `cols`, portable across SQLite and PostgreSQL.
pub fn search_condition<Col: ColumnTrait>(
    cols: &[Col],
    needle: &str,
) -> AppResult<sea_orm::Condition> {
    if needle.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::validation(
            "search",
            format!("search has at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    Ok(cols.iter().fold(sea_orm::Condition::any(), |cond, col| {
        let lowered = Expr::expr(Func::lower(Expr::col(col.as_column_ref())));
        cond.add(lowered.like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')))
    }))
}
