//! Invoices and credit notes (R-INV-1, R-TAX-1, R-ORD-11).
//!
//! An invoice bills what shipped and was not billed yet: per order line, `invoiced_quantity`
//! (stock units) never passes `shipped_quantity`, and a delivery note is billed by one invoice
//! only (`shipments.invoice_id`). Every check and write happens under the lock of the billed
//! orders, so two clients invoicing the same shipment at once bill it once. Services are billed
//! in full once the order is confirmed (they never ship), a kit as far as its slowest component
//! shipped, freight once per order with its first invoice.
//!
//! `PENDING` invoices can be re-dated or cancelled (cancelling gives the quantities back);
//! posting numbers them gaplessly in the `INVOICE` series (R-ORD-2), fixes their due dates
//! from the order's payment terms (R-PAY-1) and makes them immutable. A posted invoice is
//! corrected only by a credit note: a negative invoice referencing it, posted at once in the
//! `CREDIT_NOTE` series, which gives the credited quantities back to the orders.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::outbox::OrderEvent;
use crate::domain::settlement::{self, installment_rows, installments};
use crate::domain::{Page, PageArgs, numbering, order_rows, page, pricing, rows, taxes};
use crate::error::{AppError, AppResult};
use chrono::{Days, NaiveDate, Utc};
use entity::{
    Dec, DocKind, DocStatus, DocType, FinancialStatus, InvoiceKind, InvoiceLineKind, InvoiceStatus,
    ItemKind, TaxRegime, customer, invoice, invoice_installment, invoice_line, item,
    order_installment, payment_term_installment, sales_order, sales_order_line, shipment,
    shipment_line,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// Documents one `createInvoice` may name.
pub const MAX_SOURCES: usize = 100;

/// What `createInvoice` bills.
pub enum Source {
    /// These delivery notes, each not yet billed.
    Shipments(Vec<i64>),
    /// Everything billable on these orders.
    Orders(Vec<i64>),
}

// ---------------------------------------------------------------------------------------------
// Arithmetic (pure)

/// One order line as billing sees it (stock units).
#[derive(Clone, Debug)]
pub struct LineState {
    pub id: i64,
    pub parent: Option<i64>,
    pub kind: ItemKind,
    /// (quantity + bonus) × factor.
    pub ordered: Decimal,
    pub shipped: Decimal,
    pub invoiced: Decimal,
    /// Billing delivery notes: the stock units those notes carry for this line.
    pub offered: Option<Decimal>,
}

/// Stock units each line bills now. Stocked lines (kit components included) bill what shipped
/// and is not billed, limited to the named delivery notes; a kit as far as its least billed
/// component will be; a service what is not billed yet.
pub fn billable(lines: &[LineState]) -> HashMap<i64, Decimal> {
    let mut now: HashMap<i64, Decimal> = HashMap::new();
    let is_component = |l: &LineState| l.parent.is_some();
    for l in lines.iter().filter(|l| l.kind == ItemKind::Stocked) {
        let open = (l.shipped - l.invoiced).max(Decimal::ZERO);
        now.insert(l.id, l.offered.map_or(open, |o| o.min(open)));
    }
    for l in lines.iter().filter(|l| l.kind == ItemKind::Kit) {
        let fraction = lines
            .iter()
            .filter(|c| c.parent == Some(l.id))
            .map(|c| {
                if c.ordered.is_zero() {
                    Decimal::ONE
                } else {
                    ((c.invoiced + now.get(&c.id).copied().unwrap_or_default()) / c.ordered)
                        .min(Decimal::ONE)
                }
            })
            .min()
            .unwrap_or(Decimal::ZERO);
        let target = (l.ordered * fraction).round_dp(4);
        now.insert(l.id, (target - l.invoiced).max(Decimal::ZERO));
    }
    for l in lines
        .iter()
        .filter(|l| l.kind == ItemKind::NonStocked && !is_component(l))
    {
        now.insert(l.id, (l.ordered - l.invoiced).max(Decimal::ZERO));
    }
    now.retain(|_, q| !q.is_zero());
    now
}

/// The net of billing `now` more stock units of a line whose whole net is `full_net`, after
/// `before` were billed. Cumulative rounding: the parts of a line always add up to its
/// rounded whole, however it is split.
pub fn part_of(full_net: Decimal, ordered: Decimal, before: Decimal, now: Decimal) -> Decimal {
    if ordered.is_zero() {
        return Decimal::ZERO;
    }
    let upto = |q: Decimal| pricing::round_money(full_net * q / ordered);
    upto(before + now) - upto(before)
}

// ---------------------------------------------------------------------------------------------
// Creating, changing and posting

/// `createInvoice`: bills the named delivery notes or orders (R-INV-1). One invoice bills one
/// customer's orders, in one currency and of one order rep, to the customer that pays them
/// (the group under invoice-to-group, R-ORD-11).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    source: Source,
    invoice_date: Option<NaiveDate>,
) -> AppResult<invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let (field, ids) = match &source {
        Source::Shipments(ids) => ("shipmentIds", ids),
        Source::Orders(ids) => ("orderIds", ids),
    };
    if ids.is_empty() || ids.len() > MAX_SOURCES {
        return Err(AppError::validation(
            field,
            format!("name 1 to {MAX_SOURCES} documents"),
        ));
    }
    let tx = db::write_tx(db).await?;
    let inv = create_in(&tx, p, source, invoice_date).await?;
    tx.commit().await?;
    Ok(inv)
}

