//! Documents attached to an order: a quote, a contract or another, by name and URL (R-PAY-1).
//! Whoever may change the order attaches and removes them; removing keeps the row (who and
//! when) and logs an event, so the order's history shows what it was agreed under.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::outbox::OrderEvent;
use crate::domain::{order_rows, rows, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{OrderDocumentKind, order_document};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};
use serde_json::json;
use std::collections::HashMap;

/// Attached documents per order, at most (a bound on what a client can pile up).
pub const MAX_PER_ORDER: u64 = 100;

pub async fn attach(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    kind: OrderDocumentKind,
    name: &str,
    url: &str,
    public_links_only: bool,
) -> AppResult<order_document::Model> {
    visibility::require(p, Permission::WriteOrders)?;
    let name = validate::required("name", name, 200)?;
    let url = validate::web_address("url", url, public_links_only)?;
    let tx = db::write_tx(db).await?;
    let order = order_rows::lock(&tx, p, None, order_id).await?;
    use sea_orm::PaginatorTrait;
    let count = order_document::Entity::find()
        .filter(order_document::Column::OrderId.eq(order.id))
        .filter(order_document::Column::RemovedAt.is_null())
        .count(&*tx)
        .await?;
    if count >= MAX_PER_ORDER {
        return Err(AppError::validation(
            "orderId",
            format!("an order keeps at most {MAX_PER_ORDER} documents"),
        ));
    }
    let doc = order_document::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        kind: Set(kind),
        name: Set(name),
        url: Set(url),
        created_by: Set(p.key()),
        created_at: Set(Utc::now()),
        removed_by: Set(None),
        removed_at: Set(None),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    order_rows::record_event(
        &*tx,
        &order,
        OrderEvent::DocumentAttached,
        Some(json!({"documentId": doc.id, "name": doc.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// Removes an attached document (kept, marked removed, and logged).
pub async fn remove(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<order_document::Model> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let doc = order_document::Entity::find_by_id(id)
        .filter(order_document::Column::OrderId.in_subquery(visibility::visible_order_ids(p)))
        .filter(order_document::Column::RemovedAt.is_null())
        .one(&*tx)
        .await?
        .ok_or(AppError::NotFound("document"))?;
    let order = order_rows::lock(&tx, p, None, doc.order_id).await?;
    let mut am = doc.into_active_model();
    am.removed_by = Set(Some(p.key()));
    am.removed_at = Set(Some(Utc::now()));
    let doc = am.update(&*tx).await?;
    order_rows::record_event(
        &*tx,
        &order,
        OrderEvent::DocumentRemoved,
        Some(json!({"documentId": doc.id, "name": doc.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

/// Attached documents of each order (removed ones too, marked), oldest first.
pub async fn by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_document::Model>>> {
    rows::children::<order_document::Entity, _>(
        db,
        order_document::Column::OrderId,
        ids,
        order_document::Column::Id,
        |d| d.order_id,
    )
    .await
}

/// Sets (or clears) the free reference to the production order serving the order (R-PAY-4).
pub async fn set_production_reference(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    reference: Option<String>,
) -> AppResult<entity::sales_order::Model> {
    visibility::require(p, Permission::OverrideOrderTerms)?;
    let reference = validate::text("reference", reference, 100)?;
    let tx = db::write_tx(db).await?;
    let mut order = order_rows::lock(&tx, p, None, order_id).await?;
    order.production_reference = reference;
    let saved = order_rows::save_progress(
        &tx,
        order.clone(),
        order.status,
        vec![(
            OrderEvent::Updated,
            Some(json!({"productionReference": order.production_reference})),
        )],
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}
