//! Partner API tokens (R-ACC-7): created by an admin, optionally bound to one customer, scoped,
//! shown once, stored as a hash, expiring, revocable, with their last use recorded.
use crate::auth::{Permission, Principal, Scope, tokens, visibility};
use crate::domain::{Page, PageArgs, page, validate};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use entity::{api_token, customer};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
};

pub struct NewApiToken {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub customer_id: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Returns the stored token and the secret, which is never retrievable again.
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewApiToken,
) -> AppResult<(api_token::Model, String)> {
    visibility::require(p, Permission::ManageApiTokens)?;
    create_for_company(db, p.company_id, p.user_id(), input).await
}

/// Also used by the `create-api-token` CLI, which has no principal.
pub async fn create_for_company(
    db: &DatabaseConnection,
    company_id: i64,
    created_by: Option<i64>,
    input: NewApiToken,
) -> AppResult<(api_token::Model, String)> {
    let name = validate::required("name", &input.name, 100)?;
    if input.scopes.is_empty() {
        return Err(AppError::validation(
            "scopes",
            "at least one scope is required",
        ));
    }
    if input.customer_id.is_some()
        && let Some(s) = input.scopes.iter().find(|s| visibility::sellers_scope(**s))
    {
        return Err(AppError::validation(
            "scopes",
            format!("{s} is the seller's: a token bound to a customer cannot hold it (R-ACC-7)"),
        ));
    }
    if input.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AppError::validation("expiresAt", "must be in the future"));
    }
    if let Some(customer_id) = input.customer_id {
        customer::Entity::find_by_id(customer_id)
            .filter(customer::Column::CompanyId.eq(company_id))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("customerId", "no such customer"))?;
    }
    let mut scopes = input.scopes;
    scopes.sort();
    scopes.dedup();
    let secret = tokens::generate();
    let row = api_token::ActiveModel {
        company_id: Set(company_id),
        name: Set(name),
        lookup: Set(secret.lookup),
        secret_hash: Set(secret.secret_hash),
        scopes: Set(Scope::join(&scopes)),
        customer_id: Set(input.customer_id),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        created_by: Set(created_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(token_id = row.id, company_id, "api token created");
    Ok((row, secret.token))
}

pub async fn revoke(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<api_token::Model> {
    visibility::require(p, Permission::ManageApiTokens)?;
    let token = find(db, p, id).await?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(Utc::now()));
    let token = active.update(db).await?;
    tracing::info!(token_id = token.id, "api token revoked");
    Ok(token)
}

async fn find(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<api_token::Model> {
    api_token::Entity::find_by_id(id)
        .filter(api_token::Column::CompanyId.eq(p.company_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("API token"))
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    args: &PageArgs,
) -> AppResult<Page<api_token::Model>> {
    visibility::require(p, Permission::ManageApiTokens)?;
    let select = api_token::Entity::find()
        .filter(Condition::all().add(api_token::Column::CompanyId.eq(p.company_id)));
    page::fetch(db, select, api_token::Column::Id, args).await
}

/// The caller's own token (for `me.apiToken`).
pub async fn own(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<api_token::Model> {
    if p.api_token_id() != Some(id) {
        visibility::require(p, Permission::ManageApiTokens)?;
    }
    find(db, p, id).await
}
