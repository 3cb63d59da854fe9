//! Purchase orders (R-BO-3, R-BO-4): entered by hand or generated for confirmed backorders, one
//! per supplier. Resolvers call `domain::purchasing`.
use crate::domain::{PageArgs, purchasing};
use crate::graphql::agreements::{
    Agreement, AgreementLine, AgreementOrderLineInput, load_agreement, load_agreement_line,
};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::items::Item;
use crate::graphql::orders::{PriceSource, Warning, warnings};
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::suppliers::Supplier;
use crate::graphql::warehouses::Warehouse;
use crate::graphql::{
    IdInput, db, ids, item, loaders, number, parse_id, parse_opt_id, principal, to_id, warehouse,
};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::{purchase_order, purchase_order_line};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::PurchaseOrderStatus")]
pub enum PurchaseOrderStatus {
    Draft,
    Confirmed,
    PartiallyReceived,
    Received,
    Cancelled,
}

pub struct PurchaseOrder(pub purchase_order::Model);

#[Object]
impl PurchaseOrder {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The rendered document (R-DOC-1): a path on this server, fetched with the same bearer token.
    async fn document_url(&self, format: crate::render::DocumentFormat) -> String {
        crate::downloads::path(
            crate::render::DocumentKind::PurchaseOrder,
            self.0.id,
            format,
        )
    }
    /// Series-number, e.g. `A-3`.
    async fn number(&self) -> String {
        number(&self.0.series, self.0.number)
    }
    async fn status(&self) -> PurchaseOrderStatus {
        self.0.status.into()
    }
    async fn supplier(&self, ctx: &Context<'_>) -> Result<Option<Supplier>> {
        Ok(loaders::get(ctx)?
            .supplier
            .load_one(self.0.supplier_id)
            .await?
            .map(Supplier))
    }
    /// Where the goods arrive.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        warehouse(ctx, self.0.warehouse_id).await
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn order_date(&self) -> NaiveDate {
        self.0.order_date
    }
    async fn expected_date(&self) -> Option<NaiveDate> {
        self.0.expected_date
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// The purchase agreement it was placed from (R-AGR-3).
    async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        load_agreement(ctx, self.0.agreement_id).await
    }
    /// The supplier ships straight to the customer of a sales order (R-IC-2).
    async fn direct_delivery(&self) -> bool {
        self.0.direct_delivery
    }
    async fn delivery_address(&self) -> Option<&str> {
        self.0.delivery_address.as_deref()
    }
    /// Copied from the supplying company's intercompany order (R-IC-3).
    async fn confirmed_ship_date(&self) -> Option<NaiveDate> {
        self.0.confirmed_ship_date
    }
    async fn confirmed_receipt_date(&self) -> Option<NaiveDate> {
        self.0.confirmed_receipt_date
    }
    /// The intercompany chain it is on (R-IC-3).
    async fn intercompany_chain(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::intercompany::IntercompanyChain>> {
        crate::graphql::intercompany::of_purchase_order(ctx, self.0.id).await
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<PurchaseOrderLine>> {
        let rows = loaders::get(ctx)?
            .purchase_order_lines
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(PurchaseOrderLine)
            .collect())
    }
    /// The sales orders it buys for (their backorders stand on its lines, R-PAY-4), as far
    /// as the caller sees them.
    async fn sales_orders(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::orders::SalesOrder>> {
        let rows = loaders::get(ctx)?
            .served_sales_orders
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::orders::SalesOrder)
            .collect())
    }
}

pub struct PurchaseOrderLine(pub purchase_order_line::Model);

