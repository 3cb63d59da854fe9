//! Shipments (R-RES-3, R-ITEM-4): delivery notes that consume reservations. Resolvers call
//! `domain::shipments`.
use crate::domain::{PageArgs, shipment_preparation, shipments};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::items::Item;
use crate::graphql::orders::SalesOrder;
use crate::graphql::scalars::Decimal;
use crate::graphql::warehouses::Warehouse;
use crate::graphql::{
    db, item, loaders, number, order, parse_id, parse_opt_id, principal, to_id, warehouse,
};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{shipment, shipment_line};

/// R-ORD-16: PREPARING (reservations earmarked, nothing left stock), SHIPPED or CANCELLED.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::ShipmentStatus")]
pub enum ShipmentStatus {
    Preparing,
    Shipped,
    Cancelled,
}

/// A delivery note.
pub struct Shipment(pub shipment::Model);

#[Object]
impl Shipment {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The rendered document (R-DOC-1): a path on this server, fetched with the same bearer token.
    async fn document_url(&self, format: crate::render::DocumentFormat) -> String {
        crate::downloads::path(crate::render::DocumentKind::DeliveryNote, self.0.id, format)
    }
    async fn number(&self) -> String {
        number(&self.0.series, self.0.number)
    }
    async fn status(&self) -> ShipmentStatus {
        self.0.status.into()
    }
    /// The day it shipped (while PREPARING: the day it was prepared).
    async fn shipped_on(&self) -> NaiveDate {
        self.0.shipped_on
    }
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        order(ctx, self.0.order_id).await
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ShipmentLine>> {
        let rows = loaders::get(ctx)?
            .shipment_lines
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ShipmentLine)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The invoice that billed this delivery note, when the caller sees it.
    async fn invoice(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::invoices::Invoice>> {
        match self.0.invoice_id {
            Some(id) => crate::graphql::invoices::load_invoice(ctx, id).await,
            None => Ok(None),
        }
    }
}

pub struct ShipmentLine(pub shipment_line::Model);

#[Object]
impl ShipmentLine {
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
    /// Stock units.
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
}

#[derive(SimpleObject)]
pub struct ShipmentPayload {
    pub shipment: Shipment,
}

#[derive(InputObject)]
pub struct ShipLineInput {
    pub line_id: ID,
    /// Stock units; defaults to what the line has reserved.
    pub quantity: Option<Decimal>,
    pub lot: Option<String>,
    #[graphql(default)]
    pub serials: Vec<String>,
}

#[derive(InputObject)]
pub struct ShipSalesOrderInput {
    pub order_id: ID,
    /// Omit to ship everything reserved.
    pub lines: Option<Vec<ShipLineInput>>,
}

#[derive(Default)]
pub struct ShipmentQuery;

#[Object]
impl ShipmentQuery {
    /// Delivery notes of orders the caller sees, newest first.
    async fn shipments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        order_id: Option<ID>,
    ) -> Result<Conn<Shipment>> {
        let order_id = parse_opt_id(order_id.as_ref(), "orderId")?;
        let page = shipments::list(
            db(ctx),
            principal(ctx)?,
            order_id,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |s| s.id, Shipment))
    }

    async fn shipment(&self, ctx: &Context<'_>, id: ID) -> Result<Shipment> {
        let id = parse_id(&id, "id")?;
        Ok(Shipment(
            shipments::get(db(ctx), principal(ctx)?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct ShipmentMutation;

#[Object]
impl ShipmentMutation {
    /// A numbered delivery note: consumes reservations, lowers on-hand, moves the order to
    /// PARTIALLY_SHIPPED or SHIPPED; refused on credit hold (R-ORD-9).
    async fn ship_sales_order(
        &self,
        ctx: &Context<'_>,
        input: ShipSalesOrderInput,
    ) -> Result<ShipmentPayload> {
        let order_id = parse_id(&input.order_id, "orderId")?;
        let lines = ship_lines(input.lines)?;
        Ok(ShipmentPayload {
            shipment: Shipment(shipments::ship(db(ctx), principal(ctx)?, order_id, lines).await?),
        })
    }

    /// A numbered delivery note PREPARING (R-ORD-16): its lines earmark the order's
    /// reservations (every reserved line when `lines` is omitted), nothing leaves stock, and
    /// the order's lines cannot change until it is confirmed or cancelled.
    async fn create_shipment(
        &self,
        ctx: &Context<'_>,
        input: ShipSalesOrderInput,
    ) -> Result<ShipmentPayload> {
        let order_id = parse_id(&input.order_id, "orderId")?;
        let lines = ship_lines(input.lines)?;
        Ok(ShipmentPayload {
            shipment: Shipment(
                shipment_preparation::create(db(ctx), principal(ctx)?, order_id, lines).await?,
            ),
        })
    }

    /// Ships a prepared delivery note: its earmarked reservations leave stock.
    async fn confirm_shipment(
        &self,
        ctx: &Context<'_>,
        input: ShipmentRef,
    ) -> Result<ShipmentPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(ShipmentPayload {
            shipment: Shipment(shipment_preparation::confirm(db(ctx), principal(ctx)?, id).await?),
        })
    }

    /// Cancels a prepared delivery note; its reservations stay the order's.
    async fn cancel_shipment(
        &self,
        ctx: &Context<'_>,
        input: ShipmentRef,
    ) -> Result<ShipmentPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(ShipmentPayload {
            shipment: Shipment(shipment_preparation::cancel(db(ctx), principal(ctx)?, id).await?),
        })
    }
}

#[derive(InputObject)]
pub struct ShipmentRef {
    pub id: ID,
}

/// The domain's lines of a shipping input, or VALIDATION naming the bad id.
fn ship_lines(lines: Option<Vec<ShipLineInput>>) -> Result<Option<Vec<shipments::ShipLine>>> {
    Ok(match lines {
        Some(list) => Some(
            list.into_iter()
                .enumerate()
                .map(|(i, l)| {
                    Ok(shipments::ShipLine {
                        line_id: parse_id(&l.line_id, &format!("lines.{i}.lineId"))?,
                        quantity: l.quantity.map(|q| q.0),
                        lot: l.lot,
                        serials: l.serials,
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        None => None,
    })
}
