//! Reservations, backorders, purchasing, receipts, assignment and shipping (R-RES-*, R-BO-*).
//! Resolvers convert inputs and call `domain::{reservations, backorders, purchasing, receipts,
//! shipments}`; nested rows come through loaders.
use super::connection::{Conn, from_page};
use super::customers::{Customer, load_customer};
use super::items::Item;
use super::orders::{SalesOrder, Warning, warnings};
use super::scalars::Decimal;
use super::suppliers::Supplier;
use super::warehouses::Warehouse;
use super::{db, loaders, parse_id, parse_opt_id, principal, to_id};
use crate::domain::backorders::{self, Allocation, BackorderFilter as Filter};
use crate::domain::reservations::{self, LineOutcome, ReserveInput};
use crate::domain::{PageArgs, orders, purchasing, receipts, shipments};
use crate::graphql::scalars::Date;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    backorder, backorder_assignment, purchase_order, purchase_order_line, receipt, receipt_line,
    reservation, shipment, shipment_line,
};

/// Computed quantities answer in the stored 4-place form, like stored ones.
fn canonical(d: rust_decimal::Decimal) -> Decimal {
    Decimal(entity::Dec::canonical(d))
}

fn number(series: &str, n: i64) -> String {
    format!("{series}-{n}")
}

pub(super) async fn item(ctx: &Context<'_>, id: i64) -> Result<Option<Item>> {
    Ok(loaders::get(ctx)?.item.load_one(id).await?.map(Item))
}

pub(super) async fn warehouse(ctx: &Context<'_>, id: i64) -> Result<Option<Warehouse>> {
    Ok(loaders::get(ctx)?
        .warehouse
        .load_one(id)
        .await?
        .map(Warehouse))
}

pub(super) async fn order(ctx: &Context<'_>, id: i64) -> Result<Option<SalesOrder>> {
    Ok(loaders::get(ctx)?.order.load_one(id).await?.map(SalesOrder))
}

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
}

pub struct PurchaseOrderLine(pub purchase_order_line::Model);

#[Object]
impl PurchaseOrderLine {
    async fn id(&self) -> ID {
        to_id(self.0.id)
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
    async fn unit_cost(&self) -> Decimal {
        self.0.unit_cost.into()
    }
}

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

/// A delivery note.
pub struct Shipment(pub shipment::Model);

#[Object]
impl Shipment {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn number(&self) -> String {
        number(&self.0.series, self.0.number)
    }
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

#[derive(SimpleObject)]
pub struct ReservationPayload {
    pub reservation: Reservation,
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
pub struct PurchaseOrderPayload {
    pub purchase_order: PurchaseOrder,
}

#[derive(SimpleObject)]
pub struct PurchaseOrdersPayload {
    pub purchase_orders: Vec<PurchaseOrder>,
}

#[derive(SimpleObject)]
pub struct ReceiptPayload {
    pub receipt: Receipt,
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

#[derive(SimpleObject)]
pub struct ShipmentPayload {
    pub shipment: Shipment,
}

#[derive(InputObject)]
pub struct ConfirmSalesOrderInput {
    pub id: ID,
    /// Record shortages as backorders; when false a shortage fails with INSUFFICIENT_STOCK
    /// and nothing changes (R-BO-1).
    #[graphql(default)]
    pub create_backorders: bool,
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

#[derive(InputObject)]
pub struct IdInput {
    pub id: ID,
}

fn ids(list: &[ID], field: &str) -> Result<Vec<i64>> {
    list.iter()
        .enumerate()
        .map(|(i, id)| Ok(parse_id(id, &format!("{field}.{i}"))?))
        .collect()
}

#[derive(Default)]
pub struct FulfilmentQuery;

#[Object]
impl FulfilmentQuery {
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
pub struct FulfilmentMutation;

#[Object]
impl FulfilmentMutation {
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

    /// A DRAFT purchase order (R-BO-4).
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
        };
        Ok(PurchaseOrderPayload {
            purchase_order: PurchaseOrder(
                purchasing::create(db(ctx), principal(ctx)?, input).await?,
            ),
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

    /// A numbered delivery note: consumes reservations, lowers on-hand, moves the order to
    /// PARTIALLY_SHIPPED or SHIPPED; refused on credit hold (R-ORD-9).
    async fn ship_sales_order(
        &self,
        ctx: &Context<'_>,
        input: ShipSalesOrderInput,
    ) -> Result<ShipmentPayload> {
        let order_id = parse_id(&input.order_id, "orderId")?;
        let lines = match input.lines {
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
        };
        Ok(ShipmentPayload {
            shipment: Shipment(shipments::ship(db(ctx), principal(ctx)?, order_id, lines).await?),
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
