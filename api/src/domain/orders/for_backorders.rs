//! The orders that backorder assignment makes (R-BO-6): a confirmed order for the customer of
//! an origin order, with the origin's terms and the assigned quantities. The assignment rules
//! live in `domain::backorders`.
use super::placeholder_number;
use super::save::{context, finish_with};
use crate::auth::Principal;
use crate::domain::outbox::OrderEvent;
use crate::error::AppResult;
use chrono::Utc;
use entity::{Dec, DocKind, DocStatus, FinancialStatus, item, sales_order, sales_order_line};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

/// One line of an order made by backorder assignment: the origin line's terms, the assigned
/// stock quantity.
pub(crate) struct CopiedLine {
    pub origin: sales_order_line::Model,
    pub item: item::Model,
    /// Stock units.
    pub stock_quantity: Decimal,
}

/// Creates a CONFIRMED order for the customer of `origin` with the origin's commercial terms
/// and one line per copied line (price and discount of the origin line, quantity converted to
/// sales units), numbered in the origin's series (R-BO-6). Credit is not judged again: the
/// origin order was. Returns the order and its lines in the given order.
pub(crate) async fn create_for_backorders(
    tx: &DatabaseTransaction,
    p: &Principal,
    origin: &sales_order::Model,
    lines: &[CopiedLine],
) -> AppResult<(sales_order::Model, Vec<sales_order_line::Model>)> {
    let now = Utc::now();
    let mut draft = origin.clone();
    draft.kind = DocKind::Order;
    draft.number = placeholder_number();
    draft.status = DocStatus::Confirmed;
    draft.financial_status = FinancialStatus::Unpaid;
    draft.credit_hold = false;
    draft.credit_released_amount = Dec::ZERO;
    draft.credit_released_by = None;
    draft.credit_released_at = None;
    draft.order_date = now.date_naive();
    draft.confirmation_date = None;
    draft.quote_id = None;
    draft.order_id = None;
    draft.freight_overridden = false;
    draft.weight_overridden = false;
    draft.volume_overridden = false;
    draft.notes = Some(format!(
        "Backorders of {}-{} (R-BO-6)",
        origin.series, origin.number
    ));
    draft.version = 1;
    draft.created_by = p.key();
    draft.created_at = now;
    draft.updated_at = now;
    let mut am = draft.into_active_model().reset_all();
    am.id = sea_orm::ActiveValue::NotSet;
    let order = am.insert(tx).await?;
    let rows = lines.iter().enumerate().map(|(i, l)| {
        let factor = l.item.sales_unit_factor.0;
        let quantity = if factor.is_zero() {
            l.stock_quantity
        } else {
            l.stock_quantity / factor
        };
        sales_order_line::ActiveModel {
            company_id: Set(order.company_id),
            order_id: Set(order.id),
            position: Set(i as i64 + 1),
            parent_line_id: Set(None),
            item_id: Set(l.item.id),
            description: Set(l.origin.description.clone()),
            quantity: Set(Dec(quantity)),
            bonus_quantity: Set(Dec::ZERO),
            unit_price: Set(l.origin.unit_price),
            discount_percent: Set(l.origin.discount_percent),
            price_source: Set(l.origin.price_source),
            cost: Set(l.origin.cost),
            delivery_date: Set(l.origin.delivery_date),
            promised_date: Set(l.origin.promised_date),
            shipped_quantity: Set(Dec::ZERO),
            lot: Set(l.origin.lot.clone()),
            created_at: Set(now),
            ..Default::default()
        }
    });
    sales_order_line::Entity::insert_many(rows)
        .exec_without_returning(tx)
        .await?;
    let inserted = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order.id))
        .order_by_asc(sales_order_line::Column::Position)
        .all(tx)
        .await?;
    let (c, setup) = context(tx, &order).await?;
    let saved = finish_with(tx, p, &c, &setup, order, OrderEvent::Created, false).await?;
    Ok((saved.order, inserted))
}
