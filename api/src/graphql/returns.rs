//! Returns (R-RET-1): shipped goods received back on a numbered return note. Resolvers call
//! `domain::returns`.
use crate::domain::PageArgs;
use crate::domain::returns::{self, NewReturn, ReturnLineInput as DomainLine};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::items::Item;
use crate::graphql::orders::SalesOrder;
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::warehouses::Warehouse;
use crate::graphql::{
    db, item, loaders, number, order, parse_id, parse_opt_id, principal, to_id, warehouse,
};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{return_line, return_note};

/// A return note: goods that came back from the customer.
pub struct ReturnNote(pub return_note::Model);

#[Object]
impl ReturnNote {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// The rendered document (R-DOC-1): a path on this server, fetched with the same bearer token.
    async fn document_url(&self, format: crate::render::DocumentFormat) -> String {
        crate::downloads::path(crate::render::DocumentKind::ReturnNote, self.0.id, format)
    }
    async fn number(&self) -> String {
        number(&self.0.series, self.0.number)
    }
    async fn return_date(&self) -> NaiveDate {
        self.0.return_date
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn sales_order(&self, ctx: &Context<'_>) -> Result<Option<SalesOrder>> {
        order(ctx, self.0.order_id).await
    }
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        warehouse(ctx, self.0.warehouse_id).await
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ReturnLine>> {
        let rows = loaders::get(ctx)?.return_lines.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(ReturnLine)
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One order line's goods on a return note.
pub struct ReturnLine(pub return_line::Model);

#[Object]
impl ReturnLine {
    async fn order_line_id(&self) -> ID {
        to_id(self.0.order_line_id)
    }
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        item(ctx, self.0.item_id).await
    }
    /// The lot or serial (empty when the item is not tracked).
    async fn lot(&self) -> &str {
        &self.0.lot
    }
    /// Stock units.
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
    /// What RETURN credit notes credited of it (R-INV-6).
    async fn credited_quantity(&self) -> Decimal {
        self.0.credited_quantity.into()
    }
}

#[derive(InputObject)]
pub struct ReturnLineInput {
    pub order_line_id: ID,
    /// Stock units; the number of serials when serials are named.
    pub quantity: Option<Decimal>,
    /// Required for lot-tracked items.
    pub lot: Option<String>,
    /// Serial-tracked items: the serials coming back.
    #[graphql(default)]
    pub serials: Vec<String>,
}

#[derive(InputObject)]
pub struct CreateReturnInput {
    pub order_id: ID,
    /// Where the goods go back into stock.
    pub warehouse_id: ID,
    /// Today when omitted.
    pub date: Option<Date>,
    pub reason: String,
    pub lines: Vec<ReturnLineInput>,
}

#[derive(SimpleObject)]
pub struct ReturnPayload {
    pub return_note: ReturnNote,
}

#[derive(Default)]
pub struct ReturnQuery;

#[Object]
impl ReturnQuery {
    /// Return notes of orders the caller sees, newest first.
    async fn return_notes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        order_id: Option<ID>,
    ) -> Result<Conn<ReturnNote>> {
        let order_id = parse_opt_id(order_id.as_ref(), "orderId")?;
        let page = returns::list(
            db(ctx),
            principal(ctx)?,
            order_id,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |r| r.id, ReturnNote))
    }

    async fn return_note(&self, ctx: &Context<'_>, id: ID) -> Result<ReturnNote> {
        let id = parse_id(&id, "id")?;
        Ok(ReturnNote(
            returns::get(db(ctx), principal(ctx)?, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct ReturnMutation;

#[Object]
impl ReturnMutation {
    /// Receives shipped goods back into a warehouse on a numbered return note (R-RET-1):
    /// never more than a line shipped less what earlier returns took, per lot and serial.
    /// A RETURN credit note credits it.
    async fn create_return(
        &self,
        ctx: &Context<'_>,
        input: CreateReturnInput,
    ) -> Result<ReturnPayload> {
        let lines = input
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(DomainLine {
                    order_line_id: parse_id(&l.order_line_id, &format!("lines.{i}.orderLineId"))?,
                    quantity: l.quantity.map(|q| q.0),
                    lot: l.lot,
                    serials: l.serials,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let note = returns::create(
            db(ctx),
            principal(ctx)?,
            NewReturn {
                order_id: parse_id(&input.order_id, "orderId")?,
                warehouse_id: parse_id(&input.warehouse_id, "warehouseId")?,
                date: input.date.map(|d| d.0),
                reason: input.reason,
                lines,
            },
        )
        .await?;
        Ok(ReturnPayload {
            return_note: ReturnNote(note),
        })
    }
}
