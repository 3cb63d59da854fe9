//! Purchase invoices and supplier payments — the payables side, mirroring receivables.
//!
//! A purchase invoice bills what receipts brought in: per receipt line at most what was
//! received and not billed yet (`receipt_lines.invoiced_quantity`), at the purchase order's
//! price unless the supplier's invoice says otherwise, with the item's tax. Billing takes the
//! receipts' row locks, so two clients billing one receipt at once bill it once. A line whose
//! price differs from the order's beyond the company's tolerance, or whose quantity differs
//! from what the receipt line had open, is flagged (three-way match) — entered all the same:
//! the supplier's invoice says what it says, and accounting decides.
//!
//! Posting numbers the invoice in the `PURCHASE_INVOICE` series and fixes its due dates from
//! the supplier's payment terms. Supplier payments settle posted invoices, oldest due first
//! unless allocated by hand; `amount = Σ allocations` always (no unallocated money to
//! suppliers), and `paid_amount` of an invoice never passes its total.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{Page, PageArgs, numbering, page, pricing, sales_setup, settlement, validate};
use crate::error::{AppError, AppResult};
use chrono::{Datelike, Days, NaiveDate, Utc};
use entity::{
    Dec, DocType, InvoiceStatus, ReceiptStatus, item, payment_term_installment, payment_terms,
    purchase_invoice, purchase_invoice_installment, purchase_invoice_line, purchase_order_line,
    receipt, receipt_line, supplier, supplier_payment, supplier_payment_allocation, tax_code,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, HashMap};

/// At most this many receipts per invoice, and lines named (client-controlled list sizes).
pub const MAX_RECEIPTS: usize = 100;
pub const MAX_LINES: usize = 1000;

pub struct LineInput {
    pub receipt_line_id: i64,
    /// Stock units; defaults to what the receipt line has open.
    pub quantity: Option<Decimal>,
    /// Defaults to the purchase order's price.
    pub unit_cost: Option<Decimal>,
}

pub struct NewPurchaseInvoice {
    pub receipt_ids: Vec<i64>,
    pub supplier_invoice_number: String,
    pub invoice_date: NaiveDate,
    /// Bill only these lines (else every open line of the receipts, in full).
    pub lines: Option<Vec<LineInput>>,
    /// R-IC-4: the supplying company's invoice this one was posted from.
    pub chain_invoice_id: Option<i64>,
}

/// `createPurchaseInvoice`: a PENDING purchase invoice of confirmed receipts of one supplier.
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewPurchaseInvoice,
) -> AppResult<purchase_invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let tx = db::write_tx(db).await?;
    let inv = create_in(&tx, p, input).await?;
    tx.commit().await?;
    Ok(inv)
}

