//! Users and login. A user's identity (e-mail) is global; everything else is per company.
use crate::auth::throttle::{LoginThrottle, ProbeThrottle};
use crate::auth::{Permission, Principal, jwt::JwtKeys, password, visibility};
use crate::domain::{Page, PageArgs, page, validate};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use entity::{Role, customer, sales_rep, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

pub struct NewUser {
    pub company_id: i64,
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    pub sales_rep_id: Option<i64>,
    pub customer_id: Option<i64>,
}

pub struct LoggedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// Wrong e-mail and wrong password get the same answer, in the same time; bursts of attempts
/// for one e-mail are RATE_LIMITED.
pub async fn login(
    db: &DatabaseConnection,
    keys: &JwtKeys,
    throttle: &LoginThrottle,
    email: &str,
    password_text: &str,
) -> AppResult<LoggedIn> {
    let refused = || AppError::Unauthenticated("wrong e-mail or password".into());
    // No address is longer (RFC 5321); a longer one is never looked up or counted.
    if email.len() > 254 {
        password::verify_dummy(password_text);
        return Err(refused());
    }
    throttle.check(email)?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?;
    let Some(user) = found else {
        password::verify_dummy(password_text);
        return Err(refused());
    };
    if !password::verify(password_text, &user.password_hash) || !user.active {
        tracing::info!(user_id = user.id, "login refused");
        return Err(refused());
    }
    let (token, expires_at) = keys.issue(user.id, user.company_id)?;
    tracing::info!(user_id = user.id, "login");
    Ok(LoggedIn {
        token,
        expires_at,
        user,
    })
}

/// What a tenant admin is told of an address another company's user holds: that it is taken,
/// nothing about who holds it (docs/access.md, "What a tenant admin may learn").
pub const TAKEN_ELSEWHERE: &str = "this e-mail address cannot be used; choose another";

pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    probes: &ProbeThrottle,
    mut input: NewUser,
) -> AppResult<user::Model> {
    visibility::require(p, Permission::ManageUsers)?;
    input.company_id = p.company_id;
    insert(db, input)
        .await
        .map_err(|e| counted_probe(probes, p, e))
}

/// A CONFLICT that names another tenant's identifier counts against the caller's probe quota
/// (`ProbeThrottle`); past it the caller is told RATE_LIMITED instead, and the log says so.
pub fn counted_probe(probes: &ProbeThrottle, p: &Principal, e: AppError) -> AppError {
    let foreign = match &e {
        AppError::Conflict(m) => m == TAKEN_ELSEWHERE || m.starts_with(CODE_TAKEN),
        _ => false,
    };
    if !foreign {
        return e;
    }
    match probes.note(&p.key()) {
        Ok(()) => e,
        Err(limited) => {
            tracing::warn!(caller = %p.key(), "identifier probes over the hourly quota");
            limited
        }
    }
}

/// How a taken company code is reported (codes are one namespace for all tenants).
pub const CODE_TAKEN: &str = "this company code is taken";

/// Validates the role's links (a rep for SALES_REP/SALES_MANAGER, a customer for CUSTOMER,
/// both in the user's company) and stores the user with an argon2id hash.
pub async fn insert<C: ConnectionTrait>(db: &C, input: NewUser) -> AppResult<user::Model> {
    let email = validate::email("email", &input.email)?;
    let name = validate::required("name", &input.name, 200)?;
    password::check_policy(&input.password)?;
    let needs_rep = matches!(input.role, Role::SalesRep | Role::SalesManager);
    match (needs_rep, input.sales_rep_id) {
        (true, None) => {
            return Err(AppError::validation(
                "salesRepId",
                "this role needs a sales rep",
            ));
        }
        (_, Some(rep_id)) => {
            sales_rep::Entity::find_by_id(rep_id)
                .filter(sales_rep::Column::CompanyId.eq(input.company_id))
                .one(db)
                .await?
                .ok_or_else(|| AppError::validation("salesRepId", "no such sales rep"))?;
        }
        _ => {}
    }
    match (input.role, input.customer_id) {
        (Role::Customer, None) => {
            return Err(AppError::validation(
                "customerId",
                "a CUSTOMER user needs a customer",
            ));
        }
        (Role::Customer, Some(customer_id)) => {
            customer::Entity::find_by_id(customer_id)
                .filter(customer::Column::CompanyId.eq(input.company_id))
                .one(db)
                .await?
                .ok_or_else(|| AppError::validation("customerId", "no such customer"))?;
        }
        (_, Some(_)) => {
            return Err(AppError::validation(
                "customerId",
                "only CUSTOMER users have a customer",
            ));
        }
        _ => {}
    }
    // E-mails are unique across companies (login takes an e-mail alone), but another
    // tenant's user is never named: the answer only says the address cannot be used.
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        return Err(AppError::Conflict(
            if existing.company_id == input.company_id {
                format!("a user with e-mail {email} exists")
            } else {
                TAKEN_ELSEWHERE.into()
            },
        ));
    }
    Ok(user::ActiveModel {
        company_id: Set(input.company_id),
        email: Set(email),
        name: Set(name),
        password_hash: Set(password::hash(&input.password)?),
        role: Set(input.role),
        sales_rep_id: Set(input.sales_rep_id),
        customer_id: Set(input.customer_id),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .filter(visibility::users(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("user"))
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    args: &PageArgs,
) -> AppResult<Page<user::Model>> {
    visibility::require(p, Permission::ManageUsers)?;
    let select = user::Entity::find().filter(visibility::users(p));
    page::fetch(db, select, user::Column::Id, args).await
}

pub async fn set_active(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    active: bool,
) -> AppResult<user::Model> {
    visibility::require(p, Permission::ManageUsers)?;
    let found = get(db, p, id).await?;
    if p.user_id() == Some(id) && !active {
        return Err(AppError::validation("id", "you cannot deactivate yourself"));
    }
    let mut model: user::ActiveModel = found.into();
    model.active = Set(active);
    Ok(model.update(db).await?)
}
