//! Pure arithmetic of fulfilment: how much of a line is still to deliver, reserve or wait for
//! (R-RES-2, R-BO-1), which stock slots a reservation takes (R-BO-1: warehouses in priority
//! order, oldest lot first), how a receipt is spread over waiting backorders (R-BO-5) and the
//! order status that follows (R-ORD-17). No database here; the areas that move stock call it.
use chrono::{DateTime, Utc};
use entity::{BackorderStatus, DocStatus, backorder, item, sales_order_line};
use rust_decimal::Decimal;

/// Stock units a line asks for: (quantity + bonus) × the item's sales-unit factor (R-ITEM-3,
/// R-RES-2 "bonus included").
pub fn stock_quantity(line: &sales_order_line::Model, item: &item::Model) -> Decimal {
    (line.quantity.0 + line.bonus_quantity.0) * item.sales_unit_factor.0
}

/// Where one stocked line stands, in stock units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineProgress {
    pub ordered: Decimal,
    pub shipped: Decimal,
    pub reserved: Decimal,
    /// Open quantity of the line's live backorders (waiting for supply).
    pub backordered: Decimal,
    /// Backordered quantity that left this order: assigned to a new order (R-BO-6) or
    /// cancelled by the customer (R-BO-2).
    pub handed_over: Decimal,
}

impl LineProgress {
    /// Still to be delivered by this order.
    pub fn outstanding(&self) -> Decimal {
        (self.ordered - self.shipped - self.handed_over).max(Decimal::ZERO)
    }

    /// Neither reserved nor waiting on a backorder: what a reservation may still take
    /// (R-RES-2) and what confirmation must cover (R-BO-1).
    pub fn need(&self) -> Decimal {
        (self.outstanding() - self.reserved - self.backordered).max(Decimal::ZERO)
    }

    /// Adds one backorder of the line.
    pub fn add_backorder(&mut self, b: &backorder::Model) {
        let (open, handed_over) = backorder_split(b);
        self.backordered += open;
        self.handed_over += handed_over;
    }
}

/// (still waiting, gone elsewhere) of a backorder: assigned quantity went to a new order, and
/// a cancelled backorder's open quantity will not be delivered at all.
pub fn backorder_split(b: &backorder::Model) -> (Decimal, Decimal) {
    let assigned = b.quantity.0 - b.open_quantity.0;
    if b.status == BackorderStatus::Cancelled {
        (Decimal::ZERO, b.quantity.0)
    } else {
        (b.open_quantity.0, assigned)
    }
}

/// The status an order in fulfilment reaches (R-ORD-17): SHIPPED once nothing is outstanding
/// (and something was shipped or handed over), PARTIALLY_SHIPPED once anything shipped.
pub fn status_after(lines: &[LineProgress]) -> DocStatus {
    let shipped = lines.iter().any(|l| !l.shipped.is_zero());
    let moved = shipped || lines.iter().any(|l| !l.handed_over.is_zero());
    if moved && lines.iter().all(|l| l.outstanding().is_zero()) {
        DocStatus::Shipped
    } else if shipped {
        DocStatus::PartiallyShipped
    } else {
        DocStatus::Confirmed
    }
}

/// A stock slot as reservation planning sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotView {
    pub id: i64,
    pub warehouse_priority: i32,
    pub warehouse_id: i64,
    pub lot: String,
    pub available: Decimal,
}

/// Takes up to `need` from `slots`: warehouses in priority order (lower value first), within a
/// warehouse the oldest slot (first received) first; only slots of `lot` when the line names
/// one (R-BO-1). Returns `(slot id, quantity)` pieces; their sum is below `need` when stock is
/// short.
pub fn plan(need: Decimal, slots: &[SlotView], lot: Option<&str>) -> Vec<(i64, Decimal)> {
    let mut order: Vec<&SlotView> = slots
        .iter()
        .filter(|s| s.available > Decimal::ZERO && lot.is_none_or(|l| s.lot == l))
        .collect();
    order.sort_by_key(|s| (s.warehouse_priority, s.warehouse_id, s.id));
    let mut left = need;
    let mut out = Vec::new();
    for s in order {
        if left <= Decimal::ZERO {
            break;
        }
        let take = left.min(s.available);
        out.push((s.id, take));
        left -= take;
    }
    out
}

