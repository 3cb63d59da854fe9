//! Changing an open document: header, lines, positions (R-ORD-14), delivery dates (R-ORD-8)
//! and confirmations sent (R-ORD-15).
use super::entry::{
    AgreementTerms, apply_header, insert_lines, line_description, needs_override,
    replace_installments, resolve_lines,
};
use super::queries::lines_by_orders;
use super::save::{context, customer_of, finish, save_status};
use super::{
    DateChangeReason, HeaderInput, LineChange, LineInput, Saved, editable, lines_editable,
};
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::agreements::tracking;
use crate::domain::order_rows::lock;
use crate::domain::outbox::OrderEvent;
use crate::domain::{companies, intercompany, reservations, sales_setup, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    Dec, DocKind, DocStatus, ItemKind, PriceSource, backorder, delivery_date_change, item,
    order_confirmation, sales_order, sales_order_line,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// Header changes, and for quotes optionally a new set of lines.
pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    id: i64,
    expected_version: Option<i64>,
    header: HeaderInput,
    replace_lines: Option<Vec<LineInput>>,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let company = companies::own(db, p).await?;
    // Everything is read inside the transaction that holds the order's lock, so a concurrent
    // change can neither be overwritten with stale values nor slip in between.
    let tx = db::write_tx(db).await?;
    let locked = lock(&tx, p, Some(kind), id).await?;
    editable(&locked)?;
    crate::domain::shipment_preparation::none_preparing(&*tx, locked.id).await?;
    intercompany::chain::check_header_change(&*tx, &locked, &header).await?;
    let (c, setup) = context(&tx, &locked).await?;
    let mut draft = locked;
    apply_header(
        &tx,
        p,
        &c,
        &company.currency,
        &mut draft,
        header.clone(),
        false,
    )
    .await?;
    let mut warnings = vec![];
    let pending = match replace_lines {
        Some(lines) => Some(
            resolve_lines(
                &tx,
                p,
                &c,
                &draft,
                &setup.settings,
                lines,
                AgreementTerms::Effective,
            )
            .await?,
        ),
        None => None,
    };
    if let Some(pending) = pending {
        // The replaced lines give back what they released on agreements (R-AGR-1).
        let old = lines_by_orders(&tx, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        tracking::withdraw_sales(&*tx, &old).await?;
        sales_order_line::Entity::delete_many()
            .filter(sales_order_line::Column::OrderId.eq(id))
            .exec(&tx)
            .await?;
        warnings = insert_lines(&tx, &draft, pending, 1).await?.warnings;
    }
    if let Some(inst) = &header.installments {
        replace_installments(&tx, id, inst).await?;
    }
    let mut saved = finish(
        &tx,
        p,
        &c,
        &setup,
        draft,
        expected_version,
        OrderEvent::Updated,
    )
    .await?;
    if header.ship_to_address_id.is_some() {
        intercompany::chain::after_header_change(&tx, &saved.order).await?;
    }
    tx.commit().await?;
    saved.warnings.extend(warnings);
    Ok(saved)
}

pub async fn add_line(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    line: LineInput,
    expected_version: Option<i64>,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    lines_editable(&order)?;
    crate::domain::shipment_preparation::none_preparing(&*tx, order.id).await?;
    let (c, setup) = context(&tx, &order).await?;
    let pending = resolve_lines(
        &tx,
        p,
        &c,
        &order,
        &setup.settings,
        vec![line],
        AgreementTerms::Effective,
    )
    .await?;
    let last = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order_id))
        .order_by_desc(sales_order_line::Column::Position)
        .one(&tx)
        .await?
        .map(|l| l.position)
        .unwrap_or(0);
    let warnings = insert_lines(&tx, &order, pending, last + 1).await?.warnings;
    let mut saved = finish(
        &tx,
        p,
        &c,
        &setup,
        order,
        expected_version,
        OrderEvent::Updated,
    )
    .await?;
    tx.commit().await?;
    saved.warnings.extend(warnings);
    Ok(saved)
}

