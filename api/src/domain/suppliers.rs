//! Suppliers (R-BO-3; R-IC-1: a supplier may point to a sister company).
use crate::auth::{Permission, Principal, visibility};
use crate::domain::{Page, PageArgs, companies, page, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::supplier;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;

#[derive(Default)]
pub struct SupplierFields {
    pub code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub currency: Option<String>,
    pub linked_company_id: Option<Option<i64>>,
    /// A payment terms code of the company: due dates of the supplier's invoices.
    pub payment_terms: Option<Option<String>>,
}

pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: SupplierFields,
) -> AppResult<supplier::Model> {
    visibility::require(p, Permission::ManageSuppliers)?;
    let company = companies::own(db, p).await?;
    let blank = supplier::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(validate::code(
            "code",
            input.code.as_deref().unwrap_or(""),
            40,
        )?),
        name: Set(validate::required_on_create("name", &input.name, 200)?),
        email: Set(None),
        currency: Set(company.currency),
        linked_company_id: Set(None),
        payment_terms: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    save(db, p, blank, false, input).await
}

pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    input: SupplierFields,
) -> AppResult<supplier::Model> {
    visibility::require(p, Permission::ManageSuppliers)?;
    let active: supplier::ActiveModel = get(db, p, id).await?.into();
    save(db, p, active, true, input).await
}

async fn save(
    db: &DatabaseConnection,
    p: &Principal,
    mut m: supplier::ActiveModel,
    exists: bool,
    input: SupplierFields,
) -> AppResult<supplier::Model> {
    if let Some(code) = input.code {
        m.code = Set(validate::code("code", &code, 40)?);
    }
    if let Some(name) = input.name {
        m.name = Set(validate::required("name", &name, 200)?);
    }
    if let Some(email) = input.email {
        m.email = Set(Some(validate::email("email", &email)?));
    }
    if let Some(c) = input.currency {
        m.currency = Set(validate::currency("currency", &c)?);
    }
    if let Some(terms) = input.payment_terms {
        let terms = match terms {
            Some(code) => {
                let code = validate::code("paymentTerms", &code, 20)?.to_uppercase();
                let known = entity::payment_terms::Entity::find()
                    .filter(entity::payment_terms::Column::CompanyId.eq(p.company_id))
                    .filter(entity::payment_terms::Column::Code.eq(code.clone()))
                    .one(db)
                    .await?;
                if known.is_none() {
                    return Err(AppError::validation(
                        "paymentTerms",
                        "no such payment terms",
                    ));
                }
                Some(code)
            }
            None => None,
        };
        m.payment_terms = Set(terms);
    }
    if let Some(linked) = input.linked_company_id {
        if let Some(company_id) = linked {
            companies::ensure_sister(db, p, company_id).await?;
        }
        m.linked_company_id = Set(linked);
    }
    Ok(if exists {
        m.update(db).await?
    } else {
        m.insert(db).await?
    })
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<supplier::Model> {
    visibility::require(p, Permission::ReadSuppliers)?;
    supplier::Entity::find_by_id(id)
        .filter(visibility::suppliers(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("supplier"))
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    search: Option<String>,
    args: &PageArgs,
) -> AppResult<Page<supplier::Model>> {
    visibility::require(p, Permission::ReadSuppliers)?;
    let mut select = supplier::Entity::find().filter(visibility::suppliers(p));
    if let Some(s) = search.filter(|s| !s.trim().is_empty()) {
        select = select.filter(page::search_condition(
            &[supplier::Column::Code, supplier::Column::Name],
            s.trim(),
        )?);
    }
    page::fetch(db, select, supplier::Column::Id, args).await
}

/// Batch lookup for loaders (`item.preferredSupplier`).
pub async fn by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, supplier::Model>> {
    Ok(supplier::Entity::find()
        .filter(visibility::suppliers(p))
        .filter(supplier::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}
