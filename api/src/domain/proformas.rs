//! Proformas (R-INV-1, R-PAY-1): a numbered request for payment in the `PROFORMA` series,
//! with the order's figures frozen when it is issued. It moves no stock and bills nothing:
//! payments against it are advances on its order, which settle the order's invoices once they
//! are posted (see `payments`).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::outbox::OrderEvent;
use crate::domain::{numbering, order_rows, taxes};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{Dec, DocStatus, DocType, FinancialStatus, customer, proforma};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::HashMap;

/// `issueProforma`: for an order that is entered and not yet shipped in full.
pub async fn issue(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    date: Option<NaiveDate>,
) -> AppResult<proforma::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let tx = db::write_tx(db).await?;
    let order = order_rows::lock_order(&tx, p, order_id).await?;
    if !matches!(
        order.status,
        DocStatus::Draft | DocStatus::Confirmed | DocStatus::PartiallyShipped
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} order gets no proforma: proformas come before shipping (R-INV-1)",
            order.status
        )));
    }
    let figures = taxes::of_orders(&*tx, std::slice::from_ref(&order))
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    let billed = match order.invoice_to_group {
        true => customer::Entity::find_by_id(order.customer_id)
            .one(&*tx)
            .await?
            .and_then(|c| c.group_customer_id)
            .unwrap_or(order.customer_id),
        false => order.customer_id,
    };
    let now = Utc::now();
    let number = numbering::next(&tx, order.company_id, &order.series, DocType::Proforma).await?;
    let pf = proforma::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        customer_id: Set(billed),
        series: Set(order.series.clone()),
        number: Set(number),
        proforma_date: Set(date.unwrap_or_else(|| now.date_naive())),
        currency: Set(order.currency.clone()),
        tax_base: Set(Dec(figures.base)),
        tax_amount: Set(Dec(figures.tax)),
        total_amount: Set(Dec(figures.total)),
        paid_amount: Set(Dec::ZERO),
        financial_status: Set(FinancialStatus::Unpaid),
        created_by: Set(p.key()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    order_rows::record_event(
        &*tx,
        &order,
        OrderEvent::ProformaIssued,
        Some(json!({"proformaId": pf.id, "number": format!("{}-{}", pf.series, pf.number)})),
    )
    .await?;
    tx.commit().await?;
    Ok(pf)
}

/// Proformas of orders the caller sees and reads invoices of.
pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<proforma::Model> {
    visibility::require(p, Permission::ReadInvoices)?;
    proforma::Entity::find_by_id(id)
        .filter(visibility::proformas(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("proforma"))
}

/// Visible proformas of each order, oldest first.
pub async fn by_orders(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<proforma::Model>>> {
    let mut out: HashMap<i64, Vec<proforma::Model>> = HashMap::new();
    for pf in proforma::Entity::find()
        .filter(proforma::Column::OrderId.is_in(ids.to_vec()))
        .filter(visibility::proformas(p))
        .order_by_asc(proforma::Column::Id)
        .all(db)
        .await?
    {
        out.entry(pf.order_id).or_default().push(pf);
    }
    Ok(out)
}
