//! Items (R-ITEM-1…5).
use super::connection::{Conn, from_page};
use super::scalars::Decimal;
use super::stock::StockLevel;
use super::suppliers::Supplier;
use super::{db, loaders, parse_id, parse_opt_id, principal, to_id};
use crate::auth::{Permission, visibility};
use crate::domain::{PageArgs, items};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::item;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::ItemKind")]
pub enum ItemKind {
    Stocked,
    NonStocked,
    Kit,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::Tracking")]
pub enum Tracking {
    None,
    Lot,
    Serial,
}

pub struct Item(pub item::Model);

#[derive(SimpleObject)]
pub struct ItemDescription {
    pub language: String,
    pub text: String,
}

#[Object]
impl Item {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> ItemKind {
        self.0.kind.into()
    }
    async fn sellable(&self) -> bool {
        self.0.sellable
    }
    async fn purchasable(&self) -> bool {
        self.0.purchasable
    }
    async fn stock_unit(&self) -> &str {
        &self.0.stock_unit
    }
    async fn sales_unit(&self) -> &str {
        &self.0.sales_unit
    }
    /// Stock quantity = sales quantity × factor (R-ITEM-3).
    async fn sales_unit_factor(&self) -> Decimal {
        self.0.sales_unit_factor.into()
    }
    async fn tracking(&self) -> Tracking {
        self.0.tracking.into()
    }
    async fn list_price(&self) -> Decimal {
        self.0.list_price.into()
    }
    /// Internal: FORBIDDEN for buyers and partner tokens.
    async fn cost(&self, ctx: &Context<'_>) -> Result<Decimal> {
        visibility::require(principal(ctx)?, Permission::ReadItemCost)?;
        Ok(self.0.cost.into())
    }
    async fn weight(&self) -> Decimal {
        self.0.weight.into()
    }
    async fn volume(&self) -> Decimal {
        self.0.volume.into()
    }
    async fn barcodes(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders::get(ctx)?
            .barcodes
            .load_one(self.0.id)
            .await?
            .unwrap_or_default())
    }
    async fn descriptions(&self, ctx: &Context<'_>) -> Result<Vec<ItemDescription>> {
        let list = loaders::get(ctx)?
            .descriptions
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|d| ItemDescription {
                language: d.language,
                text: d.description,
            })
            .collect())
    }
    /// The description in `language` when one exists, else the name (R-ITEM-5).
    async fn description(&self, ctx: &Context<'_>, language: String) -> Result<String> {
        let list = loaders::get(ctx)?
            .descriptions
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let wanted = language.to_lowercase();
        Ok(list
            .into_iter()
            .find(|d| d.language == wanted)
            .map(|d| d.description)
            .unwrap_or_else(|| self.0.name.clone()))
    }
    /// The default tax code of its sales lines (R-TAX-1).
    async fn tax_code(&self, ctx: &Context<'_>) -> Result<Option<super::taxes::TaxCode>> {
        let Some(id) = self.0.tax_code_id else {
            return Ok(None);
        };
        Ok(loaders::get(ctx)?
            .tax_code
            .load_one(id)
            .await?
            .map(super::taxes::TaxCode))
    }
    async fn preferred_supplier(&self, ctx: &Context<'_>) -> Result<Option<Supplier>> {
        let Some(id) = self.0.preferred_supplier_id else {
            return Ok(None);
        };
        visibility::require(principal(ctx)?, Permission::ReadSuppliers)?;
        Ok(loaders::get(ctx)?
            .supplier
            .load_one(id)
            .await?
            .map(Supplier))
    }
    /// Components that go on an order with this kit, at price 0 (R-ITEM-1).
    async fn kit_components(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::sales_setup::KitComponent>> {
        if self.0.kind != entity::ItemKind::Kit {
            return Ok(vec![]);
        }
        let list = loaders::get(ctx)?
            .kit_components
            .load_one(self.0.id)
            .await?;
        Ok(list
            .unwrap_or_default()
            .into_iter()
            .map(super::sales_setup::KitComponent)
            .collect())
    }
    /// On the company's unique-per-customer list: at most one open order per customer (R-ITEM-6).
    async fn unique_per_customer(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(loaders::get(ctx)?
            .unique
            .load_one(self.0.id)
            .await?
            .unwrap_or(false))
    }
    /// On-hand, reserved, available and incoming (open purchase orders), stock units, over
    /// one warehouse or all (needs inventory access).
    async fn availability(
        &self,
        ctx: &Context<'_>,
        warehouse_id: Option<ID>,
    ) -> Result<super::stock::Availability> {
        let p = principal(ctx)?;
        visibility::require(p, Permission::ReadInventory)?;
        let a = match super::parse_opt_id(warehouse_id.as_ref(), "warehouseId")? {
            None => loaders::get(ctx)?.availability.load_one(self.0.id).await?,
            Some(w) => crate::domain::stock::availability(super::db(ctx), p, &[self.0.id], Some(w))
                .await?
                .remove(&self.0.id),
        };
        Ok(a.unwrap_or_default().into())
    }
    /// Stock slots of this item (needs inventory access).
    async fn stock_levels(&self, ctx: &Context<'_>) -> Result<Vec<StockLevel>> {
        visibility::require(principal(ctx)?, Permission::ReadInventory)?;
        let list = loaders::get(ctx)?
            .stock
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(list.into_iter().map(StockLevel).collect())
    }
}

