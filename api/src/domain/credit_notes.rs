//! Credit notes (R-INV-1, R-INV-6): a negative invoice referencing a POSTED one, posted at
//! once in the `CREDIT_NOTE` series, never crediting more than the invoice billed less what
//! earlier credit notes took back — in quantity and in amount. Its reason says what happens to
//! what it credits:
//!
//! - `BILLING_ERROR` (the default): the quantities become billable again, freight too;
//! - `RETURN`: credits what a return note brought back (R-RET-1) and this invoice billed —
//!   never more than the return holds uncredited; the quantities stay billed (the goods came
//!   back, there is nothing left to bill);
//! - `PRICE_CORRECTION`: an amount per line without quantities; nothing becomes billable.
//!
//! In each case the invoice's open balance, and so the credit risk (R-ORD-9), drops by the
//! credit note's total.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::invoices::{
    amounts, give_back, lines_of, lock, number_of, part_of, set_freight_invoiced, totals_of,
};
use crate::domain::outbox::OrderEvent;
use crate::domain::{numbering, pricing, settlement, taxes, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    CreditReason, Dec, DocType, FinancialStatus, InvoiceKind, InvoiceLineKind, InvoiceStatus,
    invoice, invoice_line, return_line, return_note,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::HashMap;

/// One credited line: an invoice line and the charged quantity taken back (all when neither
/// is given), or for `PRICE_CORRECTION` the net amount credited.
pub struct CreditLine {
    pub invoice_line_id: i64,
    pub quantity: Option<Decimal>,
    pub amount: Option<Decimal>,
}

pub struct NewCreditNote {
    pub invoice_id: i64,
    pub reason: CreditReason,
    /// The return note a `RETURN` credits.
    pub return_id: Option<i64>,
    pub lines: Option<Vec<CreditLine>>,
}

/// What one credited line takes: a quantity (all that is left when `None`) or an amount.
#[derive(Clone, Copy)]
enum Take {
    Quantity(Option<Decimal>),
    Amount(Decimal),
}

/// `createCreditNote` (see the module).
pub async fn credit(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewCreditNote,
) -> AppResult<invoice::Model> {
    visibility::require(p, Permission::ManageInvoices)?;
    let reason = input.reason;
    if input
        .lines
        .as_ref()
        .is_some_and(|l| l.is_empty() || l.len() > 1000)
    {
        return Err(AppError::validation("lines", "name 1 to 1000 lines"));
    }
    match (reason, &input.return_id, &input.lines) {
        (CreditReason::Return, None, _) => {
            return Err(AppError::validation(
                "returnId",
                "a RETURN credit note credits a return note: name it",
            ));
        }
        (CreditReason::Return, Some(_), Some(_)) => {
            return Err(AppError::validation(
                "lines",
                "a RETURN credit note credits what its return note brought back: name no lines",
            ));
        }
        (CreditReason::PriceCorrection, _, None) => {
            return Err(AppError::validation(
                "lines",
                "a PRICE_CORRECTION names its lines and the amount of each",
            ));
        }
        (r, Some(_), _) if r != CreditReason::Return => {
            return Err(AppError::validation(
                "returnId",
                "only a RETURN credit note names a return note",
            ));
        }
        _ => {}
    }
    let tx = db::write_tx(db).await?;
    let (original, orders) = lock(&tx, p, input.invoice_id).await?;
    if original.kind != InvoiceKind::Invoice || original.status != InvoiceStatus::Posted {
        return Err(AppError::InvalidState(
            "only a POSTED invoice can be credited (R-INV-1)".into(),
        ));
    }
    let billed = lines_of(&*tx, original.id).await?;
    // What earlier credit notes already took back, per invoice line (by order line/freight).
    let earlier: Vec<invoice_line::Model> = invoice_line::Entity::find()
        .filter(
            invoice_line::Column::InvoiceId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(invoice::Column::Id)
                    .from(invoice::Entity)
                    .and_where(invoice::Column::CreditOfId.eq(original.id))
                    .to_owned(),
            ),
        )
        .all(&*tx)
        .await?;
    let key = |l: &invoice_line::Model| (l.order_id, l.order_line_id, l.kind);
    let mut credited: HashMap<(i64, Option<i64>, InvoiceLineKind), (Decimal, Decimal)> =
        HashMap::new();
    for l in &earlier {
        let e = credited.entry(key(l)).or_default();
        e.0 -= l.quantity.0;
        e.1 -= l.net_amount.0;
    }
    // RETURN: the return note's uncredited lines (locked through their order, which the
    // invoice lock holds), each taken against this invoice's line of its order line.
    let mut from_return: Vec<(return_line::Model, Decimal)> = Vec::new();
    let wanted: Vec<(usize, &invoice_line::Model, Take)> = match (&input.lines, input.return_id) {
        (None, Some(return_id)) => {
            let note = return_note::Entity::find_by_id(return_id)
                .filter(return_note::Column::CompanyId.eq(p.company_id))
                .filter(return_note::Column::OrderId.is_in(orders.iter().map(|o| o.id)))
                .one(&*tx)
                .await?
                .ok_or_else(|| {
                    AppError::validation(
                        "returnId",
                        "no return note of an order this invoice bills",
                    )
                })?;
            let mut wanted = Vec::new();
            let rlines = return_line::Entity::find()
                .filter(return_line::Column::ReturnId.eq(note.id))
                .order_by_asc(return_line::Column::Id)
                .all(&*tx)
                .await?;
            // Stock units still creditable per invoice line (what the invoice billed less
            // what earlier notes took), shared by the return lines of one order line.
            let mut room: HashMap<i64, Decimal> = HashMap::new();
            for rl in rlines {
                let open = rl.quantity.0 - rl.credited_quantity.0;
                let Some(l) = billed.iter().find(|l| {
                    l.kind == InvoiceLineKind::Item && l.order_line_id == Some(rl.order_line_id)
                }) else {
                    continue;
                };
                if open <= Decimal::ZERO || l.quantity.is_zero() || l.stock_quantity.is_zero() {
                    continue;
                }
                let left = room.entry(l.id).or_insert_with(|| {
                    let done = credited.get(&key(l)).map_or(Decimal::ZERO, |c| c.0);
                    (l.stock_quantity.0 * (l.quantity.0 - done) / l.quantity.0).round_dp(4)
                });
                let stock = open.min(*left);
                if stock <= Decimal::ZERO {
                    continue;
                }
                *left -= stock;
                let q = (stock * l.quantity.0 / l.stock_quantity.0).round_dp(4);
                wanted.push((wanted.len(), l, Take::Quantity(Some(q))));
                from_return.push((rl, stock));
            }
            if wanted.is_empty() {
                return Err(AppError::InvalidState(
                    "nothing of this return note is left to credit on this invoice".into(),
                ));
            }
            wanted
        }
        (None, None) => billed
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l, Take::Quantity(None)))
            .collect(),
        (Some(list), _) => list
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let f = |n: &str| format!("lines.{i}.{n}");
                let l = billed
                    .iter()
                    .find(|l| l.id == c.invoice_line_id)
                    .ok_or_else(|| {
                        AppError::validation(f("invoiceLineId"), "no such line on this invoice")
                    })?;
                let take = match (reason, c.quantity, c.amount) {
                    (CreditReason::PriceCorrection, None, Some(a)) => {
                        if a.normalize().scale() > 2 {
                            return Err(AppError::validation(f("amount"), "at most two decimals"));
                        }
                        Take::Amount(validate::positive(&f("amount"), a)?)
                    }
                    (CreditReason::PriceCorrection, _, _) => {
                        return Err(AppError::validation(
                            f("amount"),
                            "a PRICE_CORRECTION credits an amount per line, without quantities",
                        ));
                    }
                    (_, _, Some(_)) => {
                        return Err(AppError::validation(
                            f("amount"),
                            "only a PRICE_CORRECTION credits an amount",
                        ));
                    }
                    (_, Some(q), None) => {
                        Take::Quantity(Some(validate::positive(&f("quantity"), q)?))
                    }
                    (_, None, None) => Take::Quantity(None),
                };
                Ok((i, l, take))
            })
            .collect::<AppResult<_>>()?,
    };
    let mut drafts = Vec::new();
    let mut returned: Vec<(invoice_line::Model, Decimal)> = Vec::new();
    for (i, l, take) in wanted {
        let (q_done, net_done) = credited.get(&key(l)).copied().unwrap_or_default();
        let net_left = l.net_amount.0 - net_done;
        let (q, net) = match take {
            Take::Amount(a) => {
                if a > net_left {
                    return Err(AppError::validation(
                        format!("lines.{i}.amount"),
                        format!(
                            "{} of this line is left to credit",
                            Dec::canonical(net_left)
                        ),
                    ));
                }
                (Decimal::ZERO, a)
            }
            Take::Quantity(q) => {
                let left = l.quantity.0 - q_done;
                let q = q.unwrap_or(left);
                if q > left {
                    return Err(AppError::validation(
                        format!("lines.{i}.quantity"),
                        format!("{left} of this line is left to credit"),
                    ));
                }
                if q.is_zero() {
                    continue;
                }
                // Cumulative rounding, as when billing: the credits of a line add up to its
                // net; never beyond what price corrections left of it.
                let net = if l.quantity.is_zero() || q == left {
                    net_left
                } else {
                    part_of(l.net_amount.0, l.quantity.0, q_done, q).min(net_left)
                };
                (q, net)
            }
        };
        let stock = if l.quantity.is_zero() {
            Decimal::ZERO
        } else {
            (l.stock_quantity.0 * q / l.quantity.0).round_dp(4)
        };
        let e = credited.entry(key(l)).or_default();
        e.0 += q;
        e.1 += net;
        returned.push((l.clone(), stock));
        drafts.push(invoice_line::ActiveModel {
            company_id: Set(l.company_id),
            order_id: Set(l.order_id),
            order_line_id: Set(l.order_line_id),
            item_id: Set(l.item_id),
            kind: Set(l.kind),
            description: Set(l.description.clone()),
            quantity: Set(Dec(-q)),
            stock_quantity: Set(Dec(-stock)),
            // A price correction shows what it credits per unit billed.
            unit_price: Set(match take {
                Take::Amount(a) if !l.quantity.is_zero() => {
                    Dec(pricing::round_money(a / l.quantity.0))
                }
                Take::Amount(a) => Dec(a),
                Take::Quantity(_) => l.unit_price,
            }),
            discount_percent: Set(l.discount_percent),
            header_discount_percent: Set(l.header_discount_percent),
            net_amount: Set(Dec(-net)),
            tax_code: Set(l.tax_code.clone()),
            tax_rate: Set(l.tax_rate),
            tax_amount: Set(Dec(-taxes::line_tax(net, l.tax_rate.0))),
            exchange_rate: Set(l.exchange_rate),
            ..Default::default()
        });
    }
    if drafts.is_empty() {
        return Err(AppError::InvalidState(
            "nothing left to credit on this invoice".into(),
        ));
    }
    let totals = totals_of(&drafts);
    let now = Utc::now();
    let series = original.series.clone().unwrap_or_default();
    let mut note = invoice::ActiveModel {
        company_id: Set(original.company_id),
        kind: Set(InvoiceKind::CreditNote),
        status: Set(InvoiceStatus::Posted),
        customer_id: Set(original.customer_id),
        order_customer_id: Set(original.order_customer_id),
        sales_rep_id: Set(original.sales_rep_id),
        credit_of_id: Set(Some(original.id)),
        credit_reason: Set(Some(reason)),
        return_id: Set(input.return_id),
        series: Set(Some(series.clone())),
        number: Set(None),
        currency: Set(original.currency.clone()),
        invoice_date: Set(now.date_naive()),
        next_due_date: Set(None),
        tax_regime: Set(original.tax_regime),
        legal_note: Set(original.legal_note.clone()),
        financial_status: Set(FinancialStatus::Paid),
        paid_amount: Set(Dec::ZERO),
        company_paid_amount: Set(Dec::ZERO),
        credited_amount: Set(Dec::ZERO),
        advance_amount: Set(Dec::ZERO),
        version: Set(1),
        created_by: Set(p.key()),
        created_at: Set(now),
        updated_at: Set(now),
        posted_by: Set(Some(p.key())),
        posted_at: Set(Some(now)),
        ..amounts(&totals)
    }
    .insert(&*tx)
    .await?;
    for (i, d) in drafts.iter_mut().enumerate() {
        d.invoice_id = Set(note.id);
        d.position = Set(i as i64 + 1);
    }
    invoice_line::Entity::insert_many(drafts)
        .exec_without_returning(&*tx)
        .await?;
    let mut freight_back: Vec<i64> = Vec::new();
    match reason {
        // The quantities go back to their order lines; credited freight is billable again.
        CreditReason::BillingError => {
            give_back(
                &tx,
                &returned
                    .iter()
                    .filter_map(|(l, stock)| Some((l.order_line_id?, *stock)))
                    .collect::<Vec<_>>(),
            )
            .await?;
            freight_back = returned
                .iter()
                .filter(|(l, _)| l.kind == InvoiceLineKind::Freight)
                .map(|(l, _)| l.order_id)
                .collect();
            set_freight_invoiced(&tx, &freight_back, false).await?;
        }
        // What came back is credited, and stays billed.
        CreditReason::Return => {
            for (rl, stock) in &from_return {
                let mut am = rl.clone().into_active_model();
                am.credited_quantity = Set(Dec(Dec::canonical(rl.credited_quantity.0 + stock)));
                am.update(&*tx).await?;
            }
        }
        CreditReason::PriceCorrection => {}
    }
    let mut orig = original.clone();
    orig.credited_amount = Dec(original.credited_amount.0 - totals.total);
    let orig = settlement::save_settlement(&tx, orig).await?;
    note.number = Some(numbering::next(&tx, note.company_id, &series, DocType::CreditNote).await?);
    let note = note.into_active_model().reset_all().update(&*tx).await?;
    // R-DOC-2: what the credit note prints is fixed with its number.
    crate::domain::printing::freeze(&*tx, &note).await?;
    for mut o in orders {
        // The order row was read before its freight went back: saving it must not undo that.
        if freight_back.contains(&o.id) {
            o.freight_invoiced = false;
        }
        let payload = json!({
            "invoiceId": orig.id,
            "creditNoteId": note.id,
            "number": number_of(&note),
            "reason": reason.to_value(),
        });
        settlement::refresh_order(&tx, o, vec![(OrderEvent::CreditNotePosted, Some(payload))])
            .await?;
    }
    tx.commit().await?;
    Ok(note)
}
