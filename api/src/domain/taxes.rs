//! Taxes (R-TAX-1): tax codes per company, an item's default code, a customer's regime, and
//! the arithmetic every billed line goes through — tax on the line's net after discounts,
//! rounded per line to cents; a document shows its base and tax per rate.
use crate::auth::{Permission, Principal, visibility};
use crate::domain::{customers, pricing, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{Dec, TaxRegime, customer, item, tax_code};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use std::collections::BTreeMap;

/// The note a reverse-charge invoice must carry: the buyer accounts for the tax.
pub const REVERSE_CHARGE_NOTE: &str =
    "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)";

/// The rate a line is taxed at: the item's code for a STANDARD customer, 0 otherwise.
pub fn effective_rate(regime: TaxRegime, code_rate: Option<Decimal>) -> Decimal {
    match regime {
        TaxRegime::Standard => code_rate.unwrap_or(Decimal::ZERO),
        TaxRegime::Exempt | TaxRegime::ReverseCharge => Decimal::ZERO,
    }
}

/// The legal note a document of this regime carries, if any.
pub fn legal_note(regime: TaxRegime) -> Option<&'static str> {
    (regime == TaxRegime::ReverseCharge).then_some(REVERSE_CHARGE_NOTE)
}

/// Tax of one line: its net (already rounded to cents) × rate, rounded half away from zero
/// to cents (R-TAX-1: per line, not per document).
pub fn line_tax(net: Decimal, rate: Decimal) -> Decimal {
    pricing::round_money(net * rate / Decimal::ONE_HUNDRED)
}

/// Base and tax of one rate on a document.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RateTotal {
    pub rate: Decimal,
    pub base: Decimal,
    pub tax: Decimal,
}

/// Sums (net, rate, tax) lines per rate, lowest rate first.
pub fn by_rate(lines: impl IntoIterator<Item = (Decimal, Decimal, Decimal)>) -> Vec<RateTotal> {
    let mut sums: BTreeMap<Decimal, RateTotal> = BTreeMap::new();
    for (net, rate, tax) in lines {
        let r = sums.entry(rate.normalize()).or_insert(RateTotal {
            rate: rate.normalize(),
            ..Default::default()
        });
        r.base += net;
        r.tax += tax;
    }
    sums.into_values().collect()
}

/// A document's taxed figures: base, tax and total per document and per rate, in its currency
/// and in the company currency (R-TAX-1, R-ORD-7).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocumentTax {
    pub base: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub by_rate: Vec<RateTotal>,
    pub company_base: Decimal,
    pub company_tax: Decimal,
    pub company_total: Decimal,
}

/// Taxes an order as its invoice will: each line's net after line and header discounts,
/// rounded to cents, at its item's rate under the customer's regime; freight at the highest
/// rate of the goods. `lines` are (exact line net, item's rate); `rate` the order's exchange
/// rate.
pub fn order_tax(
    lines: &[(Decimal, Option<Decimal>)],
    header_discount_percent: Decimal,
    freight: Decimal,
    regime: TaxRegime,
    rate: Decimal,
) -> DocumentTax {
    let mut taxed: Vec<(Decimal, Decimal, Decimal)> = lines
        .iter()
        .filter(|(net, _)| !net.is_zero())
        .map(|(net, code)| {
            let net = pricing::round_money(
                net * (Decimal::ONE_HUNDRED - header_discount_percent) / Decimal::ONE_HUNDRED,
            );
            let r = effective_rate(regime, *code);
            (net, r, line_tax(net, r))
        })
        .collect();
    if !freight.is_zero() {
        let r = taxed.iter().map(|t| t.1).max().unwrap_or_default();
        taxed.push((freight, r, line_tax(freight, r)));
    }
    document_tax(&taxed, |_| rate)
}

/// Sums taxed lines (net, rate, tax) into a document's figures; `exchange` gives each line's
/// exchange rate by its index.
pub fn document_tax(
    lines: &[(Decimal, Decimal, Decimal)],
    exchange: impl Fn(usize) -> Decimal,
) -> DocumentTax {
    let mut d = DocumentTax::default();
    for (i, (net, _, tax)) in lines.iter().enumerate() {
        d.base += net;
        d.tax += tax;
        d.company_base += pricing::round_money(net * exchange(i));
        d.company_tax += pricing::round_money(tax * exchange(i));
    }
    d.total = d.base + d.tax;
    d.company_total = d.company_base + d.company_tax;
    d.by_rate = by_rate(lines.iter().copied());
    d
}