/// [`create`] in the caller's transaction (also the intercompany chain's, R-IC-4).
pub(crate) async fn create_in(
    tx: &DatabaseTransaction,
    p: &Principal,
    source: Source,
    invoice_date: Option<NaiveDate>,
) -> AppResult<invoice::Model> {
    let (field, ids) = match &source {
        Source::Shipments(ids) => ("shipmentIds", ids),
        Source::Orders(ids) => ("orderIds", ids),
    };
    let mut ids: Vec<i64> = ids.clone();
    ids.sort_unstable();
    ids.dedup();

    // Which orders, and which of their delivery notes this invoice bills.
    let order_ids: Vec<i64> = match &source {
        Source::Shipments(_) => {
            let notes = shipment::Entity::find()
                .filter(shipment::Column::Id.is_in(ids.clone()))
                .filter(visibility::shipments(p))
                .all(tx)
                .await?;
            if notes.len() != ids.len() {
                return Err(AppError::validation(field, "no such delivery note"));
            }
            if let Some(n) = notes
                .iter()
                .find(|n| n.status != entity::ShipmentStatus::Shipped)
            {
                return Err(AppError::InvalidState(format!(
                    "delivery note {}-{} is {:?}: only shipped goods are billed",
                    n.series, n.number, n.status
                )));
            }
            notes
                .iter()
                .map(|n| n.order_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        }
        Source::Orders(_) => ids.clone(),
    };
    let orders = lock_orders(tx, p, &order_ids).await?;
    if orders.len() != order_ids.len() {
        return Err(AppError::validation(field, "no such sales order"));
    }
    // Only goods that left are billed: a note in preparation or cancelled bills nothing.
    let notes: Vec<shipment::Model> = shipment::Entity::find()
        .filter(shipment::Column::OrderId.is_in(order_ids.clone()))
        .filter(shipment::Column::Status.eq(entity::ShipmentStatus::Shipped))
        .order_by_asc(shipment::Column::Id)
        .all(tx)
        .await?;
    let notes: Vec<shipment::Model> = match &source {
        Source::Shipments(_) => {
            let named: Vec<shipment::Model> =
                notes.into_iter().filter(|n| ids.contains(&n.id)).collect();
            if let Some(done) = named.iter().find(|n| n.invoice_id.is_some()) {
                return Err(AppError::Conflict(format!(
                    "delivery note {}-{} is already invoiced",
                    done.series, done.number
                )));
            }
            named
        }
        Source::Orders(_) => notes
            .into_iter()
            .filter(|n| n.invoice_id.is_none())
            .collect(),
    };

    let head = check_group(tx, &orders).await?;
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.is_in(order_ids.clone()))
        .order_by_asc(sales_order_line::Column::OrderId)
        .order_by_asc(sales_order_line::Column::Position)
        .all(tx)
        .await?;
    let items = items_of(tx, lines.iter().map(|l| l.item_id)).await?;
    let rates = tax_rates(tx, &items).await?;
    let offered: Option<HashMap<i64, Decimal>> = match &source {
        Source::Shipments(_) => {
            let note_ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
            let mut per_line: HashMap<i64, Decimal> = HashMap::new();
            for l in shipment_line::Entity::find()
                .filter(shipment_line::Column::ShipmentId.is_in(note_ids))
                .all(tx)
                .await?
            {
                *per_line.entry(l.order_line_id).or_default() += l.quantity.0;
            }
            Some(per_line)
        }
        Source::Orders(_) => None,
    };

    let states: Vec<LineState> = lines
        .iter()
        .map(|l| {
            let it = items.get(&l.item_id).ok_or_else(|| {
                AppError::internal(anyhow::anyhow!(
                    "item {} of line {} vanished",
                    l.item_id,
                    l.id
                ))
            })?;
            Ok(LineState {
                id: l.id,
                parent: l.parent_line_id,
                kind: it.kind,
                ordered: (l.quantity.0 + l.bonus_quantity.0) * it.sales_unit_factor.0,
                shipped: l.shipped_quantity.0,
                invoiced: l.invoiced_quantity.0,
                offered: offered
                    .as_ref()
                    .map(|o| o.get(&l.id).copied().unwrap_or_default()),
            })
        })
        .collect::<AppResult<_>>()?;
    let now = billable(&states);

    let by_id: HashMap<i64, &sales_order::Model> = orders.iter().map(|o| (o.id, o)).collect();
    let mut drafts: Vec<invoice_line::ActiveModel> = Vec::new();
    let mut billed_lines: Vec<(&sales_order_line::Model, Decimal)> = Vec::new();
    for (l, s) in lines.iter().zip(states.iter()) {
        let Some(q) = now.get(&l.id).copied() else {
            continue;
        };
        billed_lines.push((l, q));
        if l.parent_line_id.is_some() && l.unit_price.is_zero() {
            continue; // a kit component moves stock; its kit carries the value (R-ITEM-1)
        }
        let order = by_id[&l.order_id];
        let it = &items[&l.item_id];
        let full_net = pricing::LineFigures::money_of(l).net()
            * (Decimal::ONE_HUNDRED - order.header_discount_percent.0)
            / Decimal::ONE_HUNDRED;
        let net = part_of(full_net, s.ordered, s.invoiced, q);
        let code = it.tax_code_id.and_then(|id| rates.get(&id));
        let rate = taxes::effective_rate(head.regime, code.map(|c| c.1));
        drafts.push(invoice_line::ActiveModel {
            company_id: Set(order.company_id),
            order_id: Set(order.id),
            order_line_id: Set(Some(l.id)),
            item_id: Set(Some(l.item_id)),
            kind: Set(InvoiceLineKind::Item),
            description: Set(l.description.clone()),
            quantity: Set(Dec((l.quantity.0 * q / s.ordered).round_dp(4))),
            stock_quantity: Set(Dec(q)),
            unit_price: Set(l.unit_price),
            discount_percent: Set(l.discount_percent),
            header_discount_percent: Set(order.header_discount_percent),
            net_amount: Set(Dec(net)),
            tax_code: Set(code.map(|c| c.0.clone())),
            tax_rate: Set(Dec(rate)),
            tax_amount: Set(Dec(taxes::line_tax(net, rate))),
            exchange_rate: Set(order.exchange_rate),
            ..Default::default()
        });
    }
    // Freight, once per order, at the highest rate of that order's goods on this invoice.
    let mut freight_orders = Vec::new();
    for o in &orders {
        if o.freight_invoiced || o.freight_amount.is_zero() {
            continue;
        }
        let billed_here = drafts.iter().any(|d| d.order_id.as_ref() == &o.id);
        if !billed_here {
            continue;
        }
        let rate = drafts
            .iter()
            .filter(|d| d.order_id.as_ref() == &o.id)
            .map(|d| d.tax_rate.as_ref().0)
            .max()
            .unwrap_or_default();
        freight_orders.push(o.id);
        drafts.push(invoice_line::ActiveModel {
            company_id: Set(o.company_id),
            order_id: Set(o.id),
            order_line_id: Set(None),
            item_id: Set(None),
            kind: Set(InvoiceLineKind::Freight),
            description: Set("Freight".into()),
            quantity: Set(Dec(Decimal::ONE)),
            stock_quantity: Set(Dec::ZERO),
            unit_price: Set(o.freight_amount),
            discount_percent: Set(Dec::ZERO),
            header_discount_percent: Set(Dec::ZERO),
            net_amount: Set(o.freight_amount),
            tax_code: Set(None),
            tax_rate: Set(Dec(rate)),
            tax_amount: Set(Dec(taxes::line_tax(o.freight_amount.0, rate))),
            exchange_rate: Set(o.exchange_rate),
            ..Default::default()
        });
    }
    if billed_lines.is_empty() && freight_orders.is_empty() {
        return Err(AppError::InvalidState(
            "nothing left to invoice: every shipped quantity is billed (R-INV-1)".into(),
        ));
    }

    let date = invoice_date.unwrap_or_else(|| Utc::now().date_naive());
    let created = Utc::now();
    let totals = totals_of(&drafts);
    let inv = invoice::ActiveModel {
        company_id: Set(p.company_id),
        kind: Set(InvoiceKind::Invoice),
        status: Set(InvoiceStatus::Pending),
        customer_id: Set(head.billed_customer),
        order_customer_id: Set(head.order_customer),
        sales_rep_id: Set(head.rep),
        credit_of_id: Set(None),
        series: Set(None),
        number: Set(None),
        currency: Set(head.currency.clone()),
        invoice_date: Set(date),
        next_due_date: Set(None),
        tax_regime: Set(head.regime),
        legal_note: Set(taxes::legal_note(head.regime).map(str::to_owned)),
        financial_status: Set(FinancialStatus::Unpaid),
        paid_amount: Set(Dec::ZERO),
        company_paid_amount: Set(Dec::ZERO),
        credited_amount: Set(Dec::ZERO),
        advance_amount: Set(Dec::ZERO),
        version: Set(1),
        created_by: Set(p.key()),
        created_at: Set(created),
        updated_at: Set(created),
        posted_by: Set(None),
        posted_at: Set(None),
        ..amounts(&totals)
    }
    .insert(tx)
    .await?;
    for (i, d) in drafts.iter_mut().enumerate() {
        d.invoice_id = Set(inv.id);
        d.position = Set(i as i64 + 1);
    }
    invoice_line::Entity::insert_many(drafts)
        .exec_without_returning(tx)
        .await?;
    set_invoiced(
        tx,
        &billed_lines
            .iter()
            .map(|(l, q)| (l.id, l.invoiced_quantity.0 + q))
            .collect::<Vec<_>>(),
    )
    .await?;
    if !notes.is_empty() {
        shipment::Entity::update_many()
            .col_expr(shipment::Column::InvoiceId, Expr::value(inv.id))
            .filter(shipment::Column::Id.is_in(notes.iter().map(|n| n.id)))
            .exec(tx)
            .await?;
    }
    set_freight_invoiced(tx, &freight_orders, true).await?;
    for o in &orders {
        order_rows::record_event(
            tx,
            o,
            OrderEvent::Invoiced,
            Some(json!({"invoiceId": inv.id, "status": "PENDING"})),
        )
        .await?;
    }
    Ok(inv)
}

