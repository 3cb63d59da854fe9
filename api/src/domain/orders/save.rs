//! The common tail of every change: totals (R-ORD-4, 7, 12, 13), payment rules (R-ORD-10),
//! credit (R-ORD-9), unique items (R-ITEM-6), the number (R-ORD-2), version and outbox event.
use super::queries::lines_by_orders;
use super::{Saved, Warning, kind_name};
use crate::auth::{Principal, visibility};
use crate::domain::credit::Verdict;
use crate::domain::outbox::OrderEvent;
use crate::domain::pricing::LineFigures;
use crate::domain::setup_cache::{self, Setup};
use crate::domain::{credit, numbering, order_rows, outbox, pricing, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    Dec, DocKind, DocType, FreightTerms, ItemKind, company_settings, customer, customer_address,
    item, order_installment, sales_order, sales_order_line, unique_item_claim,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, NotSet, PaginatorTrait, QueryFilter, QueryTrait, Set,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Recomputes totals, checks the payment rules, judges credit, claims unique items, bumps the
/// version and records `event`; the common tail of every change.
pub(super) async fn finish(
    tx: &DatabaseTransaction,
    p: &Principal,
    c: &customer::Model,
    setup: &Setup,
    order: sales_order::Model,
    expected_version: Option<i64>,
    event: OrderEvent,
) -> AppResult<Saved> {
    // Optimistic locking: the row was locked when loaded, so this only fails for a stale client.
    if let Some(expected) = expected_version
        && expected != order.version
    {
        return Err(AppError::Conflict(format!(
            "the {} changed since version {expected}; it is at version {} now",
            kind_name(order.kind),
            order.version
        )));
    }
    let what = format!("saving {} {}", kind_name(order.kind), order.id);
    finish_with(tx, p, c, setup, order, event, true)
        .await
        .map_err(|e| e.context(what))
}

/// [`finish`], optionally without judging credit: an order made by backorder assignment
/// (R-BO-6) delivers what its origin order was already judged for.
pub(super) async fn finish_with(
    tx: &DatabaseTransaction,
    p: &Principal,
    c: &customer::Model,
    setup: &Setup,
    order: sales_order::Model,
    event: OrderEvent,
    judge_credit: bool,
) -> AppResult<Saved> {
    let lines = lines_by_orders(tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    let item_ids: Vec<i64> = lines.iter().map(|l| l.item_id).collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids))
        .all(tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let held = Held {
        customer: c,
        lines: &lines,
        items: &items,
        has_installments: None,
    };
    finish_lines(tx, p, setup, order, event, judge_credit, held).await
}

/// What the caller of [`finish_lines`] holds of the document already.
pub(super) struct Held<'a> {
    pub customer: &'a customer::Model,
    pub lines: &'a [sales_order_line::Model],
    pub items: &'a HashMap<i64, item::Model>,
    /// Whether the document has installments, when known (`None`: read them).
    pub has_installments: Option<bool>,
}

/// [`finish_with`] on lines and items the caller holds already (a new document's, just
/// inserted): no statement reads them again.
pub(super) async fn finish_lines(
    tx: &DatabaseTransaction,
    p: &Principal,
    setup: &Setup,
    mut order: sales_order::Model,
    event: OrderEvent,
    judge_credit: bool,
    held: Held<'_>,
) -> AppResult<Saved> {
    let (c, lines, items) = (held.customer, held.lines, held.items);
    let factors: HashMap<i64, Decimal> = items
        .values()
        .map(|i| (i.id, i.sales_unit_factor.0))
        .collect();
    order_rows::track_agreements(tx, &order, lines, Some(&factors), Some(c.sales_rep_id)).await?;
    let Figured { events, warnings } =
        figure(tx, p, setup, &mut order, event, judge_credit, &held).await?;

    sync_unique_claims(
        tx,
        &setup.unique_items,
        &order,
        lines,
        event == OrderEvent::Created,
    )
    .await?;

    if order.id != 0 && event != OrderEvent::Created {
        order.version += 1;
    }
    order.updated_at = Utc::now();
    // The events go out before the number is taken, or with it (they do not carry it): from
    // the number on, the series row stays locked to the commit and every new document of the
    // series queues on it, so nothing else may happen in that stretch.
    let mut events_out = event_batch(&order, c.sales_rep_id, events);
    // A new order's number, row and events go out in one statement where the backend allows it
    // (`numbering::update_numbered`); otherwise the events are written, then the number is
    // taken and the row written.
    let mut numbered = None;
    let doc_type = doc_type(&order, &setup.settings);
    if order.number < 0 {
        let mut row = order.clone().into_active_model().reset_all();
        (row.id, row.number) = (NotSet, NotSet);
        let update = sales_order::Entity::update_many()
            .set(row)
            .filter(sales_order::Column::Id.eq(order.id))
            .into_query();
        numbered = numbering::update_numbered(
            tx,
            order.company_id,
            &order.series,
            doc_type,
            update,
            sales_order::Column::Number,
            order.number,
            &mut events_out,
        )
        .await?;
    }
    // Whatever did not go out with the number (nothing, when it did).
    events_out.write(tx).await?;
    if order.number < 0 && numbered.is_none() {
        order.number = numbering::next(tx, order.company_id, &order.series, doc_type).await?;
    }
    let saved = match numbered {
        Some(saved) => saved,
        None => order.into_active_model().reset_all().update(tx).await?,
    };
    Ok(Saved {
        order: saved,
        warnings,
    })
}

