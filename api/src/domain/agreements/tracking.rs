//! Released and fulfilled per commitment line (R-AGR-1), kept exact under concurrency.
//!
//! Every order line placed against a commitment stores what it contributes right now
//! (released: ordered and not yet shipped/received on an open order; fulfilled: shipped /
//! received). Whatever changes the line — entry, a quantity change, confirmation, a shipment,
//! a receipt, cancelling, closing, deleting — calls [`apply`] with the line's new contribution;
//! the agreement line moves by the difference, under its row lock, in the same transaction.
//! Nothing is recomputed by scanning orders, and a lost update is impossible: the agreement
//! line is read and written while locked (PostgreSQL `FOR UPDATE`, SQLite's single writer).
use super::terms::lock_lines;
use crate::domain::outbox::{self, AgreementEvent};
use crate::domain::pricing;
use crate::error::{AppError, AppResult};
use entity::{
    AgreementKind, CommitmentType, Dec, DocKind, DocStatus, PurchaseOrderStatus, agreement,
    agreement_line, purchase_order, purchase_order_line, sales_order, sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::BTreeMap;

/// What one order line contributes to its commitment line.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Contribution {
    pub released_quantity: Decimal,
    pub released_value: Decimal,
    pub fulfilled_quantity: Decimal,
    pub fulfilled_value: Decimal,
}

impl Contribution {
    /// `quantity` ordered at `net_unit` of which `done` was shipped (received); while the order
    /// is `open` the rest is released, otherwise it is given back. Released + fulfilled is the
    /// line's value exactly (rounded once, to the storage scale).
    pub fn of(quantity: Decimal, done: Decimal, net_unit: Decimal, open: bool) -> Contribution {
        let fulfilled_quantity = done.clamp(Decimal::ZERO, quantity);
        let value = pricing::round_price(quantity * net_unit);
        let fulfilled_value = if fulfilled_quantity == quantity {
            value
        } else {
            pricing::round_price(fulfilled_quantity * net_unit)
        };
        let (released_quantity, released_value) = if open {
            (quantity - fulfilled_quantity, value - fulfilled_value)
        } else {
            (Decimal::ZERO, Decimal::ZERO)
        };
        Contribution {
            released_quantity,
            released_value,
            fulfilled_quantity,
            fulfilled_value,
        }
    }

    fn minus(self, o: Contribution) -> Contribution {
        Contribution {
            released_quantity: self.released_quantity - o.released_quantity,
            released_value: self.released_value - o.released_value,
            fulfilled_quantity: self.fulfilled_quantity - o.fulfilled_quantity,
            fulfilled_value: self.fulfilled_value - o.fulfilled_value,
        }
    }

    fn plus(self, o: Contribution) -> Contribution {
        Contribution {
            released_quantity: self.released_quantity + o.released_quantity,
            released_value: self.released_value + o.released_value,
            fulfilled_quantity: self.fulfilled_quantity + o.fulfilled_quantity,
            fulfilled_value: self.fulfilled_value + o.fulfilled_value,
        }
    }

    fn columns(self) -> [Decimal; 4] {
        [
            self.released_quantity,
            self.released_value,
            self.fulfilled_quantity,
            self.fulfilled_value,
        ]
    }
}

/// One order line's contribution, as stored and as it is now.
#[derive(Clone, Copy, Debug)]
pub struct Move {
    pub order_line_id: i64,
    pub agreement_line_id: i64,
    pub was: Contribution,
    pub now: Contribution,
}

/// Whether a sales document's lines count as released: an order (not a quote) that is not
/// cancelled or closed.
pub fn sales_open(order: &sales_order::Model) -> bool {
    order.kind == DocKind::Order
        && matches!(
            order.status,
            DocStatus::Draft
                | DocStatus::Confirmed
                | DocStatus::PartiallyShipped
                | DocStatus::Shipped
        )
}