pub(super) async fn lock_line(
    tx: &DatabaseTransaction,
    p: &Principal,
    line_id: i64,
) -> AppResult<(sales_order::Model, sales_order_line::Model)> {
    let line = sales_order_line::Entity::find_by_id(line_id)
        .filter(sales_order_line::Column::CompanyId.eq(p.company_id))
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("sales order line"))?;
    let order = lock(tx, p, Some(DocKind::Order), line.order_id)
        .await
        .map_err(|e| e.when_not_found(|| AppError::NotFound("sales order line")))?;
    lines_editable(&order)?;
    crate::domain::shipment_preparation::none_preparing(tx, order.id).await?;
    if line.parent_line_id.is_some() {
        return Err(AppError::validation(
            "lineId",
            "kit components follow their kit line: change the kit line (R-ITEM-1)",
        ));
    }
    if order.status == DocStatus::PartiallyShipped {
        let shipped = sales_order_line::Entity::find()
            .filter(
                Condition::any()
                    .add(sales_order_line::Column::Id.eq(line.id))
                    .add(sales_order_line::Column::ParentLineId.eq(line.id)),
            )
            .all(tx)
            .await?
            .iter()
            .any(|l| !l.shipped_quantity.is_zero());
        if shipped {
            return Err(AppError::InvalidState(
                "part of this line has shipped: it stays as it shipped (R-ORD-16)".into(),
            ));
        }
    }
    Ok((order, line))
}

/// Changes one line. A kit line's components follow its quantities; a delivery-date change is
/// a correction (the promise moves) or a real change (logged, R-ORD-8).
pub async fn update_line(
    db: &DatabaseConnection,
    p: &Principal,
    line_id: i64,
    ch: LineChange,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    if ch.unit_price.is_some() {
        needs_override(p, "unitPrice")?;
    }
    if ch.discount_percent.is_some() {
        needs_override(p, "discountPercent")?;
    }
    if ch.cost.is_some() {
        needs_override(p, "cost")?;
    }
    let tx = db::write_tx(db).await?;
    let saved = change_line(&tx, p, line_id, ch, false).await?;
    tx.commit().await?;
    Ok(saved)
}

/// An intercompany order line's quantity, copied from its original line (R-IC-3), in the
/// transaction of that change.
pub(crate) async fn set_line_quantity_within(
    tx: &db::WriteTx,
    p: &Principal,
    line_id: i64,
    quantity: Decimal,
) -> AppResult<Saved> {
    let ch = LineChange {
        quantity: Some(quantity),
        ..Default::default()
    };
    // Boxed: a change of the original calls this, and this is a change (never copied on).
    Box::pin(change_line(tx, p, line_id, ch, true)).await
}

