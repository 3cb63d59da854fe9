//! The outbox: every change another party should learn about writes an event row in the same
//! transaction as the change (ARCHITECTURE.md § Events; R-ORD-17 "every status change is an
//! event"). The row carries what visibility needs: company, customer, customer's rep, order rep.
use crate::auth::visibility::EventDetails;
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{AgreementKind, agreement, outbox, sales_order, stock_level};
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, InsertStatement, Query, SubQueryStatement, UpdateStatement,
    WithClause,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, QueryTrait, Set,
};

/// The kind of a stock slot's event (R-STK-1); every other kind is an [`OrderEvent`]. The
/// transport (`events::subscribe`) and the GraphQL enum (`graphql::events::OrderEventKind`,
/// a `remote` of this one) take their kinds from here.
pub const STOCK_CHANGED: &str = "STOCK_CHANGED";

/// Order event kinds written by order entry and fulfilment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    Created,
    Updated,
    Confirmed,
    StatusChanged,
    CreditHoldSet,
    CreditHoldReleased,
    DeliveryDateChanged,
    ConfirmationSent,
    Cancelled,
    Deleted,
    QuoteAccepted,
    /// Stock reserved for lines (R-RES-3).
    Reserved,
    /// Reservations released (cancelled, reduced or by hand).
    ReservationReleased,
    /// Shortages recorded as backorders (R-BO-1).
    Backordered,
    BackorderConfirmed,
    BackorderCancelled,
    /// Received stock assigned to the order's backorders (R-BO-6).
    BackorderFulfilled,
    /// A delivery note left the warehouse.
    Shipped,
    /// An invoice (PENDING) bills some of the order (R-INV-1).
    Invoiced,
    InvoicePosted,
    InvoiceCancelled,
    CreditNotePosted,
    /// A payment settles invoices of the order (R-PAY-2).
    PaymentRecorded,
    PaymentReversed,
    /// UNPAID / PARTIALLY_PAID / PAID / OVERPAID moved (R-ORD-17).
    FinancialStatusChanged,
    /// A proforma was issued for the order (R-INV-1).
    ProformaIssued,
    /// A document was attached to the order or removed from it (R-PAY-1).
    DocumentAttached,
    DocumentRemoved,
    /// Unallocated money of a payment was applied to the order or its invoices (R-PAY-6).
    PaymentAllocated,
    /// A payment's allocation to an invoice was taken back to its unallocated money (R-PAY-6).
    PaymentUnallocated,
    /// Shipped goods came back on a return note (R-RET-1).
    Returned,
    /// A delivery note is being prepared, or its preparation was cancelled (R-ORD-16).
    ShipmentPrepared,
    ShipmentCancelled,
    /// What no invoice of the order will take of its advances went back to the customer's
    /// payments as unallocated money (R-PAY-6).
    AdvanceReleased,
    /// A change made on another document of its intercompany chain was copied onto this one
    /// (R-IC-3): the original's address or tolerances, the supplier's confirmed dates.
    IntercompanySynced,
}

impl OrderEvent {
    pub const ALL: [OrderEvent; 35] = [
        OrderEvent::Created,
        OrderEvent::Updated,
        OrderEvent::Confirmed,
        OrderEvent::StatusChanged,
        OrderEvent::CreditHoldSet,
        OrderEvent::CreditHoldReleased,
        OrderEvent::DeliveryDateChanged,
        OrderEvent::ConfirmationSent,
        OrderEvent::Cancelled,
        OrderEvent::Deleted,
        OrderEvent::QuoteAccepted,
        OrderEvent::Reserved,
        OrderEvent::ReservationReleased,
        OrderEvent::Backordered,
        OrderEvent::BackorderConfirmed,
        OrderEvent::BackorderCancelled,
        OrderEvent::BackorderFulfilled,
        OrderEvent::Shipped,
        OrderEvent::Invoiced,
        OrderEvent::InvoicePosted,
        OrderEvent::InvoiceCancelled,
        OrderEvent::CreditNotePosted,
        OrderEvent::PaymentRecorded,
        OrderEvent::PaymentReversed,
        OrderEvent::FinancialStatusChanged,
        OrderEvent::ProformaIssued,
        OrderEvent::DocumentAttached,
        OrderEvent::DocumentRemoved,
        OrderEvent::AdvanceReleased,
        OrderEvent::PaymentAllocated,
        OrderEvent::PaymentUnallocated,
        OrderEvent::Returned,
        OrderEvent::ShipmentPrepared,
        OrderEvent::ShipmentCancelled,
        OrderEvent::IntercompanySynced,
    ];

