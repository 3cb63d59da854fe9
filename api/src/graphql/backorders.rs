//! Backorders (R-BO-1, 2, 5, 6): shortages waiting for supply, confirmed, cancelled, prioritised
//! and assigned from receipts. Resolvers call `domain::backorders`. Assignment is an object of
//! its own only so that the schema lists it after receipts, where it has always stood.
use crate::domain::PageArgs;
use crate::domain::backorders::{self, Allocation, BackorderFilter as Filter};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::customers::{Customer, load_customer};
use crate::graphql::items::Item;
use crate::graphql::orders::SalesOrder;
use crate::graphql::purchasing::PurchaseOrderLine;
use crate::graphql::scalars::Decimal;
use crate::graphql::{
    IdInput, canonical, db, ids, item, loaders, order, parse_id, parse_opt_id, principal, to_id,
};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{backorder, backorder_assignment};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::BackorderStatus")]
pub enum BackorderStatus {
    Pending,
    Confirmed,
    PartiallyFulfilled,
    Fulfilled,
    Cancelled,
}

/// The shortage of one order line, in stock units (R-BO-1, R-BO-2).
pub struct Backorder(pub backorder::Model);

#[Object]
impl Backorder {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn status(&self) -> BackorderStatus {
        self.0.status.into()
    }
    /// Backordered at first.
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    /// Still waiting for supply.
    async fn open_quantity(&self) -> Decimal {
        self.0.open_quantity.into()
    }
    /// Higher is served first by automatic assignment (R-BO-5).
    async fn priority(&self) -> i64 {
        self.0.priority
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        item(ctx, self.0.item_id).await
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        load_customer(ctx, Some(self.0.customer_id)).await
    }
    /// The order the shortage belongs to.
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        order(ctx, self.0.order_id).await
    }
    async fn order_line_id(&self) -> ID {
        to_id(self.0.order_line_id)
    }
    /// The purchase line buying it (R-BO-3); null for callers without purchasing access.
    async fn purchase_order_line(&self, ctx: &Context<'_>) -> Result<Option<PurchaseOrderLine>> {
        let Some(id) = self.0.purchase_order_line_id else {
            return Ok(None);
        };
        Ok(loaders::get(ctx)?
            .purchase_order_line
            .load_one(id)
            .await?
            .map(PurchaseOrderLine))
    }
    /// Where received stock went (R-BO-6).
    async fn assignments(&self, ctx: &Context<'_>) -> Result<Vec<BackorderAssignment>> {
        let rows = loaders::get(ctx)?.assignments.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(BackorderAssignment)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }
}

/// Received stock given to a backorder: the new order line that carries it (R-BO-6).
pub struct BackorderAssignment(pub backorder_assignment::Model);

