//! Warehouses.
use super::connection::{Conn, from_page};
use super::{db, parse_id, principal, to_id};
use crate::domain::{PageArgs, warehouses};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::warehouse;

pub struct Warehouse(pub warehouse::Model);

#[Object]
impl Warehouse {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Lower first when stock is reserved automatically.
    async fn priority(&self) -> i32 {
        self.0.priority
    }
}

#[derive(InputObject)]
pub struct CreateWarehouseInput {
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub priority: i32,
}

#[derive(InputObject)]
pub struct UpdateWarehouseInput {
    pub id: ID,
    pub name: Option<String>,
    pub priority: Option<i32>,
}

#[derive(SimpleObject)]
pub struct WarehousePayload {
    pub warehouse: Warehouse,
}

#[derive(Default)]
pub struct WarehouseQuery;

#[Object]
impl WarehouseQuery {
    async fn warehouses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Warehouse>> {
        let page = warehouses::list(db(ctx), principal(ctx)?, &PageArgs { first, after }).await?;
        Ok(from_page(page, |w| w.id, Warehouse))
    }

    async fn warehouse(&self, ctx: &Context<'_>, id: ID) -> Result<Warehouse> {
        Ok(Warehouse(
            warehouses::get(db(ctx), principal(ctx)?, parse_id(&id, "id")?).await?,
        ))
    }
}

#[derive(Default)]
pub struct WarehouseMutation;

#[Object]
impl WarehouseMutation {
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        input: CreateWarehouseInput,
    ) -> Result<WarehousePayload> {
        let w = warehouses::create(
            db(ctx),
            principal(ctx)?,
            &input.code,
            &input.name,
            input.priority,
        )
        .await?;
        Ok(WarehousePayload {
            warehouse: Warehouse(w),
        })
    }

    async fn update_warehouse(
        &self,
        ctx: &Context<'_>,
        input: UpdateWarehouseInput,
    ) -> Result<WarehousePayload> {
        let id = parse_id(&input.id, "id")?;
        let w =
            warehouses::update(db(ctx), principal(ctx)?, id, input.name, input.priority).await?;
        Ok(WarehousePayload {
            warehouse: Warehouse(w),
        })
    }
}