/// Moves the invoice date of a PENDING invoice.
pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    invoice_date: NaiveDate,
) -> AppResult<invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let tx = db::write_tx(db).await?;
    let (inv, _) = lock(&tx, p, id).await?;
    pending(&inv, "changed")?;
    let mut am = inv.into_active_model();
    am.invoice_date = Set(invoice_date);
    am.version = Set(am.version.as_ref() + 1);
    am.updated_at = Set(Utc::now());
    let saved = am.update(&*tx).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Cancels a PENDING invoice: its quantities, delivery notes and freight become billable again.
pub async fn cancel(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let tx = db::write_tx(db).await?;
    let (inv, orders) = lock(&tx, p, id).await?;
    pending(&inv, "cancelled")?;
    let lines = lines_of(&*tx, inv.id).await?;
    give_back(
        &tx,
        &lines
            .iter()
            .filter_map(|l| Some((l.order_line_id?, l.stock_quantity.0)))
            .collect::<Vec<_>>(),
    )
    .await?;
    let freight: Vec<i64> = lines
        .iter()
        .filter(|l| l.kind == InvoiceLineKind::Freight)
        .map(|l| l.order_id)
        .collect();
    set_freight_invoiced(&tx, &freight, false).await?;
    shipment::Entity::update_many()
        .col_expr(
            shipment::Column::InvoiceId,
            Expr::value(Option::<i64>::None),
        )
        .filter(shipment::Column::InvoiceId.eq(inv.id))
        .exec(&*tx)
        .await?;
    let mut am = inv.into_active_model();
    am.status = Set(InvoiceStatus::Cancelled);
    am.version = Set(am.version.as_ref() + 1);
    am.updated_at = Set(Utc::now());
    let saved = am.update(&*tx).await?;
    for o in &orders {
        order_rows::record_event(
            &*tx,
            o,
            OrderEvent::InvoiceCancelled,
            Some(json!({"invoiceId": saved.id})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// `postInvoice`: numbers a PENDING invoice in the `INVOICE` series of its first order
/// (gapless, R-ORD-2), fixes its due dates (R-PAY-1) and makes it immutable (R-INV-1).
pub async fn post(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let tx = db::write_tx(db).await?;
    crate::domain::intercompany::posting::lock_originals_of_invoice(&tx, id).await?;
    let saved = post_in(&tx, p, id).await?;
    // R-IC-4: an intercompany order's invoice posts the buyer's (boxed: it posts through here).
    Box::pin(crate::domain::intercompany::posting::after_invoiced(
        &tx, &saved,
    ))
    .await?;
    tx.commit().await?;
    let saved = invoice::Entity::find_by_id(saved.id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("posted invoice {} vanished", saved.id))
        })?;
    Ok(saved)
}

/// [`post`] in the caller's transaction.
pub(crate) async fn post_in(
    tx: &DatabaseTransaction,
    p: &Principal,
    id: i64,
) -> AppResult<invoice::Model> {
    let (inv, orders) = lock(tx, p, id).await?;
    pending(&inv, "posted")?;
    let first = orders
        .first()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice {} bills no order", inv.id)))?;
    let plan = installments(
        inv.total_amount.0,
        &due_plan(tx, first, inv.invoice_date).await?,
    );
    let next_due = plan
        .first()
        .filter(|_| inv.total_amount.0 > Decimal::ZERO)
        .map(|p| p.0);
    invoice_installment::Entity::insert_many(plan.into_iter().enumerate().map(
        |(i, (due, pct, amount))| invoice_installment::ActiveModel {
            invoice_id: Set(inv.id),
            position: Set(i as i64 + 1),
            due_date: Set(due),
            percent: Set(Dec(pct)),
            amount: Set(Dec(amount)),
            ..Default::default()
        },
    ))
    .exec_without_returning(tx)
    .await?;
    let series = first.series.clone();
    let now = Utc::now();
    let mut am = inv.into_active_model();
    am.status = Set(InvoiceStatus::Posted);
    am.next_due_date = Set(next_due);
    am.series = Set(Some(series.clone()));
    am.posted_by = Set(Some(p.key()));
    am.posted_at = Set(Some(now));
    am.version = Set(am.version.as_ref() + 1);
    am.updated_at = Set(now);
    // The number last, so the series row is locked for as short a time as possible.
    am.number = Set(Some(
        numbering::next(tx, first.company_id, &series, DocType::Invoice).await?,
    ));
    let saved = am.update(tx).await?;
    // R-DOC-2: what the invoice prints is fixed with its number.
    crate::domain::printing::freeze(tx, &saved).await?;
    // Advances paid on its orders (proformas, schedule lines) settle it now (R-PAY-2).
    for o in orders {
        let o = settlement::apply_advances(tx, o).await?;
        let payload = json!({"invoiceId": saved.id, "number": number_of(&saved)});
        settlement::refresh_order(tx, o, vec![(OrderEvent::InvoicePosted, Some(payload))]).await?;
    }
    Ok(saved)
}

// ---------------------------------------------------------------------------------------------
// Reading

pub struct ListFilter {
    pub customer_id: Option<i64>,
    pub order_id: Option<i64>,
    pub status: Option<InvoiceStatus>,
    pub kind: Option<InvoiceKind>,
    pub financial_status: Option<FinancialStatus>,
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<invoice::Model> {
    visibility::require(p, Permission::ReadInvoices)?;
    invoice::Entity::find_by_id(id)
        .filter(visibility::invoices(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}

/// Invoices and credit notes the caller sees, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    f: &ListFilter,
    args: &PageArgs,
) -> AppResult<Page<invoice::Model>> {
    visibility::require(p, Permission::ReadInvoices)?;
    let mut q = invoice::Entity::find().filter(visibility::invoices(p));
    if let Some(c) = f.customer_id {
        q = q.filter(
            sea_orm::Condition::any()
                .add(invoice::Column::CustomerId.eq(c))
                .add(invoice::Column::OrderCustomerId.eq(c)),
        );
    }
    if let Some(o) = f.order_id {
        q = q.filter(
            invoice::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(invoice_line::Column::InvoiceId)
                    .from(invoice_line::Entity)
                    .and_where(invoice_line::Column::OrderId.eq(o))
                    .to_owned(),
            ),
        );
    }
    if let Some(s) = f.status {
        q = q.filter(invoice::Column::Status.eq(s));
    }
    if let Some(k) = f.kind {
        q = q.filter(invoice::Column::Kind.eq(k));
    }
    if let Some(s) = f.financial_status {
        q = q.filter(invoice::Column::FinancialStatus.eq(s));
    }
    page::fetch_newest_first(db, q, invoice::Column::Id, args).await
}

/// Invoices by id among those `p` sees (loaders).
pub async fn visible_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, invoice::Model>> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(ids.to_vec()))
        .filter(visibility::invoices(p))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

/// Visible invoices of each order, oldest first (a batched nested field).
pub async fn by_orders(
    db: &DatabaseConnection,
    p: &Principal,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<invoice::Model>>> {
    let pairs: Vec<(i64, i64)> = invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::OrderId)
        .column(invoice_line::Column::InvoiceId)
        .filter(invoice_line::Column::OrderId.is_in(order_ids.to_vec()))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let invoices = visible_by_ids(
        db,
        p,
        &pairs
            .iter()
            .map(|(_, i)| *i)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut out: HashMap<i64, Vec<invoice::Model>> = HashMap::new();
    for (o, i) in pairs {
        if let Some(inv) = invoices.get(&i) {
            out.entry(o).or_default().push(inv.clone());
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|i| i.id);
    }
    Ok(out)
}

pub async fn lines_by_invoices(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<invoice_line::Model>>> {
    rows::children::<invoice_line::Entity, _>(
        db,
        invoice_line::Column::InvoiceId,
        ids,
        invoice_line::Column::Position,
        |l| l.invoice_id,
    )
    .await
}

pub async fn installments_by_invoices(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<invoice_installment::Model>>> {
    installment_rows(db, ids).await
}

pub fn number_of(inv: &invoice::Model) -> Option<String> {
    Some(format!("{}-{}", inv.series.as_deref()?, inv.number?))
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A document's figures from its lines, each at its order's rate (R-TAX-1, R-ORD-7): the same
/// sums as an order's `taxes::document_tax`.
pub(crate) fn totals_of(lines: &[invoice_line::ActiveModel]) -> taxes::DocumentTax {
    let taxed: Vec<(Decimal, Decimal, Decimal)> = lines
        .iter()
        .map(|d| {
            (
                d.net_amount.as_ref().0,
                d.tax_rate.as_ref().0,
                d.tax_amount.as_ref().0,
            )
        })
        .collect();
    taxes::document_tax(&taxed, |i| lines[i].exchange_rate.as_ref().0)
}

/// An invoice's amount columns from its figures.
pub(crate) fn amounts(t: &taxes::DocumentTax) -> invoice::ActiveModel {
    invoice::ActiveModel {
        tax_base: Set(Dec(t.base)),
        tax_amount: Set(Dec(t.tax)),
        total_amount: Set(Dec(t.total)),
        company_tax_base: Set(Dec(t.company_base)),
        company_tax_amount: Set(Dec(t.company_tax)),
        company_total_amount: Set(Dec(t.company_total)),
        ..Default::default()
    }
}

/// The header an invoice of these orders gets, or VALIDATION when they cannot share one.
struct Head {
    billed_customer: i64,
    order_customer: i64,
    rep: Option<i64>,
    currency: String,
    regime: TaxRegime,
}

async fn check_group(tx: &DatabaseTransaction, orders: &[sales_order::Model]) -> AppResult<Head> {
    for o in orders {
        if o.kind != DocKind::Order
            || !matches!(
                o.status,
                DocStatus::Confirmed | DocStatus::PartiallyShipped | DocStatus::Shipped
            )
        {
            return Err(AppError::InvalidState(format!(
                "order {}-{} is {:?}: only confirmed or shipped orders are invoiced",
                o.series, o.number, o.status
            )));
        }
        if o.credit_hold {
            return Err(AppError::CreditHold(format!(
                "order {}-{} is on credit hold: it cannot be invoiced until the hold is released \
                 (R-ORD-9)",
                o.series, o.number
            )));
        }
    }
    let first = &orders[0];
    if orders.iter().any(|o| {
        o.customer_id != first.customer_id
            || o.currency != first.currency
            || o.sales_rep_id != first.sales_rep_id
    }) {
        return Err(AppError::validation(
            "orderIds",
            "one invoice bills the orders of one customer, in one currency and of one order rep",
        ));
    }
    let c = customer::Entity::find_by_id(first.customer_id)
        .one(tx)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("customer of order {} vanished", first.id))
        })?;
    if orders
        .iter()
        .any(|o| o.invoice_to_group != first.invoice_to_group)
    {
        return Err(AppError::validation(
            "orderIds",
            "orders billed to the group and to the customer go on separate invoices (R-ORD-11)",
        ));
    }
    let billed = match (first.invoice_to_group, c.group_customer_id) {
        (true, Some(group)) => customer::Entity::find_by_id(group)
            .one(tx)
            .await?
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("group customer {group} vanished"))
            })?,
        _ => c.clone(),
    };
    Ok(Head {
        billed_customer: billed.id,
        order_customer: c.id,
        rep: first.sales_rep_id,
        currency: first.currency.clone(),
        regime: billed.tax_regime,
    })
}

