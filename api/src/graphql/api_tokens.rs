//! Partner API tokens (R-ACC-7).
use super::connection::{Conn, from_page};
use super::{db, parse_id, parse_opt_id, principal, to_id};
use crate::auth::Scope;
use crate::domain::{PageArgs, api_tokens};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::api_token;

/// `catalog:read` is CATALOG_READ, and so on.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::auth::Scope")]
pub enum ApiScope {
    CatalogRead,
    OrdersRead,
    OrdersWrite,
    InventoryRead,
    AgreementsRead,
    AgreementsWrite,
    InvoicesRead,
    EventsRead,
    PaymentsWrite,
}

pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The public part of the token (`mct_<prefix>_…`), to recognise it; never the secret.
    async fn prefix(&self) -> String {
        format!("{}{}", crate::auth::tokens::PREFIX, self.0.lookup)
    }
    async fn scopes(&self) -> Vec<ApiScope> {
        Scope::parse_list(&self.0.scopes)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<super::customers::Customer>> {
        super::customers::load_customer(ctx, self.0.customer_id).await
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// Binds the token to one customer: it then sees only that customer's data.
    pub customer_id: Option<ID>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    /// The secret, shown this once: only its hash is stored.
    pub token: String,
    pub api_token: ApiToken,
}

#[derive(SimpleObject)]
pub struct ApiTokenPayload {
    pub api_token: ApiToken,
}

#[derive(Default)]
pub struct ApiTokenQuery;

#[Object]
impl ApiTokenQuery {
    /// The company's API tokens (ADMIN).
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<ApiToken>> {
        let page = api_tokens::list(db(ctx), principal(ctx)?, &PageArgs { first, after }).await?;
        Ok(from_page(page, |t| t.id, ApiToken))
    }
}

#[derive(Default)]
pub struct ApiTokenMutation;

#[Object]
impl ApiTokenMutation {
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreateApiTokenPayload> {
        let (model, token) = api_tokens::create(
            db(ctx),
            principal(ctx)?,
            api_tokens::NewApiToken {
                name: input.name,
                scopes: input.scopes.into_iter().map(Into::into).collect(),
                customer_id: parse_opt_id(input.customer_id.as_ref(), "customerId")?,
                expires_at: input.expires_at,
            },
        )
        .await?;
        Ok(CreateApiTokenPayload {
            token,
            api_token: ApiToken(model),
        })
    }

    /// Revoked tokens answer UNAUTHENTICATED from the next request on.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiTokenPayload> {
        let model = api_tokens::revoke(db(ctx), principal(ctx)?, parse_id(&id, "id")?).await?;
        Ok(ApiTokenPayload {
            api_token: ApiToken(model),
        })
    }
}
