//! Customer credit (R-ORD-9): risk = undelivered value of open orders + shipped-but-not-invoiced
//! value + unpaid balances of posted invoices − unallocated payments, in the company currency.
//! Each step moves value from one term to the next — shipping from "undelivered" to "to
//! invoice", invoicing to "receivable" (plus the tax the customer now owes), paying out of it —
//! so none makes it vanish or count twice. Over the limit (or `credit_blocked`) an order is put
//! on credit hold when the company blocks on credit excess, and otherwise saved with a warning.
use super::{pricing, quantities};
use crate::db::Template;
use crate::error::AppResult;
use entity::{
    BackorderStatus, Dec, DocKind, DocStatus, FinancialStatus, InvoiceKind, InvoiceStatus,
    ItemKind, PaymentStatus, backorder, company_settings, customer, invoice, invoice_line, item,
    payment, sales_order, sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait,
};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Orders whose amount still counts as undelivered: entered but not yet (entirely) shipped.
pub const OPEN_STATUSES: [DocStatus; 3] = [
    DocStatus::Draft,
    DocStatus::Confirmed,
    DocStatus::PartiallyShipped,
];

/// The terms of a customer's risk (R-ORD-9), company currency.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Exposure {
    /// Open orders' value that has not left them (shipped, handed over, cancelled, or billed).
    pub undelivered: Decimal,
    /// Shipped and not invoiced yet.
    pub to_invoice: Decimal,
    /// Open balances of pending and posted invoices (with tax).
    pub receivable: Decimal,
    /// Payments not allocated to any invoice, and advances on orders no invoice took yet.
    pub unallocated: Decimal,
}

impl Exposure {
    pub fn total(&self) -> Decimal {
        self.undelivered + self.to_invoice + self.receivable - self.unallocated
    }
}

/// Risk of `customer` from everything except `excluding` (the order being saved).
pub async fn risk<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    excluding: i64,
) -> AppResult<Decimal> {
    Ok(exposure(db, customer_id, excluding).await?.total())
}