    /// What `backorderEvents` delivers (R-BO-*).
    pub fn is_backorder(self) -> bool {
        matches!(
            self,
            OrderEvent::Backordered
                | OrderEvent::BackorderConfirmed
                | OrderEvent::BackorderCancelled
                | OrderEvent::BackorderFulfilled
        )
    }

    /// What the event's details name, for `visibility::reads_event_details`.
    pub fn details(self) -> EventDetails {
        match self {
            OrderEvent::Invoiced
            | OrderEvent::InvoicePosted
            | OrderEvent::InvoiceCancelled
            | OrderEvent::CreditNotePosted
            | OrderEvent::FinancialStatusChanged
            | OrderEvent::ProformaIssued => EventDetails::Invoices,
            OrderEvent::PaymentRecorded
            | OrderEvent::PaymentReversed
            | OrderEvent::PaymentAllocated
            | OrderEvent::PaymentUnallocated
            | OrderEvent::AdvanceReleased => EventDetails::Payments,
            _ => EventDetails::Goods,
        }
    }

    /// The kind stored in an outbox row, back.
    pub fn parse(kind: &str) -> Option<OrderEvent> {
        OrderEvent::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderEvent::Created => "ORDER_CREATED",
            OrderEvent::Updated => "ORDER_UPDATED",
            OrderEvent::Confirmed => "ORDER_CONFIRMED",
            OrderEvent::StatusChanged => "STATUS_CHANGED",
            OrderEvent::CreditHoldSet => "CREDIT_HOLD_SET",
            OrderEvent::CreditHoldReleased => "CREDIT_HOLD_RELEASED",
            OrderEvent::DeliveryDateChanged => "DELIVERY_DATE_CHANGED",
            OrderEvent::ConfirmationSent => "CONFIRMATION_SENT",
            OrderEvent::Cancelled => "ORDER_CANCELLED",
            OrderEvent::Deleted => "ORDER_DELETED",
            OrderEvent::QuoteAccepted => "QUOTE_ACCEPTED",
            OrderEvent::Reserved => "RESERVED",
            OrderEvent::ReservationReleased => "RESERVATION_RELEASED",
            OrderEvent::Backordered => "BACKORDERED",
            OrderEvent::BackorderConfirmed => "BACKORDER_CONFIRMED",
            OrderEvent::BackorderCancelled => "BACKORDER_CANCELLED",
            OrderEvent::BackorderFulfilled => "BACKORDER_FULFILLED",
            OrderEvent::Shipped => "SHIPPED",
            OrderEvent::Invoiced => "INVOICED",
            OrderEvent::InvoicePosted => "INVOICE_POSTED",
            OrderEvent::InvoiceCancelled => "INVOICE_CANCELLED",
            OrderEvent::CreditNotePosted => "CREDIT_NOTE_POSTED",
            OrderEvent::PaymentRecorded => "PAYMENT_RECORDED",
            OrderEvent::PaymentReversed => "PAYMENT_REVERSED",
            OrderEvent::FinancialStatusChanged => "FINANCIAL_STATUS_CHANGED",
            OrderEvent::ProformaIssued => "PROFORMA_ISSUED",
            OrderEvent::DocumentAttached => "DOCUMENT_ATTACHED",
            OrderEvent::DocumentRemoved => "DOCUMENT_REMOVED",
            OrderEvent::AdvanceReleased => "ADVANCE_RELEASED",
            OrderEvent::PaymentAllocated => "PAYMENT_ALLOCATED",
            OrderEvent::PaymentUnallocated => "PAYMENT_UNALLOCATED",
            OrderEvent::Returned => "RETURNED",
            OrderEvent::ShipmentPrepared => "SHIPMENT_PREPARED",
            OrderEvent::ShipmentCancelled => "SHIPMENT_CANCELLED",
            OrderEvent::IntercompanySynced => "INTERCOMPANY_SYNCED",
        }
    }
}