/// A confirmed backorder waiting for supply.
#[derive(Clone, Debug)]
pub struct Waiting {
    pub id: i64,
    pub priority: i64,
    pub created_at: DateTime<Utc>,
    pub open: Decimal,
}

/// Automatic assignment (R-BO-5): higher priority first, then oldest first; never more than a
/// backorder's open quantity nor more than `available` in all.
pub fn assign_automatically(available: Decimal, waiting: &[Waiting]) -> Vec<(i64, Decimal)> {
    let mut queue: Vec<&Waiting> = waiting.iter().filter(|w| w.open > Decimal::ZERO).collect();
    queue.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
    let mut left = available;
    let mut out = Vec::new();
    for w in queue {
        if left <= Decimal::ZERO {
            break;
        }
        let take = left.min(w.open);
        out.push((w.id, take));
        left -= take;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    macro_rules! dec {
        ($v:literal) => {
            Decimal::from_str(stringify!($v)).unwrap()
        };
    }

    fn slot(id: i64, prio: i32, wh: i64, lot: &str, available: Decimal) -> SlotView {
        SlotView {
            id,
            warehouse_priority: prio,
            warehouse_id: wh,
            lot: lot.into(),
            available,
        }
    }

    #[test]
    fn confirming_160_with_100_in_stock_reserves_100_and_leaves_60_short() {
        let pieces = plan(dec!(160), &[slot(1, 1, 1, "", dec!(100))], None);
        assert_eq!(pieces, vec![(1, dec!(100))]);
        let p = LineProgress {
            ordered: dec!(160),
            reserved: dec!(100),
            ..Default::default()
        };
        assert_eq!(p.need(), dec!(60));
    }

    #[test]
    fn planning_takes_warehouses_by_priority_then_the_oldest_slot() {
        let slots = [
            slot(5, 2, 20, "", dec!(50)),
            slot(9, 1, 10, "L2", dec!(3)),
            slot(4, 1, 10, "L1", dec!(4)),
        ];
        assert_eq!(
            plan(dec!(10), &slots, None),
            vec![(4, dec!(4)), (9, dec!(3)), (5, dec!(3))]
        );
    }

    #[test]
    fn a_line_naming_a_lot_takes_only_that_lot() {
        let slots = [slot(1, 1, 1, "A", dec!(5)), slot(2, 1, 1, "B", dec!(5))];
        assert_eq!(plan(dec!(8), &slots, Some("B")), vec![(2, dec!(5))]);
    }

    #[test]
    fn empty_slots_are_skipped() {
        let slots = [slot(1, 1, 1, "", dec!(0)), slot(2, 1, 1, "", dec!(2))];
        assert_eq!(plan(dec!(1), &slots, None), vec![(2, dec!(1))]);
    }

    #[test]
    fn automatic_assignment_serves_priority_then_age_and_stops_at_the_receipt() {
        let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
        let waiting = [
            Waiting {
                id: 1,
                priority: 0,
                created_at: t(1),
                open: dec!(60),
            },
            Waiting {
                id: 2,
                priority: 5,
                created_at: t(3),
                open: dec!(30),
            },
            Waiting {
                id: 3,
                priority: 0,
                created_at: t(2),
                open: dec!(40),
            },
        ];
        assert_eq!(
            assign_automatically(dec!(80), &waiting),
            vec![(2, dec!(30)), (1, dec!(50))]
        );
    }

    #[test]
    fn handed_over_backorders_complete_the_origin_line() {
        let mut p = LineProgress {
            ordered: dec!(160),
            shipped: dec!(100),
            backordered: dec!(60),
            ..Default::default()
        };
        assert_eq!(status_after(&[p]), DocStatus::PartiallyShipped);
        p.backordered = dec!(0);
        p.handed_over = dec!(60);
        assert_eq!(status_after(&[p]), DocStatus::Shipped);
        assert_eq!(
            status_after(&[LineProgress::default()]),
            DocStatus::Confirmed
        );
    }
}