/// The terms of the risk (see [`Exposure`]). Goods that left an open order — shipped, handed
/// over to a backorder-assignment order (R-BO-6, which counts them itself) or cancelled as a
/// backorder — no longer count as undelivered; shipped goods count "to invoice" until billed.
/// Summed in Rust: amounts are TEXT on SQLite, where SQL arithmetic would go through floats.
pub async fn exposure<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    excluding: i64,
) -> AppResult<Exposure> {
    // On PostgreSQL triggers keep the sums of the counted orders per customer and the list of
    // orders that need a closer look (migration 9), so only those few orders — some of their
    // value moved, or they carry an advance — come back as rows, and the cost does not grow
    // with the customer's open orders. SQLite holds amounts as text and must not sum them, so
    // there every counted order comes back and Rust adds them up.
    let backend = db.get_database_backend();
    let summed_in_sql = backend == DbBackend::Postgres;
    // Built once per backend (it is the largest statement of an order's save; see
    // `db::template`).
    static QUERY: LazyLock<Template<2>> = LazyLock::new(Template::new);
    let statement = QUERY.statement(backend, 0, [customer_id, excluding], |ids| {
        exposure_query(summed_in_sql, ids)
    });
    let mut rows: Vec<OrderRow> = Vec::new();
    let mut e = Exposure::default();
    for row in db.query_all_raw(statement).await? {
        let src: String = row.try_get("", "src")?;
        let v = |c: &str| row.try_get::<Dec>("", c);
        match src.as_str() {
            "O" => {
                let status: String = row.try_get("", "status")?;
                let status = DocStatus::try_from_value(&status)?;
                let flag = |c: &str| row.try_get::<bool>("", c);
                rows.push((
                    row.try_get("", "id")?,
                    status,
                    v("a")?,
                    v("b")?,
                    v("c")?,
                    flag("g")?,
                    v("d")?,
                    v("e")?,
                    v("f")?,
                    flag("h")?,
                    flag("i")?,
                ));
            }
            // What is neither allocated nor refunded (R-PAY-6).
            "P" => e.unallocated += v("a")?.0 - v("b")?.0 - v("c")?.0,
            "I" => {
                let (total, paid, credited, advance, company_total) =
                    (v("a")?.0, v("b")?.0, v("c")?.0, v("d")?.0, v("e")?.0);
                if !total.is_zero() {
                    let open = total - paid - credited - advance;
                    e.receivable += pricing::round_money(company_total * open / total);
                }
            }
            "S" => {
                e.undelivered = v("a")?.0;
                e.to_invoice = v("b")?.0;
            }
            other => {
                return Err(crate::error::AppError::internal(anyhow::anyhow!(
                    "credit exposure: unknown branch {other:?}"
                )));
            }
        }
    }
    e.unallocated += rows
        .iter()
        .filter(|o| o.1 != DocStatus::Cancelled)
        .map(|o| pricing::round_money((o.6.0 - o.7.0) * o.8.0))
        .sum::<Decimal>();
    let orders: Vec<&OrderRow> = rows
        .iter()
        .filter(|o| COUNTED.contains(&o.1) && o.0 != excluding)
        .collect();
    if !summed_in_sql {
        for o in &orders {
            if OPEN_STATUSES.contains(&o.1) {
                e.undelivered += o.2.0 - if o.5 { o.4.0 } else { Decimal::ZERO };
            } else if !o.5 {
                e.to_invoice += o.4.0; // a shipped order's freight waits for its invoice
            }
        }
    }
    // Only orders some of whose value already moved need their lines read; most have none.
    // Which ones had goods handed over or billed came with the orders (`EXISTS` columns).
    let touched: HashSet<i64> = orders
        .iter()
        .filter(|o| matches!(o.1, DocStatus::PartiallyShipped | DocStatus::Shipped) || o.9 || o.10)
        .map(|o| o.0)
        .collect();
    let handed_orders: Vec<i64> = orders.iter().filter(|o| o.9).map(|o| o.0).collect();
    let handed: Vec<backorder::Model> = if handed_orders.is_empty() {
        vec![]
    } else {
        backorder::Entity::find()
            .filter(backorder::Column::Status.is_in(HANDED_OVER))
            .filter(backorder::Column::OrderId.is_in(handed_orders))
            .all(db)
            .await?
    };
    if touched.is_empty() {
        return Ok(e);
    }
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.is_in(touched.iter().copied()))
        .all(db)
        .await?;
    let items: HashMap<i64, (ItemKind, Dec)> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .column(item::Column::Kind)
        .column(item::Column::SalesUnitFactor)
        .filter(item::Column::Id.is_in(lines.iter().map(|l| l.item_id)))
        .into_tuple::<(i64, ItemKind, Dec)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, kind, factor)| (id, (kind, factor)))
        .collect();
    let mut handed_over: HashMap<i64, Decimal> = HashMap::new();
    for b in &handed {
        *handed_over.entry(b.order_line_id).or_default() += quantities::backorder_split(b).1;
    }
    // Per order, three views of its lines: what left it, what shipped, what was billed.
    let mut views: HashMap<i64, [Vec<LineDelivery>; 3]> = HashMap::new();
    for l in &lines {
        let Some((kind, factor)) = items.get(&l.item_id) else {
            continue;
        };
        let ordered = (l.quantity.0 + l.bonus_quantity.0) * factor.0;
        let share = |q: Decimal| {
            if ordered.is_zero() {
                Decimal::ONE
            } else {
                (q / ordered).min(Decimal::ONE)
            }
        };
        let invoiced = share(l.invoiced_quantity.0);
        let handed = handed_over.get(&l.id).copied().unwrap_or_default();
        // A service never ships: it leaves the order when it is billed.
        let (left, shipped) = match kind {
            ItemKind::Stocked => (
                Some(share(l.shipped_quantity.0 + handed)),
                Some(share(l.shipped_quantity.0)),
            ),
            ItemKind::NonStocked => (Some(invoiced), Some(invoiced)),
            ItemKind::Kit => (None, None),
        };
        let line = |done| LineDelivery {
            id: l.id,
            parent: l.parent_line_id,
            kit: *kind == ItemKind::Kit,
            net: pricing::LineFigures::money_of(l).net(),
            done,
        };
        let v = views.entry(l.order_id).or_default();
        v[0].push(line(left));
        v[1].push(line(shipped));
        v[2].push(line(Some(invoiced)));
    }
    for o in &orders {
        let Some(v) = views.get(&o.0) else {
            continue;
        };
        let net = o.3.0;
        let part = |view: &[LineDelivery]| pricing::round_money(net * done_share(view));
        if OPEN_STATUSES.contains(&o.1) {
            e.undelivered -= part(&v[0]);
        }
        e.to_invoice += part(&v[1]) - part(&v[2]);
    }
    Ok(e)
}