#[Object]
impl PurchaseOrderLine {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The sales order line a direct-delivery line delivers (R-IC-2).
    async fn sales_order_line_id(&self) -> Option<ID> {
        self.0.sales_order_line_id.map(to_id)
    }
    async fn over_delivery_percent(&self) -> crate::graphql::scalars::Decimal {
        self.0.over_delivery_percent.into()
    }
    async fn under_delivery_percent(&self) -> crate::graphql::scalars::Decimal {
        self.0.under_delivery_percent.into()
    }
    async fn position(&self) -> i64 {
        self.0.position
    }
    async fn purchase_order(&self, ctx: &Context<'_>) -> Result<Option<PurchaseOrder>> {
        Ok(loaders::get(ctx)?
            .purchase_order
            .load_one(self.0.purchase_order_id)
            .await?
            .map(PurchaseOrder))
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        item(ctx, self.0.item_id).await
    }
    /// Stock units.
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    /// By confirmed receipts.
    async fn received_quantity(&self) -> Decimal {
        self.0.received_quantity.into()
    }
    /// Net of any agreement discount.
    async fn unit_cost(&self) -> Decimal {
        self.0.unit_cost.into()
    }
    /// AGREEMENT (R-AGR-2), LIST (the item's cost) or MANUAL.
    async fn price_source(&self) -> PriceSource {
        self.0.price_source.into()
    }
    /// The purchase agreement line it was ordered against.
    async fn agreement_line(&self, ctx: &Context<'_>) -> Result<Option<AgreementLine>> {
        load_agreement_line(ctx, self.0.agreement_line_id).await
    }
}

#[derive(InputObject)]
pub struct CreateDirectDeliveryPurchaseOrderInput {
    /// Lines of one sales order: what each still has to deliver is bought.
    pub order_line_ids: Vec<ID>,
    /// Defaults to the items' preferred supplier.
    pub supplier_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct PurchaseOrderPayload {
    pub purchase_order: PurchaseOrder,
    /// `AGREEMENT_EXCEEDED` when a line went beyond its agreement's remaining commitment.
    pub warnings: Vec<Warning>,
}

#[derive(SimpleObject)]
pub struct PurchaseOrdersPayload {
    pub purchase_orders: Vec<PurchaseOrder>,
}

#[derive(InputObject)]
pub struct PurchaseOrderLineInput {
    pub item_id: ID,
    /// Stock units.
    pub quantity: Decimal,
    /// Defaults to the item's cost.
    pub unit_cost: Option<Decimal>,
}

#[derive(InputObject)]
pub struct CreatePurchaseOrderInput {
    pub supplier_id: ID,
    /// Defaults to the company's first warehouse by priority.
    pub warehouse_id: Option<ID>,
    pub expected_date: Option<Date>,
    pub notes: Option<String>,
    pub lines: Vec<PurchaseOrderLineInput>,
}

#[derive(InputObject)]
pub struct CreatePurchaseOrderFromAgreementInput {
    pub agreement_id: ID,
    /// Must lie within the agreement's validity (R-AGR-3); becomes the expected date.
    pub delivery_date: Date,
    pub warehouse_id: Option<ID>,
    pub notes: Option<String>,
    pub lines: Vec<AgreementOrderLineInput>,
}

#[derive(InputObject)]
pub struct CreatePurchaseOrdersForBackordersInput {
    pub backorder_ids: Vec<ID>,
    /// Buy everything from this supplier instead of each item's preferred one.
    pub supplier_id: Option<ID>,
    pub warehouse_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct PurchaseOrderFilter {
    pub status: Option<PurchaseOrderStatus>,
    pub supplier_id: Option<ID>,
}

#[derive(Default)]
pub struct PurchasingQuery;

#[Object]
impl PurchasingQuery {
    /// Newest first.
    async fn purchase_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PurchaseOrderFilter>,
    ) -> Result<Conn<PurchaseOrder>> {
        let f = filter.unwrap_or_default();
        let filter = purchasing::PurchaseOrderFilter {
            status: f.status.map(Into::into),
            supplier_id: parse_opt_id(f.supplier_id.as_ref(), "supplierId")?,
        };
        let page =
            purchasing::list(db(ctx), principal(ctx)?, filter, &PageArgs { first, after }).await?;
        Ok(from_page(page, |p| p.id, PurchaseOrder))
    }

