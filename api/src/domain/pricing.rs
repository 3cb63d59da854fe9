//! Order arithmetic: prices, line and document amounts, freight, weight and volume, currency
//! conversion (R-ORD-4…7, R-ORD-12, R-ORD-13).
//!
//! Everything stays exact (`Decimal`) until a document is totalled; totals are rounded half
//! away from zero to 2 places (DOMAIN.md). Nothing here touches the database.
use entity::{FreightCalc, PriceSource, sales_order_line};
use rust_decimal::{Decimal, RoundingStrategy};

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Rounds a document total to cents, half away from zero.
pub fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Unit prices are kept to 4 places (the storage scale).
pub fn round_price(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

/// Price and discount terms for one (customer, item): what each source offers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Terms {
    pub price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
}

/// The resolved price of a line before any manual override.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolved {
    pub unit_price: Decimal,
    pub discount_percent: Decimal,
    pub source: PriceSource,
}

/// R-ORD-6: agreement > customer-specific > list price; the discount resolves the same way,
/// independently (a customer may have a special discount on the list price).
pub fn resolve(agreement: Option<Terms>, customer: Option<Terms>, list_price: Decimal) -> Resolved {
    let sources = [
        (agreement.unwrap_or_default(), PriceSource::Agreement),
        (customer.unwrap_or_default(), PriceSource::Customer),
    ];
    let (unit_price, source) = sources
        .iter()
        .find_map(|(t, s)| t.price.map(|p| (p, *s)))
        .unwrap_or((list_price, PriceSource::List));
    let discount_percent = sources
        .iter()
        .find_map(|(t, _)| t.discount_percent)
        .unwrap_or(Decimal::ZERO);
    Resolved {
        unit_price,
        discount_percent,
        source,
    }
}

/// A price in the company currency expressed in the order currency. `rate` is the value of
/// one unit of the order currency in the company currency (R-ORD-7).
pub fn to_order_currency(company_price: Decimal, rate: Decimal) -> Decimal {
    if rate == Decimal::ONE {
        company_price
    } else {
        round_price(company_price / rate)
    }
}

/// What one line contributes, exact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineFigures {
    /// Quantity (sales units) that is charged; the bonus quantity ships free (R-ORD-5).
    pub quantity: Decimal,
    pub bonus_quantity: Decimal,
    pub unit_price: Decimal,
    pub discount_percent: Decimal,
    /// Item master weight and volume per stock unit, and the sales→stock factor (R-ITEM-3).
    pub unit_weight: Decimal,
    pub unit_volume: Decimal,
    pub factor: Decimal,
    /// Counts towards the QTY_ZONE freight quantity (merchandise lines, R-ORD-12).
    pub counts_for_freight: bool,
}

impl LineFigures {
    /// The money side of a stored line (what `gross` and `net` need); weight, volume and
    /// freight basis are left out.
    pub fn money_of(l: &sales_order_line::Model) -> LineFigures {
        LineFigures {
            quantity: l.quantity.0,
            bonus_quantity: l.bonus_quantity.0,
            unit_price: l.unit_price.0,
            discount_percent: l.discount_percent.0,
            unit_weight: Decimal::ZERO,
            unit_volume: Decimal::ZERO,
            factor: Decimal::ONE,
            counts_for_freight: false,
        }
    }

    /// R-ORD-4: quantity × unit price; the bonus is not charged.
    pub fn gross(&self) -> Decimal {
        self.quantity * self.unit_price
    }

    pub fn net(&self) -> Decimal {
        self.gross() * (HUNDRED - self.discount_percent) / HUNDRED
    }

    /// Stock units that ship: (quantity + bonus) × factor (R-ORD-5, R-ITEM-3).
    pub fn stock_quantity(&self) -> Decimal {
        (self.quantity + self.bonus_quantity) * self.factor
    }
}

/// Whether any amount of these lines — a line's gross, the document's sums, their weight and
/// volume, and the same in the company currency at `rate` — would not fit a stored
/// NUMERIC(19,4) (15 integer digits) or would overflow the arithmetic itself. Order entry
/// refuses such a document with VALIDATION before computing anything (R-ORD-7).
pub fn exceeds_storable(lines: &[LineFigures], rate: Decimal) -> bool {
    let limit = crate::domain::validate::MAX_AMOUNT;
    let fits = |v: Option<Decimal>| v.filter(|v| v.abs() <= limit);
    let mut sums = [Some(Decimal::ZERO); 3]; // gross, weight, volume
    for l in lines {
        let gross = fits(l.quantity.checked_mul(l.unit_price));
        let stock = fits(
            l.quantity
                .checked_add(l.bonus_quantity)
                .and_then(|q| q.checked_mul(l.factor)),
        );
        let weight = stock.and_then(|s| fits(s.checked_mul(l.unit_weight)));
        let volume = stock.and_then(|s| fits(s.checked_mul(l.unit_volume)));
        for (sum, v) in sums.iter_mut().zip([gross, weight, volume]) {
            *sum = fits(sum.zip(v).and_then(|(a, b)| a.checked_add(b)));
        }
    }
    let company = sums[0].and_then(|g| fits(g.checked_mul(rate)));
    sums.iter().any(Option::is_none) || company.is_none()
}