/// The statement [`exposure`] runs: the customer's counted orders and advances, open invoices
/// and unallocated payments, and (`summed_in_sql`, PostgreSQL) the triggers' sums.
fn exposure_query(summed_in_sql: bool, [customer_id, excluding]: [i64; 2]) -> SelectStatement {
    let handed_exists = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(backorder::Entity)
            .and_where(
                Expr::col((backorder::Entity, backorder::Column::OrderId))
                    .equals((sales_order::Entity, sales_order::Column::Id)),
            )
            .and_where(backorder::Column::Status.is_in(HANDED_OVER))
            .to_owned(),
    );
    let billed_exists = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(invoice_line::Entity)
            .and_where(
                Expr::col((invoice_line::Entity, invoice_line::Column::OrderId))
                    .equals((sales_order::Entity, sales_order::Column::Id)),
            )
            .to_owned(),
    );
    let mut counted = Condition::all()
        .add(sales_order::Column::Status.is_in(COUNTED))
        .add(sales_order::Column::Id.ne(excluding));
    if summed_in_sql {
        counted = counted.add(
            Condition::any()
                .add(
                    sales_order::Column::Status
                        .is_in([DocStatus::PartiallyShipped, DocStatus::Shipped]),
                )
                .add(handed_exists.clone())
                .add(billed_exists.clone()),
        );
    }
    // One statement (`UNION ALL`) for the orders that count, the advances no invoice took yet
    // (any non-cancelled order, this one included, whose advance is not all applied), the
    // customer's open invoices and unallocated payments, and on PostgreSQL the sums of the
    // counted orders. Every branch has the same columns: `src`, `id`, `status`, six amounts
    // `a`…`f` and three flags `g`…`i`.
    let mut query = sales_order::Entity::find()
        .select_only()
        .expr_as(Expr::val("O"), "src")
        .expr_as(Expr::col(sales_order::Column::Id), "id")
        .expr_as(Expr::col(sales_order::Column::Status), "status")
        .expr_as(Expr::col(sales_order::Column::CompanyTotalAmount), "a")
        .expr_as(Expr::col(sales_order::Column::CompanyNetAmount), "b")
        .expr_as(Expr::col(sales_order::Column::CompanyFreightAmount), "c")
        .expr_as(Expr::col(sales_order::Column::AdvanceAmount), "d")
        .expr_as(Expr::col(sales_order::Column::AdvanceApplied), "e")
        .expr_as(Expr::col(sales_order::Column::ExchangeRate), "f")
        .expr_as(Expr::col(sales_order::Column::FreightInvoiced), "g")
        .expr_as(handed_exists, "h")
        .expr_as(billed_exists, "i")
        .filter(sales_order::Column::CustomerId.eq(customer_id))
        .filter(sales_order::Column::Kind.eq(DocKind::Order))
        .filter(
            Condition::any().add(counted).add(
                // Equal amounts are equal text on SQLite too (both canonical).
                Condition::all()
                    .add(sales_order::Column::Status.ne(DocStatus::Cancelled))
                    .add(
                        Expr::col(sales_order::Column::AdvanceAmount)
                            .ne(Expr::col(sales_order::Column::AdvanceApplied)),
                    ),
            ),
        )
        .apply_if(summed_in_sql.then_some(customer_id), |q, c| {
            // Only the watched orders can meet the conditions above (migration 9); the array
            // keeps the plan on the primary key whatever the statistics say.
            q.filter(Expr::cust_with_values(
                r#""sales_orders"."id" = ANY (ARRAY(SELECT order_id FROM credit_watch WHERE customer_id = $1))"#,
                [c],
            ))
        })
        .into_query();
    for branch in receivable_and_unallocated(customer_id) {
        query.union(UnionType::All, branch);
    }
    if summed_in_sql {
        query.union(UnionType::All, totals_branch(customer_id, excluding));
    }
    query
}

