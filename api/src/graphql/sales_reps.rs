//! Sales reps and zone managers (R-ACC-2, R-ACC-4).
use super::connection::{Conn, from_page};
use super::{db, loaders, parse_id, principal, to_id};
use crate::domain::{PageArgs, sales_reps};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::sales_rep;

pub struct SalesRep(pub sales_rep::Model);

#[Object]
impl SalesRep {
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
    /// Reps this rep oversees as zone manager.
    async fn associated_reps(&self, ctx: &Context<'_>) -> Result<Vec<SalesRep>> {
        let reps = loaders::get(ctx)?
            .associated_reps
            .load_one(self.0.id)
            .await?;
        Ok(reps.unwrap_or_default().into_iter().map(SalesRep).collect())
    }
}

#[derive(InputObject)]
pub struct CreateSalesRepInput {
    pub code: String,
    pub name: String,
    pub email: Option<String>,
}

#[derive(InputObject)]
pub struct SetAssociatedRepsInput {
    pub manager_rep_id: ID,
    pub rep_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct SalesRepPayload {
    pub sales_rep: SalesRep,
}

#[derive(Default)]
pub struct SalesRepQuery;

#[Object]
impl SalesRepQuery {
    async fn sales_reps(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<SalesRep>> {
        let page = sales_reps::list(db(ctx), principal(ctx)?, &PageArgs { first, after }).await?;
        Ok(from_page(page, |r| r.id, SalesRep))
    }

    async fn sales_rep(&self, ctx: &Context<'_>, id: ID) -> Result<SalesRep> {
        Ok(SalesRep(
            sales_reps::get(db(ctx), principal(ctx)?, parse_id(&id, "id")?).await?,
        ))
    }
}

#[derive(Default)]
pub struct SalesRepMutation;

#[Object]
impl SalesRepMutation {
    async fn create_sales_rep(
        &self,
        ctx: &Context<'_>,
        input: CreateSalesRepInput,
    ) -> Result<SalesRepPayload> {
        let rep = sales_reps::create(
            db(ctx),
            principal(ctx)?,
            sales_reps::NewSalesRep {
                code: input.code,
                name: input.name,
                email: input.email,
            },
        )
        .await?;
        Ok(SalesRepPayload {
            sales_rep: SalesRep(rep),
        })
    }

    /// Replaces the reps a zone manager oversees; returns the manager.
    async fn set_associated_reps(
        &self,
        ctx: &Context<'_>,
        input: SetAssociatedRepsInput,
    ) -> Result<SalesRepPayload> {
        let p = principal(ctx)?;
        let manager = parse_id(&input.manager_rep_id, "managerRepId")?;
        let reps = input
            .rep_ids
            .iter()
            .map(|id| parse_id(id, "repIds"))
            .collect::<Result<Vec<_>, _>>()?;
        sales_reps::set_associated(db(ctx), p, manager, reps).await?;
        Ok(SalesRepPayload {
            sales_rep: SalesRep(sales_reps::get(db(ctx), p, manager).await?),
        })
    }
}

/// A nested rep reference (`customer.salesRep`, `user.salesRep`, `me.salesRep`): shown to
/// whoever may see the parent.
pub async fn load_sales_rep(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<SalesRep>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::get(ctx)?
        .sales_rep
        .load_one(id)
        .await?
        .map(SalesRep))
}
