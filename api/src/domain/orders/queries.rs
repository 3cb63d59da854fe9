//! Reading quotes and orders: lookups, the newest-first list, nested children for the
//! loaders and the delivery-delay report (R-ACC-3…5, R-ORD-8).
use super::OrderFilter;
use crate::auth::{Permission, Principal, visibility};
use crate::domain::order_rows::not_found;
use crate::domain::{Page, PageArgs, page, rows};
use crate::error::AppResult;
use entity::{
    DocKind, DocStatus, delivery_date_change, order_confirmation, order_installment,
    outbox as outbox_row, sales_order, sales_order_line,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use std::collections::HashMap;

pub async fn get(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    id: i64,
) -> AppResult<sales_order::Model> {
    visibility::require(p, Permission::ReadOrders)?;
    sales_order::Entity::find_by_id(id)
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or_else(|| not_found(kind))
}

/// Newest first (R-ACC-3…5 through `visibility::sales_orders`).
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    f: OrderFilter,
    args: &PageArgs,
) -> AppResult<Page<sales_order::Model>> {
    visibility::require(p, Permission::ReadOrders)?;
    let mut q = sales_order::Entity::find()
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(kind));
    if let Some(s) = f.status {
        q = q.filter(sales_order::Column::Status.eq(s));
    }
    if let Some(s) = f.financial_status {
        q = q.filter(sales_order::Column::FinancialStatus.eq(s));
    }
    if let Some(c) = f.customer_id {
        q = q.filter(sales_order::Column::CustomerId.eq(c));
    }
    if let Some(r) = f.sales_rep_id {
        q = q.filter(sales_order::Column::SalesRepId.eq(r));
    }
    if let Some(h) = f.credit_hold {
        q = q.filter(sales_order::Column::CreditHold.eq(h));
    }
    if let Some(d) = f.from {
        q = q.filter(sales_order::Column::OrderDate.gte(d));
    }
    if let Some(d) = f.to {
        q = q.filter(sales_order::Column::OrderDate.lte(d));
    }
    if let Some(search) = f
        .search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        let mut any = page::search_condition(&[sales_order::Column::CustomerReference], &search)?;
        // A number ("42") or a document number ("A-42") finds the document too.
        if let Ok(n) = search.parse::<i64>() {
            any = any.add(sales_order::Column::Number.eq(n));
        } else if let Some((series, n)) = search.rsplit_once('-')
            && let Ok(n) = n.parse::<i64>()
        {
            any = any.add(
                Condition::all()
                    .add(sales_order::Column::Series.eq(series.to_uppercase()))
                    .add(sales_order::Column::Number.eq(n)),
            );
        }
        q = q.filter(any);
    }
    page::fetch_newest_first(db, q, sales_order::Column::Id, args).await
}

/// Visible documents by id (loaders: quote ↔ order links).
pub async fn visible_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, sales_order::Model>> {
    if !visibility::can(p, Permission::ReadOrders) {
        return Ok(HashMap::new());
    }
    Ok(sales_order::Entity::find()
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect())
}

/// Lines of orders the caller already sees, in position order (kit components after their kit).
pub async fn lines_by_orders<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<sales_order_line::Model>>> {
    use sales_order_line::{Column, Entity};
    let mut out =
        rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |l| l.order_id).await?;
    for lines in out.values_mut() {
        lines.sort_by_key(|l| (l.position, l.id));
    }
    Ok(out)
}

pub async fn installments_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_installment::Model>>> {
    use order_installment::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::DueDate, |r| r.order_id).await
}

pub async fn date_changes_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<delivery_date_change::Model>>> {
    use delivery_date_change::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |r| r.order_id).await
}

pub async fn confirmations_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_confirmation::Model>>> {
    use order_confirmation::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |r| r.order_id).await
}

/// The outbox rows of orders the caller sees (R-ORD-17).
pub async fn events_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<outbox_row::Model>>> {
    use outbox_row::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |r| {
        r.order_id.unwrap_or_default()
    })
    .await
}

/// R-ORD-8 delay report: lines of visible, not cancelled orders whose current delivery date
/// differs from the first promised one (real changes only; corrections move the promise).
/// One page, oldest line first.
pub async fn delivery_delays(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: Option<i64>,
    args: &PageArgs,
) -> AppResult<Page<sales_order_line::Model>> {
    visibility::require(p, Permission::ReadOrders)?;
    let mut orders = Query::select()
        .column(sales_order::Column::Id)
        .from(sales_order::Entity)
        .cond_where(visibility::sales_orders(p))
        .and_where(sales_order::Column::Kind.eq(DocKind::Order))
        .and_where(sales_order::Column::Status.ne(DocStatus::Cancelled))
        .to_owned();
    if let Some(c) = customer_id {
        orders.and_where(sales_order::Column::CustomerId.eq(c));
    }
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::CompanyId.eq(p.company_id))
        .filter(sales_order_line::Column::OrderId.in_subquery(orders))
        .filter(
            Expr::col(sales_order_line::Column::DeliveryDate)
                .ne(Expr::col(sales_order_line::Column::PromisedDate)),
        );
    page::fetch(db, lines, sales_order_line::Column::Id, args).await
}