/// The `S` branch on PostgreSQL: the customer's undelivered value and freight waiting for its
/// invoice over all its counted orders, as the triggers keep them (folded total plus the
/// deltas not folded yet), less what the order being saved contributes — the same term
/// functions compute both, so the difference is exact.
fn totals_branch(customer_id: i64, excluding: i64) -> SelectStatement {
    let term = |function: &str, args: &str, table: &str| {
        Expr::cust_with_values(
            format!(
                "COALESCE((SELECT {table} FROM credit_totals WHERE customer_id = $1), 0) \
                 + COALESCE((SELECT SUM({table}) FROM credit_deltas WHERE customer_id = $1), 0) \
                 - COALESCE((SELECT {function}({args}) FROM sales_orders \
                 WHERE id = $2 AND customer_id = $1), 0)"
            ),
            [customer_id, excluding],
        )
    };
    Query::select()
        .expr_as(Expr::val("S"), "src")
        .expr_as(Expr::val(0i64), "id")
        .expr_as(Expr::val(""), "status")
        .expr_as(
            term(
                "mercato_credit_undelivered",
                "kind, status, company_total_amount, company_freight_amount, freight_invoiced",
                "undelivered",
            ),
            "a",
        )
        .expr_as(
            term(
                "mercato_credit_to_invoice",
                "kind, status, company_freight_amount, freight_invoiced",
                "to_invoice",
            ),
            "b",
        )
        .expr_as(Expr::cust("0::numeric"), "c")
        .expr_as(Expr::cust("0::numeric"), "d")
        .expr_as(Expr::cust("0::numeric"), "e")
        .expr_as(Expr::cust("0::numeric"), "f")
        .expr_as(Expr::val(false), "g")
        .expr_as(Expr::val(false), "h")
        .expr_as(Expr::val(false), "i")
        .to_owned()
}

/// Folds the credit deltas the triggers appended into the per-customer totals (PostgreSQL;
/// see migration 9), in one statement: the rows it deletes are exactly the rows it adds up, and
/// a reader sees either all of them as deltas or all of them in the total. The event relay
/// calls it on every poll and every 200 ms while commits arrive; an advisory lock keeps two
/// instances from folding at once (they would otherwise queue on each other's rows). Returns
/// how many customers' totals changed.
pub async fn fold_deltas<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let folded = db
        .execute_unprepared(
            "WITH turn AS (SELECT pg_try_advisory_xact_lock(7243901) AS mine), \
             moved AS (DELETE FROM credit_deltas WHERE (SELECT mine FROM turn) \
             RETURNING customer_id, undelivered, to_invoice) \
             INSERT INTO credit_totals AS t (customer_id, undelivered, to_invoice) \
             SELECT customer_id, SUM(undelivered), SUM(to_invoice) FROM moved \
             GROUP BY customer_id ORDER BY customer_id \
             ON CONFLICT (customer_id) DO UPDATE SET \
             undelivered = t.undelivered + EXCLUDED.undelivered, \
             to_invoice = t.to_invoice + EXCLUDED.to_invoice",
        )
        .await?;
    Ok(folded.rows_affected())
}