/// Document totals in the order currency and in the company currency.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub gross: Decimal,
    pub discount: Decimal,
    pub net: Decimal,
    pub freight: Decimal,
    pub total: Decimal,
    pub company_gross: Decimal,
    pub company_net: Decimal,
    pub company_freight: Decimal,
    pub company_total: Decimal,
    pub weight: Decimal,
    pub volume: Decimal,
    /// Σ charged quantity of merchandise lines, the QTY_ZONE basis.
    pub freight_quantity: Decimal,
}

/// Totals of the merchandise (R-ORD-4) with the header discount applied to the line nets.
/// Freight is added by [`with_freight`] once it is known, because it depends on the net.
pub fn merchandise(
    lines: &[LineFigures],
    header_discount_percent: Decimal,
    rate: Decimal,
) -> Totals {
    let gross: Decimal = lines.iter().map(LineFigures::gross).sum();
    let line_net: Decimal = lines.iter().map(LineFigures::net).sum();
    let net = line_net * (HUNDRED - header_discount_percent) / HUNDRED;
    let weight: Decimal = lines
        .iter()
        .map(|l| l.stock_quantity() * l.unit_weight)
        .sum();
    let volume: Decimal = lines
        .iter()
        .map(|l| l.stock_quantity() * l.unit_volume)
        .sum();
    let freight_quantity = lines
        .iter()
        .filter(|l| l.counts_for_freight)
        .map(|l| l.quantity)
        .sum();
    let (gross_r, net_r) = (round_money(gross), round_money(net));
    let (company_gross, company_net) = (round_money(gross * rate), round_money(net * rate));
    Totals {
        gross: gross_r,
        discount: gross_r - net_r,
        net: net_r,
        freight: Decimal::ZERO,
        total: net_r,
        company_gross,
        company_net,
        company_freight: Decimal::ZERO,
        company_total: company_net,
        weight,
        volume,
        freight_quantity,
    }
}

pub fn with_freight(mut t: Totals, freight: Decimal, rate: Decimal) -> Totals {
    t.freight = round_money(freight);
    t.total = t.net + t.freight;
    t.company_freight = round_money(freight * rate);
    t.company_total = t.company_net + t.company_freight;
    t
}

/// One row of a carrier's freight table.
#[derive(Clone, Debug, PartialEq)]
pub struct FreightRate {
    pub zone: Option<String>,
    pub province: Option<String>,
    pub reference_quantity: Decimal,
    pub max_weight: Decimal,
    pub amount: Decimal,
}