/// The number series a document takes its number from (R-ORD-2): quotes share the orders'
/// unless the company keeps them apart.
pub(super) fn doc_type(order: &sales_order::Model, settings: &company_settings::Model) -> DocType {
    match (order.kind, settings.quotes_share_order_numbering) {
        (DocKind::Order, _) | (DocKind::Quote, true) => DocType::Order,
        (DocKind::Quote, false) => DocType::Quote,
    }
}

/// The outbox rows of a save's events (they carry no payload).
pub(super) fn event_batch(
    order: &sales_order::Model,
    customer_rep_id: Option<i64>,
    events: Vec<OrderEvent>,
) -> outbox::Batch {
    let mut batch = outbox::Batch::default();
    batch.order_events(
        order,
        customer_rep_id,
        events.into_iter().map(|e| (e, None)),
    );
    batch
}

/// What [`figure`] found: the events the save records and what it warns of.
pub(super) struct Figured {
    pub events: Vec<OrderEvent>,
    pub warnings: Vec<Warning>,
}

/// Figures a document from its lines and judges it, writing nothing: totals, weight, volume
/// and freight (R-ORD-4, 7, 12, 13), the payment rules (R-ORD-10) and credit (R-ORD-9, which
/// may set the hold). A new order can thus be judged before its row exists, and then go out
/// in one statement (`entry`, issue 15).
pub(super) async fn figure<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    setup: &Setup,
    order: &mut sales_order::Model,
    event: OrderEvent,
    judge_credit: bool,
    held: &Held<'_>,
) -> AppResult<Figured> {
    let (c, lines, items) = (held.customer, held.lines, held.items);
    let mut warnings = Vec::new();
    validate::document_lines("lines", lines.len())?;
    let figures: Vec<LineFigures> = lines
        .iter()
        .map(|l| {
            let it = &items[&l.item_id];
            LineFigures {
                quantity: l.quantity.0,
                bonus_quantity: l.bonus_quantity.0,
                unit_price: l.unit_price.0,
                discount_percent: l.discount_percent.0,
                unit_weight: it.weight.0,
                unit_volume: it.volume.0,
                factor: it.sales_unit_factor.0,
                counts_for_freight: l.parent_line_id.is_none() && it.kind != ItemKind::NonStocked,
            }
        })
        .collect();
    let rate = order.exchange_rate.0;
    if pricing::exceeds_storable(&figures, rate) {
        return Err(AppError::validation(
            "lines",
            "the document's amounts, weight or volume would exceed 999,999,999,999,999",
        ));
    }
    let merch = pricing::merchandise(&figures, order.header_discount_percent.0, rate);
    if !order.weight_overridden {
        order.weight = Dec(merch.weight);
    }
    if !order.volume_overridden {
        order.volume = Dec(merch.volume);
    }
    let freight = if order.freight_overridden {
        order.freight_amount.0
    } else {
        let settings = &setup.settings;
        let max = settings.freight_max_order_amount.0;
        match order.carrier_id {
            Some(carrier_id)
                if order.freight_terms == FreightTerms::OnInvoice
                    && (max.is_zero() || merch.company_net <= max) =>
            {
                let carrier = setup
                    .carriers
                    .get(&carrier_id)
                    .ok_or(AppError::NotFound("carrier"))?;
                let rates: Vec<pricing::FreightRate> = setup
                    .freight_rates
                    .get(&carrier_id)
                    .into_iter()
                    .flatten()
                    .map(|r| pricing::FreightRate {
                        zone: r.zone.clone(),
                        province: r.province.clone(),
                        reference_quantity: r.reference_quantity.0,
                        max_weight: r.max_weight.0,
                        amount: r.amount.0,
                    })
                    .collect();
                let province = match order.ship_to_address_id {
                    Some(a) if carrier.calc_type == entity::FreightCalc::KgProvince => {
                        customer_address::Entity::find_by_id(a)
                            .one(db)
                            .await?
                            .and_then(|a| a.province)
                    }
                    _ => None,
                }
                .or(c.province.clone())
                .map(|s| s.to_uppercase());
                let zone = c.zone.clone().map(|z| z.to_uppercase());
                match pricing::freight(
                    carrier.calc_type,
                    &rates,
                    zone.as_deref(),
                    province.as_deref(),
                    merch.freight_quantity,
                    order.weight.0,
                ) {
                    // Freight tables are in the company currency (R-ORD-7).
                    Some(f) if rate != Decimal::ONE => f / rate,
                    Some(f) => f,
                    None => {
                        warnings.push(Warning {
                            code: "FREIGHT_RATE_MISSING",
                            message: format!(
                                "carrier {} has no freight rate for this destination",
                                carrier.code
                            ),
                        });
                        Decimal::ZERO
                    }
                }
            }
            _ => Decimal::ZERO,
        }
    };
    let over = |v: Option<Decimal>| v.is_none_or(|v| v > validate::MAX_AMOUNT);
    let company_freight = freight.checked_mul(rate);
    if over(freight.checked_add(merch.net))
        || over(company_freight.and_then(|f| f.checked_add(merch.company_net)))
    {
        return Err(AppError::validation(
            "freightAmount",
            "the document's total with freight would exceed 999,999,999,999,999",
        ));
    }
    let t = pricing::with_freight(merch, freight, rate);
    order.gross_amount = Dec(t.gross);
    order.discount_amount = Dec(t.discount);
    order.net_amount = Dec(t.net);
    order.freight_amount = Dec(t.freight);
    order.total_amount = Dec(t.total);
    order.company_gross_amount = Dec(t.company_gross);
    order.company_net_amount = Dec(t.company_net);
    order.company_freight_amount = Dec(t.company_freight);
    order.company_total_amount = Dec(t.company_total);

    check_payment_rules(db, setup, order, held.has_installments).await?;

    let mut events = vec![event];
    if judge_credit && judge(db, p, c, &setup.settings, order, &mut warnings).await? {
        events.push(OrderEvent::CreditHoldSet);
    }
    Ok(Figured { events, warnings })
}