/// (id, status, company total, company net, company freight, freight invoiced, advance,
/// advance applied, exchange rate, goods handed over by backorder, billed) of an order.
type OrderRow = (
    i64,
    DocStatus,
    Dec,
    Dec,
    Dec,
    bool,
    Dec,
    Dec,
    Dec,
    bool,
    bool,
);

/// Backorders whose goods left their order some other way than shipping it.
const HANDED_OVER: [BackorderStatus; 3] = [
    BackorderStatus::PartiallyFulfilled,
    BackorderStatus::Fulfilled,
    BackorderStatus::Cancelled,
];

/// Orders whose value counts in the risk (open, or shipped and waiting for the invoice).
const COUNTED: [DocStatus; 4] = [
    DocStatus::Draft,
    DocStatus::Confirmed,
    DocStatus::PartiallyShipped,
    DocStatus::Shipped,
];

/// The `UNION ALL` branches of the customer's open invoices and unallocated payments (see
/// [`exposure`]): each invoice's open balance counts at its own rates (what a credit note took
/// back is no longer owed; an overpaid invoice owes the customer; a PENDING invoice counts in
/// full — its quantities left "to invoice" when it was made).
fn receivable_and_unallocated(customer_id: i64) -> [SelectStatement; 2] {
    let no = || Expr::val(false);
    let invoices = invoice::Entity::find()
        .select_only()
        .expr_as(Expr::val("I"), "src")
        .expr_as(Expr::col(invoice::Column::Id), "id")
        .expr_as(Expr::col(invoice::Column::Status), "status")
        .expr_as(Expr::col(invoice::Column::TotalAmount), "a")
        .expr_as(Expr::col(invoice::Column::PaidAmount), "b")
        .expr_as(Expr::col(invoice::Column::CreditedAmount), "c")
        .expr_as(Expr::col(invoice::Column::AdvanceAmount), "d")
        .expr_as(Expr::col(invoice::Column::CompanyTotalAmount), "e")
        .expr_as(Expr::col(invoice::Column::CompanyTotalAmount), "f")
        .expr_as(no(), "g")
        .expr_as(no(), "h")
        .expr_as(no(), "i")
        .filter(invoice::Column::CustomerId.eq(customer_id))
        .filter(invoice::Column::Kind.eq(InvoiceKind::Invoice))
        .filter(invoice::Column::Status.is_in([InvoiceStatus::Pending, InvoiceStatus::Posted]))
        .filter(invoice::Column::FinancialStatus.ne(FinancialStatus::Paid))
        .into_query();
    let payments = payment::Entity::find()
        .select_only()
        .expr_as(Expr::val("P"), "src")
        .expr_as(Expr::col(payment::Column::Id), "id")
        .expr_as(Expr::col(payment::Column::Status), "status")
        .expr_as(Expr::col(payment::Column::CompanyAmount), "a")
        .expr_as(Expr::col(payment::Column::CompanyAllocatedAmount), "b")
        .expr_as(Expr::col(payment::Column::CompanyRefundedAmount), "c")
        .expr_as(Expr::col(payment::Column::CompanyAmount), "d")
        .expr_as(Expr::col(payment::Column::CompanyAmount), "e")
        .expr_as(Expr::col(payment::Column::CompanyAmount), "f")
        .expr_as(no(), "g")
        .expr_as(no(), "h")
        .expr_as(no(), "i")
        .filter(payment::Column::CustomerId.eq(customer_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Recorded))
        .into_query();
    [invoices, payments]
}

/// A customer's standing (R-ORD-9, R-PAY-3): the terms of its risk, what is overdue, its limit.
pub struct Balance {
    pub customer: customer::Model,
    pub exposure: Exposure,
    /// Installments of posted invoices due before `today` and not settled, company currency.
    pub overdue: Decimal,
}