    async fn purchase_order(&self, ctx: &Context<'_>, id: ID) -> Result<PurchaseOrder> {
        let id = parse_id(&id, "id")?;
        Ok(PurchaseOrder(
            purchasing::get(db(ctx), principal(ctx)?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct PurchasingMutation;

#[Object]
impl PurchasingMutation {
    /// A DRAFT purchase order (R-BO-4).
    /// A DRAFT purchase order whose supplier ships the named order lines straight to the
    /// order's customer (R-IC-2); confirming its receipts ships those lines.
    async fn create_direct_delivery_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: CreateDirectDeliveryPurchaseOrderInput,
    ) -> Result<PurchaseOrderPayload> {
        if input.order_line_ids.len() > crate::domain::direct_delivery::MAX_LINES {
            return Err(crate::error::AppError::validation(
                "orderLineIds",
                format!(
                    "name 1 to {} order lines",
                    crate::domain::direct_delivery::MAX_LINES
                ),
            )
            .into());
        }
        let ids = input
            .order_line_ids
            .iter()
            .enumerate()
            .map(|(i, id)| parse_id(id, &format!("orderLineIds.{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        let supplier = parse_opt_id(input.supplier_id.as_ref(), "supplierId")?;
        let po =
            crate::domain::direct_delivery::create(db(ctx), principal(ctx)?, ids, supplier).await?;
        Ok(PurchaseOrderPayload {
            purchase_order: PurchaseOrder(po),
            warnings: vec![],
        })
    }

    async fn create_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: CreatePurchaseOrderInput,
    ) -> Result<PurchaseOrderPayload> {
        let lines = input
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(purchasing::PoLineInput {
                    item_id: parse_id(&l.item_id, &format!("lines.{i}.itemId"))?,
                    quantity: l.quantity.0,
                    unit_cost: l.unit_cost.map(|c| c.0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let input = purchasing::NewPurchaseOrder {
            supplier_id: parse_id(&input.supplier_id, "supplierId")?,
            warehouse_id: parse_opt_id(input.warehouse_id.as_ref(), "warehouseId")?,
            expected_date: input.expected_date.map(Into::into),
            notes: input.notes,
            lines,
            agreement_id: None,
            pinned: None,
        };
        let (po, w) = purchasing::create(db(ctx), principal(ctx)?, input).await?;
        Ok(PurchaseOrderPayload {
            purchase_order: PurchaseOrder(po),
            warnings: warnings(w),
        })
    }

    async fn confirm_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> Result<PurchaseOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(PurchaseOrderPayload {
            purchase_order: PurchaseOrder(purchasing::confirm(db(ctx), principal(ctx)?, id).await?),
            warnings: vec![],
        })
    }

    /// Its backorders go back to waiting for a purchase order (R-BO-3, R-ORD-16).
    async fn cancel_purchase_order(
        &self,
        ctx: &Context<'_>,
        input: IdInput,
    ) -> Result<PurchaseOrderPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(PurchaseOrderPayload {
            purchase_order: PurchaseOrder(purchasing::cancel(db(ctx), principal(ctx)?, id).await?),
            warnings: vec![],
        })
    }

    /// A DRAFT purchase order at the agreement's prices (R-AGR-2, R-AGR-3); as
    /// `createSalesOrderFromAgreement`, with the delivery date.
    async fn create_purchase_order_from_agreement(
        &self,
        ctx: &Context<'_>,
        input: CreatePurchaseOrderFromAgreementInput,
    ) -> Result<PurchaseOrderPayload> {
        let from = crate::domain::agreements::FromAgreement {
            agreement_id: parse_id(&input.agreement_id, "agreementId")?,
            date: input.delivery_date.into(),
            warehouse_id: parse_opt_id(input.warehouse_id.as_ref(), "warehouseId")?,
            notes: input.notes,
            lines: crate::graphql::agreements::order_lines(input.lines)?,
        };
        let (po, w) = purchasing::create_from_agreement(db(ctx), principal(ctx)?, from).await?;
        Ok(PurchaseOrderPayload {
            purchase_order: PurchaseOrder(po),
            warnings: warnings(w),
        })
    }

    /// One DRAFT purchase order per supplier for confirmed backorders, quantities summed per
    /// item, each backorder linked to its purchase line (R-BO-3).
    async fn create_purchase_orders_for_backorders(
        &self,
        ctx: &Context<'_>,
        input: CreatePurchaseOrdersForBackordersInput,
    ) -> Result<PurchaseOrdersPayload> {
        let ids = ids(&input.backorder_ids, "backorderIds")?;
        let pos = purchasing::create_for_backorders(
            db(ctx),
            principal(ctx)?,
            &ids,
            parse_opt_id(input.supplier_id.as_ref(), "supplierId")?,
            parse_opt_id(input.warehouse_id.as_ref(), "warehouseId")?,
        )
        .await?;
        Ok(PurchaseOrdersPayload {
            purchase_orders: pos.into_iter().map(PurchaseOrder).collect(),
        })
    }
}
