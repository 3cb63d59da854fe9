//! Sales and purchase agreements (R-AGR-1…3): a customer (supplier) commits to buy a quantity
//! or value over a validity period in exchange for prices and discounts that replace the trade
//! prices (R-ORD-6). Each commitment is a line; what orders placed against a line released and
//! fulfilled is kept on the line by [`tracking`], in the transaction of the order, shipment or
//! receipt that moves it. [`terms`] finds the effective agreement prices for order entry and
//! decides how much of an order line the remaining commitment holds.
pub mod terms;
pub mod tracking;

use crate::auth::{Principal, visibility};
use crate::db::{self, WriteTx};
use crate::domain::outbox::{self, AgreementEvent};
use crate::domain::{
    Page, PageArgs, intercompany, numbering, page, pricing, sales_setup, validate,
};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    AgreementKind, AgreementStatus, CommitmentType, Dec, DocType, ItemKind, agreement,
    agreement_line, customer, item, supplier,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// At most this many commitment lines per agreement (a client-controlled list size).
pub const MAX_LINES: usize = 200;

/// One commitment as entered (R-AGR-1).
#[derive(Clone, Debug, Default)]
pub struct LineInput {
    pub commitment: Option<CommitmentType>,
    pub item_id: Option<i64>,
    /// `PRODUCT_QUANTITY`: units committed.
    pub quantity: Option<Decimal>,
    /// `PRODUCT_VALUE` and `VALUE`: value committed, in the agreement currency.
    pub value: Option<Decimal>,
    /// The agreement price of a product line; the trade price applies when omitted.
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
}

pub struct NewAgreement {
    pub kind: AgreementKind,
    /// The customer (sales) or supplier (purchase).
    pub party_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// Defaults to the customer's (supplier's) currency.
    pub currency: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<LineInput>,
}

#[derive(Default)]
pub struct AgreementChange {
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub notes: Option<String>,
    /// Replaces every line (ON_HOLD agreements only).
    pub lines: Option<Vec<LineInput>>,
}

#[derive(Default)]
pub struct Filter {
    /// Customer (sales) or supplier (purchase).
    pub party_id: Option<i64>,
    pub status: Option<AgreementStatus>,
    /// Valid on this date (from ≤ date ≤ to).
    pub valid_on: Option<NaiveDate>,
}

/// One line of an order placed from an agreement (R-AGR-3): the commitment line, the item
/// (only for a `VALUE` line, which covers any item) and the quantity.
#[derive(Clone, Debug)]
pub struct OrderLine {
    pub agreement_line_id: i64,
    pub item_id: Option<i64>,
    pub quantity: Decimal,
}

/// `createSalesOrderFromAgreement` / `createPurchaseOrderFromAgreement` (R-AGR-3).
pub struct FromAgreement {
    pub agreement_id: i64,
    /// The requested receipt date (sales) or delivery date (purchase): inside the validity.
    pub date: NaiveDate,
    /// Purchase only: where the goods arrive.
    pub warehouse_id: Option<i64>,
    pub notes: Option<String>,
    pub lines: Vec<OrderLine>,
}

/// What is left of a commitment: quantity for `PRODUCT_QUANTITY`, value for the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Remaining {
    pub quantity: Decimal,
    pub value: Decimal,
}

/// Commitment less released less fulfilled (R-AGR-1), never below zero.
pub fn remaining(l: &agreement_line::Model) -> Remaining {
    let quantity = l.quantity.0 - l.released_quantity.0 - l.fulfilled_quantity.0;
    let value = l.value.0 - l.released_value.0 - l.fulfilled_value.0;
    Remaining {
        quantity: quantity.max(Decimal::ZERO),
        value: value.max(Decimal::ZERO),
    }
}

/// The net unit price an order line gets under a commitment: the agreement price (or the
/// trade price when the line has none) less its discount.
pub fn net_unit(price: Decimal, discount_percent: Decimal) -> Decimal {
    price * (Decimal::ONE_HUNDRED - discount_percent) / Decimal::ONE_HUNDRED
}

