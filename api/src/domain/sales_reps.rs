//! Sales reps and zone managers' associated reps (R-ACC-2, R-ACC-4).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{Page, PageArgs, page, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{rep_association, sales_rep};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::{BTreeSet, HashMap};

pub struct NewSalesRep {
    pub code: String,
    pub name: String,
    pub email: Option<String>,
}

pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewSalesRep,
) -> AppResult<sales_rep::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    Ok(sales_rep::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(validate::code("code", &input.code, 40)?),
        name: Set(validate::required("name", &input.name, 200)?),
        email: Set(match input.email {
            Some(e) => Some(validate::email("email", &e)?),
            None => None,
        }),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Replaces the set of reps a zone manager (itself a rep) oversees.
pub async fn set_associated(
    db: &DatabaseConnection,
    p: &Principal,
    manager_rep_id: i64,
    rep_ids: Vec<i64>,
) -> AppResult<Vec<sales_rep::Model>> {
    visibility::require(p, Permission::ManageMasterData)?;
    let wanted: BTreeSet<i64> = rep_ids
        .into_iter()
        .filter(|id| *id != manager_rep_id)
        .collect();
    let mut all: Vec<i64> = wanted.iter().copied().collect();
    all.push(manager_rep_id);
    let found = sales_rep::Entity::find()
        .filter(sales_rep::Column::CompanyId.eq(p.company_id))
        .filter(sales_rep::Column::Id.is_in(all))
        .all(db)
        .await?;
    if !found.iter().any(|r| r.id == manager_rep_id) {
        return Err(AppError::NotFound("sales rep"));
    }
    if found.len() != wanted.len() + 1 {
        return Err(AppError::validation("repIds", "unknown sales rep"));
    }
    let tx = db::write_tx(db).await?;
    rep_association::Entity::delete_many()
        .filter(rep_association::Column::ManagerRepId.eq(manager_rep_id))
        .exec(&tx)
        .await?;
    if !wanted.is_empty() {
        rep_association::Entity::insert_many(wanted.iter().map(|rep_id| {
            rep_association::ActiveModel {
                manager_rep_id: Set(manager_rep_id),
                rep_id: Set(*rep_id),
                company_id: Set(p.company_id),
            }
        }))
        .exec(&tx)
        .await?;
    }
    tx.commit().await?;
    Ok(found
        .into_iter()
        .filter(|r| wanted.contains(&r.id))
        .collect())
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<sales_rep::Model> {
    visibility::require(p, Permission::ReadSalesReps)?;
    sales_rep::Entity::find_by_id(id)
        .filter(visibility::sales_reps(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("sales rep"))
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    args: &PageArgs,
) -> AppResult<Page<sales_rep::Model>> {
    visibility::require(p, Permission::ReadSalesReps)?;
    let select = sales_rep::Entity::find().filter(visibility::sales_reps(p));
    page::fetch(db, select, sales_rep::Column::Id, args).await
}

/// Batch lookup for loaders (callers have already passed visibility for the parent).
pub async fn by_ids(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, sales_rep::Model>> {
    Ok(sales_rep::Entity::find()
        .filter(sales_rep::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

/// Associated reps of the given managers, for the `associatedReps` field.
pub async fn associated_by_manager(
    db: &DatabaseConnection,
    manager_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<sales_rep::Model>>> {
    let links = rep_association::Entity::find()
        .filter(rep_association::Column::ManagerRepId.is_in(manager_ids.to_vec()))
        .all(db)
        .await?;
    let reps = by_ids(db, &links.iter().map(|l| l.rep_id).collect::<Vec<_>>()).await?;
    let mut out: HashMap<i64, Vec<sales_rep::Model>> = HashMap::new();
    for link in links {
        if let Some(rep) = reps.get(&link.rep_id) {
            out.entry(link.manager_rep_id)
                .or_default()
                .push(rep.clone());
        }
    }
    Ok(out)
}