/// [`order_tax`] of stored orders, by order id: five batched reads for any number of orders.
pub async fn of_orders<C: ConnectionTrait>(
    db: &C,
    orders: &[entity::sales_order::Model],
) -> AppResult<std::collections::HashMap<i64, DocumentTax>> {
    use entity::sales_order_line;
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.is_in(ids))
        .all(db)
        .await?;
    let items: std::collections::HashMap<i64, Option<i64>> = item::Entity::find()
        .filter(item::Column::Id.is_in(lines.iter().map(|l| l.item_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.tax_code_id))
        .collect();
    let codes = by_ids(db, &items.values().flatten().copied().collect::<Vec<_>>()).await?;
    let customers: std::collections::HashMap<i64, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(orders.iter().map(|o| o.customer_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let groups: std::collections::HashMap<i64, TaxRegime> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(customers.values().filter_map(|c| c.group_customer_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.tax_regime))
        .collect();
    Ok(orders
        .iter()
        .map(|o| {
            let c = customers.get(&o.customer_id);
            let regime = match c.and_then(|c| c.group_customer_id) {
                Some(g) if o.invoice_to_group => groups.get(&g).copied(),
                _ => c.map(|c| c.tax_regime),
            }
            .unwrap_or(TaxRegime::Standard);
            let mine: Vec<(Decimal, Option<Decimal>)> = lines
                .iter()
                .filter(|l| l.order_id == o.id)
                .map(|l| {
                    let code = items
                        .get(&l.item_id)
                        .copied()
                        .flatten()
                        .and_then(|id| codes.get(&id))
                        .map(|t| t.rate.0);
                    (pricing::LineFigures::money_of(l).net(), code)
                })
                .collect();
            (
                o.id,
                order_tax(
                    &mine,
                    o.header_discount_percent.0,
                    o.freight_amount.0,
                    regime,
                    o.exchange_rate.0,
                ),
            )
        })
        .collect())
}

pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    code: &str,
    name: &str,
    rate: Decimal,
) -> AppResult<tax_code::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let rate = crate::domain::sales_setup::percent("rate", rate)?;
    Ok(tax_code::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(validate::series_code("code", code)?),
        name: Set(validate::required("name", name, 100)?),
        rate: Set(Dec(rate)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn list(db: &DatabaseConnection, p: &Principal) -> AppResult<Vec<tax_code::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    Ok(tax_code::Entity::find()
        .filter(tax_code::Column::CompanyId.eq(p.company_id))
        .order_by_asc(tax_code::Column::Code)
        .all(db)
        .await?)
}

/// Tax codes by id (loaders, invoicing).
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, tax_code::Model>> {
    Ok(tax_code::Entity::find()
        .filter(tax_code::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// Sets (or clears) an item's default tax code.
pub async fn set_item_tax_code(
    db: &DatabaseConnection,
    p: &Principal,
    item_id: i64,
    tax_code_id: Option<i64>,
) -> AppResult<item::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let it = item::Entity::find_by_id(item_id)
        .filter(visibility::items(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("item"))?;
    if let Some(id) = tax_code_id {
        tax_code::Entity::find_by_id(id)
            .filter(tax_code::Column::CompanyId.eq(p.company_id))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("taxCodeId", "no such tax code"))?;
    }
    let mut am = it.into_active_model();
    am.tax_code_id = Set(tax_code_id);
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

/// Sets a customer's tax regime; documents already posted keep theirs.
pub async fn set_customer_regime(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: i64,
    regime: TaxRegime,
) -> AppResult<customer::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let c = customers::get(db, p, customer_id).await?;
    let mut am = c.into_active_model();
    am.tax_regime = Set(regime);
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn tax_is_rounded_per_line_half_away_from_zero_r_tax_1() {
        assert_eq!(line_tax(d("10.05"), d("21")), d("2.11")); // 2.1105
        assert_eq!(line_tax(d("0.50"), d("21")), d("0.11")); // 0.105 → up
        assert_eq!(line_tax(d("-0.50"), d("21")), d("-0.11")); // credit notes mirror
        assert_eq!(line_tax(d("99.99"), d("0")), d("0"));
        // Three lines of 0.50 at 21 %: 0.33 per line, where the document would say 0.32.
        let lines: Vec<_> = (0..3)
            .map(|_| (d("0.50"), d("21"), line_tax(d("0.50"), d("21"))))
            .collect();
        assert_eq!(by_rate(lines)[0].tax, d("0.33"));
    }

    #[test]
    fn exempt_and_reverse_charge_customers_pay_no_tax_and_reverse_charge_says_why() {
        assert_eq!(effective_rate(TaxRegime::Standard, Some(d("21"))), d("21"));
        assert_eq!(
            effective_rate(TaxRegime::Exempt, Some(d("21"))),
            Decimal::ZERO
        );
        assert_eq!(
            effective_rate(TaxRegime::ReverseCharge, Some(d("10"))),
            Decimal::ZERO
        );
        assert!(legal_note(TaxRegime::ReverseCharge).is_some());
        assert!(legal_note(TaxRegime::Exempt).is_none());
    }

    #[test]
    fn an_order_is_taxed_as_its_invoice_will_be() {
        // 15 bolts 4.50 at 21 %, oil 37.50 at 10 %, freight 4.32 at the highest rate (21 %),
        // header discount 10 %: 4.05 → 0.85, 33.75 → 3.38, 4.32 → 0.91.
        let t = order_tax(
            &[
                (d("4.50"), Some(d("21"))),
                (d("37.50"), Some(d("10"))),
                (Decimal::ZERO, Some(d("21"))), // a kit component: no value
            ],
            d("10"),
            d("4.32"),
            TaxRegime::Standard,
            d("2"),
        );
        assert_eq!(t.base, d("42.12"));
        assert_eq!(t.tax, d("5.14"));
        assert_eq!(t.total, d("47.26"));
        assert_eq!(t.company_total, d("94.52"));
        assert_eq!(t.by_rate.len(), 2);
        let exempt = order_tax(
            &[(d("4.50"), Some(d("21")))],
            d("0"),
            d("1"),
            TaxRegime::Exempt,
            d("1"),
        );
        assert_eq!(exempt.tax, Decimal::ZERO);
        assert_eq!(exempt.total, d("5.50"));
    }

    #[test]
    fn documents_sum_base_and_tax_per_rate() {
        let totals = by_rate([
            (d("100.00"), d("21"), d("21.00")),
            (d("50.00"), d("10"), d("5.00")),
            (d("20.00"), d("21.0000"), d("4.20")),
        ]);
        assert_eq!(
            totals,
            vec![
                RateTotal {
                    rate: d("10"),
                    base: d("50.00"),
                    tax: d("5.00")
                },
                RateTotal {
                    rate: d("21"),
                    base: d("120.00"),
                    tax: d("25.20")
                },
            ]
        );
    }
}
