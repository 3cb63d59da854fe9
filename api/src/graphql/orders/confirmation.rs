//! Confirming a sales order (R-BO-1): reserve what stock covers, backorder the rest or refuse
//! with INSUFFICIENT_STOCK; `reserveSalesOrder` does the same later (e.g. after a credit hold).
use crate::domain::orders;
use crate::domain::reservations::LineOutcome;
use crate::graphql::orders::{SalesOrder, Warning, warnings};
use crate::graphql::scalars::Decimal;
use crate::graphql::{canonical, db, parse_id, principal, to_id};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

/// What confirmation (or `reserveSalesOrder`) did for one line, in stock units (R-BO-1).
#[derive(SimpleObject)]
pub struct LineCoverage {
    pub line_id: ID,
    pub item_id: ID,
    pub reserved: Decimal,
    pub backordered: Decimal,
}

pub fn coverage(outcomes: Vec<LineOutcome>) -> Vec<LineCoverage> {
    outcomes
        .into_iter()
        .map(|o| LineCoverage {
            line_id: to_id(o.line_id),
            item_id: to_id(o.item_id),
            reserved: canonical(o.reserved),
            backordered: canonical(o.backordered),
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct ConfirmSalesOrderPayload {
    pub sales_order: SalesOrder,
    pub warnings: Vec<Warning>,
    /// Per stocked line: reserved and backordered now (empty while on credit hold).
    pub lines: Vec<LineCoverage>,
}

#[derive(SimpleObject)]
pub struct ReserveSalesOrderPayload {
    pub sales_order: SalesOrder,
    pub lines: Vec<LineCoverage>,
}

#[derive(InputObject)]
pub struct ConfirmSalesOrderInput {
    pub id: ID,
    /// Record shortages as backorders; when false a shortage fails with INSUFFICIENT_STOCK
    /// and nothing changes (R-BO-1).
    #[graphql(default)]
    pub create_backorders: bool,
}

#[derive(Default)]
pub struct OrderConfirmationMutation;

#[Object]
impl OrderConfirmationMutation {
    /// DRAFT → CONFIRMED; credit is judged again (R-ORD-9, R-ORD-17), then available stock is
    /// reserved and, with `createBackorders`, the shortage backordered (R-BO-1).
    async fn confirm_sales_order(
        &self,
        ctx: &Context<'_>,
        input: ConfirmSalesOrderInput,
    ) -> Result<ConfirmSalesOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        let (saved, outcomes) =
            orders::confirm(db(ctx), principal(ctx)?, id, input.create_backorders).await?;
        Ok(ConfirmSalesOrderPayload {
            sales_order: SalesOrder(saved.order),
            warnings: warnings(saved.warnings),
            lines: coverage(outcomes),
        })
    }

    /// Covers a confirmed order's remaining need from stock, as confirmation does (e.g. after
    /// its credit hold was released).
    async fn reserve_sales_order(
        &self,
        ctx: &Context<'_>,
        input: ConfirmSalesOrderInput,
    ) -> Result<ReserveSalesOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        let (order, outcomes) =
            orders::reserve_order(db(ctx), principal(ctx)?, id, input.create_backorders).await?;
        Ok(ReserveSalesOrderPayload {
            sales_order: SalesOrder(order),
            lines: coverage(outcomes),
        })
    }
}