/// `createSalesAgreement` / `createPurchaseAgreement`: an ON_HOLD agreement (R-AGR-3) numbered
/// in its own series (the company's default series, document type SALES_AGREEMENT or
/// PURCHASE_AGREEMENT).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewAgreement,
) -> AppResult<agreement::Model> {
    visibility::require_agreements(p, input.kind, true)?;
    check_validity(input.valid_from, input.valid_to)?;
    let (party_currency, rep) = party(db, p, input.kind, input.party_id).await?;
    let currency = match input.currency {
        Some(c) => validate::currency("currency", &c)?,
        None => party_currency,
    };
    let notes = validate::text("notes", input.notes, 2000)?;
    let lines = check_lines(db, p, input.kind, input.lines).await?;
    let tx = db::write_tx(db).await?;
    let a = insert(
        &tx,
        p,
        Head {
            kind: input.kind,
            party_id: input.party_id,
            currency,
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            notes,
            partner_agreement_id: None,
        },
        lines,
        rep,
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// What a new agreement is, checked.
pub(crate) struct Head {
    pub kind: AgreementKind,
    pub party_id: i64,
    pub currency: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub notes: Option<String>,
    pub partner_agreement_id: Option<i64>,
}

/// Numbers and inserts an ON_HOLD agreement with its checked lines, and records its event.
pub(crate) async fn insert(
    tx: &WriteTx,
    p: &Principal,
    head: Head,
    lines: Vec<CheckedLine>,
    rep: Option<i64>,
) -> AppResult<agreement::Model> {
    let settings = sales_setup::settings(&**tx, p.company_id).await?;
    let now = Utc::now();
    let (customer_id, supplier_id) = match head.kind {
        AgreementKind::Sales => (Some(head.party_id), None),
        AgreementKind::Purchase => (None, Some(head.party_id)),
    };
    let doc_type = match head.kind {
        AgreementKind::Sales => DocType::SalesAgreement,
        AgreementKind::Purchase => DocType::PurchaseAgreement,
    };
    let number = numbering::next(tx, p.company_id, &settings.default_series, doc_type).await?;
    let a = agreement::ActiveModel {
        company_id: Set(p.company_id),
        kind: Set(head.kind),
        customer_id: Set(customer_id),
        supplier_id: Set(supplier_id),
        series: Set(settings.default_series.clone()),
        number: Set(number),
        currency: Set(head.currency),
        valid_from: Set(head.valid_from),
        valid_to: Set(head.valid_to),
        status: Set(AgreementStatus::OnHold),
        notes: Set(head.notes),
        version: Set(1),
        created_by: Set(p.key()),
        created_at: Set(now),
        updated_at: Set(now),
        partner_agreement_id: Set(head.partner_agreement_id),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    insert_lines(tx, &a, lines).await?;
    outbox::record_agreement(&**tx, &a, rep, AgreementEvent::Created, json!({})).await?;
    Ok(a)
}

/// `updateAgreement`: while ON_HOLD, validity, notes and lines (replaced whole, unless orders
/// were placed against them); while EFFECTIVE only the end date, and only later (R-AGR-3);
/// a CLOSED agreement no longer changes.
pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    expected_version: Option<i64>,
    ch: AgreementChange,
) -> AppResult<agreement::Model> {
    visibility::require_any_agreements(p)?;
    let tx = db::write_tx(db).await?;
    let (a, partner) = lock_pair(&tx, p, id).await?;
    let mirrored = match (&partner, &ch.lines) {
        (Some((_, pa)), Some(lines)) => {
            Some(intercompany::agreements::mirror_lines(&*tx, &a, pa.company_id, lines).await?)
        }
        _ => None,
    };
    let a = change(&tx, p, a, expected_version, &ch, ch.lines.clone()).await?;
    if let Some((pp, pa)) = partner {
        let pa = change(&tx, &pp, pa, None, &ch, mirrored).await?;
        intercompany::agreements::keep_paired(&a, &pa)?;
    }
    tx.commit().await?;
    Ok(a)
}

/// An agreement the caller may change, locked, and with it its intercompany partner (locked
/// too, the seller's first on every path so that both sides changing at once cannot deadlock)
/// and the link acting in the partner's company (R-IC-1).
async fn lock_pair(
    tx: &WriteTx,
    p: &Principal,
    id: i64,
) -> AppResult<(agreement::Model, Option<(Principal, agreement::Model)>)> {
    let seen = agreement::Entity::find_by_id(id)
        .filter(visibility::agreements(p))
        .one(&**tx)
        .await?
        .ok_or(AppError::NotFound("agreement"))?;
    visibility::require_agreements(p, seen.kind, true)?;
    let Some(partner_id) = seen.partner_agreement_id else {
        return Ok((lock_to_change(tx, p, id).await?, None));
    };
    let order = match seen.kind {
        AgreementKind::Sales => [id, partner_id],
        AgreementKind::Purchase => [partner_id, id],
    };
    let mut locked = Vec::with_capacity(2);
    for one in order {
        let mut q = agreement::Entity::find_by_id(one);
        if tx.get_database_backend() == DbBackend::Postgres {
            q = q.lock_exclusive();
        }
        locked.push(q.one(&**tx).await?.ok_or(AppError::NotFound("agreement"))?);
    }
    let (own, partner): (Vec<_>, Vec<_>) = locked.into_iter().partition(|a| a.id == id);
    let (Some(own), Some(partner)) = (own.into_iter().next(), partner.into_iter().next()) else {
        return Err(AppError::NotFound("agreement"));
    };
    let pp = intercompany::agreements::acting_for(&**tx, &own, &partner).await?;
    Ok((own, Some((pp, partner))))
}

/// [`update`] on one locked agreement, its lines (own items) given apart from `ch`.
async fn change(
    tx: &WriteTx,
    p: &Principal,
    a: agreement::Model,
    expected_version: Option<i64>,
    ch: &AgreementChange,
    lines: Option<Vec<LineInput>>,
) -> AppResult<agreement::Model> {
    let notes = validate::text("notes", ch.notes.clone(), 2000)?;
    let lines = match lines {
        Some(lines) => Some(check_lines(&**tx, p, a.kind, lines).await?),
        None => None,
    };
    if let Some(v) = expected_version
        && v != a.version
    {
        return Err(AppError::Conflict(format!(
            "the agreement changed since version {v}; it is at version {} now",
            a.version
        )));
    }
    let mut am = a.clone().into_active_model();
    match a.status {
        AgreementStatus::Closed => {
            return Err(AppError::InvalidState(
                "a CLOSED agreement can no longer be changed (R-AGR-3)".into(),
            ));
        }
        AgreementStatus::Effective => {
            if ch.valid_from.is_some() || lines.is_some() || notes.is_some() {
                return Err(AppError::InvalidState(
                    "an EFFECTIVE agreement only takes a later end date; put it ON_HOLD to \
                     change anything else (R-AGR-3)"
                        .into(),
                ));
            }
            if let Some(to) = ch.valid_to {
                if to < a.valid_to {
                    return Err(AppError::InvalidState(format!(
                        "an EFFECTIVE agreement's end date may only move later than {} (R-AGR-3)",
                        a.valid_to
                    )));
                }
                am.valid_to = Set(to);
            }
        }
        AgreementStatus::OnHold => {
            let from = ch.valid_from.unwrap_or(a.valid_from);
            let to = ch.valid_to.unwrap_or(a.valid_to);
            check_validity(from, to)?;
            am.valid_from = Set(from);
            am.valid_to = Set(to);
            if notes.is_some() {
                am.notes = Set(notes);
            }
            if let Some(lines) = lines {
                let used = lines_of(&**tx, a.id).await?.iter().any(|l| {
                    !(l.released_quantity.0.is_zero()
                        && l.fulfilled_quantity.0.is_zero()
                        && l.released_value.0.is_zero()
                        && l.fulfilled_value.0.is_zero())
                });
                if used {
                    return Err(AppError::InvalidState(
                        "orders were placed against this agreement's lines; they can no longer \
                         be replaced"
                            .into(),
                    ));
                }
                agreement_line::Entity::delete_many()
                    .filter(agreement_line::Column::AgreementId.eq(a.id))
                    .exec(&**tx)
                    .await?;
                insert_lines(tx, &a, lines).await?;
            }
        }
    }
    am.version = Set(a.version + 1);
    am.updated_at = Set(Utc::now());
    let a = am.update(&**tx).await?;
    let rep = party_rep(&**tx, &a).await?;
    outbox::record_agreement(&**tx, &a, rep, AgreementEvent::Updated, json!({})).await?;
    Ok(a)
}

/// `setAgreementStatus` (R-AGR-3): ON_HOLD ⇄ EFFECTIVE, either → CLOSED (final). An agreement
/// becomes EFFECTIVE only with lines.
pub async fn set_status(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    status: AgreementStatus,
) -> AppResult<agreement::Model> {
    visibility::require_any_agreements(p)?;
    let tx = db::write_tx(db).await?;
    let (a, partner) = lock_pair(&tx, p, id).await?;
    let a = change_status(&tx, a, status).await?;
    if let Some((_, pa)) = partner {
        let pa = change_status(&tx, pa, status).await?;
        intercompany::agreements::keep_paired(&a, &pa)?;
    }
    tx.commit().await?;
    Ok(a)
}

/// [`set_status`] on one locked agreement.
async fn change_status(
    tx: &WriteTx,
    a: agreement::Model,
    status: AgreementStatus,
) -> AppResult<agreement::Model> {
    use AgreementStatus::*;
    let allowed = matches!(
        (a.status, status),
        (OnHold, Effective) | (Effective, OnHold) | (OnHold, Closed) | (Effective, Closed)
    );
    if !allowed {
        return Err(AppError::InvalidState(format!(
            "an agreement cannot go from {} to {} (R-AGR-3)",
            a.status.to_value(),
            status.to_value()
        )));
    }
    if status == Effective && lines_of(&**tx, a.id).await?.is_empty() {
        return Err(AppError::validation(
            "status",
            "an agreement without lines cannot become EFFECTIVE",
        ));
    }
    let from = a.status;
    let mut am = a.clone().into_active_model();
    am.status = Set(status);
    am.version = Set(a.version + 1);
    am.updated_at = Set(Utc::now());
    let a = am.update(&**tx).await?;
    let rep = party_rep(&**tx, &a).await?;
    outbox::record_agreement(
        &**tx,
        &a,
        rep,
        AgreementEvent::StatusChanged,
        json!({"from": from.to_value(), "to": status.to_value()}),
    )
    .await?;
    Ok(a)
}

/// An agreement the caller sees, or NOT_FOUND.
pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<agreement::Model> {
    visibility::require_any_agreements(p)?;
    agreement::Entity::find_by_id(id)
        .filter(visibility::agreements(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("agreement"))
}

/// Agreements of `kind` the caller sees, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    kind: AgreementKind,
    f: &Filter,
    args: &PageArgs,
) -> AppResult<Page<agreement::Model>> {
    visibility::require_agreements(p, kind, false)?;
    let mut q = agreement::Entity::find()
        .filter(visibility::agreements(p))
        .filter(agreement::Column::Kind.eq(kind));
    if let Some(id) = f.party_id {
        q = q.filter(match kind {
            AgreementKind::Sales => agreement::Column::CustomerId.eq(id),
            AgreementKind::Purchase => agreement::Column::SupplierId.eq(id),
        });
    }
    if let Some(s) = f.status {
        q = q.filter(agreement::Column::Status.eq(s));
    }
    if let Some(d) = f.valid_on {
        q = q
            .filter(agreement::Column::ValidFrom.lte(d))
            .filter(agreement::Column::ValidTo.gte(d));
    }
    page::fetch_newest_first(db, q, agreement::Column::Id, args).await
}

/// EFFECTIVE agreements the caller sees whose validity ends between `today` and `today` +
/// `within_days` (the ones whose remaining commitment is about to lapse), oldest first.
pub async fn ending(
    db: &DatabaseConnection,
    p: &Principal,
    kind: Option<AgreementKind>,
    today: NaiveDate,
    within_days: i64,
    args: &PageArgs,
) -> AppResult<Page<agreement::Model>> {
    match kind {
        Some(k) => visibility::require_agreements(p, k, false)?,
        None => visibility::require_any_agreements(p)?,
    }
    if !(0..=3660).contains(&within_days) {
        return Err(AppError::validation(
            "withinDays",
            "give a number of days from 0 to 3660",
        ));
    }
    let mut q = agreement::Entity::find()
        .filter(visibility::agreements(p))
        .filter(agreement::Column::Status.eq(AgreementStatus::Effective))
        .filter(agreement::Column::ValidTo.gte(today))
        .filter(agreement::Column::ValidTo.lte(today + chrono::Duration::days(within_days)));
    if let Some(k) = kind {
        q = q.filter(agreement::Column::Kind.eq(k));
    }
    page::fetch(db, q, agreement::Column::Id, args).await
}

/// Agreements by id among those `p` sees (loaders).
pub async fn visible_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, agreement::Model>> {
    Ok(agreement::Entity::find()
        .filter(visibility::agreements(p))
        .filter(agreement::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect())
}

/// Agreement lines by id whose agreement `p` sees (an order line's `agreementLine`: an order
/// rep of another rep's customer sees the order, not the customer's agreement).
pub async fn visible_lines_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, agreement_line::Model>> {
    let visible = sea_orm::sea_query::Query::select()
        .column(agreement::Column::Id)
        .from(agreement::Entity)
        .cond_where(visibility::agreements(p))
        .to_owned();
    Ok(agreement_line::Entity::find()
        .filter(agreement_line::Column::Id.is_in(ids.to_vec()))
        .filter(agreement_line::Column::AgreementId.in_subquery(visible))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect())
}

/// Lines of the given agreements, by position.
pub async fn lines_by_agreements<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<agreement_line::Model>>> {
    let mut out: HashMap<i64, Vec<agreement_line::Model>> = HashMap::new();
    for l in agreement_line::Entity::find()
        .filter(agreement_line::Column::AgreementId.is_in(ids.to_vec()))
        .order_by_asc(agreement_line::Column::AgreementId)
        .order_by_asc(agreement_line::Column::Position)
        .all(db)
        .await?
    {
        out.entry(l.agreement_id).or_default().push(l);
    }
    Ok(out)
}

pub(crate) async fn lines_of<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> AppResult<Vec<agreement_line::Model>> {
    Ok(lines_by_agreements(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// Loads an agreement the caller sees and locks it until the transaction ends.
pub(crate) async fn lock(tx: &WriteTx, p: &Principal, id: i64) -> AppResult<agreement::Model> {
    let mut q = agreement::Entity::find_by_id(id).filter(visibility::agreements(p));
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(&**tx).await?.ok_or(AppError::NotFound("agreement"))
}

/// [`lock`] for a change: NOT_FOUND when the caller does not see it, FORBIDDEN when it may
/// read but not change agreements of its kind. One read, under the lock.
async fn lock_to_change(tx: &WriteTx, p: &Principal, id: i64) -> AppResult<agreement::Model> {
    let a = lock(tx, p, id).await?;
    visibility::require_agreements(p, a.kind, true)?;
    Ok(a)
}

/// An agreement to place an order from (R-AGR-3): visible, of `kind`, EFFECTIVE (else
/// INVALID_STATE), and `date` (the requested receipt / delivery date) inside its validity
/// (else VALIDATION naming `date_field`). Returns it with its lines.
pub(crate) async fn for_order<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    id: i64,
    kind: AgreementKind,
    date: NaiveDate,
    date_field: &str,
) -> AppResult<(agreement::Model, Vec<agreement_line::Model>)> {
    let a = agreement::Entity::find_by_id(id)
        .filter(visibility::agreements(p))
        .filter(agreement::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("agreementId", "no such agreement"))?;
    if a.status != AgreementStatus::Effective {
        return Err(AppError::InvalidState(format!(
            "agreement {}-{} is {}: orders are placed only from an EFFECTIVE agreement (R-AGR-3)",
            a.series,
            a.number,
            a.status.to_value()
        )));
    }
    if date < a.valid_from || date > a.valid_to {
        return Err(AppError::validation(
            date_field,
            format!(
                "{date} lies outside the agreement's validity {} – {} (R-AGR-3)",
                a.valid_from, a.valid_to
            ),
        ));
    }
    let lines = lines_of(db, a.id).await?;
    Ok((a, lines))
}

/// The item and commitment of each line ordered from an agreement: every line names a line of
/// this agreement; a product line its own item (or none), a `VALUE` line the item ordered.
pub(crate) fn pin_lines(
    lines: &[agreement_line::Model],
    ordered: &[OrderLine],
) -> AppResult<(Vec<i64>, Vec<terms::Offer>)> {
    if ordered.is_empty() {
        return Err(AppError::validation("lines", "name at least one line"));
    }
    validate::document_lines("lines", ordered.len())?;
    let by_id: HashMap<i64, &agreement_line::Model> = lines.iter().map(|l| (l.id, l)).collect();
    let mut items = Vec::with_capacity(ordered.len());
    let mut offers = Vec::with_capacity(ordered.len());
    for (i, o) in ordered.iter().enumerate() {
        let l = by_id.get(&o.agreement_line_id).ok_or_else(|| {
            AppError::validation(
                format!("lines.{i}.agreementLineId"),
                "not a line of this agreement",
            )
        })?;
        let item = match (l.item_id, o.item_id) {
            (Some(own), None) => own,
            (Some(own), Some(given)) if own == given => own,
            (Some(_), Some(_)) => {
                return Err(AppError::validation(
                    format!("lines.{i}.itemId"),
                    "the agreement line is for another item",
                ));
            }
            (None, Some(given)) => given,
            (None, None) => {
                return Err(AppError::validation(
                    format!("lines.{i}.itemId"),
                    "a VALUE line covers any item: name the item ordered",
                ));
            }
        };
        items.push(item);
        offers.push(terms::Offer::of(l));
    }
    Ok((items, offers))
}

/// Re-checks, inside the transaction that places an order from it, that the agreement is
/// still EFFECTIVE, holding it against a concurrent status change until the commit
/// (`FOR SHARE` on PostgreSQL; SQLite's writer holds the database).
pub(crate) async fn still_effective<C: ConnectionTrait>(tx: &C, id: i64) -> AppResult<()> {
    let mut q = agreement::Entity::find_by_id(id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_shared();
    }
    let a = q.one(tx).await?.ok_or(AppError::NotFound("agreement"))?;
    if a.status != AgreementStatus::Effective {
        return Err(AppError::InvalidState(format!(
            "agreement {}-{} is {}: orders are placed only from an EFFECTIVE agreement (R-AGR-3)",
            a.series,
            a.number,
            a.status.to_value()
        )));
    }
    Ok(())
}

pub(crate) fn check_validity(from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    if to < from {
        return Err(AppError::validation(
            "validTo",
            "the validity ends before it starts",
        ));
    }
    Ok(())
}

/// The customer (sales) or supplier (purchase) the caller may make an agreement with: its
/// currency and, for a customer, its rep (for event visibility).
pub(crate) async fn party<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    kind: AgreementKind,
    id: i64,
) -> AppResult<(String, Option<i64>)> {
    match kind {
        AgreementKind::Sales => {
            let c = customer::Entity::find_by_id(id)
                .filter(visibility::customers(p))
                .one(db)
                .await?
                .ok_or_else(|| AppError::validation("customerId", "no such customer"))?;
            Ok((c.currency, c.sales_rep_id))
        }
        AgreementKind::Purchase => {
            let s = supplier::Entity::find_by_id(id)
                .filter(visibility::suppliers(p))
                .one(db)
                .await?
                .ok_or_else(|| AppError::validation("supplierId", "no such supplier"))?;
            Ok((s.currency, None))
        }
    }
}

/// The rep of a sales agreement's customer (events carry it).
pub(crate) async fn party_rep<C: ConnectionTrait>(
    db: &C,
    a: &agreement::Model,
) -> AppResult<Option<i64>> {
    Ok(match a.customer_id {
        Some(id) => customer::Entity::find_by_id(id)
            .one(db)
            .await?
            .and_then(|c| c.sales_rep_id),
        None => None,
    })
}

/// A checked commitment line.
pub(crate) struct CheckedLine {
    commitment: CommitmentType,
    item_id: Option<i64>,
    quantity: Decimal,
    value: Decimal,
    unit_price: Option<Decimal>,
    discount_percent: Decimal,
}

/// R-AGR-1: product lines name a stocked item (sellable on a sales agreement, purchasable on
/// a purchase agreement) at most once per agreement, with a positive quantity or
/// value; a `VALUE` line names no item, has a positive value, and appears at most once.
pub(crate) async fn check_lines<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    kind: AgreementKind,
    lines: Vec<LineInput>,
) -> AppResult<Vec<CheckedLine>> {
    if lines.len() > MAX_LINES {
        return Err(AppError::validation(
            "lines",
            format!("an agreement has at most {MAX_LINES} lines"),
        ));
    }
    let ids: Vec<i64> = lines.iter().filter_map(|l| l.item_id).collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(visibility::items(p))
        .filter(item::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut seen = HashSet::new();
    let mut value_lines = 0;
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.into_iter().enumerate() {
        let f = |n: &str| format!("lines.{i}.{n}");
        let commitment = l
            .commitment
            .ok_or_else(|| AppError::validation(f("commitment"), "give the commitment type"))?;
        let amount = |name: &str, v: Option<Decimal>| -> AppResult<Decimal> {
            let v = v.ok_or_else(|| {
                AppError::validation(f(name), format!("a {commitment:?} line needs {name}"))
            })?;
            validate::positive(&f(name), validate::decimal(&f(name), v)?)
        };
        let (quantity, value) = match commitment {
            CommitmentType::ProductQuantity => (amount("quantity", l.quantity)?, Decimal::ZERO),
            CommitmentType::ProductValue | CommitmentType::Value => {
                (Decimal::ZERO, amount("value", l.value)?)
            }
        };
        let item_id = match (commitment, l.item_id) {
            (CommitmentType::Value, None) => {
                value_lines += 1;
                if value_lines > 1 {
                    return Err(AppError::validation(
                        f("commitment"),
                        "an agreement has at most one VALUE line",
                    ));
                }
                if l.unit_price.is_some() {
                    return Err(AppError::validation(
                        f("unitPrice"),
                        "a VALUE line grants a discount on any item, not a price",
                    ));
                }
                None
            }
            (CommitmentType::Value, Some(_)) => {
                return Err(AppError::validation(
                    f("itemId"),
                    "a VALUE line covers any item; use PRODUCT_VALUE for one item",
                ));
            }
            (_, None) => {
                return Err(AppError::validation(
                    f("itemId"),
                    "a product line names its item",
                ));
            }
            (_, Some(id)) => {
                let it = items
                    .get(&id)
                    .ok_or_else(|| AppError::validation(f("itemId"), "no such item"))?;
                // Stocked items only: what a line fulfils is what ships (receives), and kits
                // and services have no shipped quantity of their own.
                let fits = it.kind == ItemKind::Stocked
                    && match kind {
                        AgreementKind::Sales => it.sellable,
                        AgreementKind::Purchase => it.purchasable,
                    };
                if !fits {
                    return Err(AppError::validation(
                        f("itemId"),
                        format!(
                            "{} cannot be {} under an agreement: stocked items only (R-ITEM-2)",
                            it.sku,
                            match kind {
                                AgreementKind::Sales => "sold",
                                AgreementKind::Purchase => "bought",
                            }
                        ),
                    ));
                }
                if !seen.insert(id) {
                    return Err(AppError::validation(
                        f("itemId"),
                        format!("{} already has a line in this agreement", it.sku),
                    ));
                }
                Some(id)
            }
        };
        let unit_price = match l.unit_price {
            Some(v) => Some(pricing::round_price(validate::non_negative(
                &f("unitPrice"),
                validate::decimal(&f("unitPrice"), v)?,
            )?)),
            None => None,
        };
        let discount_percent = match l.discount_percent {
            Some(d) => sales_setup::percent(&f("discountPercent"), d)?,
            None => Decimal::ZERO,
        };
        out.push(CheckedLine {
            commitment,
            item_id,
            quantity,
            value,
            unit_price,
            discount_percent,
        });
    }
    Ok(out)
}

async fn insert_lines(
    tx: &WriteTx,
    a: &agreement::Model,
    lines: Vec<CheckedLine>,
) -> AppResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    agreement_line::Entity::insert_many(lines.into_iter().enumerate().map(|(i, l)| {
        agreement_line::ActiveModel {
            company_id: Set(a.company_id),
            agreement_id: Set(a.id),
            position: Set(i as i64 + 1),
            commitment: Set(l.commitment),
            item_id: Set(l.item_id),
            quantity: Set(Dec(l.quantity)),
            value: Set(Dec(l.value)),
            unit_price: Set(l.unit_price.map(Dec)),
            discount_percent: Set(Dec(l.discount_percent)),
            released_quantity: Set(Dec::ZERO),
            released_value: Set(Dec::ZERO),
            fulfilled_quantity: Set(Dec::ZERO),
            fulfilled_value: Set(Dec::ZERO),
            ..Default::default()
        }
    }))
    .exec_without_returning(&**tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn remaining_is_the_commitment_less_released_and_fulfilled_r_agr_1() {
        let l = agreement_line::Model {
            id: 1,
            company_id: 1,
            agreement_id: 1,
            position: 1,
            commitment: CommitmentType::ProductQuantity,
            item_id: Some(1),
            quantity: Dec(d("1000")),
            value: Dec::ZERO,
            unit_price: Some(Dec(d("0.25"))),
            discount_percent: Dec::ZERO,
            released_quantity: Dec(d("300")),
            released_value: Dec(d("75")),
            fulfilled_quantity: Dec(d("200")),
            fulfilled_value: Dec(d("50")),
        };
        assert_eq!(remaining(&l).quantity, d("500"));
        let over = agreement_line::Model {
            released_quantity: Dec(d("1200")),
            ..l
        };
        assert_eq!(remaining(&over).quantity, Decimal::ZERO, "never negative");
        assert_eq!(net_unit(d("10"), d("15")), d("8.5"));
    }
}