/// R-ORD-12: `QTY_ZONE` = Σ quantities ÷ reference quantity × amount from the customer zone's
/// row; `KG_PROVINCE` = the amount of the lightest bracket of the destination province that
/// holds the weight (the heaviest bracket when the weight exceeds them all). `None` when the
/// carrier's table has no row for the zone or province.
pub fn freight(
    calc: FreightCalc,
    rates: &[FreightRate],
    zone: Option<&str>,
    province: Option<&str>,
    quantity: Decimal,
    weight: Decimal,
) -> Option<Decimal> {
    match calc {
        FreightCalc::None => Some(Decimal::ZERO),
        FreightCalc::QtyZone => {
            let row = rates.iter().find(|r| r.zone.as_deref() == zone)?;
            if row.reference_quantity.is_zero() {
                return None;
            }
            Some(quantity / row.reference_quantity * row.amount)
        }
        FreightCalc::KgProvince => {
            let mut rows: Vec<&FreightRate> = rates
                .iter()
                .filter(|r| r.province.as_deref() == province)
                .collect();
            rows.sort_by_key(|r| r.max_weight);
            rows.iter()
                .find(|r| r.max_weight >= weight)
                .or(rows.last())
                .map(|r| r.amount)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(q: &str, bonus: &str, price: &str, disc: &str) -> LineFigures {
        LineFigures {
            quantity: d(q),
            bonus_quantity: d(bonus),
            unit_price: d(price),
            discount_percent: d(disc),
            unit_weight: d("0.5"),
            unit_volume: d("0.001"),
            factor: Decimal::ONE,
            counts_for_freight: true,
        }
    }

    #[test]
    fn price_resolution_prefers_agreement_then_customer_then_list_r_ord_6() {
        let agreement = Terms {
            price: Some(d("1.00")),
            discount_percent: None,
        };
        let customer = Terms {
            price: Some(d("1.10")),
            discount_percent: Some(d("5")),
        };
        let r = resolve(Some(agreement), Some(customer), d("1.50"));
        assert_eq!(
            (r.unit_price, r.source),
            (d("1.00"), PriceSource::Agreement)
        );
        assert_eq!(
            r.discount_percent,
            d("5"),
            "discount falls through to the customer's"
        );
        let r = resolve(None, Some(customer), d("1.50"));
        assert_eq!((r.unit_price, r.source), (d("1.10"), PriceSource::Customer));
        let r = resolve(None, None, d("1.50"));
        assert_eq!(
            (r.unit_price, r.discount_percent),
            (d("1.50"), Decimal::ZERO)
        );
        assert_eq!(r.source, PriceSource::List);
    }

    #[test]
    fn bonus_quantity_ships_but_is_not_charged_r_ord_5() {
        let l = line("100", "10", "2", "0");
        assert_eq!(l.gross(), d("200"));
        assert_eq!(l.stock_quantity(), d("110"));
    }

    #[test]
    fn totals_round_only_at_the_document_r_ord_4() {
        // Three lines of 0.3333 × 1 at 10 %: exact net 0.89991 → 0.90 only at the total.
        let lines = vec![line("1", "0", "0.3333", "10"); 3];
        let t = merchandise(&lines, Decimal::ZERO, Decimal::ONE);
        assert_eq!(t.gross, d("1.00"));
        assert_eq!(t.net, d("0.90"));
        assert_eq!(t.discount, d("0.10"));
        // Header discount applies after line discounts.
        let t = merchandise(&[line("10", "0", "10", "10")], d("5"), Decimal::ONE);
        assert_eq!(t.net, d("85.50"));
    }

    #[test]
    fn half_cents_round_away_from_zero() {
        assert_eq!(round_money(d("0.125")), d("0.13"));
        assert_eq!(round_money(d("-0.125")), d("-0.13"));
    }

    #[test]
    fn foreign_currency_amounts_convert_at_the_order_rate_r_ord_7() {
        let t = merchandise(&[line("3", "0", "33.3333", "0")], Decimal::ZERO, d("0.9"));
        assert_eq!(t.net, d("100.00"));
        assert_eq!(t.company_net, d("90.00"));
        let t = with_freight(t, d("10"), d("0.9"));
        assert_eq!((t.total, t.company_total), (d("110.00"), d("99.00")));
        assert_eq!(to_order_currency(d("1.8"), d("0.9")), d("2"));
    }

    #[test]
    fn weight_and_volume_sum_item_master_times_shipped_stock_quantity_r_ord_13() {
        let t = merchandise(&[line("10", "2", "1", "0")], Decimal::ZERO, Decimal::ONE);
        assert_eq!(t.weight, d("6.0"));
        assert_eq!(t.volume, d("0.012"));
    }

    #[test]
    fn qty_zone_freight_is_quantity_over_reference_times_amount_r_ord_12() {
        let rates = vec![FreightRate {
            zone: Some("NORTH".into()),
            province: None,
            reference_quantity: d("50"),
            max_weight: Decimal::ZERO,
            amount: d("12"),
        }];
        let f = freight(
            FreightCalc::QtyZone,
            &rates,
            Some("NORTH"),
            None,
            d("125"),
            d("0"),
        );
        assert_eq!(f, Some(d("30")));
        assert_eq!(
            freight(
                FreightCalc::QtyZone,
                &rates,
                Some("SOUTH"),
                None,
                d("125"),
                d("0")
            ),
            None
        );
    }

    #[test]
    fn kg_province_freight_takes_the_lightest_bracket_holding_the_weight_r_ord_12() {
        let rate = |max: &str, amount: &str| FreightRate {
            zone: None,
            province: Some("MADRID".into()),
            reference_quantity: Decimal::ZERO,
            max_weight: d(max),
            amount: d(amount),
        };
        let rates = vec![rate("100", "20"), rate("10", "5"), rate("50", "9")];
        let f = |w: &str| {
            freight(
                FreightCalc::KgProvince,
                &rates,
                None,
                Some("MADRID"),
                d("0"),
                d(w),
            )
        };
        assert_eq!(f("7"), Some(d("5")));
        assert_eq!(f("10"), Some(d("5")));
        assert_eq!(f("10.5"), Some(d("9")));
        assert_eq!(f("500"), Some(d("20")));
    }
}
