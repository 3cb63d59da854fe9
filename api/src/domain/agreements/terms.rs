//! Agreement prices for order entry (R-AGR-2): which commitment line prices an order line,
//! and how much of the order line its remaining commitment holds — the excess is priced at
//! the trade price (R-ORD-6) on a line of its own, with the warning `AGREEMENT_EXCEEDED`.
use super::{Remaining, net_unit, remaining};
use crate::error::AppResult;
use chrono::NaiveDate;
use entity::{AgreementKind, AgreementStatus, CommitmentType, agreement, agreement_line};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;

/// What a commitment line offers an order line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Offer {
    pub agreement_line_id: i64,
    pub commitment: CommitmentType,
    /// The agreement price (agreement currency = order currency); None: the trade price.
    pub unit_price: Option<Decimal>,
    pub discount_percent: Decimal,
}

impl Offer {
    pub fn of(l: &agreement_line::Model) -> Offer {
        Offer {
            agreement_line_id: l.id,
            commitment: l.commitment,
            unit_price: l.unit_price.map(|p| p.0),
            discount_percent: l.discount_percent.0,
        }
    }
}

/// The offers of the effective agreements of one customer (supplier): per item, and the
/// `VALUE` line that covers any item.
#[derive(Debug, Default)]
pub struct Offers {
    by_item: HashMap<i64, Offer>,
    any: Option<Offer>,
}

impl Offers {
    /// A product line for the item wins over a `VALUE` line.
    pub fn for_item(&self, item_id: i64) -> Option<Offer> {
        self.by_item.get(&item_id).copied().or(self.any)
    }
}

/// Offers of the EFFECTIVE agreements of `kind` with `party` (customer or supplier) in
/// `currency` valid on `on`, for `item_ids` (R-AGR-2). When several agreements cover an item,
/// the oldest one's line applies. One statement.
pub async fn effective<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    kind: AgreementKind,
    party_id: i64,
    currency: &str,
    on: NaiveDate,
    item_ids: &[i64],
) -> AppResult<Offers> {
    let party = match kind {
        AgreementKind::Sales => agreement::Column::CustomerId,
        AgreementKind::Purchase => agreement::Column::SupplierId,
    };
    let agreements = Query::select()
        .column(agreement::Column::Id)
        .from(agreement::Entity)
        .and_where(agreement::Column::CompanyId.eq(company_id))
        .and_where(agreement::Column::Kind.eq(kind))
        .and_where(party.eq(party_id))
        .and_where(agreement::Column::Status.eq(AgreementStatus::Effective))
        .and_where(agreement::Column::Currency.eq(currency))
        .and_where(agreement::Column::ValidFrom.lte(on))
        .and_where(agreement::Column::ValidTo.gte(on))
        .to_owned();
    let lines = agreement_line::Entity::find()
        .filter(agreement_line::Column::AgreementId.in_subquery(agreements))
        .filter(
            Condition::any()
                .add(agreement_line::Column::ItemId.is_in(item_ids.to_vec()))
                .add(agreement_line::Column::ItemId.is_null()),
        )
        .order_by_asc(agreement_line::Column::AgreementId)
        .order_by_asc(agreement_line::Column::Position)
        .all(db)
        .await?;
    let mut offers = Offers::default();
    for l in &lines {
        match l.item_id {
            Some(item) => {
                offers.by_item.entry(item).or_insert_with(|| Offer::of(l));
            }
            None => {
                offers.any.get_or_insert_with(|| Offer::of(l));
            }
        }
    }
    Ok(offers)
}

/// Reads and locks (PostgreSQL; a SQLite write transaction holds the database) the agreement
/// lines `ids` until the transaction ends, in id order against deadlocks: whoever apportions
/// or moves a commitment holds it.
pub async fn lock_lines<C: ConnectionTrait>(
    tx: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, agreement_line::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = agreement_line::Entity::find()
        .filter(agreement_line::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(agreement_line::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.all(tx).await?.into_iter().map(|l| (l.id, l)).collect())
}

/// What is still open on each locked line, consumed as order lines are apportioned.
pub struct Capacity(HashMap<i64, (CommitmentType, Remaining)>);

impl Capacity {
    pub fn of(lines: &HashMap<i64, agreement_line::Model>) -> Capacity {
        Capacity(
            lines
                .iter()
                .map(|(id, l)| (*id, (l.commitment, remaining(l))))
                .collect(),
        )
    }

    /// How much of `quantity` at `price`/`discount` the line still holds, taken from it. A
    /// quantity commitment holds exact quantities; a value commitment whole units whose value
    /// fits (a fraction of a unit is not split off by value).
    pub fn take(
        &mut self,
        agreement_line_id: i64,
        quantity: Decimal,
        price: Decimal,
        discount_percent: Decimal,
    ) -> Decimal {
        let Some((commitment, left)) = self.0.get_mut(&agreement_line_id) else {
            return Decimal::ZERO;
        };
        let net = net_unit(price, discount_percent);
        let held = match commitment {
            CommitmentType::ProductQuantity => quantity.min(left.quantity),
            _ if net <= Decimal::ZERO => quantity,
            _ => {
                let whole = (left.value / net).round_dp_with_strategy(0, RoundingStrategy::ToZero);
                if quantity * net <= left.value {
                    quantity
                } else {
                    quantity.min(whole)
                }
            }
        };
        left.quantity = (left.quantity - held).max(Decimal::ZERO);
        left.value = (left.value - held * net).max(Decimal::ZERO);
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::Dec;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(
        id: i64,
        commitment: CommitmentType,
        quantity: &str,
        value: &str,
    ) -> agreement_line::Model {
        agreement_line::Model {
            id,
            company_id: 1,
            agreement_id: 1,
            position: id,
            commitment,
            item_id: Some(id),
            quantity: Dec(d(quantity)),
            value: Dec(d(value)),
            unit_price: None,
            discount_percent: Dec::ZERO,
            released_quantity: Dec::ZERO,
            released_value: Dec::ZERO,
            fulfilled_quantity: Dec::ZERO,
            fulfilled_value: Dec::ZERO,
        }
    }

    #[test]
    fn a_commitment_holds_what_remains_and_the_excess_is_left_out_r_agr_3() {
        let lines: HashMap<i64, agreement_line::Model> = [
            line(1, CommitmentType::ProductQuantity, "1000", "0"),
            line(2, CommitmentType::ProductValue, "0", "100"),
        ]
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
        let mut c = Capacity::of(&lines);
        assert_eq!(c.take(1, d("600"), d("0.25"), d("0")), d("600"));
        assert_eq!(c.take(1, d("600"), d("0.25"), d("0")), d("400"), "400 left");
        assert_eq!(c.take(1, d("1"), d("0.25"), d("0")), d("0"));
        // Value 100 at 30 less 10 % = 27 a unit: three whole units fit (81), not four (108).
        assert_eq!(c.take(2, d("5"), d("30"), d("10")), d("3"));
        assert_eq!(
            c.take(2, d("1"), d("19"), d("0")),
            d("1"),
            "19 left, a unit at 19 fits"
        );
        assert_eq!(c.take(2, d("1"), d("0.01"), d("0")), d("0"), "nothing left");
    }
}