/// `customerBalance`: for whoever reads the customer's invoices.
pub async fn balance(
    db: &sea_orm::DatabaseConnection,
    p: &crate::auth::Principal,
    customer_id: i64,
    today: chrono::NaiveDate,
) -> AppResult<Balance> {
    use crate::auth::{Permission, visibility};
    visibility::require(p, Permission::ReadInvoices)?;
    let customer = crate::domain::customers::get(db, p, customer_id).await?;
    let exposure = exposure(db, customer.id, 0).await?;
    let open = invoice::Entity::find()
        .filter(invoice::Column::CustomerId.eq(customer.id))
        .filter(invoice::Column::Kind.eq(InvoiceKind::Invoice))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Posted))
        .filter(
            invoice::Column::FinancialStatus
                .is_in([FinancialStatus::Unpaid, FinancialStatus::PartiallyPaid]),
        )
        .all(db)
        .await?;
    let plans = crate::domain::invoices::installments_by_invoices(
        db,
        &open.iter().map(|i| i.id).collect::<Vec<_>>(),
    )
    .await?;
    let overdue = open
        .iter()
        .map(|inv| {
            let due = overdue_of(
                crate::domain::settlement::settled(inv),
                plans.get(&inv.id).map_or(&[][..], |v| v),
                today,
            );
            if inv.total_amount.is_zero() {
                Decimal::ZERO
            } else {
                pricing::round_money(inv.company_total_amount.0 * due / inv.total_amount.0)
            }
        })
        .sum();
    Ok(Balance {
        customer,
        exposure,
        overdue,
    })
}

/// What of an invoice's installments due before `today` is not settled; what settled covers
/// the installments in due order.
pub fn overdue_of(
    settled: Decimal,
    plan: &[entity::invoice_installment::Model],
    today: chrono::NaiveDate,
) -> Decimal {
    let mut left = settled;
    let mut overdue = Decimal::ZERO;
    for i in plan {
        let covered = left.min(i.amount.0).max(Decimal::ZERO);
        left -= covered;
        if i.due_date < today {
            overdue += i.amount.0 - covered;
        }
    }
    overdue
}

/// One line of an order for [`done_share`].
#[derive(Clone, Debug)]
pub struct LineDelivery {
    pub id: i64,
    /// The kit line a component belongs to.
    pub parent: Option<i64>,
    pub kit: bool,
    /// Line net, order currency (kit components are priced 0; their kit carries the value).
    pub net: Decimal,
    /// Share of a stocked line's stock units already gone (0..=1); None for other lines.
    pub done: Option<Decimal>,
}

/// Share (0..=1) of an order's merchandise value that already left the order. A kit without a
/// share of its own is as far as its least advanced component. The header discount applies to
/// every line alike, so it cancels out of the share.
pub fn done_share(lines: &[LineDelivery]) -> Decimal {
    let value: Decimal = lines.iter().map(|l| l.net).sum();
    if value.is_zero() {
        return Decimal::ZERO;
    }
    let done: Decimal = lines
        .iter()
        .map(|l| {
            let fraction = if l.kit && l.done.is_none() {
                lines
                    .iter()
                    .filter(|c| c.parent == Some(l.id))
                    .map(|c| c.done.unwrap_or_default())
                    .min()
                    .unwrap_or_default()
            } else {
                l.done.unwrap_or_default()
            };
            l.net * fraction
        })
        .sum();
    done / value
}

#[derive(Debug, PartialEq)]
pub enum Verdict {
    Within,
    /// Over the limit or blocked, and the company holds such orders.
    Hold,
    /// Over the limit or blocked; the company only warns.
    Warn(String),
}