pub async fn record<C: ConnectionTrait>(
    db: &C,
    order: &sales_order::Model,
    customer_rep_id: Option<i64>,
    kind: OrderEvent,
    payload: Option<serde_json::Value>,
) -> AppResult<outbox::Model> {
    Ok(order_row(order, customer_rep_id, kind, payload)
        .insert(db)
        .await?)
}

/// Several events of one order in one statement, in the given order (their ids, and so their
/// sequence numbers, follow it).
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    order: &sales_order::Model,
    customer_rep_id: Option<i64>,
    events: Vec<(OrderEvent, Option<serde_json::Value>)>,
) -> AppResult<()> {
    let mut batch = Batch::default();
    batch.order_events(order, customer_rep_id, events);
    batch.write(db).await
}

/// Outbox rows gathered through a transaction — stock changes and order events alike — and
/// written in one INSERT at its end, in the order they were gathered (their ids, and so their
/// sequence numbers, follow it). Every row sets every column, so that one multi-row INSERT
/// takes them all.
///
/// A batch also carries other writes that nothing reads back before the commit (a
/// confirmation's new reservations and backorders, and its status change): on PostgreSQL they
/// go out in the same statement, as data-modifying CTEs, one round trip instead of up to four
/// (issue 15).
#[derive(Default)]
pub struct Batch {
    rows: Vec<outbox::ActiveModel>,
    carried: Vec<Carried>,
}

/// A write that goes out with a batch's rows, before them.
pub enum Carried {
    Insert(InsertStatement),
    Update(UpdateStatement),
    /// An UPDATE that must change exactly `rows` rows, or the write fails with `refusal` (and
    /// the caller's transaction rolls back): a compare-and-set (`stock_moves`).
    Guarded {
        update: UpdateStatement,
        rows: u64,
        refusal: AppError,
    },
}

impl From<InsertStatement> for Carried {
    fn from(s: InsertStatement) -> Self {
        Carried::Insert(s)
    }
}

impl From<UpdateStatement> for Carried {
    fn from(s: UpdateStatement) -> Self {
        Carried::Update(s)
    }
}

impl From<Carried> for SubQueryStatement {
    fn from(write: Carried) -> Self {
        match write {
            Carried::Insert(s) => s.into(),
            Carried::Update(s) => s.into(),
            Carried::Guarded { update, .. } => counted(update).into(),
        }
    }
}

impl Carried {
    async fn execute<C: ConnectionTrait>(self, db: &C) -> AppResult<()> {
        match self {
            Carried::Insert(s) => {
                db.execute(&s).await?;
            }
            Carried::Update(s) => {
                db.execute(&s).await?;
            }
            Carried::Guarded {
                update,
                rows,
                refusal,
            } => {
                if db.execute(&update).await?.rows_affected() != rows {
                    return Err(refusal);
                }
            }
        }
        Ok(())
    }

    fn is_guarded(&self) -> bool {
        matches!(self, Carried::Guarded { .. })
    }
}

