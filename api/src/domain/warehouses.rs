//! Warehouses; `priority` orders them when stock is reserved automatically.
use crate::auth::{Permission, Principal, visibility};
use crate::domain::{Page, PageArgs, page, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::warehouse;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;

pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    code: &str,
    name: &str,
    priority: i32,
) -> AppResult<warehouse::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    Ok(warehouse::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(validate::code("code", code, 40)?),
        name: Set(validate::required("name", name, 200)?),
        priority: Set(priority),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    name: Option<String>,
    priority: Option<i32>,
) -> AppResult<warehouse::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let mut m: warehouse::ActiveModel = get(db, p, id).await?.into();
    if let Some(name) = name {
        m.name = Set(validate::required("name", &name, 200)?);
    }
    if let Some(priority) = priority {
        m.priority = Set(priority);
    }
    Ok(m.update(db).await?)
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<warehouse::Model> {
    visibility::require(p, Permission::ReadCatalog)?;
    warehouse::Entity::find_by_id(id)
        .filter(visibility::warehouses(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("warehouse"))
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    args: &PageArgs,
) -> AppResult<Page<warehouse::Model>> {
    visibility::require(p, Permission::ReadCatalog)?;
    let select = warehouse::Entity::find().filter(visibility::warehouses(p));
    page::fetch(db, select, warehouse::Column::Id, args).await
}

pub async fn by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, warehouse::Model>> {
    Ok(warehouse::Entity::find()
        .filter(visibility::warehouses(p))
        .filter(warehouse::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect())
}