/// [`update_line`] in the caller's transaction; `from_chain`: the change is a copy from the
/// original order of an intercompany chain, not the caller's own (R-IC-3).
async fn change_line(
    tx: &db::WriteTx,
    p: &Principal,
    line_id: i64,
    ch: LineChange,
    from_chain: bool,
) -> AppResult<Saved> {
    let (order, line) = lock_line(tx, p, line_id).await?;
    let tolerances = ch.over_delivery_percent.is_some() || ch.under_delivery_percent.is_some();
    if !from_chain {
        let quantity = ch.quantity.is_some() || ch.bonus_quantity.is_some();
        intercompany::chain::check_line_change(&**tx, &line, quantity, tolerances).await?;
    }
    let (c, setup) = context(tx, &order).await?;
    let item = item::Entity::find_by_id(line.item_id)
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("item"))?;
    let mut l = line.clone();
    if let Some(q) = ch.quantity {
        l.quantity = Dec(validate::positive(
            "quantity",
            validate::decimal("quantity", q)?,
        )?);
    }
    if let Some(b) = ch.bonus_quantity {
        let b = validate::non_negative("bonusQuantity", validate::decimal("bonusQuantity", b)?)?;
        // Free goods are the seller's (R-ORD-5): a buyer may repeat them, not change them.
        if b != l.bonus_quantity.0 {
            needs_override(p, "bonusQuantity")?;
        }
        l.bonus_quantity = Dec(b);
    }
    if let Some(pr) = ch.unit_price {
        l.unit_price = Dec(validate::non_negative(
            "unitPrice",
            validate::decimal("unitPrice", pr)?,
        )?);
        l.price_source = PriceSource::Manual;
    }
    if let Some(d) = ch.discount_percent {
        l.discount_percent = Dec(sales_setup::percent("discountPercent", d)?);
    }
    if let Some(d) = ch.over_delivery_percent {
        l.over_delivery_percent = Dec(sales_setup::percent("overDeliveryPercent", d)?);
    }
    if let Some(d) = ch.under_delivery_percent {
        l.under_delivery_percent = Dec(sales_setup::percent("underDeliveryPercent", d)?);
    }
    if let Some(d) = ch.description {
        l.description = line_description(p, &item, "description", &d)?;
    }
    if let Some(cost) = ch.cost {
        if item.kind == ItemKind::Kit {
            return Err(AppError::validation(
                "cost",
                "a kit's cost is the sum of its components'",
            ));
        }
        cost_not_frozen(tx, l.id).await?;
        l.cost = Dec(validate::non_negative(
            "cost",
            validate::decimal("cost", cost)?,
        )?);
    }
    let mut date_event = false;
    if let Some(d) = ch.delivery_date
        && Some(d) != l.delivery_date
    {
        let reason = ch.date_reason.ok_or_else(|| {
            AppError::validation(
                "dateChangeReason",
                "say whether the date change is a CORRECTION or a REAL_CHANGE (R-ORD-8)",
            )
        })?;
        if reason == DateChangeReason::RealChange {
            log_date_change(tx, p, &order, Some(l.id), l.delivery_date, d).await?;
        }
        set_line_date(tx, &l, d, reason).await?;
        l.delivery_date = Some(d);
        if reason == DateChangeReason::Correction {
            l.promised_date = Some(d);
        }
        date_event = true;
    }
    l.clone()
        .into_active_model()
        .reset_all()
        .update(&**tx)
        .await?;
    if item.kind == ItemKind::Kit && (ch.quantity.is_some() || ch.bonus_quantity.is_some()) {
        let kit = sales_setup::kit_components(tx, &[item.id])
            .await?
            .remove(&item.id)
            .unwrap_or_default();
        let per_component: HashMap<i64, Decimal> = kit
            .iter()
            .map(|k| (k.component_item_id, k.quantity.0))
            .collect();
        for comp in sales_order_line::Entity::find()
            .filter(sales_order_line::Column::ParentLineId.eq(l.id))
            .all(&**tx)
            .await?
        {
            let per = per_component
                .get(&comp.item_id)
                .copied()
                .unwrap_or(Decimal::ONE);
            let mut am = comp.into_active_model();
            am.quantity = Set(Dec(l.quantity.0 * per));
            am.bonus_quantity = Set(Dec(l.bonus_quantity.0 * per));
            am.update(&**tx).await?;
        }
    }
    if ch.quantity.is_some() || ch.bonus_quantity.is_some() {
        // R-RES-3: a smaller line gives back what it no longer needs.
        reservations::trim(tx, &order, None).await?;
    }
    let event = if date_event {
        OrderEvent::DeliveryDateChanged
    } else {
        OrderEvent::Updated
    };
    let saved = finish(tx, p, &c, &setup, order, None, event).await?;
    if !from_chain && (ch.quantity.is_some() || ch.bonus_quantity.is_some() || tolerances) {
        intercompany::chain::after_line_change(tx, &saved.order, &l).await?;
    }
    Ok(saved)
}

/// Moves a line's date; its kit components move with it.
pub(super) async fn set_line_date(
    tx: &DatabaseTransaction,
    line: &sales_order_line::Model,
    d: NaiveDate,
    reason: DateChangeReason,
) -> AppResult<()> {
    for comp in sales_order_line::Entity::find()
        .filter(sales_order_line::Column::ParentLineId.eq(line.id))
        .all(tx)
        .await?
    {
        let mut am = comp.into_active_model();
        am.delivery_date = Set(Some(d));
        if reason == DateChangeReason::Correction {
            am.promised_date = Set(Some(d));
        }
        am.update(tx).await?;
    }
    Ok(())
}

