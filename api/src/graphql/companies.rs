//! Companies (R-ACC-1).
use super::users::User;
use super::{db, principal, to_id};
use crate::domain::companies;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::company;

pub struct Company(pub company::Model);

#[Object]
impl Company {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Printed on its documents (R-DOC-1).
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn tax_id(&self) -> Option<&str> {
        self.0.tax_id.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The language of a document whose customer's language Mercato does not write (R-DOC-3).
    async fn language(&self) -> &str {
        &self.0.language
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateCompanyInput {
    pub code: String,
    pub name: String,
    pub currency: String,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_password: String,
}

#[derive(SimpleObject)]
pub struct CreateCompanyPayload {
    pub company: Company,
    /// The new company's first ADMIN (the caller gains no access to the new company).
    pub admin: User,
}

#[derive(InputObject)]
pub struct UpdateCompanyInput {
    pub name: Option<String>,
    /// Address lines as printed on documents (an empty string clears it).
    pub address: Option<String>,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

#[derive(SimpleObject)]
pub struct CompanyPayload {
    pub company: Company,
}

#[derive(Default)]
pub struct CompanyQuery;

#[Object]
impl CompanyQuery {
    /// The caller's company.
    async fn company(&self, ctx: &Context<'_>) -> Result<Company> {
        Ok(Company(companies::own(db(ctx), principal(ctx)?).await?))
    }
}

#[derive(Default)]
pub struct CompanyMutation;

#[Object]
impl CompanyMutation {
    /// Founds a sister company with its first admin (ADMIN).
    async fn create_company(
        &self,
        ctx: &Context<'_>,
        input: CreateCompanyInput,
    ) -> Result<CreateCompanyPayload> {
        let (company, admin) = companies::create(
            db(ctx),
            principal(ctx)?,
            &crate::graphql::services(ctx).probe_throttle,
            companies::NewCompany {
                code: input.code,
                name: input.name,
                currency: input.currency,
            },
            companies::FirstAdmin {
                email: input.admin_email,
                name: input.admin_name,
                password: input.admin_password,
            },
        )
        .await?;
        Ok(CreateCompanyPayload {
            company: Company(company),
            admin: User(admin),
        })
    }

    async fn update_company(
        &self,
        ctx: &Context<'_>,
        input: UpdateCompanyInput,
    ) -> Result<CompanyPayload> {
        let changes = companies::CompanyChanges {
            name: input.name,
            address: input.address,
            tax_id: input.tax_id,
            email: input.email,
            language: input.language,
        };
        let company = companies::update(db(ctx), principal(ctx)?, changes).await?;
        Ok(CompanyPayload {
            company: Company(company),
        })
    }
}
