//! Customer credit (R-ORD-9): risk = unshipped open order amounts + unpaid invoice amounts, in
//! the company currency. Over the limit (or `credit_blocked`) an order is put on credit hold
//! when the company blocks on credit excess, and otherwise saved with a warning.
use crate::error::AppResult;
use entity::{DocKind, DocStatus, company_settings, customer, sales_order};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

/// Orders whose amount still counts as risk: entered but not yet shipped.
pub const OPEN_STATUSES: [DocStatus; 3] = [
    DocStatus::Draft,
    DocStatus::Confirmed,
    DocStatus::PartiallyShipped,
];

/// Risk of `customer` from everything except `excluding` (the order being saved).
/// Summed in Rust: amounts are TEXT on SQLite, where SQL arithmetic would go through floats.
/// Unpaid invoices join the sum when invoicing lands (they do not exist yet).
pub async fn risk<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
    excluding: i64,
) -> AppResult<Decimal> {
    let amounts: Vec<entity::Dec> = sales_order::Entity::find()
        .select_only()
        .column(sales_order::Column::CompanyTotalAmount)
        .filter(sales_order::Column::CustomerId.eq(customer_id))
        .filter(sales_order::Column::Kind.eq(DocKind::Order))
        .filter(sales_order::Column::Status.is_in(OPEN_STATUSES))
        .filter(sales_order::Column::Id.ne(excluding))
        .into_tuple()
        .all(db)
        .await?;
    Ok(amounts.into_iter().map(|d| d.0).sum())
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
}