#[derive(InputObject)]
pub struct DescriptionInput {
    /// ISO 639-1, e.g. `es`, `bg`.
    pub language: String,
    pub text: String,
}

/// Item fields; on update, omitted fields keep their value.
#[derive(InputObject)]
pub struct ItemInput {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub kind: Option<ItemKind>,
    pub sellable: Option<bool>,
    pub purchasable: Option<bool>,
    pub stock_unit: Option<String>,
    pub sales_unit: Option<String>,
    pub sales_unit_factor: Option<Decimal>,
    pub tracking: Option<Tracking>,
    pub list_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub weight: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub preferred_supplier_id: Option<ID>,
    /// Replace all barcodes when given.
    pub barcodes: Option<Vec<String>>,
    /// Replace all descriptions when given.
    pub descriptions: Option<Vec<DescriptionInput>>,
}

#[derive(InputObject)]
pub struct UpdateItemInput {
    pub id: ID,
    pub fields: ItemInput,
}

#[derive(InputObject, Default)]
pub struct ItemFilter {
    /// Matches SKU or name, case-insensitively.
    pub search: Option<String>,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub sellable: Option<bool>,
}

#[derive(SimpleObject)]
pub struct ItemPayload {
    pub item: Item,
}

fn fields(i: ItemInput) -> Result<items::ItemFields> {
    Ok(items::ItemFields {
        sku: i.sku,
        name: i.name,
        kind: i.kind.map(Into::into),
        sellable: i.sellable,
        purchasable: i.purchasable,
        stock_unit: i.stock_unit,
        sales_unit: i.sales_unit,
        sales_unit_factor: i.sales_unit_factor.map(|d| d.0),
        tracking: i.tracking.map(Into::into),
        list_price: i.list_price.map(|d| d.0),
        cost: i.cost.map(|d| d.0),
        weight: i.weight.map(|d| d.0),
        volume: i.volume.map(|d| d.0),
        preferred_supplier_id: parse_opt_id(
            i.preferred_supplier_id.as_ref(),
            "preferredSupplierId",
        )?
        .map(Some),
        barcodes: i.barcodes,
        descriptions: i
            .descriptions
            .map(|l| l.into_iter().map(|d| (d.language, d.text)).collect()),
    })
}

#[derive(Default)]
pub struct ItemQuery;

#[Object]
impl ItemQuery {
    async fn items(
        &self,
        ctx: &Context<'_>,
        filter: Option<ItemFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Item>> {
        let f = filter.unwrap_or_default();
        let filter = items::ItemFilter {
            search: f.search,
            sku: f.sku,
            barcode: f.barcode,
            sellable: f.sellable,
        };
        let page =
            items::list(db(ctx), principal(ctx)?, filter, &PageArgs { first, after }).await?;
        Ok(from_page(page, |i| i.id, Item))
    }

    async fn item(&self, ctx: &Context<'_>, id: ID) -> Result<Item> {
        Ok(Item(
            items::get(db(ctx), principal(ctx)?, parse_id(&id, "id")?).await?,
        ))
    }
}

#[derive(Default)]
pub struct ItemMutation;

#[Object]
impl ItemMutation {
    async fn create_item(&self, ctx: &Context<'_>, input: ItemInput) -> Result<ItemPayload> {
        let item = items::create(db(ctx), principal(ctx)?, fields(input)?).await?;
        Ok(ItemPayload { item: Item(item) })
    }

    async fn update_item(&self, ctx: &Context<'_>, input: UpdateItemInput) -> Result<ItemPayload> {
        let id = parse_id(&input.id, "id")?;
        let item = items::update(db(ctx), principal(ctx)?, id, fields(input.fields)?).await?;
        Ok(ItemPayload { item: Item(item) })
    }
}
