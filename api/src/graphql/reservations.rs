//! Reservations (R-RES-1…3): stock held for an order line from one slot, reserved and released
//! by hand. Resolvers call `domain::reservations`.
use crate::domain::reservations::{self, ReserveInput};
use crate::graphql::items::Item;
use crate::graphql::scalars::Decimal;
use crate::graphql::warehouses::Warehouse;
use crate::graphql::{IdInput, db, item, parse_id, principal, to_id, warehouse};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::reservation;

/// Stock held for one order line from one slot (R-RES-1), in stock units.
pub struct Reservation(pub reservation::Model);

#[Object]
impl Reservation {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn order_line_id(&self) -> ID {
        to_id(self.0.order_line_id)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        item(ctx, self.0.item_id).await
    }
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        warehouse(ctx, self.0.warehouse_id).await
    }
    async fn location(&self) -> &str {
        &self.0.location
    }
    async fn lot(&self) -> &str {
        &self.0.lot
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct ReservationPayload {
    pub reservation: Reservation,
}

#[derive(InputObject)]
pub struct ReserveStockInput {
    pub order_line_id: ID,
    pub warehouse_id: ID,
    pub location: Option<String>,
    pub lot: Option<String>,
    /// Stock units.
    pub quantity: Decimal,
}

#[derive(Default)]
pub struct ReservationMutation;

#[Object]
impl ReservationMutation {
    /// Reserves stock of one slot for a line (R-RES-1…3).
    async fn reserve_stock(
        &self,
        ctx: &Context<'_>,
        input: ReserveStockInput,
    ) -> Result<ReservationPayload> {
        let input = ReserveInput {
            order_line_id: parse_id(&input.order_line_id, "orderLineId")?,
            warehouse_id: parse_id(&input.warehouse_id, "warehouseId")?,
            location: input.location,
            lot: input.lot,
            quantity: input.quantity.0,
        };
        Ok(ReservationPayload {
            reservation: Reservation(reservations::reserve(db(ctx), principal(ctx)?, input).await?),
        })
    }

    /// Gives a reservation back to available stock; answers the released reservation.
    async fn release_reservation(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> Result<ReservationPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(ReservationPayload {
            reservation: Reservation(reservations::release(db(ctx), principal(ctx)?, id).await?),
        })
    }
}