/// Locks the orders `ids` the caller sees, in id order (no deadlock between two billers).
async fn lock_orders(
    tx: &DatabaseTransaction,
    p: &Principal,
    ids: &[i64],
) -> AppResult<Vec<sales_order::Model>> {
    let mut q = sales_order::Entity::find()
        .filter(sales_order::Column::Id.is_in(ids.to_vec()))
        .filter(visibility::sales_orders(p))
        .order_by_asc(sales_order::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.all(tx).await?)
}

/// Locks an invoice the caller sees, after the orders it bills (the lock order of
/// `settlement`); returns both.
pub(crate) async fn lock(
    tx: &DatabaseTransaction,
    p: &Principal,
    id: i64,
) -> AppResult<(invoice::Model, Vec<sales_order::Model>)> {
    invoice::Entity::find_by_id(id)
        .filter(visibility::invoices(p))
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    let (orders, invoices) = settlement::lock_for_settlement(tx, p.company_id, &[], &[id]).await?;
    let inv = invoices
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(AppError::NotFound("invoice"))?;
    Ok((inv, orders))
}

fn pending(inv: &invoice::Model, what: &str) -> AppResult<()> {
    if inv.status != InvoiceStatus::Pending {
        return Err(AppError::InvalidState(format!(
            "a {:?} invoice cannot be {what}: a posted invoice is corrected by a credit note \
             (R-INV-1)",
            inv.status
        )));
    }
    Ok(())
}

