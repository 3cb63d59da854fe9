//! Stock levels and adjustments (R-STK-1).
use super::connection::{Conn, from_page};
use super::items::Item;
use super::scalars::Decimal;
use super::warehouses::Warehouse;
use super::{db, loaders, parse_id, parse_opt_id, principal, to_id};
use crate::domain::{PageArgs, stock};
use crate::graphql::canonical;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::stock_level;

pub struct StockLevel(pub stock_level::Model);

#[Object]
impl StockLevel {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        Ok(loaders::get(ctx)?
            .item
            .load_one(self.0.item_id)
            .await?
            .map(Item))
    }
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        Ok(loaders::get(ctx)?
            .warehouse
            .load_one(self.0.warehouse_id)
            .await?
            .map(Warehouse))
    }
    async fn location(&self) -> &str {
        &self.0.location
    }
    async fn lot(&self) -> &str {
        &self.0.lot
    }
    /// In stock units.
    async fn on_hand(&self) -> Decimal {
        self.0.on_hand.into()
    }
    async fn reserved(&self) -> Decimal {
        self.0.reserved.into()
    }
    /// `onHand − reserved`.
    async fn available(&self) -> Decimal {
        Decimal(self.0.on_hand.0 - self.0.reserved.0)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct AdjustStockInput {
    pub item_id: ID,
    pub warehouse_id: ID,
    #[graphql(default)]
    pub location: String,
    /// Lot or serial; required for tracked items (R-ITEM-4).
    #[graphql(default)]
    pub lot: String,
    /// Signed change of on-hand in stock units; on-hand never drops below reserved.
    pub quantity: Decimal,
    pub reason: String,
}

#[derive(InputObject, Default)]
pub struct StockLevelFilter {
    pub item_id: Option<ID>,
    pub warehouse_id: Option<ID>,
    pub location: Option<String>,
    pub lot: Option<String>,
}

#[derive(SimpleObject)]
pub struct AdjustStockPayload {
    pub stock_level: StockLevel,
}

#[derive(Default)]
pub struct StockQuery;

#[Object]
impl StockQuery {
    async fn stock_levels(
        &self,
        ctx: &Context<'_>,
        filter: Option<StockLevelFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<StockLevel>> {
        let f = filter.unwrap_or_default();
        let filter = stock::StockFilter {
            item_id: parse_opt_id(f.item_id.as_ref(), "itemId")?,
            warehouse_id: parse_opt_id(f.warehouse_id.as_ref(), "warehouseId")?,
            location: f.location,
            lot: f.lot,
        };
        let page =
            stock::list(db(ctx), principal(ctx)?, filter, &PageArgs { first, after }).await?;
        Ok(from_page(page, |s| s.id, StockLevel))
    }
}

#[derive(Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    /// Receives or removes stock by hand (ADMIN, WAREHOUSE).
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        input: AdjustStockInput,
    ) -> Result<AdjustStockPayload> {
        let level = stock::adjust(
            db(ctx),
            principal(ctx)?,
            stock::Adjustment {
                item_id: parse_id(&input.item_id, "itemId")?,
                warehouse_id: parse_id(&input.warehouse_id, "warehouseId")?,
                location: Some(input.location),
                lot: Some(input.lot),
                quantity: input.quantity.0,
                reason: input.reason,
            },
        )
        .await?;
        Ok(AdjustStockPayload {
            stock_level: StockLevel(level),
        })
    }
}

/// On-hand, reserved, available and incoming of an item, stock units.
#[derive(SimpleObject)]
pub struct Availability {
    pub on_hand: Decimal,
    pub reserved: Decimal,
    pub available: Decimal,
    /// Open quantity of confirmed purchase orders.
    pub incoming: Decimal,
}

impl From<crate::domain::stock::Availability> for Availability {
    fn from(a: crate::domain::stock::Availability) -> Self {
        Availability {
            on_hand: canonical(a.on_hand),
            reserved: canonical(a.reserved),
            available: canonical(a.available()),
            incoming: canonical(a.incoming),
        }
    }
}