#[Object]
impl BackorderAssignment {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn backorder_id(&self) -> ID {
        to_id(self.0.backorder_id)
    }
    async fn receipt_id(&self) -> ID {
        to_id(self.0.receipt_id)
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    async fn origin_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        order(ctx, self.0.origin_order_id).await
    }
    /// The confirmed order created for the customer.
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        order(ctx, self.0.sales_order_id).await
    }
    async fn sales_order_line_id(&self) -> ID {
        to_id(self.0.sales_order_line_id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct BackordersPayload {
    pub backorders: Vec<Backorder>,
}

#[derive(SimpleObject)]
pub struct BackorderPayload {
    pub backorder: Backorder,
}

#[derive(SimpleObject)]
pub struct UnassignedQuantity {
    pub item_id: ID,
    pub quantity: Decimal,
}

#[derive(SimpleObject)]
pub struct AssignBackordersPayload {
    pub assignments: Vec<BackorderAssignment>,
    /// One confirmed, reserved order per customer (R-BO-6).
    pub sales_orders: Vec<SalesOrder>,
    /// What the receipt still has to assign, per item.
    pub unassigned: Vec<UnassignedQuantity>,
}

#[derive(InputObject, Default)]
pub struct BackorderFilter {
    pub status: Option<BackorderStatus>,
    pub item_id: Option<ID>,
    pub customer_id: Option<ID>,
    pub order_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SetBackorderPriorityInput {
    pub id: ID,
    pub priority: i64,
}

#[derive(InputObject)]
pub struct AllocationInput {
    pub backorder_id: ID,
    /// Stock units.
    pub quantity: Decimal,
}

#[derive(InputObject)]
pub struct AssignBackordersInput {
    pub receipt_id: ID,
    /// Omit for automatic assignment: priority, then oldest first (R-BO-5).
    pub allocations: Option<Vec<AllocationInput>>,
}

#[derive(Default)]
pub struct BackorderQuery;

#[Object]
impl BackorderQuery {
    /// Backorders of orders the caller sees (R-ACC-3), oldest first.
    async fn backorders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<BackorderFilter>,
    ) -> Result<Conn<Backorder>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            status: f.status.map(Into::into),
            item_id: parse_opt_id(f.item_id.as_ref(), "itemId")?,
            customer_id: parse_opt_id(f.customer_id.as_ref(), "customerId")?,
            order_id: parse_opt_id(f.order_id.as_ref(), "orderId")?,
        };
        let page =
            backorders::list(db(ctx), principal(ctx)?, filter, &PageArgs { first, after }).await?;
        Ok(from_page(page, |b| b.id, Backorder))
    }

    async fn backorder(&self, ctx: &Context<'_>, id: ID) -> Result<Backorder> {
        let id = parse_id(&id, "id")?;
        Ok(Backorder(
            backorders::get(db(ctx), principal(ctx)?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct BackorderMutation;

#[Object]
impl BackorderMutation {
    /// PENDING → CONFIRMED, all or nothing (R-BO-2).
    async fn confirm_backorders(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> Result<BackordersPayload> {
        let ids = self::ids(&ids, "ids")?;
        let rows = backorders::confirm(db(ctx), principal(ctx)?, &ids).await?;
        Ok(BackordersPayload {
            backorders: rows.into_iter().map(Backorder).collect(),
        })
    }

    async fn cancel_backorder(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> Result<BackorderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(BackorderPayload {
            backorder: Backorder(backorders::cancel(db(ctx), principal(ctx)?, id).await?),
        })
    }

    async fn set_backorder_priority(
        &self,
        ctx: &Context<'_>,
        input: SetBackorderPriorityInput,
    ) -> Result<BackorderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(BackorderPayload {
            backorder: Backorder(
                backorders::set_priority(db(ctx), principal(ctx)?, id, input.priority).await?,
            ),
        })
    }
}

#[derive(Default)]
pub struct AssignmentMutation;

#[Object]
impl AssignmentMutation {
    /// Distributes a confirmed receipt over waiting backorders (R-BO-5, R-BO-6).
    async fn assign_backorders(
        &self,
        ctx: &Context<'_>,
        input: AssignBackordersInput,
    ) -> Result<AssignBackordersPayload> {
        let receipt_id = parse_id(&input.receipt_id, "receiptId")?;
        let allocations = match input.allocations {
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(i, a)| {
                        Ok(Allocation {
                            backorder_id: parse_id(
                                &a.backorder_id,
                                &format!("allocations.{i}.backorderId"),
                            )?,
                            quantity: a.quantity.0,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        let r = backorders::assign(db(ctx), principal(ctx)?, receipt_id, allocations).await?;
        Ok(AssignBackordersPayload {
            assignments: r.assignments.into_iter().map(BackorderAssignment).collect(),
            sales_orders: r.orders.into_iter().map(SalesOrder).collect(),
            unassigned: r
                .unassigned
                .into_iter()
                .map(|(item_id, q)| UnassignedQuantity {
                    item_id: to_id(item_id),
                    quantity: canonical(q),
                })
                .collect(),
        })
    }
}