pub(super) async fn log_date_change(
    tx: &DatabaseTransaction,
    p: &Principal,
    order: &sales_order::Model,
    line_id: Option<i64>,
    old: Option<NaiveDate>,
    new: NaiveDate,
) -> AppResult<()> {
    delivery_date_change::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        line_id: Set(line_id),
        old_date: Set(old),
        new_date: Set(new),
        changed_by: Set(p.key()),
        changed_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}

pub async fn remove_line(db: &DatabaseConnection, p: &Principal, line_id: i64) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let (order, line) = lock_line(&tx, p, line_id).await?;
    if order.status == DocStatus::PartiallyShipped {
        // Removing the last unshipped line would leave a shipped order marked partial.
        return Err(AppError::InvalidState(
            "a partially shipped order keeps its lines: reduce the line instead".into(),
        ));
    }
    let (c, setup) = context(&tx, &order).await?;
    // R-RES-3 / R-ORD-16: the line's stock goes back; a line already served by a purchase
    // order or an assignment stays (reduce it instead).
    let family_lines = sales_order_line::Entity::find()
        .filter(
            Condition::any()
                .add(sales_order_line::Column::Id.eq(line.id))
                .add(sales_order_line::Column::ParentLineId.eq(line.id)),
        )
        .all(&tx)
        .await?;
    let family: Vec<i64> = family_lines.iter().map(|l| l.id).collect();
    let linked = backorder::Entity::find()
        .filter(backorder::Column::OrderLineId.is_in(family.clone()))
        .filter(
            Condition::any()
                .add(backorder::Column::PurchaseOrderLineId.is_not_null())
                .add(
                    Expr::col(backorder::Column::Quantity)
                        .ne(Expr::col(backorder::Column::OpenQuantity)),
                ),
        )
        .count(&tx)
        .await?;
    if linked > 0 {
        return Err(AppError::InvalidState(
            "the line's backorder is on a purchase order or already assigned: reduce the \
             line instead of removing it (R-ORD-16)"
                .into(),
        ));
    }
    reservations::release_all(&tx, &order, Some(&family)).await?;
    tracking::withdraw_sales(&*tx, &family_lines).await?;
    backorder::Entity::delete_many()
        .filter(backorder::Column::OrderLineId.is_in(family))
        .exec(&tx)
        .await?;
    sales_order_line::Entity::delete_many()
        .filter(sales_order_line::Column::ParentLineId.eq(line.id))
        .exec(&tx)
        .await?;
    sales_order_line::Entity::delete_by_id(line.id)
        .exec(&tx)
        .await?;
    renumber(&tx, order.id, None).await?;
    let saved = finish(&tx, p, &c, &setup, order, None, OrderEvent::Updated).await?;
    tx.commit().await?;
    Ok(saved)
}

