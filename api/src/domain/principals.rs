//! Turns a bearer credential into a [`Principal`] (R-ACC-7, R-ACC-8). Access is re-read from
//! the database on each request, so a deactivated user or a revoked token stops at once.
use crate::auth::{Actor, Principal, Scope, jwt::JwtKeys, tokens};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use entity::{Role, api_token, rep_association, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};

/// `last_used_at` is written at most this often per token, to keep reads cheap.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

pub async fn resolve(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    bearer: &str,
) -> AppResult<Principal> {
    resolve_until(db, keys, bearer).await.map(|(p, _)| p)
}

/// The principal and the moment its credential stops being valid (the JWT's `exp`, the API
/// token's `expires_at`; `None` for a token that never expires): a WebSocket closes then.
pub async fn resolve_until(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    bearer: &str,
) -> AppResult<(Principal, Option<DateTime<Utc>>)> {
    match tokens::split(bearer) {
        Some((lookup, secret)) => from_api_token(db, lookup, secret).await,
        None => {
            let (user_id, expires) = keys.verify_until(bearer)?;
            Ok((from_user_id(db, user_id).await?, Some(expires)))
        }
    }
}

pub async fn from_user_id(db: &DatabaseConnection, user_id: i64) -> AppResult<Principal> {
    let user = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| AppError::Unauthenticated("unknown or inactive user".into()))?;
    let mut visible_rep_ids: Vec<i64> = user.sales_rep_id.into_iter().collect();
    if let (Role::SalesManager, Some(manager)) = (user.role, user.sales_rep_id) {
        let associated: Vec<i64> = rep_association::Entity::find()
            .select_only()
            .column(rep_association::Column::RepId)
            .filter(rep_association::Column::ManagerRepId.eq(manager))
            .into_tuple()
            .all(db)
            .await?;
        visible_rep_ids.extend(associated);
    }
    // Only CUSTOMER users are bound to a customer; `visibility` shows nothing to one without.
    let customer_id = match user.role {
        Role::Customer => user.customer_id,
        _ => None,
    };
    Ok(Principal {
        actor: Actor::User(user.id),
        company_id: user.company_id,
        role: Some(user.role),
        scopes: vec![],
        rep_id: user.sales_rep_id,
        visible_rep_ids,
        customer_id,
    })
}

async fn from_api_token(
    db: &DatabaseConnection,
    lookup: &str,
    secret: &str,
) -> AppResult<(Principal, Option<DateTime<Utc>>)> {
    let invalid = || AppError::Unauthenticated("invalid, expired or revoked API token".into());
    let token = api_token::Entity::find()
        .filter(api_token::Column::Lookup.eq(lookup))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if !tokens::secret_matches(secret, &token.secret_hash)
        || token.revoked_at.is_some()
        || token.expires_at.is_some_and(|at| at <= now)
    {
        return Err(invalid());
    }
    let stale = token
        .last_used_at
        .is_none_or(|at| (now - at).num_seconds() >= LAST_USED_RESOLUTION_SECONDS);
    if stale {
        let mut active: api_token::ActiveModel = token.clone().into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    let principal = Principal {
        actor: Actor::ApiToken(token.id),
        company_id: token.company_id,
        role: None,
        scopes: Scope::parse_list(&token.scopes),
        rep_id: None,
        visible_rep_ids: vec![],
        customer_id: token.customer_id,
    };
    Ok((principal, token.expires_at))
}