/// The move of a sales order line (quantities in sales units): shipped stock units count
/// in proportion to the line's stock quantity, bonus included (R-ORD-5). `factor` is the
/// item's sales→stock factor; `None` when the line is not on an agreement. A line that is
/// gone (deleted) passes `open = false` and `shipped = 0`.
pub fn sales_move(l: &sales_order_line::Model, factor: Decimal, open: bool) -> Option<Move> {
    let agreement_line_id = l.agreement_line_id?;
    let stock = (l.quantity.0 + l.bonus_quantity.0) * factor;
    let done = if stock > Decimal::ZERO {
        pricing::round_price(l.quantity.0 * l.shipped_quantity.0.min(stock) / stock)
    } else {
        Decimal::ZERO
    };
    // What a delivery within the under-delivery tolerance closed is released no more (R-IC-3).
    let closed = if stock > Decimal::ZERO {
        pricing::round_price(l.quantity.0 * l.closed_quantity.0 / stock)
    } else {
        Decimal::ZERO
    };
    let quantity = (l.quantity.0 - closed).max(done);
    let net = super::net_unit(l.unit_price.0, l.discount_percent.0);
    Some(Move {
        order_line_id: l.id,
        agreement_line_id,
        was: Contribution {
            released_quantity: l.agreement_released_quantity.0,
            released_value: l.agreement_released_value.0,
            fulfilled_quantity: l.agreement_fulfilled_quantity.0,
            fulfilled_value: l.agreement_fulfilled_value.0,
        },
        now: Contribution::of(quantity, done, net, open),
    })
}

/// Whether a purchase order's lines count as released: any not cancelled.
pub fn purchase_open(po: &purchase_order::Model) -> bool {
    po.status != PurchaseOrderStatus::Cancelled
}

/// The move of a purchase order line (stock units; the cost is already net).
pub fn purchase_move(l: &purchase_order_line::Model, open: bool) -> Option<Move> {
    Some(Move {
        order_line_id: l.id,
        agreement_line_id: l.agreement_line_id?,
        was: Contribution {
            released_quantity: l.agreement_released_quantity.0,
            released_value: l.agreement_released_value.0,
            fulfilled_quantity: l.agreement_fulfilled_quantity.0,
            fulfilled_value: l.agreement_fulfilled_value.0,
        },
        now: Contribution::of(l.quantity.0, l.received_quantity.0, l.unit_cost.0, open),
    })
}

/// Moves the commitment lines by what changed and records the order lines' new
/// contributions. No statement when nothing changed (the common case: orders without
/// agreements, confirmations); otherwise four whatever the number of lines, plus one read and
/// one event per agreement when something was fulfilled. A change that would release more
/// than a commitment has left is refused with VALIDATION: entry splits the excess off at the
/// trade price before it gets here (R-AGR-3), so only a later quantity increase can.
pub async fn apply<C: ConnectionTrait>(
    tx: &C,
    side: AgreementKind,
    moves: impl IntoIterator<Item = Move>,
    customer_rep_id: Option<i64>,
) -> AppResult<()> {
    let moves: Vec<Move> = moves.into_iter().filter(|m| m.now != m.was).collect();
    if moves.is_empty() {
        return Ok(());
    }
    let mut delta: BTreeMap<i64, Contribution> = BTreeMap::new();
    for m in &moves {
        let d = delta.entry(m.agreement_line_id).or_default();
        *d = d.plus(m.now.minus(m.was));
    }
    let ids: Vec<i64> = delta.keys().copied().collect();
    let locked = lock_lines(tx, &ids).await?;
    let mut rows = Vec::with_capacity(delta.len());
    let mut fulfilled: BTreeMap<i64, Vec<serde_json::Value>> = BTreeMap::new();
    for (id, d) in &delta {
        let l = locked
            .get(id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("agreement line {id} vanished")))?;
        let new = Contribution {
            released_quantity: l.released_quantity.0,
            released_value: l.released_value.0,
            fulfilled_quantity: l.fulfilled_quantity.0,
            fulfilled_value: l.fulfilled_value.0,
        }
        .plus(*d);
        let grows = d.released_quantity > Decimal::ZERO || d.released_value > Decimal::ZERO;
        let over = match l.commitment {
            CommitmentType::ProductQuantity => {
                new.released_quantity + new.fulfilled_quantity > l.quantity.0
            }
            _ => new.released_value + new.fulfilled_value > l.value.0,
        };
        if grows && over {
            let left = super::remaining(l);
            let left = match l.commitment {
                CommitmentType::ProductQuantity => format!("{} units", left.quantity.normalize()),
                _ => format!("{} in value", left.value.normalize()),
            };
            return Err(AppError::validation(
                "quantity",
                format!(
                    "this exceeds what agreement line {} has left ({left}); order the excess on \
                     a line of its own, priced at the trade price (R-AGR-3)",
                    l.position
                ),
            ));
        }
        if !d.fulfilled_quantity.is_zero() || !d.fulfilled_value.is_zero() {
            fulfilled.entry(l.agreement_id).or_default().push(json!({
                "agreementLineId": l.id,
                "position": l.position,
                "fulfilledQuantity": Dec::canonical(new.fulfilled_quantity).to_string(),
                "fulfilledValue": Dec::canonical(new.fulfilled_value).to_string(),
            }));
        }
        rows.push((*id, new.columns()));
    }
    {
        use agreement_line::Column as A;
        set_by_id::<agreement_line::Entity, _>(
            tx,
            A::Id,
            [
                A::ReleasedQuantity,
                A::ReleasedValue,
                A::FulfilledQuantity,
                A::FulfilledValue,
            ],
            &rows,
        )
        .await?;
    }
    let lines: Vec<(i64, [Decimal; 4])> = moves
        .iter()
        .map(|m| (m.order_line_id, m.now.columns()))
        .collect();
    match side {
        AgreementKind::Sales => {
            use sales_order_line::Column as L;
            set_by_id::<sales_order_line::Entity, _>(
                tx,
                L::Id,
                [
                    L::AgreementReleasedQuantity,
                    L::AgreementReleasedValue,
                    L::AgreementFulfilledQuantity,
                    L::AgreementFulfilledValue,
                ],
                &lines,
            )
            .await?
        }
        AgreementKind::Purchase => {
            use purchase_order_line::Column as L;
            set_by_id::<purchase_order_line::Entity, _>(
                tx,
                L::Id,
                [
                    L::AgreementReleasedQuantity,
                    L::AgreementReleasedValue,
                    L::AgreementFulfilledQuantity,
                    L::AgreementFulfilledValue,
                ],
                &lines,
            )
            .await?
        }
    }
    if !fulfilled.is_empty() {
        let agreements = agreement::Entity::find()
            .filter(agreement::Column::Id.is_in(fulfilled.keys().copied()))
            .all(tx)
            .await?;
        for a in &agreements {
            let lines = fulfilled.remove(&a.id).unwrap_or_default();
            outbox::record_agreement(
                tx,
                a,
                customer_rep_id,
                AgreementEvent::LineFulfilled,
                json!({ "lines": lines }),
            )
            .await?;
        }
    }
    Ok(())
}

