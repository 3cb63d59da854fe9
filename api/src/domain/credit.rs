//! Customer credit (R-ORD-9): risk = unshipped open order amounts + unpaid invoice amounts, in
//! the company currency. Over the limit (or `credit_blocked`) an order is put on credit hold
//! when the company blocks on credit excess, and otherwise saved with a warning.
use super::{pricing, quantities};
use crate::error::AppResult;
use entity::{
    BackorderStatus, Dec, DocKind, DocStatus, ItemKind, backorder, company_settings, customer,
    item, sales_order, sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use std::collections::{HashMap, HashSet};

/// Orders whose amount still counts as risk: entered but not yet (entirely) shipped.
pub const OPEN_STATUSES: [DocStatus; 3] = [
    DocStatus::Draft,
    DocStatus::Confirmed,
    DocStatus::PartiallyShipped,
];

/// Risk of `customer` from everything except `excluding` (the order being saved): the
/// unshipped part of its open orders (R-ORD-9). Goods that left an open order — shipped,
/// handed over to a backorder-assignment order (R-BO-6, which counts them itself) or
/// cancelled as a backorder — no longer count, or a waiting backorder would count twice.
/// Summed in Rust: amounts are TEXT on SQLite, where SQL arithmetic would go through floats.
/// Unpaid invoices join the sum when invoicing lands (they do not exist yet).
pub async fn risk<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    excluding: i64,
) -> AppResult<Decimal> {
    let open = || {
        sales_order::Entity::find()
            .filter(sales_order::Column::CustomerId.eq(customer_id))
            .filter(sales_order::Column::Kind.eq(DocKind::Order))
            .filter(sales_order::Column::Status.is_in(OPEN_STATUSES))
            .filter(sales_order::Column::Id.ne(excluding))
    };
    let orders: Vec<(i64, DocStatus, Dec, Dec)> = open()
        .select_only()
        .column(sales_order::Column::Id)
        .column(sales_order::Column::Status)
        .column(sales_order::Column::CompanyTotalAmount)
        .column(sales_order::Column::CompanyNetAmount)
        .into_tuple()
        .all(db)
        .await?;
    let total: Decimal = orders.iter().map(|o| o.2.0).sum();
    // Only orders some of whose goods already left need their lines read; most have none.
    let handed: Vec<backorder::Model> = backorder::Entity::find()
        .filter(backorder::Column::CustomerId.eq(customer_id))
        .filter(backorder::Column::Status.is_in([
            BackorderStatus::PartiallyFulfilled,
            BackorderStatus::Fulfilled,
            BackorderStatus::Cancelled,
        ]))
        .filter(
            backorder::Column::OrderId.in_subquery(
                open()
                    .select_only()
                    .column(sales_order::Column::Id)
                    .into_query(),
            ),
        )
        .all(db)
        .await?;
    let touched: HashSet<i64> = orders
        .iter()
        .filter(|o| o.1 == DocStatus::PartiallyShipped)
        .map(|o| o.0)
        .chain(handed.iter().map(|b| b.order_id))
        .collect();
    if touched.is_empty() {
        return Ok(total);
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
    let mut by_order: HashMap<i64, Vec<LineDelivery>> = HashMap::new();
    for l in &lines {
        let Some((kind, factor)) = items.get(&l.item_id) else {
            continue;
        };
        let done = (*kind == ItemKind::Stocked).then(|| {
            let ordered = (l.quantity.0 + l.bonus_quantity.0) * factor.0;
            let gone = l.shipped_quantity.0 + handed_over.get(&l.id).copied().unwrap_or_default();
            if ordered.is_zero() {
                Decimal::ONE
            } else {
                (gone / ordered).min(Decimal::ONE)
            }
        });
        by_order.entry(l.order_id).or_default().push(LineDelivery {
            id: l.id,
            parent: l.parent_line_id,
            kit: *kind == ItemKind::Kit,
            net: pricing::LineFigures::money_of(l).net(),
            done,
        });
    }
    let gone: Decimal = orders
        .iter()
        .filter_map(|o| {
            let share = done_share(by_order.get(&o.0)?);
            Some(pricing::round_money(o.3.0 * share))
        })
        .sum();
    Ok(total - gone)
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

/// Share (0..=1) of an order's merchandise value that already left the order. A kit is as far
/// as its least advanced component; non-stocked lines stay until the order is invoiced. The
/// header discount applies to every line alike, so it cancels out of the share.
pub fn done_share(lines: &[LineDelivery]) -> Decimal {
    let value: Decimal = lines.iter().map(|l| l.net).sum();
    if value.is_zero() {
        return Decimal::ZERO;
    }
    let done: Decimal = lines
        .iter()
        .map(|l| {
            let fraction = if l.kit {
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
        }
    }

    fn settings(block: bool) -> company_settings::Model {
        company_settings::Model {
            company_id: 1,
            block_on_credit_excess: block,
            manual_cost_for_non_stocked: false,
            freight_max_order_amount: Dec::ZERO,
            quotes_share_order_numbering: false,
            default_series: "A".into(),
            updated_at: Utc::now(),
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