/// [`create`] in the caller's transaction.
pub(crate) async fn create_in(
    tx: &DatabaseTransaction,
    p: &Principal,
    input: NewPurchaseInvoice,
) -> AppResult<purchase_invoice::Model> {
    let mut ids = input.receipt_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_RECEIPTS {
        return Err(AppError::validation(
            "receiptIds",
            format!("name 1 to {MAX_RECEIPTS} receipts"),
        ));
    }
    if input
        .lines
        .as_ref()
        .is_some_and(|l| l.is_empty() || l.len() > MAX_LINES)
    {
        return Err(AppError::validation(
            "lines",
            format!("name 1 to {MAX_LINES} lines, or none to bill every open line"),
        ));
    }
    let number = validate::required("supplierInvoiceNumber", &input.supplier_invoice_number, 60)?;
    // The receipts' rows locked: whoever bills them next waits and then sees what this billed.
    let mut q = receipt::Entity::find()
        .filter(receipt::Column::Id.is_in(ids.clone()))
        .filter(receipt::Column::CompanyId.eq(p.company_id))
        .order_by_asc(receipt::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let receipts = q.all(tx).await?;
    if receipts.len() != ids.len() {
        return Err(AppError::validation("receiptIds", "no such receipt"));
    }
    if let Some(r) = receipts
        .iter()
        .find(|r| r.status != ReceiptStatus::Confirmed)
    {
        return Err(AppError::validation(
            "receiptIds",
            format!(
                "receipt {}-{} is not confirmed: only what arrived is billed",
                r.series, r.number
            ),
        ));
    }
    let supplier_id = receipts[0].supplier_id;
    if receipts.iter().any(|r| r.supplier_id != supplier_id) {
        return Err(AppError::validation(
            "receiptIds",
            "one purchase invoice bills one supplier's receipts",
        ));
    }
    let sup = supplier::Entity::find_by_id(supplier_id)
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("supplier"))?;
    if let Some(other) = purchase_invoice::Entity::find()
        .filter(purchase_invoice::Column::CompanyId.eq(p.company_id))
        .filter(purchase_invoice::Column::SupplierId.eq(supplier_id))
        .filter(purchase_invoice::Column::SupplierInvoiceNumber.eq(number.clone()))
        .one(tx)
        .await?
    {
        return Err(AppError::Conflict(format!(
            "{}'s invoice {number} is entered already (purchase invoice {})",
            sup.code, other.id
        )));
    }
    let lines = receipt_line::Entity::find()
        .filter(receipt_line::Column::ReceiptId.is_in(ids))
        .order_by_asc(receipt_line::Column::Id)
        .all(tx)
        .await?;
    let by_id: HashMap<i64, &receipt_line::Model> = lines.iter().map(|l| (l.id, l)).collect();
    let open = |l: &receipt_line::Model| l.quantity.0 - l.invoiced_quantity.0;
    let wanted: Vec<(&receipt_line::Model, Decimal, Option<Decimal>)> = match &input.lines {
        Some(named) => {
            let mut out = Vec::with_capacity(named.len());
            for (i, n) in named.iter().enumerate() {
                let f = |x: &str| format!("lines.{i}.{x}");
                let l = by_id.get(&n.receipt_line_id).ok_or_else(|| {
                    AppError::validation(f("receiptLineId"), "no line of the receipts named")
                })?;
                let q = match n.quantity {
                    Some(q) => {
                        validate::positive(&f("quantity"), validate::decimal(&f("quantity"), q)?)?
                    }
                    None => open(l),
                };
                if q > open(l) {
                    return Err(AppError::validation(
                        f("quantity"),
                        format!(
                            "{} of this receipt line is left to bill",
                            open(l).normalize()
                        ),
                    ));
                }
                let cost = match n.unit_cost {
                    Some(c) => Some(validate::non_negative(
                        &f("unitCost"),
                        validate::decimal(&f("unitCost"), c)?,
                    )?),
                    None => None,
                };
                out.push((*l, q, cost));
            }
            out
        }
        None => lines
            .iter()
            .filter(|l| open(l) > Decimal::ZERO)
            .map(|l| (l, open(l), None))
            .collect(),
    };
    if wanted.iter().all(|(_, q, _)| q.is_zero()) {
        return Err(AppError::validation(
            "receiptIds",
            "everything these receipts brought in is billed already",
        ));
    }
    let po_lines: HashMap<i64, purchase_order_line::Model> = purchase_order_line::Entity::find()
        .filter(
            purchase_order_line::Column::Id.is_in(
                wanted
                    .iter()
                    .map(|(l, _, _)| l.purchase_order_line_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(tx)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let rates = item_rates(tx, wanted.iter().map(|(l, _, _)| l.item_id).collect()).await?;
    let settings = sales_setup::settings(tx, p.company_id).await?;
    let tolerance = settings.purchase_match_tolerance_percent.0;
    let now = Utc::now();
    let mut rows = Vec::with_capacity(wanted.len());
    let (mut net, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    let mut variances = false;
    for (l, q, cost) in &wanted {
        let order_cost = po_lines
            .get(&l.purchase_order_line_id)
            .map(|pl| pl.unit_cost.0)
            .unwrap_or_default();
        let unit = cost.unwrap_or(order_cost);
        let price_variance =
            (unit - order_cost).abs() > order_cost * tolerance / Decimal::ONE_HUNDRED;
        let quantity_variance = *q != open(l);
        variances |= price_variance || quantity_variance;
        let rate = rates.get(&l.item_id).copied().unwrap_or_default();
        let line_net = pricing::round_money(*q * unit);
        let line_tax = pricing::round_money(line_net * rate / Decimal::ONE_HUNDRED);
        net += line_net;
        tax += line_tax;
        rows.push(purchase_invoice_line::ActiveModel {
            company_id: Set(p.company_id),
            purchase_invoice_id: Set(0),
            receipt_line_id: Set(l.id),
            purchase_order_line_id: Set(l.purchase_order_line_id),
            item_id: Set(l.item_id),
            quantity: Set(Dec(*q)),
            unit_cost: Set(Dec(unit)),
            order_unit_cost: Set(Dec(order_cost)),
            net_amount: Set(Dec(line_net)),
            tax_rate: Set(Dec(rate)),
            tax_amount: Set(Dec(line_tax)),
            price_variance: Set(price_variance),
            quantity_variance: Set(quantity_variance),
            ..Default::default()
        });
    }
    let inv = purchase_invoice::ActiveModel {
        company_id: Set(p.company_id),
        supplier_id: Set(supplier_id),
        series: Set(settings.default_series.clone()),
        number: Set(None),
        status: Set(InvoiceStatus::Pending),
        supplier_invoice_number: Set(number),
        invoice_date: Set(input.invoice_date),
        currency: Set(sup.currency.clone()),
        net_amount: Set(Dec(net)),
        tax_amount: Set(Dec(tax)),
        total_amount: Set(Dec(net + tax)),
        paid_amount: Set(Dec::ZERO),
        next_due_date: Set(None),
        has_variances: Set(variances),
        chain_invoice_id: Set(input.chain_invoice_id),
        version: Set(1),
        created_by: Set(p.key()),
        created_at: Set(now),
        posted_by: Set(None),
        posted_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    for r in &mut rows {
        r.purchase_invoice_id = Set(inv.id);
    }
    purchase_invoice_line::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    let mut billed: BTreeMap<i64, Decimal> = BTreeMap::new();
    for (l, q, _) in &wanted {
        *billed.entry(l.id).or_default() += *q;
    }
    for (id, q) in billed {
        let l = by_id[&id];
        let mut am = l.clone().into_active_model();
        am.invoiced_quantity = Set(Dec(l.invoiced_quantity.0 + q));
        am.update(tx).await?;
    }
    Ok(inv)
}

/// Tax rates of items, by item id (no tax code: 0).
async fn item_rates<C: ConnectionTrait>(db: &C, ids: Vec<i64>) -> AppResult<HashMap<i64, Decimal>> {
    let items = item::Entity::find()
        .filter(item::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let codes: Vec<i64> = items.iter().filter_map(|i| i.tax_code_id).collect();
    let rates: HashMap<i64, Decimal> = tax_code::Entity::find()
        .filter(tax_code::Column::Id.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.rate.0))
        .collect();
    Ok(items
        .into_iter()
        .map(|i| {
            (
                i.id,
                i.tax_code_id
                    .and_then(|t| rates.get(&t).copied())
                    .unwrap_or_default(),
            )
        })
        .collect())
}

/// `postPurchaseInvoice`: numbered, due dates fixed from the supplier's payment terms, final.
pub async fn post(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let tx = db::write_tx(db).await?;
    let inv = post_in(&tx, p, id).await?;
    tx.commit().await?;
    Ok(inv)
}

/// [`post`] in the caller's transaction.
pub(crate) async fn post_in(
    tx: &DatabaseTransaction,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_invoice::Model> {
    let inv = lock(tx, p, id).await?;
    if inv.status != InvoiceStatus::Pending {
        return Err(AppError::InvalidState(
            "the purchase invoice is posted already".into(),
        ));
    }
    let sup = supplier::Entity::find_by_id(inv.supplier_id)
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("supplier"))?;
    let plan = due_plan(
        tx,
        p.company_id,
        sup.payment_terms.as_deref(),
        inv.invoice_date,
    )
    .await?;
    let plan = settlement::installments(inv.total_amount.0, &plan);
    let next_due = plan.first().map(|(d, _, _)| *d);
    purchase_invoice_installment::Entity::insert_many(plan.into_iter().enumerate().map(
        |(i, (due, _, amount))| purchase_invoice_installment::ActiveModel {
            purchase_invoice_id: Set(inv.id),
            position: Set(i as i64 + 1),
            due_date: Set(due),
            amount: Set(Dec(amount)),
            paid_amount: Set(Dec::ZERO),
            ..Default::default()
        },
    ))
    .exec_without_returning(tx)
    .await?;
    let now = Utc::now();
    let number = numbering::next(tx, inv.company_id, &inv.series, DocType::PurchaseInvoice).await?;
    let version = inv.version;
    let mut am = inv.into_active_model();
    am.status = Set(InvoiceStatus::Posted);
    am.number = Set(Some(number));
    am.next_due_date = Set(next_due);
    am.posted_by = Set(Some(p.key()));
    am.posted_at = Set(Some(now));
    am.version = Set(version + 1);
    Ok(am.update(tx).await?)
}

/// (due date, percent) from the supplier's terms counted from the invoice date; at once
/// without terms.
async fn due_plan<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    terms: Option<&str>,
    invoice_date: NaiveDate,
) -> AppResult<Vec<(NaiveDate, Decimal)>> {
    if let Some(code) = terms
        && let Some(t) = payment_terms::Entity::find()
            .filter(payment_terms::Column::CompanyId.eq(company_id))
            .filter(payment_terms::Column::Code.eq(code))
            .one(db)
            .await?
    {
        let plan = payment_term_installment::Entity::find()
            .filter(payment_term_installment::Column::PaymentTermsId.eq(t.id))
            .order_by_asc(payment_term_installment::Column::Days)
            .all(db)
            .await?;
        if !plan.is_empty() {
            return Ok(plan
                .into_iter()
                .map(|i| {
                    let due = invoice_date
                        .checked_add_days(Days::new(i.days.max(0) as u64))
                        .unwrap_or(invoice_date);
                    (due, i.percent.0)
                })
                .collect());
        }
    }
    Ok(vec![(invoice_date, Decimal::ONE_HUNDRED)])
}

async fn lock(
    tx: &DatabaseTransaction,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_invoice::Model> {
    let mut q = purchase_invoice::Entity::find_by_id(id)
        .filter(purchase_invoice::Column::CompanyId.eq(p.company_id));
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(tx)
        .await?
        .ok_or(AppError::NotFound("purchase invoice"))
}

pub struct NewSupplierPayment {
    pub supplier_id: i64,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    pub reference: Option<String>,
    /// (purchase invoice, amount); else the oldest due first.
    pub allocations: Option<Vec<(i64, Decimal)>>,
}

/// `recordSupplierPayment`: money paid to a supplier, settling its posted invoices. More than
/// they have open is VALIDATION (there is no unallocated money to suppliers).
pub async fn record_payment(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewSupplierPayment,
) -> AppResult<supplier_payment::Model> {
    visibility::require(p, Permission::RecordPayments)?;
    let amount = validate::positive("amount", validate::decimal("amount", input.amount)?)?;
    let reference = validate::optional("reference", input.reference, 100)?;
    if input
        .allocations
        .as_ref()
        .is_some_and(|a| a.is_empty() || a.len() > MAX_LINES)
    {
        return Err(AppError::validation(
            "allocations",
            format!("name 1 to {MAX_LINES} invoices"),
        ));
    }
    let tx = db::write_tx(db).await?;
    let sup = supplier::Entity::find_by_id(input.supplier_id)
        .filter(supplier::Column::CompanyId.eq(p.company_id))
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::validation("supplierId", "no such supplier"))?;
    let mut q = purchase_invoice::Entity::find()
        .filter(purchase_invoice::Column::CompanyId.eq(p.company_id))
        .filter(purchase_invoice::Column::SupplierId.eq(sup.id))
        .filter(purchase_invoice::Column::Status.eq(InvoiceStatus::Posted))
        .order_by_asc(purchase_invoice::Column::NextDueDate)
        .order_by_asc(purchase_invoice::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let invoices: Vec<purchase_invoice::Model> = q
        .all(&*tx)
        .await?
        .into_iter()
        .filter(|i| i.paid_amount.0 < i.total_amount.0)
        .collect();
    let open = |i: &purchase_invoice::Model| i.total_amount.0 - i.paid_amount.0;
    let plan: Vec<(purchase_invoice::Model, Decimal)> = match input.allocations {
        Some(named) => {
            let mut out = Vec::with_capacity(named.len());
            for (i, (id, a)) in named.into_iter().enumerate() {
                let f = |x: &str| format!("allocations.{i}.{x}");
                let a = validate::positive(&f("amount"), validate::decimal(&f("amount"), a)?)?;
                let inv = invoices.iter().find(|x| x.id == id).ok_or_else(|| {
                    AppError::validation(
                        f("purchaseInvoiceId"),
                        "no open posted invoice of this supplier",
                    )
                })?;
                if a > open(inv) {
                    return Err(AppError::validation(
                        f("amount"),
                        format!("{} is open on this invoice", open(inv).normalize()),
                    ));
                }
                out.push((inv.clone(), a));
            }
            let sum: Decimal = out.iter().map(|(_, a)| *a).sum();
            if sum != amount {
                return Err(AppError::validation(
                    "allocations",
                    format!(
                        "the allocations add up to {}, the payment is {}",
                        sum.normalize(),
                        amount.normalize()
                    ),
                ));
            }
            out
        }
        None => {
            let mut left = amount;
            let mut out = Vec::new();
            for inv in &invoices {
                if left.is_zero() {
                    break;
                }
                let take = left.min(open(inv));
                out.push((inv.clone(), take));
                left -= take;
            }
            if left > Decimal::ZERO {
                return Err(AppError::validation(
                    "amount",
                    format!(
                        "{} is more than the {} open on {}'s posted invoices",
                        amount.normalize(),
                        (amount - left).normalize(),
                        sup.code
                    ),
                ));
            }
            out
        }
    };
    let payment = supplier_payment::ActiveModel {
        company_id: Set(p.company_id),
        supplier_id: Set(sup.id),
        amount: Set(Dec(amount)),
        paid_on: Set(input.paid_on),
        reference: Set(reference),
        created_by: Set(p.key()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    for (inv, a) in plan {
        supplier_payment_allocation::ActiveModel {
            payment_id: Set(payment.id),
            purchase_invoice_id: Set(inv.id),
            amount: Set(Dec(a)),
            ..Default::default()
        }
        .insert(&*tx)
        .await?;
        settle(&tx, inv, a).await?;
    }
    tx.commit().await?;
    Ok(payment)
}

/// Adds `amount` to an invoice's paid figure and to its due amounts in due order.
async fn settle(
    tx: &DatabaseTransaction,
    inv: purchase_invoice::Model,
    amount: Decimal,
) -> AppResult<()> {
    let mut left = amount;
    let mut next_due = None;
    for i in purchase_invoice_installment::Entity::find()
        .filter(purchase_invoice_installment::Column::PurchaseInvoiceId.eq(inv.id))
        .order_by_asc(purchase_invoice_installment::Column::Position)
        .all(tx)
        .await?
    {
        let take = left.min(i.amount.0 - i.paid_amount.0);
        let paid = i.paid_amount.0 + take;
        if paid < i.amount.0 && next_due.is_none() {
            next_due = Some(i.due_date);
        }
        if !take.is_zero() {
            left -= take;
            let mut am = i.into_active_model();
            am.paid_amount = Set(Dec(paid));
            am.update(tx).await?;
        }
    }
    let paid = inv.paid_amount.0 + amount;
    let version = inv.version;
    let mut am = inv.into_active_model();
    am.paid_amount = Set(Dec(paid));
    am.next_due_date = Set(next_due);
    am.version = Set(version + 1);
    am.update(tx).await?;
    Ok(())
}

/// What the company owes one supplier.
pub struct SupplierBalance {
    pub invoiced: Decimal,
    pub paid: Decimal,
    pub open: Decimal,
    /// Open amounts due before today.
    pub overdue: Decimal,
}

/// `supplierBalance`: over posted invoices.
pub async fn balance(
    db: &DatabaseConnection,
    p: &Principal,
    supplier_id: i64,
) -> AppResult<SupplierBalance> {
    visibility::require(p, Permission::ManageInvoices)?;
    supplier::Entity::find_by_id(supplier_id)
        .filter(supplier::Column::CompanyId.eq(p.company_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("supplier"))?;
    let invoices = purchase_invoice::Entity::find()
        .filter(purchase_invoice::Column::CompanyId.eq(p.company_id))
        .filter(purchase_invoice::Column::SupplierId.eq(supplier_id))
        .filter(purchase_invoice::Column::Status.eq(InvoiceStatus::Posted))
        .all(db)
        .await?;
    let ids: Vec<i64> = invoices.iter().map(|i| i.id).collect();
    let today = Utc::now().date_naive();
    let overdue: Decimal = purchase_invoice_installment::Entity::find()
        .filter(purchase_invoice_installment::Column::PurchaseInvoiceId.is_in(ids))
        .filter(purchase_invoice_installment::Column::DueDate.lt(today))
        .all(db)
        .await?
        .iter()
        .map(|i| i.amount.0 - i.paid_amount.0)
        .sum();
    let invoiced: Decimal = invoices.iter().map(|i| i.total_amount.0).sum();
    let paid: Decimal = invoices.iter().map(|i| i.paid_amount.0).sum();
    Ok(SupplierBalance {
        invoiced,
        paid,
        open: invoiced - paid,
        overdue,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

/// The first day of the period `d` falls in (weeks start on Monday).
pub fn period_start(d: NaiveDate, by: Period) -> NaiveDate {
    match by {
        Period::Day => d,
        Period::Week => d - Days::new(u64::from(d.weekday().num_days_from_monday())),
        Period::Month => d.with_day(1).unwrap_or(d),
    }
}

/// At most this many days between `from` and `to` (a client-controlled range).
pub const MAX_RANGE_DAYS: i64 = 3660;

/// `expectedPayments`: what falls due to suppliers between `from` and `to` (inclusive) and is
/// not paid, summed per period.
pub async fn expected(
    db: &DatabaseConnection,
    p: &Principal,
    from: NaiveDate,
    to: NaiveDate,
    by: Period,
) -> AppResult<Vec<(NaiveDate, Decimal)>> {
    visibility::require(p, Permission::ManageInvoices)?;
    if to < from || (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(AppError::validation(
            "to",
            format!("give a range of 0 to {MAX_RANGE_DAYS} days"),
        ));
    }
    let ids: Vec<i64> = purchase_invoice::Entity::find()
        .select_only()
        .column(purchase_invoice::Column::Id)
        .filter(purchase_invoice::Column::CompanyId.eq(p.company_id))
        .filter(purchase_invoice::Column::Status.eq(InvoiceStatus::Posted))
        .into_tuple()
        .all(db)
        .await?;
    let mut sums: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    for i in purchase_invoice_installment::Entity::find()
        .filter(purchase_invoice_installment::Column::PurchaseInvoiceId.is_in(ids))
        .filter(purchase_invoice_installment::Column::DueDate.gte(from))
        .filter(purchase_invoice_installment::Column::DueDate.lte(to))
        .all(db)
        .await?
    {
        let open = i.amount.0 - i.paid_amount.0;
        if open > Decimal::ZERO {
            *sums.entry(period_start(i.due_date, by)).or_default() += open;
        }
    }
    Ok(sums.into_iter().collect())
}

#[derive(Default)]
pub struct Filter {
    pub supplier_id: Option<i64>,
    pub status: Option<InvoiceStatus>,
}

/// `purchaseInvoices`: newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    f: &Filter,
    args: &PageArgs,
) -> AppResult<Page<purchase_invoice::Model>> {
    visibility::require(p, Permission::ManageInvoices)?;
    let mut q = purchase_invoice::Entity::find()
        .filter(purchase_invoice::Column::CompanyId.eq(p.company_id));
    if let Some(s) = f.supplier_id {
        q = q.filter(purchase_invoice::Column::SupplierId.eq(s));
    }
    if let Some(s) = f.status {
        q = q.filter(purchase_invoice::Column::Status.eq(s));
    }
    page::fetch_newest_first(db, q, purchase_invoice::Column::Id, args).await
}

pub async fn get(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    purchase_invoice::Entity::find_by_id(id)
        .filter(purchase_invoice::Column::CompanyId.eq(p.company_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("purchase invoice"))
}

pub async fn lines_by_invoices(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<purchase_invoice_line::Model>>> {
    crate::domain::rows::children::<purchase_invoice_line::Entity, _>(
        db,
        purchase_invoice_line::Column::PurchaseInvoiceId,
        ids,
        purchase_invoice_line::Column::Id,
        |l| l.purchase_invoice_id,
    )
    .await
}

pub async fn installments_by_invoices(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<purchase_invoice_installment::Model>>> {
    crate::domain::rows::children::<purchase_invoice_installment::Entity, _>(
        db,
        purchase_invoice_installment::Column::PurchaseInvoiceId,
        ids,
        purchase_invoice_installment::Column::Position,
        |l| l.purchase_invoice_id,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_their_first_day() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        assert_eq!(period_start(d, Period::Day), d);
        assert_eq!(
            period_start(d, Period::Week),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        assert_eq!(
            period_start(d, Period::Month),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
    }
}