/// Judges the customer's credit with this order (R-ORD-9) and sets its hold; `true` when the
/// order goes on hold now (a CREDIT_HOLD_SET event). Over the limit without blocking is a
/// warning. Only a live order is judged.
pub(super) async fn judge<C: ConnectionTrait>(
    tx: &C,
    p: &Principal,
    c: &customer::Model,
    settings: &company_settings::Model,
    order: &mut sales_order::Model,
    warnings: &mut Vec<Warning>,
) -> AppResult<bool> {
    if order.kind != DocKind::Order || !credit::OPEN_STATUSES.contains(&order.status) {
        return Ok(false);
    }
    let risk = credit::risk(tx, c.id, order.id).await?;
    let released = order
        .credit_released_by
        .as_ref()
        .map(|_| order.credit_released_amount.0);
    let hold = match credit::judge(c, settings, risk, order.company_total_amount.0, released) {
        Verdict::Within => false,
        Verdict::Hold => true,
        Verdict::Warn(why) => {
            // The customer's figures are for those who may see the customer (an order rep of
            // another rep's customer sees the order only).
            let message = if visibility::sees_customer(p, c) {
                why
            } else {
                "the order's customer would exceed its credit limit".into()
            };
            warnings.push(Warning {
                code: "CREDIT_LIMIT_EXCEEDED",
                message,
            });
            false
        }
    };
    let newly = hold && !order.credit_hold;
    order.credit_hold = hold;
    Ok(newly)
}

/// R-ORD-10: a payment method that requires a bank account needs one of the company's;
/// custom terms need installments summing to 100; restricted terms are refused below their
/// minimum amount (company currency).
pub(super) async fn check_payment_rules<C: ConnectionTrait>(
    tx: &C,
    setup: &Setup,
    order: &sales_order::Model,
    has_installments: Option<bool>,
) -> AppResult<()> {
    if let Some(method_id) = order.payment_method_id {
        let method = setup
            .methods
            .get(&method_id)
            .ok_or(AppError::NotFound("payment method"))?;
        if method.requires_bank_account && order.bank_account_id.is_none() {
            return Err(AppError::validation(
                "bankAccountId",
                format!(
                    "payment method {} requires one of the company's bank accounts (R-ORD-10)",
                    method.code
                ),
            ));
        }
    }
    let Some(terms_id) = order.payment_terms_id else {
        return Ok(());
    };
    let terms = setup
        .terms
        .get(&terms_id)
        .ok_or(AppError::NotFound("payment terms"))?;
    let has_installments = match has_installments {
        Some(known) => known,
        None => {
            order_installment::Entity::find()
                .filter(order_installment::Column::OrderId.eq(order.id))
                .count(tx)
                .await?
                > 0
        }
    };
    if terms.custom && !has_installments {
        return Err(AppError::validation(
            "installments",
            format!(
                "payment terms {} are custom: give the installments (R-ORD-10)",
                terms.code
            ),
        ));
    }
    if !terms.custom && has_installments {
        return Err(AppError::validation(
            "installments",
            "only custom (PER) payment terms take installments",
        ));
    }
    if let Some(r) = setup
        .restrictions
        .get(&terms_id)
        .into_iter()
        .flatten()
        .find(|r| order.company_net_amount.0 < r.min_order_amount.0)
        && order.kind == DocKind::Order
    {
        return Err(AppError::validation(
            "paymentTermsId",
            format!(
                "payment terms {} are not allowed for orders under {} (R-ORD-10)",
                terms.code, r.min_order_amount.0
            ),
        ));
    }
    Ok(())
}