/// Decides for an order of `amount` (company currency) on top of `risk`. A hold released by a
/// manager stays released as long as the order does not grow beyond the released amount.
pub fn judge(
    customer: &customer::Model,
    settings: &company_settings::Model,
    risk: Decimal,
    amount: Decimal,
    released_up_to: Option<Decimal>,
) -> Verdict {
    let limit = customer.credit_limit.0;
    let exceeded = customer.credit_blocked || (!limit.is_zero() && risk + amount > limit);
    if !exceeded {
        return Verdict::Within;
    }
    let why = if customer.credit_blocked {
        format!("customer {} is credit-blocked", customer.code)
    } else {
        format!(
            "customer {} would owe {} against a credit limit of {}",
            customer.code,
            risk + amount,
            limit
        )
    };
    if !settings.block_on_credit_excess {
        return Verdict::Warn(why);
    }
    match released_up_to {
        Some(released) if amount <= released => Verdict::Within,
        _ => Verdict::Hold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use entity::Dec;

    fn customer(limit: i64, blocked: bool) -> customer::Model {
        customer::Model {
            id: 1,
            company_id: 1,
            code: "C".into(),
            name: "C".into(),
            email: None,
            phone: None,
            tax_id: None,
            sales_rep_id: None,
            currency: "EUR".into(),
            language: "en".into(),
            credit_limit: Dec(Decimal::from(limit)),
            credit_blocked: blocked,
            customer_type: entity::CustomerType::Standard,
            group_customer_id: None,
            invoice_to_group: false,
            zone: None,
            province: None,
            payment_terms: None,
            payment_method: None,
            bank_account: None,
            series: None,
            carrier: None,
            order_type: None,
            direct_delivery: false,
            linked_company_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            tax_regime: entity::TaxRegime::Standard,
        }
    }

    fn settings(block: bool) -> company_settings::Model {
        company_settings::Model {
            block_on_credit_excess: block,
            ..crate::domain::sales_setup::default_settings(1)
        }
    }

    #[test]
    fn risk_plus_order_over_the_limit_holds_or_warns_r_ord_9() {
        let c = customer(1000, false);
        let d = Decimal::from;
        assert_eq!(
            judge(&c, &settings(true), d(600), d(400), None),
            Verdict::Within
        );
        assert_eq!(
            judge(&c, &settings(true), d(600), d(401), None),
            Verdict::Hold
        );
        assert!(matches!(
            judge(&c, &settings(false), d(600), d(401), None),
            Verdict::Warn(_)
        ));
        // A zero limit means no limit; a blocked customer is always over.
        assert_eq!(
            judge(
                &customer(0, false),
                &settings(true),
                d(9_999_999),
                d(1),
                None
            ),
            Verdict::Within
        );
        assert_eq!(
            judge(&customer(0, true), &settings(true), d(0), d(1), None),
            Verdict::Hold
        );
    }

    #[test]
    fn a_released_hold_returns_only_when_the_order_grows() {
        let c = customer(100, false);
        let d = Decimal::from;
        assert_eq!(
            judge(&c, &settings(true), d(0), d(150), Some(d(150))),
            Verdict::Within
        );
        assert_eq!(
            judge(&c, &settings(true), d(0), d(151), Some(d(150))),
            Verdict::Hold
        );
    }

    fn line(id: i64, parent: Option<i64>, kit: bool, net: i64, done: Option<&str>) -> LineDelivery {
        LineDelivery {
            id,
            parent,
            kit,
            net: Decimal::from(net),
            done: done.map(|d| d.parse().unwrap()),
        }
    }

    #[test]
    fn what_left_the_order_no_longer_counts_as_risk_r_ord_9() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // Bolts 300 (half gone), a service 100 (never "ships").
        let lines = [
            line(1, None, false, 300, Some("0.5")),
            line(2, None, false, 100, None),
        ];
        assert_eq!(done_share(&lines), d("0.375"));
        // A kit worth 200 is as far as its slowest component; components carry no value.
        let kit = [
            line(1, None, true, 200, None),
            line(2, Some(1), false, 0, Some("1")),
            line(3, Some(1), false, 0, Some("0.25")),
            line(4, None, false, 200, Some("0")),
        ];
        assert_eq!(done_share(&kit), d("0.125"));
        // Nothing gone, and an order of free goods only.
        assert_eq!(
            done_share(&[line(1, None, false, 50, Some("0"))]),
            Decimal::ZERO
        );
        assert_eq!(
            done_share(&[line(1, None, false, 0, Some("1"))]),
            Decimal::ZERO
        );
    }
}