/// Sets four decimal columns of rows by id in one statement (`CASE id WHEN … THEN …`).
async fn set_by_id<E, C>(
    tx: &C,
    id: E::Column,
    cols: [E::Column; 4],
    rows: &[(i64, [Decimal; 4])],
) -> AppResult<()>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let Some(((first_id, first), rest)) = rows.split_first() else {
        return Ok(());
    };
    let mut update = E::update_many();
    for (n, col) in cols.into_iter().enumerate() {
        let mut case = Expr::case(id.eq(*first_id), Expr::value(Dec(first[n])));
        for (row_id, values) in rest {
            case = case.case(id.eq(*row_id), Expr::value(Dec(values[n])));
        }
        update = update.col_expr(col, case.finally(Expr::col(col)).into());
    }
    update
        .filter(id.is_in(rows.iter().map(|r| r.0)))
        .exec(tx)
        .await?;
    Ok(())
}

/// The contributions of sales order lines that are about to be deleted (a line removed, an
/// order deleted, lines replaced): given back in full before the rows go.
pub async fn withdraw_sales<C: ConnectionTrait>(
    tx: &C,
    lines: &[sales_order_line::Model],
) -> AppResult<()> {
    let moves: Vec<Move> = lines
        .iter()
        .filter_map(|l| {
            let mut m = sales_move(l, Decimal::ONE, false)?;
            m.now = Contribution::default();
            Some(m)
        })
        .collect();
    // Their rows are deleted next in the same transaction; recording the zeros on them too
    // costs one statement and keeps `apply` the only writer.
    apply(tx, AgreementKind::Sales, moves, None).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn released_plus_fulfilled_is_the_line_value_at_every_step_r_agr_1() {
        let net = d("0.2125"); // 0.25 less 15 %
        let c = Contribution::of(d("600"), d("0"), net, true);
        assert_eq!(
            (c.released_quantity, c.released_value),
            (d("600"), d("127.5"))
        );
        let c = Contribution::of(d("600"), d("250"), net, true);
        assert_eq!(c.released_quantity + c.fulfilled_quantity, d("600"));
        assert_eq!(c.released_value + c.fulfilled_value, d("127.5"));
        assert_eq!(c.fulfilled_value, d("53.125"));
        let c = Contribution::of(d("600"), d("250"), net, false);
        assert_eq!(
            c.released_quantity,
            Decimal::ZERO,
            "closed: the rest is given back"
        );
        assert_eq!(c.fulfilled_quantity, d("250"));
        let c = Contribution::of(d("3"), d("1"), d("0.3333"), true);
        assert_eq!(c.released_value + c.fulfilled_value, d("0.9999"));
    }
}
