//! Companies (R-ACC-1): legal entities with their own currency and data.
use crate::auth::{Permission, Principal, visibility};
use crate::domain::{users, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{Role, company, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

pub struct NewCompany {
    pub code: String,
    pub name: String,
    pub currency: String,
}

pub struct FirstAdmin {
    pub email: String,
    pub name: String,
    pub password: String,
}

/// Creates a company and its first admin in one transaction (an admin of an existing company
/// may found a sister company; it does not gain access to it).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    probes: &crate::auth::throttle::ProbeThrottle,
    input: NewCompany,
    admin: FirstAdmin,
) -> AppResult<(company::Model, user::Model)> {
    visibility::require(p, Permission::ManageMasterData)?;
    create_with_admin(db, input, admin)
        .await
        .map_err(|e| users::counted_probe(probes, p, e))
}

pub async fn create_with_admin(
    db: &DatabaseConnection,
    input: NewCompany,
    admin: FirstAdmin,
) -> AppResult<(company::Model, user::Model)> {
    let tx = crate::db::write_tx(db).await?;
    let company = insert(&tx, input).await?;
    let user = users::insert(
        &tx,
        users::NewUser {
            company_id: company.id,
            email: admin.email,
            name: admin.name,
            password: admin.password,
            role: Role::Admin,
            sales_rep_id: None,
            customer_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(company = %company.code, "company created");
    Ok((company, user))
}

pub async fn insert<C: ConnectionTrait>(db: &C, input: NewCompany) -> AppResult<company::Model> {
    let code = validate::code("code", &input.code, 20)?.to_uppercase();
    if company::Entity::find()
        .filter(company::Column::Code.eq(&code))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "{} ({code})",
            users::CODE_TAKEN
        )));
    }
    Ok(company::ActiveModel {
        code: Set(code),
        name: Set(validate::required("name", &input.name, 200)?),
        currency: Set(validate::currency("currency", &input.currency)?),
        language: Set("en".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn by_code<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Option<company::Model>> {
    Ok(company::Entity::find()
        .filter(company::Column::Code.eq(code.to_uppercase()))
        .one(db)
        .await?)
}

/// The caller's own company; others do not exist for it.
pub async fn own(db: &DatabaseConnection, p: &Principal) -> AppResult<company::Model> {
    company::Entity::find_by_id(p.company_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("company"))
}

/// `updateCompany`: absent fields stay; an empty address, tax id or e-mail clears it.
#[derive(Default)]
pub struct CompanyChanges {
    pub name: Option<String>,
    pub address: Option<String>,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    changes: CompanyChanges,
) -> AppResult<company::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let mut active: company::ActiveModel = own(db, p).await?.into();
    if let Some(name) = changes.name {
        active.name = Set(validate::required("name", &name, 200)?);
    }
    let optional = |field: &str, value: String, max: usize| -> AppResult<Option<String>> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        validate::required(field, value, max).map(Some)
    };
    if let Some(a) = changes.address {
        // Lines as printed: each one checked on its own, at most six of them.
        let lines: Vec<&str> = a.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if lines.len() > 6 {
            return Err(AppError::validation(
                "address",
                "address has at most 6 lines",
            ));
        }
        let checked = lines
            .into_iter()
            .map(|l| validate::required("address", l, 100))
            .collect::<AppResult<Vec<_>>>()?;
        active.address = Set((!checked.is_empty()).then(|| checked.join("\n")));
    }
    if let Some(t) = changes.tax_id {
        active.tax_id = Set(optional("taxId", t, 40)?);
    }
    if let Some(e) = changes.email {
        active.email = Set(match e.trim() {
            "" => None,
            e => Some(validate::email("email", e)?),
        });
    }
    if let Some(l) = changes.language {
        active.language = Set(validate::language("language", &l)?);
    }
    Ok(active.update(db).await?)
}

/// R-IC-1: a customer or supplier may stand for another company of this deployment.
pub async fn ensure_sister<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    company_id: i64,
) -> AppResult<()> {
    if company_id == p.company_id {
        return Err(AppError::validation(
            "linkedCompanyId",
            "must be another company",
        ));
    }
    company::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("linkedCompanyId", "no such company"))?;
    Ok(())
}