pub(crate) async fn lines_of<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
) -> AppResult<Vec<invoice_line::Model>> {
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

async fn items_of<C: ConnectionTrait>(
    db: &C,
    ids: impl Iterator<Item = i64>,
) -> AppResult<HashMap<i64, item::Model>> {
    let ids: BTreeSet<i64> = ids.collect();
    Ok(item::Entity::find()
        .filter(item::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

/// (code, rate) of the items' tax codes, by tax code id.
async fn tax_rates<C: ConnectionTrait>(
    db: &C,
    items: &HashMap<i64, item::Model>,
) -> AppResult<HashMap<i64, (String, Decimal)>> {
    let ids: Vec<i64> = items
        .values()
        .filter_map(|i| i.tax_code_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(taxes::by_ids(db, &ids)
        .await?
        .into_values()
        .map(|t| (t.id, (t.code, t.rate.0)))
        .collect())
}

/// Sets order lines' invoiced quantity (stock units) in one statement, a CASE on the id, so
/// billing costs the same statements for three lines or three hundred.
async fn set_invoiced(tx: &DatabaseTransaction, values: &[(i64, Decimal)]) -> AppResult<()> {
    let Some(((first_id, first), rest)) = values.split_first() else {
        return Ok(());
    };
    let when = |id: i64| sales_order_line::Column::Id.eq(id);
    let mut case = Expr::case(when(*first_id), Expr::value(Dec(*first)));
    for (id, q) in rest {
        case = case.case(when(*id), Expr::value(Dec(*q)));
    }
    let case = case.finally(Expr::col(sales_order_line::Column::InvoicedQuantity));
    sales_order_line::Entity::update_many()
        .col_expr(sales_order_line::Column::InvoicedQuantity, case.into())
        .filter(sales_order_line::Column::Id.is_in(values.iter().map(|v| v.0)))
        .exec(tx)
        .await?;
    Ok(())
}

pub(crate) async fn set_freight_invoiced(
    tx: &DatabaseTransaction,
    order_ids: &[i64],
    invoiced: bool,
) -> AppResult<()> {
    if order_ids.is_empty() {
        return Ok(());
    }
    sales_order::Entity::update_many()
        .col_expr(sales_order::Column::FreightInvoiced, Expr::value(invoiced))
        .filter(sales_order::Column::Id.is_in(order_ids.to_vec()))
        .exec(tx)
        .await?;
    Ok(())
}

/// Gives back billed stock units `(order line, quantity)` — a cancelled invoice, a credit
/// note. A kit's components were billed along with it (they have no invoice line of their own)
/// and go back in the kit's proportion. Two reads and one write, whatever the number of lines.
pub(crate) async fn give_back(tx: &DatabaseTransaction, back: &[(i64, Decimal)]) -> AppResult<()> {
    if back.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = back.iter().map(|b| b.0).collect();
    let lines = sales_order_line::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(sales_order_line::Column::Id.is_in(ids.clone()))
                .add(sales_order_line::Column::ParentLineId.is_in(ids)),
        )
        .all(tx)
        .await?;
    let items = items_of(tx, lines.iter().map(|l| l.item_id)).await?;
    let ordered = |l: &sales_order_line::Model| {
        (l.quantity.0 + l.bonus_quantity.0)
            * items
                .get(&l.item_id)
                .map_or(Decimal::ONE, |i| i.sales_unit_factor.0)
    };
    let mut invoiced: HashMap<i64, Decimal> = lines
        .iter()
        .map(|l| (l.id, l.invoiced_quantity.0))
        .collect();
    let mut take = |id: i64, q: Decimal| {
        if let Some(v) = invoiced.get_mut(&id) {
            *v = (*v - q).max(Decimal::ZERO);
        }
    };
    for (line_id, stock) in back {
        take(*line_id, *stock);
        let Some(kit) = lines.iter().find(|l| l.id == *line_id) else {
            continue;
        };
        let kit_ordered = ordered(kit);
        if kit_ordered.is_zero() {
            continue;
        }
        for c in lines.iter().filter(|c| c.parent_line_id == Some(*line_id)) {
            take(c.id, (ordered(c) * stock / kit_ordered).round_dp(4));
        }
    }
    let changed: Vec<(i64, Decimal)> = lines
        .iter()
        .filter(|l| invoiced[&l.id] != l.invoiced_quantity.0)
        .map(|l| (l.id, invoiced[&l.id]))
        .collect();
    set_invoiced(tx, &changed).await
}

/// Due dates from the first order's terms: its own installments (`PER`), or the terms'
/// installments counted from the invoice date; one installment due at once without terms.
async fn due_plan<C: ConnectionTrait>(
    db: &C,
    order: &sales_order::Model,
    invoice_date: NaiveDate,
) -> AppResult<Vec<(NaiveDate, Decimal)>> {
    let own: Vec<order_installment::Model> = order_installment::Entity::find()
        .filter(order_installment::Column::OrderId.eq(order.id))
        .order_by_asc(order_installment::Column::DueDate)
        .all(db)
        .await?;
    if !own.is_empty() {
        return Ok(own.into_iter().map(|i| (i.due_date, i.percent.0)).collect());
    }
    if let Some(terms) = order.payment_terms_id {
        let plan: Vec<payment_term_installment::Model> = payment_term_installment::Entity::find()
            .filter(payment_term_installment::Column::PaymentTermsId.eq(terms))
            .order_by_asc(payment_term_installment::Column::Days)
            .all(db)
            .await?;
        if !plan.is_empty() {
            return Ok(plan
                .into_iter()
                .map(|i| {
                    (
                        invoice_date
                            .checked_add_days(Days::new(i.days.max(0) as u64))
                            .unwrap_or(invoice_date),
                        i.percent.0,
                    )
                })
                .collect());
        }
    }
    Ok(vec![(invoice_date, Decimal::ONE_HUNDRED)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn line(id: i64, parent: Option<i64>, kind: ItemKind, o: &str, s: &str, i: &str) -> LineState {
        LineState {
            id,
            parent,
            kind,
            ordered: d(o),
            shipped: d(s),
            invoiced: d(i),
            offered: None,
        }
    }

    #[test]
    fn only_what_shipped_and_is_not_billed_is_billed_r_inv_1() {
        let lines = [
            line(1, None, ItemKind::Stocked, "160", "100", "40"),
            line(2, None, ItemKind::Stocked, "10", "10", "10"),
            line(3, None, ItemKind::NonStocked, "1", "0", "0"),
        ];
        let now = billable(&lines);
        assert_eq!(now.get(&1), Some(&d("60")));
        assert_eq!(now.get(&2), None, "already billed in full");
        assert_eq!(now.get(&3), Some(&d("1")), "a service bills at once");
        // Billing a delivery note: at most what the note carries, never what was billed.
        let mut named = lines.clone();
        named[0].offered = Some(d("25"));
        named[1].offered = Some(d("10"));
        let now = billable(&named);
        assert_eq!(now.get(&1), Some(&d("25")));
        assert_eq!(now.get(&2), None);
    }

    #[test]
    fn a_kit_bills_as_far_as_its_slowest_component() {
        // Kit of 2 (stock units); components 4 and 2; shipped 4 and 1 → half the kit.
        let lines = [
            line(1, None, ItemKind::Kit, "2", "0", "0"),
            line(2, Some(1), ItemKind::Stocked, "4", "4", "0"),
            line(3, Some(1), ItemKind::Stocked, "2", "1", "0"),
        ];
        let now = billable(&lines);
        assert_eq!(now.get(&1), Some(&d("1")));
        assert_eq!(now.get(&2), Some(&d("4")));
        assert_eq!(now.get(&3), Some(&d("1")));
    }

    #[test]
    fn the_parts_of_a_line_add_up_to_its_rounded_net() {
        // 10.00 net over 3 units billed 1 + 1 + 1: 3.33 + 3.34 + 3.33.
        let parts: Vec<Decimal> = (0..3)
            .map(|i| part_of(d("10"), d("3"), Decimal::from(i), Decimal::ONE))
            .collect();
        assert_eq!(parts, vec![d("3.33"), d("3.34"), d("3.33")]);
        assert_eq!(parts.iter().sum::<Decimal>(), d("10.00"));
    }
}
