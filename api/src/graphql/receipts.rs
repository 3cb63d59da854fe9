//! Receipts (R-BO-4, R-ITEM-4): what arrived against a purchase order, with lots and serials;
//! confirming one adds to stock. Resolvers call `domain::receipts`.
use crate::domain::{PageArgs, receipts};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::items::Item;
use crate::graphql::purchasing::PurchaseOrder;
use crate::graphql::scalars::Decimal;
use crate::graphql::warehouses::Warehouse;
use crate::graphql::{
    IdInput, db, item, loaders, number, parse_id, parse_opt_id, principal, to_id, warehouse,
};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{receipt, receipt_line};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::ReceiptStatus")]
pub enum ReceiptStatus {
    Draft,
    Confirmed,
}

/// What arrived against a purchase order: the purchase invoice (R-BO-4).
pub struct Receipt(pub receipt::Model);

#[Object]
impl Receipt {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn number(&self) -> String {
        number(&self.0.series, self.0.number)
    }
    async fn status(&self) -> ReceiptStatus {
        self.0.status.into()
    }
    async fn purchase_order(&self, ctx: &Context<'_>) -> Result<Option<PurchaseOrder>> {
        Ok(loaders::get(ctx)?
            .purchase_order
            .load_one(self.0.purchase_order_id)
            .await?
            .map(PurchaseOrder))
    }
    async fn supplier_reference(&self) -> Option<&str> {
        self.0.supplier_reference.as_deref()
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ReceiptLine>> {
        let rows = loaders::get(ctx)?.receipt_lines.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ReceiptLine)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }
}

pub struct ReceiptLine(pub receipt_line::Model);

#[Object]
impl ReceiptLine {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn purchase_order_line_id(&self) -> ID {
        to_id(self.0.purchase_order_line_id)
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
    /// The lot, or the serial of a serial-tracked unit.
    async fn lot(&self) -> &str {
        &self.0.lot
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    /// Given to backorders so far (R-BO-5).
    async fn assigned_quantity(&self) -> Decimal {
        self.0.assigned_quantity.into()
    }
}

#[derive(SimpleObject)]
pub struct ReceiptPayload {
    pub receipt: Receipt,
}

#[derive(InputObject)]
pub struct ReceiveLineInput {
    /// The purchase order line.
    pub line_id: ID,
    /// Stock units; serial-tracked items default to the number of serials.
    pub quantity: Option<Decimal>,
    /// Defaults to the purchase order's warehouse.
    pub warehouse_id: Option<ID>,
    pub location: Option<String>,
    /// Required for lot-tracked items (R-ITEM-4).
    pub lot: Option<String>,
    /// One per unit for serial-tracked items (R-ITEM-4).
    #[graphql(default)]
    pub serials: Vec<String>,
}

#[derive(InputObject)]
pub struct ReceivePurchaseOrderInput {
    pub purchase_order_id: ID,
    pub supplier_reference: Option<String>,
    pub lines: Vec<ReceiveLineInput>,
}

#[derive(InputObject, Default)]
pub struct ReceiptFilter {
    pub purchase_order_id: Option<ID>,
    pub status: Option<ReceiptStatus>,
}

#[derive(Default)]
pub struct ReceiptQuery;

#[Object]
impl ReceiptQuery {
    /// Newest first.
    async fn receipts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ReceiptFilter>,
    ) -> Result<Conn<Receipt>> {
        let f = filter.unwrap_or_default();
        let filter = receipts::ReceiptFilter {
            purchase_order_id: parse_opt_id(f.purchase_order_id.as_ref(), "purchaseOrderId")?,
            status: f.status.map(Into::into),
        };
        let page =
            receipts::list(db(ctx), principal(ctx)?, filter, &PageArgs { first, after }).await?;
        Ok(from_page(page, |r| r.id, Receipt))
    }

    async fn receipt(&self, ctx: &Context<'_>, id: ID) -> Result<Receipt> {
        let id = parse_id(&id, "id")?;
        Ok(Receipt(receipts::get(db(ctx), principal(ctx)?, id).await?))
    }
}

#[derive(Default)]
pub struct ReceiptMutation;

#[Object]
impl ReceiptMutation {
    /// Records a DRAFT receipt (the purchase invoice) against a purchase order (R-BO-4).
    async fn receive_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: ReceivePurchaseOrderInput,
    ) -> Result<ReceiptPayload> {
        let lines = input
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(receipts::ReceiveLine {
                    line_id: parse_id(&l.line_id, &format!("lines.{i}.lineId"))?,
                    quantity: l.quantity.map(|q| q.0),
                    warehouse_id: parse_opt_id(
                        l.warehouse_id.as_ref(),
                        &format!("lines.{i}.warehouseId"),
                    )?,
                    location: l.location,
                    lot: l.lot,
                    serials: l.serials,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let po = parse_id(&input.purchase_order_id, "purchaseOrderId")?;
        Ok(ReceiptPayload {
            receipt: Receipt(
                receipts::receive(
                    db(ctx),
                    principal(ctx)?,
                    po,
                    input.supplier_reference,
                    lines,
                )
                .await?,
            ),
        })
    }

    /// Adds the receipt to on-hand (R-BO-4).
    async fn confirm_receipt(&self, ctx: &Context<'_>, input: IdInput) -> Result<ReceiptPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(ReceiptPayload {
            receipt: Receipt(receipts::confirm(db(ctx), principal(ctx)?, id).await?),
        })
    }
}