/// R-ORD-14: moves a line to `position` (1-based) while the order is open; the others close up.
pub async fn move_line(
    db: &DatabaseConnection,
    p: &Principal,
    line_id: i64,
    position: i64,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let (order, line) = lock_line(&tx, p, line_id).await?;
    let (c, setup) = context(&tx, &order).await?;
    renumber(&tx, order.id, Some((line.id, position))).await?;
    let saved = finish(&tx, p, &c, &setup, order, None, OrderEvent::Updated).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Numbers the top-level lines 1..n, optionally moving one of them first; kit components keep
/// their kit's position.
pub(super) async fn renumber(
    tx: &DatabaseTransaction,
    order_id: i64,
    moving: Option<(i64, i64)>,
) -> AppResult<()> {
    let lines = lines_by_orders(tx, &[order_id])
        .await?
        .remove(&order_id)
        .unwrap_or_default();
    let mut top: Vec<&sales_order_line::Model> = lines
        .iter()
        .filter(|l| l.parent_line_id.is_none())
        .collect();
    if let Some((id, position)) = moving {
        if position < 1 || position > top.len() as i64 {
            return Err(AppError::validation(
                "position",
                format!("position must lie between 1 and {}", top.len()),
            ));
        }
        let from = top
            .iter()
            .position(|l| l.id == id)
            .ok_or(AppError::NotFound("sales order line"))?;
        let l = top.remove(from);
        top.insert(position as usize - 1, l);
    }
    for (i, l) in top.iter().enumerate() {
        let position = i as i64 + 1;
        if l.position == position {
            continue;
        }
        for row in lines
            .iter()
            .filter(|r| r.id == l.id || r.parent_line_id == Some(l.id))
        {
            let mut am = row.clone().into_active_model();
            am.position = Set(position);
            am.update(tx).await?;
        }
    }
    Ok(())
}

/// R-ORD-8: lines whose date equalled the old header date follow it; others keep theirs. A
/// real change is logged for the delay report; a correction moves the promise too.
pub async fn change_delivery_date(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    date: NaiveDate,
    reason: DateChangeReason,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let mut order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    editable(&order)?;
    crate::domain::shipment_preparation::none_preparing(&*tx, order.id).await?;
    if date < order.order_date {
        return Err(AppError::validation(
            "date",
            "delivery cannot precede the order date",
        ));
    }
    let (c, setup) = context(&tx, &order).await?;
    let old = order.delivery_date;
    let following: Vec<sales_order_line::Model> = lines_by_orders(&tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.delivery_date == old)
        .collect();
    if reason == DateChangeReason::RealChange {
        // The header's change and each top-level line that follows it, in one statement.
        let now = Utc::now();
        let entry = |line_id: Option<i64>| delivery_date_change::ActiveModel {
            company_id: Set(order.company_id),
            order_id: Set(order.id),
            line_id: Set(line_id),
            old_date: Set(old),
            new_date: Set(date),
            changed_by: Set(p.key()),
            changed_at: Set(now),
            ..Default::default()
        };
        let lines = following.iter().filter(|l| l.parent_line_id.is_none());
        delivery_date_change::Entity::insert_many(
            std::iter::once(entry(None)).chain(lines.map(|l| entry(Some(l.id)))),
        )
        .exec(&tx)
        .await?;
    }
    if !following.is_empty() {
        let mut moved = sales_order_line::Entity::update_many()
            .col_expr(sales_order_line::Column::DeliveryDate, Expr::value(date));
        if reason == DateChangeReason::Correction {
            moved = moved.col_expr(sales_order_line::Column::PromisedDate, Expr::value(date));
        }
        moved
            .filter(sales_order_line::Column::Id.is_in(following.iter().map(|l| l.id)))
            .exec(&tx)
            .await?;
    }
    order.delivery_date = Some(date);
    let saved = finish(
        &tx,
        p,
        &c,
        &setup,
        order,
        None,
        OrderEvent::DeliveryDateChanged,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// R-ORD-15: stamps today as the confirmation date and appends to the history.
pub async fn send_confirmation(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    recipient: Option<String>,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let recipient = match recipient {
        Some(r) => Some(validate::email("recipient", &r)?),
        None => None,
    };
    let tx = db::write_tx(db).await?;
    let mut order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    if matches!(order.status, DocStatus::Cancelled) {
        return Err(AppError::InvalidState(
            "a cancelled order is not confirmed to anyone".into(),
        ));
    }
    let c = customer_of(&tx, &order).await?;
    let now = Utc::now();
    order_confirmation::ActiveModel {
        order_id: Set(order.id),
        confirmation_date: Set(now.date_naive()),
        recipient: Set(recipient.or(c.email.clone())),
        sent_by: Set(p.key()),
        sent_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    order.confirmation_date = Some(now.date_naive());
    let saved = save_status(&tx, &c, order, OrderEvent::ConfirmationSent).await?;
    tx.commit().await?;
    Ok(saved)
}

/// R-ORD-16: a line's cost is frozen once one of its backorders stands on a purchase order.
async fn cost_not_frozen(tx: &DatabaseTransaction, line_id: i64) -> AppResult<()> {
    let on_po = backorder::Entity::find()
        .filter(backorder::Column::OrderLineId.eq(line_id))
        .filter(backorder::Column::PurchaseOrderLineId.is_not_null())
        .count(tx)
        .await?;
    if on_po > 0 {
        return Err(AppError::InvalidState(
            "the line is linked to a purchase order: its cost can no longer change (R-ORD-16)"
                .into(),
        ));
    }
    Ok(())
}