/// R-ITEM-6: an item on the unique-per-customer list stands on at most one open order per
/// customer. Held by a unique index on (customer, item) in `unique_item_claims`: two orders
/// racing for the same claim cannot both commit, on any backend or instance.
pub(super) async fn sync_unique_claims(
    tx: &DatabaseTransaction,
    unique_items: &HashSet<i64>,
    order: &sales_order::Model,
    lines: &[sales_order_line::Model],
    fresh: bool,
) -> AppResult<()> {
    let open = order.kind == DocKind::Order && credit::OPEN_STATUSES.contains(&order.status);
    let item_ids: BTreeSet<i64> = lines.iter().map(|l| l.item_id).collect();
    let wanted: BTreeSet<i64> = if open {
        item_ids
            .into_iter()
            .filter(|i| unique_items.contains(i))
            .collect()
    } else {
        BTreeSet::new()
    };
    // A document saved for the first time holds no claims yet.
    if !fresh {
        let mut stale = unique_item_claim::Entity::delete_many()
            .filter(unique_item_claim::Column::OrderId.eq(order.id));
        if !wanted.is_empty() {
            stale = stale.filter(unique_item_claim::Column::ItemId.is_not_in(wanted.clone()));
        }
        stale.exec(tx).await?;
    }
    for item_id in wanted {
        unique_item_claim::Entity::insert(unique_item_claim::ActiveModel {
            customer_id: Set(order.customer_id),
            item_id: Set(item_id),
            order_id: Set(order.id),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            unique_item_claim::Column::CustomerId,
            unique_item_claim::Column::ItemId,
        ])
        .exec(tx)
        .await?;
        let claim = unique_item_claim::Entity::find()
            .filter(unique_item_claim::Column::CustomerId.eq(order.customer_id))
            .filter(unique_item_claim::Column::ItemId.eq(item_id))
            .one(tx)
            .await?;
        if let Some(claim) = claim
            && claim.order_id != order.id
        {
            let sku = item::Entity::find_by_id(item_id)
                .one(tx)
                .await?
                .map(|i| i.sku)
                .unwrap_or_default();
            // The other order is not named: the caller may not be allowed to see it (R-ACC-8).
            return Err(AppError::validation(
                "lines",
                format!(
                    "{sku} may stand on one open order per customer and is already on another (R-ITEM-6)"
                ),
            ));
        }
    }
    Ok(())
}

/// The order's customer and the company's setup (from memory when current).
pub(super) async fn context(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
) -> AppResult<(customer::Model, Arc<Setup>)> {
    Ok((
        customer_of(tx, order).await?,
        setup_cache::of(tx, order.company_id).await?,
    ))
}

pub(super) async fn customer_of(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
) -> AppResult<customer::Model> {
    customer::Entity::find_by_id(order.customer_id)
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("customer"))
}

/// Saves a status-only change without recomputing prices (a closed order keeps its figures).
pub(super) async fn save_status(
    tx: &DatabaseTransaction,
    c: &customer::Model,
    mut order: sales_order::Model,
    event: OrderEvent,
) -> AppResult<Saved> {
    order.version += 1;
    order.updated_at = Utc::now();
    let saved = order.into_active_model().reset_all().update(tx).await?;
    let lines = lines_by_orders(tx, &[saved.id])
        .await?
        .remove(&saved.id)
        .unwrap_or_default();
    // Only a document that stays open keeps claims, and only then is the list needed.
    let setup = if saved.kind == DocKind::Order && credit::OPEN_STATUSES.contains(&saved.status) {
        Some(setup_cache::of(tx, saved.company_id).await?)
    } else {
        None
    };
    let none = HashSet::new();
    let unique = setup.as_ref().map_or(&none, |s| &s.unique_items);
    sync_unique_claims(tx, unique, &saved, &lines, false).await?;
    order_rows::track_agreements(tx, &saved, &lines, None, Some(c.sales_rep_id)).await?;
    outbox::record(tx, &saved, c.sales_rep_id, event, None).await?;
    Ok(Saved {
        order: saved,
        warnings: vec![],
    })
}