impl Batch {
    /// A STOCK_CHANGED row for each slot (set-based stock moves).
    pub fn stocks<'a>(&mut self, slots: impl IntoIterator<Item = &'a stock_level::Model>) {
        self.rows.extend(slots.into_iter().map(stock_row));
    }

    pub fn order_events(
        &mut self,
        order: &sales_order::Model,
        customer_rep_id: Option<i64>,
        events: impl IntoIterator<Item = (OrderEvent, Option<serde_json::Value>)>,
    ) {
        self.rows.extend(
            events
                .into_iter()
                .map(|(kind, payload)| order_row(order, customer_rep_id, kind, payload)),
        );
    }

    /// A write to go out with the rows, before them: one that nothing in the transaction
    /// reads back before the commit.
    pub fn carry(&mut self, write: impl Into<Carried>) {
        self.carried.push(write.into());
    }

    /// Everything the batch writes, as data-modifying common table expressions for another
    /// write of the same transaction to carry on PostgreSQL (`numbering::update_numbered`).
    /// Empties the batch — unless it holds a guarded write, whose count only [`Batch::write`]
    /// checks: then nothing is taken.
    pub fn take_ctes(&mut self) -> Vec<CommonTableExpression> {
        if self.carried.iter().any(Carried::is_guarded) {
            return vec![];
        }
        ctes(self.take_writes()).0
    }

    fn take_writes(&mut self) -> Vec<Carried> {
        let mut writes = std::mem::take(&mut self.carried);
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            writes.push(outbox::Entity::insert_many(rows).into_query().into());
        }
        writes
    }

    /// Writes the carried writes, then the rows. On PostgreSQL that is one statement; the
    /// counts of guarded writes come back through the rows' INSERT (`RETURNING`), so a batch
    /// with a guarded write and no rows goes out a statement at a time.
    pub async fn write<C: ConnectionTrait>(mut self, db: &C) -> AppResult<()> {
        let has_rows = !self.rows.is_empty();
        let mut writes = self.take_writes();
        let Some(last) = writes.pop() else {
            return Ok(());
        };
        let guarded = writes.iter().any(Carried::is_guarded) || last.is_guarded();
        if db.get_database_backend() != DbBackend::Postgres
            || writes.is_empty()
            || (guarded && !has_rows)
        {
            for write in writes.into_iter().chain([last]) {
                write.execute(db).await?;
            }
            return Ok(());
        }
        let (ctes, guards) = ctes(writes);
        let mut with = WithClause::new();
        for cte in ctes {
            with.cte(cte);
        }
        let Carried::Insert(mut rows) = last else {
            db.execute(&with.query(last)).await?;
            return Ok(());
        };
        if guards.is_empty() {
            db.execute(&with.query(rows)).await?;
            return Ok(());
        }
        rows.returning(
            Query::returning().exprs(
                guards
                    .iter()
                    .map(|g| Expr::cust(format!("(SELECT count(*) FROM {})", g.table))),
            ),
        );
        let counted = db.query_one(&with.query(rows)).await?.ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("the outbox INSERT returned no row"))
        })?;
        for (i, guard) in guards.into_iter().enumerate() {
            let changed: i64 = counted.try_get_by_index(i)?;
            if u64::try_from(changed).ok() != Some(guard.rows) {
                return Err(guard.refusal);
            }
        }
        Ok(())
    }
}

/// A guarded write carried as a CTE: its table's name, and what its count must be.
struct Guard {
    table: String,
    rows: u64,
    refusal: AppError,
}

/// Writes as data-modifying CTEs (PostgreSQL), named `carried_0`, `carried_1`, …, with the
/// guards of the guarded ones.
fn ctes(writes: Vec<Carried>) -> (Vec<CommonTableExpression>, Vec<Guard>) {
    let mut guards = Vec::new();
    let ctes = writes
        .into_iter()
        .enumerate()
        .map(|(i, write)| {
            let table = format!("carried_{i}");
            let query: SubQueryStatement = match write {
                Carried::Guarded {
                    update,
                    rows,
                    refusal,
                } => {
                    guards.push(Guard {
                        table: table.clone(),
                        rows,
                        refusal,
                    });
                    counted(update).into()
                }
                write => write.into(),
            };
            CommonTableExpression::new()
                .query(query)
                .table_name(Alias::new(table))
                .to_owned()
        })
        .collect();
    (ctes, guards)
}

/// A CTE's rows are countable only when it returns them.
fn counted(mut update: UpdateStatement) -> UpdateStatement {
    update.returning(Query::returning().expr(Expr::val(1)));
    update
}

fn order_row(
    order: &sales_order::Model,
    customer_rep_id: Option<i64>,
    kind: OrderEvent,
    payload: Option<serde_json::Value>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        company_id: Set(order.company_id),
        kind: Set(kind.as_str().to_owned()),
        order_id: Set(Some(order.id)),
        customer_id: Set(Some(order.customer_id)),
        customer_rep_id: Set(customer_rep_id),
        order_rep_id: Set(order.sales_rep_id),
        status: Set(Some(order.status.to_value())),
        financial_status: Set(Some(order.financial_status.to_value())),
        payload: Set(payload.map(|p| p.to_string())),
        occurred_at: Set(Utc::now()),
        published_at: Set(None),
        item_id: Set(None),
        warehouse_id: Set(None),
        ..Default::default()
    }
}

