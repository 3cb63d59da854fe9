//! Suppliers.
use super::connection::{Conn, from_page};
use super::{db, parse_id, parse_opt_id, principal, to_id};
use crate::domain::{PageArgs, suppliers};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::supplier;

pub struct Supplier(pub supplier::Model);

#[Object]
impl Supplier {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The sister company this supplier is (R-IC-1).
    async fn linked_company_id(&self) -> Option<ID> {
        self.0.linked_company_id.map(to_id)
    }
    /// The payment terms code its invoices fall due by.
    async fn payment_terms(&self) -> Option<&str> {
        self.0.payment_terms.as_deref()
    }
}

#[derive(InputObject)]
pub struct SupplierInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub currency: Option<String>,
    pub linked_company_id: Option<ID>,
    /// A payment terms code; its invoices are due at once without one.
    pub payment_terms: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateSupplierInput {
    pub id: ID,
    pub fields: SupplierInput,
}

#[derive(InputObject, Default)]
pub struct SupplierFilter {
    /// Matches code or name, case-insensitively.
    pub search: Option<String>,
}

#[derive(SimpleObject)]
pub struct SupplierPayload {
    pub supplier: Supplier,
}

fn fields(input: SupplierInput) -> Result<suppliers::SupplierFields> {
    Ok(suppliers::SupplierFields {
        code: input.code,
        name: input.name,
        email: input.email,
        currency: input.currency,
        linked_company_id: parse_opt_id(input.linked_company_id.as_ref(), "linkedCompanyId")?
            .map(Some),
        payment_terms: input.payment_terms.map(Some),
    })
}

#[derive(Default)]
pub struct SupplierQuery;

#[Object]
impl SupplierQuery {
    async fn suppliers(
        &self,
        ctx: &Context<'_>,
        filter: Option<SupplierFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Supplier>> {
        let search = filter.and_then(|f| f.search);
        let page =
            suppliers::list(db(ctx), principal(ctx)?, search, &PageArgs { first, after }).await?;
        Ok(from_page(page, |s| s.id, Supplier))
    }

    async fn supplier(&self, ctx: &Context<'_>, id: ID) -> Result<Supplier> {
        Ok(Supplier(
            suppliers::get(db(ctx), principal(ctx)?, parse_id(&id, "id")?).await?,
        ))
    }
}

#[derive(Default)]
pub struct SupplierMutation;

#[Object]
impl SupplierMutation {
    async fn create_supplier(
        &self,
        ctx: &Context<'_>,
        input: SupplierInput,
    ) -> Result<SupplierPayload> {
        let s = suppliers::create(db(ctx), principal(ctx)?, fields(input)?).await?;
        Ok(SupplierPayload {
            supplier: Supplier(s),
        })
    }

    async fn update_supplier(
        &self,
        ctx: &Context<'_>,
        input: UpdateSupplierInput,
    ) -> Result<SupplierPayload> {
        let id = parse_id(&input.id, "id")?;
        let s = suppliers::update(db(ctx), principal(ctx)?, id, fields(input.fields)?).await?;
        Ok(SupplierPayload {
            supplier: Supplier(s),
        })
    }
}
