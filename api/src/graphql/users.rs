//! Login, `me`, and users.
use super::connection::{Conn, from_page};
use super::{db, parse_id, parse_opt_id, principal, services, to_id};
use crate::auth::{Actor, Principal};
use crate::domain::{self, PageArgs, users};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::user;

/// Roles of users (R-ACC-3…6).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::Role")]
pub enum Role {
    Admin,
    SalesManager,
    SalesRep,
    Warehouse,
    Purchasing,
    Customer,
    Accounting,
}

pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn sales_rep(&self, ctx: &Context<'_>) -> Result<Option<super::sales_reps::SalesRep>> {
        super::sales_reps::load_sales_rep(ctx, self.0.sales_rep_id).await
    }
    /// The customer of a CUSTOMER user, when the caller may see it.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<super::customers::Customer>> {
        super::customers::load_customer(ctx, self.0.customer_id).await
    }
}

/// Who the caller is.
pub struct Me(Principal);

#[Object]
impl Me {
    /// `USER` or `API_TOKEN`.
    async fn kind(&self) -> &str {
        match self.0.actor {
            Actor::User(_) => "USER",
            Actor::ApiToken(_) => "API_TOKEN",
            Actor::Intercompany(_) => "INTERCOMPANY",
            Actor::Operator => "OPERATOR",
        }
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.0.user_id() {
            Some(id) => Ok(Some(User(users::get(db(ctx), &self.0, id).await?))),
            None => Ok(None),
        }
    }
    async fn api_token(&self, ctx: &Context<'_>) -> Result<Option<super::api_tokens::ApiToken>> {
        match self.0.api_token_id() {
            Some(id) => Ok(Some(super::api_tokens::ApiToken(
                domain::api_tokens::own(db(ctx), &self.0, id).await?,
            ))),
            None => Ok(None),
        }
    }
    async fn company(&self, ctx: &Context<'_>) -> Result<super::companies::Company> {
        Ok(super::companies::Company(
            domain::companies::own(db(ctx), &self.0).await?,
        ))
    }
    async fn role(&self) -> Option<Role> {
        self.0.role.map(Into::into)
    }
    async fn scopes(&self) -> Vec<super::api_tokens::ApiScope> {
        self.0.scopes.iter().map(|s| (*s).into()).collect()
    }
    async fn sales_rep(&self, ctx: &Context<'_>) -> Result<Option<super::sales_reps::SalesRep>> {
        super::sales_reps::load_sales_rep(ctx, self.0.rep_id).await
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<super::customers::Customer>> {
        super::customers::load_customer(ctx, self.0.customer_id).await
    }
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
    /// Required for SALES_REP and SALES_MANAGER.
    pub sales_rep_id: Option<ID>,
    /// Required for CUSTOMER.
    pub customer_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct UserPayload {
    pub user: User,
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller: user or API token, company, role, rep, customer, scopes.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        Ok(Me(principal(ctx)?.clone()))
    }

    /// Users of the company (ADMIN).
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<User>> {
        let page = users::list(db(ctx), principal(ctx)?, &PageArgs { first, after }).await?;
        Ok(from_page(page, |u| u.id, User))
    }

    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        Ok(User(
            users::get(db(ctx), principal(ctx)?, parse_id(&id, "id")?).await?,
        ))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Exchanges e-mail and password for a JWT.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<LoginPayload> {
        let s = services(ctx);
        let done = users::login(
            &s.db,
            &s.keys,
            &s.login_throttle,
            &input.email,
            &input.password,
        )
        .await?;
        Ok(LoginPayload {
            token: done.token,
            expires_at: done.expires_at,
            user: User(done.user),
        })
    }

    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<UserPayload> {
        let p = principal(ctx)?;
        let user = users::create(
            db(ctx),
            p,
            &crate::graphql::services(ctx).probe_throttle,
            users::NewUser {
                company_id: p.company_id,
                email: input.email,
                name: input.name,
                password: input.password,
                role: input.role.into(),
                sales_rep_id: parse_opt_id(input.sales_rep_id.as_ref(), "salesRepId")?,
                customer_id: parse_opt_id(input.customer_id.as_ref(), "customerId")?,
            },
        )
        .await?;
        Ok(UserPayload { user: User(user) })
    }

    /// Deactivated users can no longer log in or use their tokens.
    async fn set_user_active(
        &self,
        ctx: &Context<'_>,
        id: ID,
        active: bool,
    ) -> Result<UserPayload> {
        let user =
            users::set_active(db(ctx), principal(ctx)?, parse_id(&id, "id")?, active).await?;
        Ok(UserPayload { user: User(user) })
    }
}