/// What happens to an agreement (R-AGR-1…3). Stored as `SALES_AGREEMENT_…` or
/// `PURCHASE_AGREEMENT_…`, so that each side's subscription selects its own by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgreementEvent {
    Created,
    /// Validity, notes or lines changed.
    Updated,
    StatusChanged,
    /// Shipments (receipts) moved released quantity to fulfilled on some of its lines.
    LineFulfilled,
}

impl AgreementEvent {
    pub const ALL: [AgreementEvent; 4] = [
        AgreementEvent::Created,
        AgreementEvent::Updated,
        AgreementEvent::StatusChanged,
        AgreementEvent::LineFulfilled,
    ];

    /// The kind without its side, as GraphQL names it.
    pub fn name(self) -> &'static str {
        match self {
            AgreementEvent::Created => "CREATED",
            AgreementEvent::Updated => "UPDATED",
            AgreementEvent::StatusChanged => "STATUS_CHANGED",
            AgreementEvent::LineFulfilled => "LINE_FULFILLED",
        }
    }

    pub fn prefix(side: AgreementKind) -> &'static str {
        match side {
            AgreementKind::Sales => "SALES_AGREEMENT_",
            AgreementKind::Purchase => "PURCHASE_AGREEMENT_",
        }
    }

    /// The stored kind.
    pub fn stored(self, side: AgreementKind) -> String {
        format!("{}{}", Self::prefix(side), self.name())
    }

    /// A stored kind back (either side).
    pub fn parse(kind: &str) -> Option<AgreementEvent> {
        let name = kind
            .strip_prefix(Self::prefix(AgreementKind::Sales))
            .or_else(|| kind.strip_prefix(Self::prefix(AgreementKind::Purchase)))?;
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// An agreement event; it carries the agreement's customer and that customer's rep, so that
/// subscriptions filter it like the customer's orders (R-ACC-3).
pub async fn record_agreement<C: ConnectionTrait>(
    db: &C,
    a: &agreement::Model,
    customer_rep_id: Option<i64>,
    kind: AgreementEvent,
    details: serde_json::Value,
) -> AppResult<()> {
    let mut payload = serde_json::json!({
        "agreementId": a.id,
        "number": format!("{}-{}", a.series, a.number),
    });
    if let (Some(p), Some(d)) = (payload.as_object_mut(), details.as_object()) {
        p.extend(d.clone());
    }
    outbox::ActiveModel {
        company_id: Set(a.company_id),
        kind: Set(kind.stored(a.kind)),
        customer_id: Set(a.customer_id),
        customer_rep_id: Set(customer_rep_id),
        status: Set(Some(a.status.to_value())),
        payload: Set(Some(payload.to_string())),
        occurred_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A stock slot's on-hand or reserved changed (availability, R-STK-1): one row per slot move,
/// written by `stock::move_slot` in the mover's transaction.
pub async fn record_stock<C: ConnectionTrait>(db: &C, slot: &stock_level::Model) -> AppResult<()> {
    stock_row(slot).insert(db).await?;
    Ok(())
}

fn stock_row(slot: &stock_level::Model) -> outbox::ActiveModel {
    let payload = serde_json::json!({
        "stockLevelId": slot.id,
        "location": slot.location,
        "lot": slot.lot,
        "onHand": entity::Dec::canonical(slot.on_hand.0).to_string(),
        "reserved": entity::Dec::canonical(slot.reserved.0).to_string(),
    });
    outbox::ActiveModel {
        company_id: Set(slot.company_id),
        kind: Set(STOCK_CHANGED.to_owned()),
        item_id: Set(Some(slot.item_id)),
        warehouse_id: Set(Some(slot.warehouse_id)),
        payload: Set(Some(payload.to_string())),
        occurred_at: Set(Utc::now()),
        order_id: Set(None),
        customer_id: Set(None),
        customer_rep_id: Set(None),
        order_rep_id: Set(None),
        status: Set(None),
        financial_status: Set(None),
        published_at: Set(None),
        ..Default::default()
    }
}
