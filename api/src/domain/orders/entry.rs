//! Entering a document: the header from the customer (R-ORD-1), lines resolved and priced
//! (R-ORD-5, 6, 7, R-ITEM-1, 2, 5), kits expanded, all inserted in one transaction — or, for
//! a plain document on PostgreSQL, in one statement ([`create_in_one_statement`]).
use super::save::{Figured, Held, doc_type, event_batch, figure, finish_lines};
use super::{HeaderInput, LineInput, NewDocument, Saved, Warning, placeholder_number};
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::agreements::terms::{Capacity, Offer, Offers};
use crate::domain::outbox::OrderEvent;
use crate::domain::pricing::Terms;
use crate::domain::setup_cache::{self, Setup};
use crate::domain::{agreements, numbering, pricing, sales_setup, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, SubsecRound, Utc};
use entity::{
    AddressKind, AgreementKind, AgreementStatus, Dec, DocKind, DocStatus, FinancialStatus,
    FreightTerms, ItemKind, PriceSource, agreement, bank_account, carrier, company_settings,
    customer, customer_address, customer_price, item, item_barcode, item_description,
    order_installment, payment_method, sales_order, sales_order_line, sales_rep,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{
    Alias, CommonTableExpression, DynIden, Expr, ExprTrait, InsertStatement, IntoIden, Order,
    Query, WithClause,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, NotSet,
    QueryFilter, QuerySelect, QueryTrait, Set,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Creates a quote or a sales order for a customer the caller sees (R-ORD-1, R-ACC-5).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    input: NewDocument,
) -> AppResult<Saved> {
    // Boxed: order entry is the largest future of the API (and may start an intercompany
    // chain that enters a second order); on the heap it does not weigh on the worker's stack.
    Box::pin(create_boxed(db, p, kind, input)).await
}

async fn create_boxed(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    mut input: NewDocument,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let reads = db::Reads::session(db).await?;
    let Buyer {
        customer,
        ship_to,
        setup,
        under_agreement,
        order_id,
    } = buyer(&reads, p, input.customer_id).await?;
    let (mut draft, pending) = draft_of(
        &reads,
        p,
        kind,
        (&customer, ship_to, &setup, under_agreement),
        &mut input,
    )
    .await?;

    if let db::Reads::Session(session, _) = &reads
        && let Some(id) = order_id
        && input.agreement_id.is_none()
        && input.header.installments.is_none()
        && !draft.direct_delivery
        && plain(&pending, &setup)
    {
        draft.id = id;
        return create_in_one_statement(session, p, &setup, &customer, draft, pending).await;
    }
    let tx = reads.into_write_tx().await?;
    let saved = store(&tx, p, &setup, &customer, draft, order_id, pending, &input).await?;
    // R-IC-3: an order delivered directly by a sister company starts its chain with it.
    if saved.order.direct_delivery && kind == DocKind::Order {
        // Boxed: the chain enters a whole order of its own, too big a future to inline.
        Box::pin(crate::domain::intercompany::chain::start(
            &tx,
            p,
            &saved.order,
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// [`create`] inside a transaction the caller holds, never in one statement: the
/// intercompany chain enters the seller's order in the buyer's transaction (R-IC-3).
pub(crate) async fn create_within(
    tx: &db::WriteTx,
    p: &Principal,
    kind: DocKind,
    mut input: NewDocument,
) -> AppResult<Saved> {
    let Buyer {
        customer,
        ship_to,
        setup,
        under_agreement,
        order_id,
    } = buyer(&**tx, p, input.customer_id).await?;
    let (draft, pending) = draft_of(
        &**tx,
        p,
        kind,
        (&customer, ship_to, &setup, under_agreement),
        &mut input,
    )
    .await?;
    store(tx, p, &setup, &customer, draft, order_id, pending, &input).await
}

/// A new document's header from its customer and `input`, and its lines resolved and priced
/// (the agreement pinned, any effective one, or none); `input.lines` is taken.
async fn draft_of<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    kind: DocKind,
    (customer, ship_to, setup, under_agreement): (&customer::Model, Option<i64>, &Setup, bool),
    input: &mut NewDocument,
) -> AppResult<(sales_order::Model, Vec<PendingLine>)> {
    let mut draft = defaults(p, kind, customer, ship_to, setup)?;
    apply_header(
        db,
        p,
        customer,
        &setup.company.currency,
        &mut draft,
        input.header.clone(),
        true,
    )
    .await?;
    let terms = match input.pinned.as_deref() {
        Some(offers) => AgreementTerms::Pinned(offers),
        None if under_agreement => AgreementTerms::Effective,
        None => AgreementTerms::NoneEffective,
    };
    let lines = std::mem::take(&mut input.lines);
    let pending = resolve_lines(db, p, customer, &draft, &setup.settings, lines, terms).await?;
    Ok((draft, pending))
}

/// Writes a new document resolved from `input`: row, lines, installments, and the common
/// tail of every change ([`finish_lines`]).
#[allow(clippy::too_many_arguments)]
async fn store(
    tx: &db::WriteTx,
    p: &Principal,
    setup: &Setup,
    customer: &customer::Model,
    mut draft: sales_order::Model,
    order_id: Option<i64>,
    pending: Vec<PendingLine>,
    input: &NewDocument,
) -> AppResult<Saved> {
    if let Some(id) = input.agreement_id {
        agreements::still_effective(&**tx, id).await?;
    }
    draft.number = placeholder_number();
    draft.agreement_id = input.agreement_id;
    let (order, inserted) = insert_document(tx, draft, order_id, pending).await?;
    if let Some(inst) = &input.header.installments {
        replace_installments(tx, order.id, inst).await?;
    }
    let mut saved = finish_lines(
        tx,
        p,
        setup,
        order,
        OrderEvent::Created,
        true,
        Held {
            customer,
            lines: &inserted.lines,
            items: &inserted.items,
            has_installments: Some(
                input
                    .header
                    .installments
                    .as_ref()
                    .is_some_and(|i| !i.is_empty()),
            ),
        },
    )
    .await
    .map_err(|e| e.context("saving a new sales document"))?;
    saved.warnings.extend(inserted.warnings);
    Ok(saved)
}

/// Whether a new document's lines can go out in one statement with it: each a line of its own
/// (no kit components, written after their kit line), none on an agreement (apportioned under
/// a lock, R-AGR-3) and none unique per customer (claimed, then checked, R-ITEM-6).
fn plain(pending: &[PendingLine], setup: &Setup) -> bool {
    !pending.is_empty()
        && pending.iter().all(|l| {
            l.components.is_empty()
                && l.agreement_line_id.is_none()
                && !setup.unique_items.contains(&l.item.id)
        })
}

/// A plain new document (see [`plain`]) on PostgreSQL: figured and judged from the reads
/// (`save::figure`), then written — number, row, lines and events — by one statement outside
/// any transaction (`numbering::insert_numbered`): three round trips fewer than a transaction,
/// and the series row stays locked only while that statement runs (issue 15). The credit
/// judgement reads what a READ COMMITTED transaction would have read at the same moment.
async fn create_in_one_statement(
    session: &db::Session,
    p: &Principal,
    setup: &Setup,
    customer: &customer::Model,
    mut draft: sales_order::Model,
    pending: Vec<PendingLine>,
) -> AppResult<Saved> {
    let now = Utc::now();
    let lines: Vec<sales_order_line::Model> = pending
        .iter()
        .zip(1..)
        .map(|(l, position)| line_model(&draft, l, position, None, now))
        .collect();
    let items: HashMap<i64, item::Model> =
        pending.into_iter().map(|l| (l.item.id, l.item)).collect();
    let held = Held {
        customer,
        lines: &lines,
        items: &items,
        has_installments: Some(false),
    };
    let Figured { events, warnings } = figure(
        session,
        p,
        setup,
        &mut draft,
        OrderEvent::Created,
        true,
        &held,
    )
    .await
    .map_err(|e| e.context("saving a new sales document"))?;
    draft.updated_at = Utc::now();
    let mut batch = event_batch(&draft, customer.sales_rep_id, events);
    let (order, _) =
        numbering::insert_numbered::<sales_order::Entity, sales_order_line::Entity, _>(
            session,
            draft.company_id,
            &draft.series,
            doc_type(&draft, &setup.settings),
            draft.clone().into_active_model().reset_all(),
            sales_order::Column::Number,
            lines.into_iter().map(line_row).collect(),
            sales_order_line::Column::Position,
            &mut batch,
        )
        .await
        .map_err(|e| e.context("saving a new sales document"))?;
    crate::events::committed();
    Ok(Saved { order, warnings })
}

/// `createSalesOrderFromAgreement` (R-AGR-3): an order for the agreement's customer, in its
/// currency, requested for `input.date`, each line priced by the commitment line it names.
/// Refused unless the agreement is EFFECTIVE (INVALID_STATE) and the date lies within its
/// validity (VALIDATION). Beyond a line's remaining commitment the excess is ordered at the
/// trade price, with the warning `AGREEMENT_EXCEEDED`.
pub async fn create_from_agreement(
    db: &DatabaseConnection,
    p: &Principal,
    input: agreements::FromAgreement,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let (a, lines) = agreements::for_order(
        db,
        p,
        input.agreement_id,
        AgreementKind::Sales,
        input.date,
        "requestedReceiptDate",
    )
    .await?;
    let (items, pinned) = agreements::pin_lines(&lines, &input.lines)?;
    let customer_id = a.customer_id.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("sales agreement {} has no customer", a.id))
    })?;
    let doc = NewDocument {
        customer_id,
        header: HeaderInput {
            currency: Some(a.currency.clone()),
            delivery_date: Some(input.date),
            notes: input.notes,
            ..Default::default()
        },
        lines: items
            .into_iter()
            .zip(&input.lines)
            .map(|(item_id, l)| LineInput {
                item_id: Some(item_id),
                quantity: l.quantity,
                ..Default::default()
            })
            .collect(),
        agreement_id: Some(a.id),
        pinned: Some(pinned),
    };
    create(db, p, DocKind::Order, doc).await
}

/// What creating a document reads first, in one statement: the customer the caller sees
/// (R-ACC-5), its default shipping address (the one marked default, else the first), whether it
/// buys under any effective sales agreement, the setup's version, and on PostgreSQL the new
/// document's id (so that its row and lines go out in one statement, [`insert_document`]).
struct Buyer {
    customer: customer::Model,
    ship_to: Option<i64>,
    setup: Arc<Setup>,
    /// `false`: no agreement can price the lines (R-AGR-2), and none is read.
    under_agreement: bool,
    /// Taken from the orders' id sequence (PostgreSQL only); an id left unused by a refused
    /// document is a harmless hole (ids are not document numbers, R-ORD-2).
    order_id: Option<i64>,
}

async fn buyer<C: ConnectionTrait>(db: &C, p: &Principal, customer_id: i64) -> AppResult<Buyer> {
    let ship_to = Query::select()
        .column(customer_address::Column::Id)
        .from(customer_address::Entity)
        .and_where(
            Expr::col((
                customer_address::Entity,
                customer_address::Column::CustomerId,
            ))
            .equals((customer::Entity, customer::Column::Id)),
        )
        .and_where(customer_address::Column::Kind.eq(AddressKind::Shipping))
        .order_by(customer_address::Column::IsDefault, Order::Desc)
        .order_by(customer_address::Column::Id, Order::Asc)
        .limit(1)
        .to_owned();
    let agreement = Query::select()
        .expr(Expr::val(1))
        .from(agreement::Entity)
        .and_where(
            Expr::col((agreement::Entity, agreement::Column::CustomerId))
                .equals((customer::Entity, customer::Column::Id)),
        )
        .and_where(agreement::Column::Kind.eq(AgreementKind::Sales))
        .and_where(agreement::Column::Status.eq(AgreementStatus::Effective))
        .to_owned();
    let mut query = customer::Entity::find_by_id(customer_id)
        .filter(visibility::customers(p))
        .expr_as(Expr::SubQuery(None, Box::new(ship_to.into())), "ship_to_id")
        .expr_as(Expr::exists(agreement), "under_agreement");
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if postgres {
        query = query.expr_as(
            Expr::cust("nextval(pg_get_serial_sequence('sales_orders', 'id'))"),
            "new_order_id",
        );
    }
    let row = db
        .query_one(&setup_cache::with_version(query).into_query())
        .await?
        .ok_or_else(|| AppError::validation("customerId", "no such customer"))?;
    Ok(Buyer {
        customer: customer::Model::from_query_result(&row, "")?,
        ship_to: row.try_get("", "ship_to_id")?,
        setup: setup_cache::at(db, p.company_id, &row).await?,
        under_agreement: row.try_get("", "under_agreement")?,
        order_id: if postgres {
            Some(row.try_get("", "new_order_id")?)
        } else {
            None
        },
    })
}

/// The header a new document gets from its customer (R-ORD-1, R-ORD-11).
pub(super) fn defaults(
    p: &Principal,
    kind: DocKind,
    c: &customer::Model,
    ship_to: Option<i64>,
    setup: &Setup,
) -> AppResult<sales_order::Model> {
    let (settings, company_currency) = (&setup.settings, &setup.company.currency);
    let terms = setup.terms_by_code(&c.payment_terms);
    let method = setup.method_by_code(&c.payment_method);
    let bank = setup.bank_account_by_code(&c.bank_account);
    let carrier = setup.carrier_by_code(&c.carrier);
    let series = match &c.series {
        Some(s) => validate::series_code("series", s)?,
        None => settings.default_series.clone(),
    };
    let now = Utc::now();
    Ok(sales_order::Model {
        id: 0,
        company_id: p.company_id,
        kind,
        series,
        number: 0,
        customer_id: c.id,
        sales_rep_id: c.sales_rep_id,
        status: match kind {
            DocKind::Quote => DocStatus::Open,
            DocKind::Order => DocStatus::Draft,
        },
        financial_status: FinancialStatus::Unpaid,
        credit_hold: false,
        credit_released_amount: Dec::ZERO,
        credit_released_by: None,
        credit_released_at: None,
        order_date: now.date_naive(),
        delivery_date: None,
        currency: c.currency.clone(),
        exchange_rate: Dec(Decimal::ONE),
        language: c.language.clone(),
        payment_terms_id: terms,
        payment_method_id: method,
        bank_account_id: bank,
        ship_to_address_id: ship_to,
        carrier_id: carrier,
        invoice_to_group: c.invoice_to_group && c.group_customer_id.is_some(),
        direct_delivery: c.direct_delivery,
        order_type: c.order_type.clone(),
        customer_reference: None,
        freight_terms: FreightTerms::OnInvoice,
        freight_overridden: false,
        freight_amount: Dec::ZERO,
        weight_overridden: false,
        weight: Dec::ZERO,
        volume_overridden: false,
        volume: Dec::ZERO,
        header_discount_percent: Dec::ZERO,
        gross_amount: Dec::ZERO,
        discount_amount: Dec::ZERO,
        net_amount: Dec::ZERO,
        total_amount: Dec::ZERO,
        company_gross_amount: Dec::ZERO,
        company_net_amount: Dec::ZERO,
        company_freight_amount: Dec::ZERO,
        company_total_amount: Dec::ZERO,
        confirmation_date: None,
        quote_id: None,
        order_id: None,
        notes: None,
        version: 1,
        created_by: p.key(),
        created_at: now,
        updated_at: now,
        freight_invoiced: false,
        agreement_id: None,
        delivery_address: None,
        confirmed_ship_date: None,
        confirmed_receipt_date: None,
        advance_amount: Dec::ZERO,
        advance_applied: Dec::ZERO,
        production_reference: None,
    })
    .map(|mut m| {
        if m.currency == *company_currency {
            m.exchange_rate = Dec(Decimal::ONE);
        }
        m
    })
}

pub(super) fn needs_override(p: &Principal, field: &str) -> AppResult<()> {
    if visibility::can(p, Permission::OverrideOrderTerms) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("{field} is set by the seller")))
    }
}

/// A line's own description (R-ITEM-1): any line may carry one, as Boss Manager lets the
/// seller rename a line for its documents; on a stocked item or a kit that is the seller's
/// decision (it is what the invoice says was sold), on a service or comment anyone who may
/// write the line may.
pub(super) fn line_description(
    p: &Principal,
    item: &item::Model,
    field: &str,
    given: &str,
) -> AppResult<String> {
    if item.kind != ItemKind::NonStocked {
        needs_override(p, "description")?;
    }
    validate::required(field, given, 500)
}

/// A line's free goods (R-ORD-5): zero unless given, and given only by the seller's staff —
/// free goods ship, so a buyer or partner naming any is FORBIDDEN.
pub(super) fn bonus_quantity(
    p: &Principal,
    field: &str,
    given: Option<Decimal>,
) -> AppResult<Decimal> {
    let Some(b) = given else {
        return Ok(Decimal::ZERO);
    };
    let b = validate::non_negative(field, validate::decimal(field, b)?)?;
    if !b.is_zero() {
        needs_override(p, "bonusQuantity")?;
    }
    Ok(b)
}

/// Applies header overrides to `m`, checking each reference belongs to the company (and the
/// customer, for the ship-to address).
pub(super) async fn apply_header<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    c: &customer::Model,
    company_currency: &str,
    m: &mut sales_order::Model,
    h: HeaderInput,
    creating: bool,
) -> AppResult<()> {
    let company = p.company_id;
    // Commercial terms are the seller's: buyers and partners order on their customer's.
    let commercial = [
        ("series", h.series.is_some()),
        ("paymentTermsId", h.payment_terms_id.is_some()),
        ("paymentMethodId", h.payment_method_id.is_some()),
        ("bankAccountId", h.bank_account_id.is_some()),
        ("currency", h.currency.is_some()),
        ("installments", h.installments.is_some()),
        // Freight is the seller's too: PREPAID/COLLECT zero it, recalculation drops what a
        // rep typed in.
        ("freightTerms", h.freight_terms.is_some()),
        ("recalculateFreight", h.recalculate_freight),
        // The carrier sets the freight, and the order date picks the agreement, the exchange
        // rate and the due dates: a buyer takes today and the customer's carrier.
        ("carrierId", h.carrier_id.is_some()),
        ("orderDate", h.order_date.is_some()),
    ];
    for (field, given) in commercial {
        if given {
            needs_override(p, field)?;
        }
    }
    if let Some(s) = h.series {
        let s = validate::series_code("series", &s)?;
        if !creating && s != m.series {
            return Err(AppError::validation(
                "series",
                "an order's series is fixed once set (R-ORD-2)",
            ));
        }
        m.series = s;
    }
    if let Some(rep) = h.sales_rep_id
        && Some(rep) != m.sales_rep_id
    {
        needs_override(p, "salesRepId")?;
        let visible =
            matches!(p.role, Some(entity::Role::Admin)) || p.visible_rep_ids.contains(&rep);
        sales_rep::Entity::find_by_id(rep)
            .filter(sales_rep::Column::CompanyId.eq(company))
            .one(db)
            .await?
            .filter(|_| visible)
            .ok_or_else(|| AppError::validation("salesRepId", "no such sales rep"))?;
        m.sales_rep_id = Some(rep);
    }
    if let Some(id) = h.payment_terms_id {
        sales_setup::own_terms(db, company, id, "paymentTermsId").await?;
        m.payment_terms_id = Some(id);
    }
    if let Some(id) = h.payment_method_id {
        payment_method::Entity::find_by_id(id)
            .filter(payment_method::Column::CompanyId.eq(company))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("paymentMethodId", "no such payment method"))?;
        m.payment_method_id = Some(id);
    }
    if let Some(id) = h.bank_account_id {
        bank_account::Entity::find_by_id(id)
            .filter(bank_account::Column::CompanyId.eq(company))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("bankAccountId", "no such bank account"))?;
        m.bank_account_id = Some(id);
    }
    if let Some(cur) = h.currency {
        let cur = validate::currency("currency", &cur)?;
        if !creating && cur != m.currency {
            return Err(AppError::validation(
                "currency",
                "the currency is fixed once lines are priced",
            ));
        }
        m.currency = cur;
    }
    if let Some(l) = h.language {
        m.language = validate::language("language", &l)?;
    }
    if let Some(id) = h.ship_to_address_id {
        customer_address::Entity::find_by_id(id)
            .filter(customer_address::Column::CustomerId.eq(c.id))
            .one(db)
            .await?
            .ok_or_else(|| {
                AppError::validation("shipToAddressId", "not an address of this customer")
            })?;
        m.ship_to_address_id = Some(id);
    }
    if let Some(id) = h.carrier_id {
        carrier::Entity::find_by_id(id)
            .filter(carrier::Column::CompanyId.eq(company))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("carrierId", "no such carrier"))?;
        m.carrier_id = Some(id);
    }
    if let Some(b) = h.invoice_to_group {
        if b && c.group_customer_id.is_none() {
            return Err(AppError::validation(
                "invoiceToGroup",
                "the customer belongs to no group (R-ORD-11)",
            ));
        }
        m.invoice_to_group = b;
    }
    if let Some(b) = h.direct_delivery {
        m.direct_delivery = b;
    }
    if let Some(t) = h.order_type {
        m.order_type = validate::optional("orderType", Some(t), 20)?;
    }
    if let Some(r) = h.customer_reference {
        m.customer_reference = validate::optional("customerReference", Some(r), 100)?;
    }
    if let Some(n) = h.notes {
        m.notes = validate::text("notes", Some(n), 4000)?;
    }
    if let Some(d) = h.order_date {
        if !creating {
            return Err(AppError::validation(
                "orderDate",
                "the order date is fixed once entered",
            ));
        }
        m.order_date = d;
    }
    if let Some(d) = h.delivery_date {
        if !creating {
            return Err(AppError::validation(
                "deliveryDate",
                "use changeDeliveryDate (R-ORD-8)",
            ));
        }
        if d < m.order_date {
            return Err(AppError::validation(
                "deliveryDate",
                "delivery cannot precede the order date",
            ));
        }
        m.delivery_date = Some(d);
    }
    if let Some(t) = h.freight_terms {
        m.freight_terms = t;
    }
    if let Some(f) = h.freight_amount {
        needs_override(p, "freightAmount")?;
        m.freight_amount = Dec(validate::non_negative(
            "freightAmount",
            validate::decimal("freightAmount", f)?,
        )?);
        m.freight_overridden = true;
    } else if h.recalculate_freight {
        m.freight_overridden = false;
    }
    if let Some(w) = h.weight {
        needs_override(p, "weight")?;
        m.weight = Dec(validate::non_negative(
            "weight",
            validate::decimal("weight", w)?,
        )?);
        m.weight_overridden = true;
    }
    if let Some(v) = h.volume {
        needs_override(p, "volume")?;
        m.volume = Dec(validate::non_negative(
            "volume",
            validate::decimal("volume", v)?,
        )?);
        m.volume_overridden = true;
    }
    if let Some(d) = h.header_discount_percent {
        needs_override(p, "headerDiscountPercent")?;
        m.header_discount_percent = Dec(sales_setup::percent("headerDiscountPercent", d)?);
    }
    if creating {
        m.exchange_rate = if m.currency == company_currency {
            Dec(Decimal::ONE)
        } else {
            let rate = sales_setup::rate_on(db, company, &m.currency, m.order_date)
                .await?
                .ok_or_else(|| {
                    AppError::validation(
                        "currency",
                        format!(
                            "no exchange rate for {} on {} (R-ORD-7)",
                            m.currency, m.order_date
                        ),
                    )
                })?;
            Dec(rate)
        };
    }
    Ok(())
}

/// The trade terms of a line (R-ORD-6), which the part of it beyond its agreement's remaining
/// commitment takes (R-AGR-3).
#[derive(Clone, Copy)]
pub(super) struct Trade {
    unit_price: Decimal,
    discount_percent: Decimal,
    source: PriceSource,
}

/// A line ready to insert, with its kit components (R-ITEM-1).
#[derive(Clone)]
pub(super) struct PendingLine {
    /// The agreement line that prices it (R-AGR-2).
    agreement_line_id: Option<i64>,
    trade: Trade,
    item: item::Model,
    description: String,
    quantity: Decimal,
    bonus: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    source: PriceSource,
    cost: Decimal,
    delivery_date: Option<NaiveDate>,
    lot: Option<String>,
    supplier_id: Option<i64>,
    components: Vec<PendingLine>,
}

/// Items as a document line needs them: the item, the customer's own price and discount for
/// it (R-ORD-6) and its description in the document's language (R-ITEM-5) — one statement per
/// read, the two extras as sub-selects (both tables are unique on what they are looked up by).
#[derive(Default)]
struct Catalog {
    items: HashMap<i64, item::Model>,
    terms: HashMap<i64, Terms>,
    descriptions: HashMap<i64, String>,
}

impl Catalog {
    /// Adds the items matching `filter`.
    async fn read<C: ConnectionTrait>(
        &mut self,
        db: &C,
        filter: Condition,
        customer_id: i64,
        language: &str,
    ) -> AppResult<()> {
        let of_item = |table: DynIden, item_id: DynIden, value: DynIden, extra: Condition| {
            Expr::SubQuery(
                None,
                Box::new(
                    Query::select()
                        .column((table.clone(), value))
                        .from(table.clone())
                        .and_where(
                            Expr::col((table, item_id)).equals((item::Entity, item::Column::Id)),
                        )
                        .cond_where(extra)
                        .to_owned()
                        .into(),
                ),
            )
        };
        let price = |value: customer_price::Column| {
            of_item(
                customer_price::Entity.into_iden(),
                customer_price::Column::ItemId.into_iden(),
                value.into_iden(),
                Condition::all().add(customer_price::Column::CustomerId.eq(customer_id)),
            )
        };
        let query = item::Entity::find()
            .filter(filter)
            .expr_as(price(customer_price::Column::Id), "cp_id")
            .expr_as(price(customer_price::Column::Price), "cp_price")
            .expr_as(
                price(customer_price::Column::DiscountPercent),
                "cp_discount",
            )
            .expr_as(
                of_item(
                    item_description::Entity.into_iden(),
                    item_description::Column::ItemId.into_iden(),
                    item_description::Column::Description.into_iden(),
                    Condition::all().add(item_description::Column::Language.eq(language)),
                ),
                "description",
            )
            .into_query();
        for row in db.query_all(&query).await? {
            let item = item::Model::from_query_result(&row, "")?;
            if row.try_get::<Option<i64>>("", "cp_id")?.is_some() {
                let price: Option<Dec> = row.try_get("", "cp_price")?;
                let discount: Option<Dec> = row.try_get("", "cp_discount")?;
                self.terms.insert(
                    item.id,
                    Terms {
                        price: price.map(|d| d.0),
                        discount_percent: discount.map(|d| d.0),
                    },
                );
            }
            if let Some(text) = row.try_get::<Option<String>>("", "description")? {
                self.descriptions.insert(item.id, text);
            }
            self.items.insert(item.id, item);
        }
        Ok(())
    }
}

/// Which agreement terms may price a document's new lines (R-AGR-2).
#[derive(Clone, Copy)]
pub(super) enum AgreementTerms<'a> {
    /// The customer's effective agreements on the document's date: read them.
    Effective,
    /// The customer has no effective sales agreement (known from an earlier read): none is read.
    NoneEffective,
    /// An order from an agreement names each line's terms (R-AGR-3).
    Pinned(&'a [Offer]),
}

/// Resolves entered lines: item by id or barcode, sellable only (R-ITEM-2), price and discount
/// (R-ORD-6) in the order currency (R-ORD-7), description in the order language (R-ITEM-5;
/// editable only for non-stocked items, R-ITEM-1), cost (manual for non-stocked items when the
/// company requires it), kits expanded into price-0 component lines (R-ITEM-1).
pub(super) async fn resolve_lines<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    c: &customer::Model,
    order: &sales_order::Model,
    settings: &company_settings::Model,
    inputs: Vec<LineInput>,
    terms: AgreementTerms<'_>,
) -> AppResult<Vec<PendingLine>> {
    let pinned = match terms {
        AgreementTerms::Pinned(offers) => Some(offers),
        _ => None,
    };
    let field = "lines";
    if inputs.is_empty() {
        return Ok(vec![]);
    }
    validate::document_lines(field, inputs.len())?;
    let named: Vec<i64> = inputs.iter().filter_map(|l| l.supplier_id).collect();
    let suppliers: std::collections::HashSet<i64> = if named.is_empty() {
        Default::default()
    } else {
        entity::supplier::Entity::find()
            .filter(entity::supplier::Column::CompanyId.eq(p.company_id))
            .filter(entity::supplier::Column::Id.is_in(named))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    let ids: Vec<i64> = inputs.iter().filter_map(|l| l.item_id).collect();
    let barcodes: Vec<String> = inputs
        .iter()
        .filter_map(|l| l.barcode.clone())
        .map(|b| b.trim().to_owned())
        .collect();
    let mut catalog = Catalog::default();
    let (customer_id, language) = (c.id, order.language.as_str());
    let visible = |ids: Vec<i64>| {
        Condition::all()
            .add(visibility::items(p))
            .add(item::Column::Id.is_in(ids))
    };
    catalog
        .read(db, visible(ids), customer_id, language)
        .await?;
    let by_barcode: HashMap<String, i64> = if barcodes.is_empty() {
        HashMap::new()
    } else {
        item_barcode::Entity::find()
            .filter(item_barcode::Column::CompanyId.eq(p.company_id))
            .filter(item_barcode::Column::Barcode.is_in(barcodes))
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.barcode, b.item_id))
            .collect()
    };
    let missing: Vec<i64> = by_barcode
        .values()
        .filter(|id| !catalog.items.contains_key(id))
        .copied()
        .collect();
    if !missing.is_empty() {
        catalog
            .read(db, visible(missing), customer_id, language)
            .await?;
    }
    // Kit components and their items.
    let kit_ids: Vec<i64> = catalog
        .items
        .values()
        .filter(|i| i.kind == ItemKind::Kit)
        .map(|i| i.id)
        .collect();
    let kits = sales_setup::kit_components(db, &kit_ids).await?;
    let component_ids: Vec<i64> = kits
        .values()
        .flatten()
        .map(|k| k.component_item_id)
        .filter(|id| !catalog.items.contains_key(id))
        .collect();
    if !component_ids.is_empty() {
        let components = Condition::all().add(item::Column::Id.is_in(component_ids));
        catalog.read(db, components, customer_id, language).await?;
    }
    let Catalog {
        items,
        terms: customer_terms,
        descriptions,
    } = catalog;
    let all_ids: Vec<i64> = items.keys().copied().collect();
    // Orders from an agreement name their agreement lines; any other order takes the effective
    // agreements of its customer on its date (R-AGR-2).
    let offers = match terms {
        AgreementTerms::Pinned(_) | AgreementTerms::NoneEffective => Offers::default(),
        AgreementTerms::Effective => {
            agreements::terms::effective(
                db,
                p.company_id,
                AgreementKind::Sales,
                c.id,
                &order.currency,
                order.order_date,
                &all_ids,
            )
            .await?
        }
    };
    let describe = |i: &item::Model| {
        descriptions
            .get(&i.id)
            .cloned()
            .unwrap_or_else(|| i.name.clone())
    };
    let rate = order.exchange_rate.0;

    let mut out = Vec::with_capacity(inputs.len());
    for (n, l) in inputs.into_iter().enumerate() {
        let f = |name: &str| format!("{field}.{n}.{name}");
        let item_id = match (l.item_id, l.barcode.as_deref().map(str::trim)) {
            (Some(id), None) => items.get(&id).map(|i| i.id),
            (None, Some(code)) => by_barcode.get(code).copied(),
            _ => {
                return Err(AppError::validation(
                    f("itemId"),
                    "give either itemId or barcode",
                ));
            }
        };
        let item = item_id
            .and_then(|id| items.get(&id))
            .cloned()
            .ok_or_else(|| {
                AppError::validation(
                    f(if l.item_id.is_some() {
                        "itemId"
                    } else {
                        "barcode"
                    }),
                    "no such item",
                )
            })?;
        if !item.sellable {
            return Err(AppError::validation(
                f("itemId"),
                format!("{} is not sellable (R-ITEM-2)", item.sku),
            ));
        }
        let quantity = validate::positive(
            &f("quantity"),
            validate::decimal(&f("quantity"), l.quantity)?,
        )?;
        let bonus = bonus_quantity(p, &f("bonusQuantity"), l.bonus_quantity)?;
        let description = match l.description {
            Some(d) => line_description(p, &item, &f("description"), &d)?,
            None => describe(&item),
        };
        let components = kits.get(&item.id).cloned().unwrap_or_default();
        if l.cost.is_some() {
            needs_override(p, "cost")?;
        }
        // Costs are internal: buyers and partners never enter them, so for them a non-stocked
        // line takes the item's cost even when staff must type one.
        let enters_costs = visibility::can(p, Permission::OverrideOrderTerms);
        let cost = match (item.kind, l.cost) {
            // The seller's staff may cost any line but a kit (R-ORD-16: until a purchase order
            // buys for it, which only happens after entry).
            (ItemKind::NonStocked | ItemKind::Stocked, Some(cost)) => {
                validate::non_negative(&f("cost"), validate::decimal(&f("cost"), cost)?)?
            }
            (ItemKind::NonStocked, None)
                if settings.manual_cost_for_non_stocked && enters_costs =>
            {
                return Err(AppError::validation(
                    f("cost"),
                    "the company requires a manual cost on non-stocked lines (R-ITEM-1)",
                ));
            }
            (ItemKind::Kit, Some(_)) => {
                return Err(AppError::validation(
                    f("cost"),
                    "a kit's cost is the sum of its components'",
                ));
            }
            (ItemKind::Kit, None) => components
                .iter()
                .map(|k| {
                    items
                        .get(&k.component_item_id)
                        .map(|i| i.cost.0)
                        .unwrap_or_default()
                        * k.quantity.0
                })
                .sum(),
            (_, None) => item.cost.0,
        };
        let trade = {
            let r = pricing::resolve(
                None,
                customer_terms.get(&item.id).copied(),
                item.list_price.0,
            );
            Trade {
                unit_price: pricing::to_order_currency(r.unit_price, rate),
                discount_percent: r.discount_percent,
                source: r.source,
            }
        };
        let offer = match pinned {
            Some(_) if item.kind != ItemKind::Stocked => {
                return Err(AppError::validation(
                    f("itemId"),
                    format!(
                        "{} is not a stocked item: agreements cover stocked items",
                        item.sku
                    ),
                ));
            }
            Some(pinned) => pinned.get(n).copied(),
            // A VALUE line covers stocked items: kits and services ship nothing of their
            // own that could fulfil it.
            None if item.kind == ItemKind::Stocked => offers.for_item(item.id),
            None => None,
        };
        // Agreement prices are in the agreement's currency, which is the order's (R-AGR-2).
        let (mut unit_price, mut discount, mut source, mut agreement_line_id) = match offer {
            Some(o) => (
                o.unit_price.unwrap_or(trade.unit_price),
                o.discount_percent,
                PriceSource::Agreement,
                Some(o.agreement_line_id),
            ),
            None => (trade.unit_price, trade.discount_percent, trade.source, None),
        };
        if let Some(price) = l.unit_price {
            needs_override(p, "unitPrice")?;
            unit_price = validate::non_negative(
                &f("unitPrice"),
                validate::decimal(&f("unitPrice"), price)?,
            )?;
            source = PriceSource::Manual;
            agreement_line_id = None;
        }
        if let Some(d) = l.discount_percent {
            needs_override(p, "discountPercent")?;
            discount = sales_setup::percent(&f("discountPercent"), d)?;
            agreement_line_id = None;
        }
        if pinned.is_some() && agreement_line_id.is_none() {
            return Err(AppError::validation(
                f("unitPrice"),
                "a line ordered from an agreement takes the agreement's price and discount",
            ));
        }
        let delivery_date = l.delivery_date.or(order.delivery_date);
        let lot = l
            .lot
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if lot.is_some() && item.kind != ItemKind::Stocked {
            return Err(AppError::validation(
                f("lot"),
                "only a stocked item can name a lot",
            ));
        }
        let supplier_id = match l.supplier_id {
            Some(s) => {
                // Whom the company buys from is staff's choice (R-ACC-5).
                needs_override(p, &f("supplierId"))?;
                if item.kind != ItemKind::Stocked || !suppliers.contains(&s) {
                    return Err(AppError::validation(
                        f("supplierId"),
                        "a stocked line may name a supplier of the company",
                    ));
                }
                Some(s)
            }
            None => None,
        };
        let components = components
            .iter()
            .map(|k| {
                let ci = items[&k.component_item_id].clone();
                PendingLine {
                    agreement_line_id: None,
                    trade: Trade {
                        unit_price: Decimal::ZERO,
                        discount_percent: Decimal::ZERO,
                        source: PriceSource::KitComponent,
                    },
                    description: describe(&ci),
                    quantity: quantity * k.quantity.0,
                    bonus: bonus * k.quantity.0,
                    unit_price: Decimal::ZERO,
                    discount_percent: Decimal::ZERO,
                    source: PriceSource::KitComponent,
                    cost: ci.cost.0,
                    delivery_date,
                    lot: None,
                    supplier_id: None,
                    components: vec![],
                    item: ci,
                }
            })
            .collect();
        out.push(PendingLine {
            agreement_line_id,
            trade,
            item,
            description,
            quantity,
            bonus,
            unit_price,
            discount_percent: discount,
            source,
            cost,
            delivery_date,
            lot,
            supplier_id,
            components,
        });
    }
    // Kits expand into component rows: the document's row count is what is bounded.
    validate::document_lines(field, out.iter().map(|l| 1 + l.components.len()).sum())?;
    Ok(out)
}

/// Splits order lines at what their agreement lines still hold (R-AGR-3): the part within
/// the remaining commitment keeps the agreement's terms, the excess becomes a line of its own
/// at the trade price, with the warning `AGREEMENT_EXCEEDED`. The agreement lines stay locked
/// until the transaction ends, so concurrent orders apportion one after the other. Quotes
/// release nothing and are not split.
async fn apportion(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    lines: Vec<PendingLine>,
    first_position: i64,
) -> AppResult<(Vec<PendingLine>, Vec<Warning>)> {
    let ids: Vec<i64> = lines.iter().filter_map(|l| l.agreement_line_id).collect();
    if ids.is_empty() || order.kind != DocKind::Order {
        return Ok((lines, vec![]));
    }
    let locked = agreements::terms::lock_lines(tx, &ids).await?;
    let mut capacity = Capacity::of(&locked);
    let mut out = Vec::with_capacity(lines.len());
    let mut warnings = Vec::new();
    for l in lines {
        let Some(agreement_line) = l.agreement_line_id else {
            out.push(l);
            continue;
        };
        let held = capacity.take(agreement_line, l.quantity, l.unit_price, l.discount_percent);
        if held == l.quantity {
            out.push(l);
            continue;
        }
        let excess = l.quantity - held;
        let position = first_position + out.len() as i64 + i64::from(held > Decimal::ZERO);
        warnings.push(Warning {
            code: "AGREEMENT_EXCEEDED",
            message: format!(
                "{} of {} {} exceed what agreement line {} has left; line {position} orders them \
                 at the trade price (R-AGR-3)",
                excess.normalize(),
                l.quantity.normalize(),
                l.item.sku,
                locked.get(&agreement_line).map_or(0, |a| a.position),
            ),
        });
        let mut beyond = l.part(excess);
        beyond.agreement_line_id = None;
        beyond.unit_price = l.trade.unit_price;
        beyond.discount_percent = l.trade.discount_percent;
        beyond.source = l.trade.source;
        if held > Decimal::ZERO {
            beyond.bonus = Decimal::ZERO;
            out.push(l.part(held));
        }
        out.push(beyond);
    }
    Ok((out, warnings))
}

impl PendingLine {
    /// This line for `quantity` of its quantity, kit components in proportion.
    fn part(&self, quantity: Decimal) -> PendingLine {
        let share = |q: Decimal| {
            if self.quantity.is_zero() {
                q
            } else {
                q * quantity / self.quantity
            }
        };
        PendingLine {
            quantity,
            components: self
                .components
                .iter()
                .map(|c| PendingLine {
                    quantity: share(c.quantity),
                    bonus: share(c.bonus),
                    ..c.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// Inserts a new document and its lines. With an id taken beforehand ([`Buyer::order_id`],
/// PostgreSQL) the row goes out with the top-level lines, one statement: it is the lines'
/// INSERT's data-modifying CTE, and their foreign key is checked at the statement's end. The
/// row is then known without reading it back (timestamps cut to the microseconds the database
/// keeps); what the save writes last comes back from the database all the same.
async fn insert_document(
    tx: &DatabaseTransaction,
    mut draft: sales_order::Model,
    id: Option<i64>,
    pending: Vec<PendingLine>,
) -> AppResult<(sales_order::Model, Inserted)> {
    let mut am = draft.clone().into_active_model().reset_all();
    match id {
        Some(id) if !pending.is_empty() => {
            am.id = Set(id);
            draft.id = id;
            draft.created_at = draft.created_at.trunc_subsecs(6);
            draft.updated_at = draft.updated_at.trunc_subsecs(6);
            let row = sales_order::Entity::insert(am).into_query();
            let inserted = insert_lines_after(tx, &draft, pending, 1, Some(row)).await?;
            Ok((draft, inserted))
        }
        _ => {
            am.id = id.map_or(NotSet, Set);
            let order = am.insert(tx).await?;
            let inserted = insert_lines(tx, &order, pending, 1).await?;
            Ok((order, inserted))
        }
    }
}

/// Inserts lines from `first_position` on: all top-level lines in one statement, then all kit
/// components in one more, pointing at their kit line (found by its position). Lines on an
/// agreement are first [`apportion`]ed; the warnings say what went beyond a commitment.
pub(super) async fn insert_lines(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    lines: Vec<PendingLine>,
    first_position: i64,
) -> AppResult<Inserted> {
    insert_lines_after(tx, order, lines, first_position, None).await
}

/// [`insert_lines`], the top-level lines' INSERT carrying `first` (PostgreSQL) as a CTE;
/// `lines` must not be empty when `first` is given.
async fn insert_lines_after(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    lines: Vec<PendingLine>,
    first_position: i64,
    first: Option<InsertStatement>,
) -> AppResult<Inserted> {
    let mut out = Inserted {
        lines: Vec::new(),
        items: HashMap::new(),
        warnings: Vec::new(),
    };
    if lines.is_empty() {
        return Ok(out);
    }
    let (lines, warnings) = apportion(tx, order, lines, first_position).await?;
    out.warnings = warnings;
    let now = Utc::now();
    let row = |l: &PendingLine, position: i64, parent: Option<i64>| {
        line_row(line_model(order, l, position, parent, now))
    };
    let positioned: Vec<(i64, &PendingLine)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (first_position + i as i64, l))
        .collect();
    for (_, l) in &positioned {
        out.items.insert(l.item.id, l.item.clone());
        for c in &l.components {
            out.items.insert(c.item.id, c.item.clone());
        }
    }
    // The inserted rows come back (RETURNING): the save that follows reads none of them again.
    let top =
        sales_order_line::Entity::insert_many(positioned.iter().map(|(pos, l)| row(l, *pos, None)));
    out.lines = match first {
        None => top.exec_with_returning(tx).await?,
        Some(first) => {
            let carried = CommonTableExpression::new()
                .query(first)
                .table_name(Alias::new("new_document"))
                .to_owned();
            let mut top = top.into_query();
            top.returning_all();
            let stmt = top.with(WithClause::new().cte(carried).to_owned());
            let mut rows = Vec::with_capacity(positioned.len());
            for r in tx.query_all(&stmt).await? {
                rows.push(sales_order_line::Model::from_query_result(&r, "")?);
            }
            rows
        }
    };
    if lines.iter().all(|l| l.components.is_empty()) {
        return Ok(out);
    }
    let kit_lines: HashMap<i64, i64> = out.lines.iter().map(|l| (l.position, l.id)).collect();
    let components = positioned.iter().flat_map(|(pos, l)| {
        let parent = kit_lines.get(pos).copied();
        l.components.iter().map(move |c| row(c, *pos, parent))
    });
    let components = sales_order_line::Entity::insert_many(components)
        .exec_with_returning(tx)
        .await?;
    out.lines.extend(components);
    Ok(out)
}

/// A line as it will be stored, before it has an id: what the save figures a document from
/// before the row exists ([`create_in_one_statement`]), and what [`line_row`] inserts.
fn line_model(
    order: &sales_order::Model,
    l: &PendingLine,
    position: i64,
    parent: Option<i64>,
    now: chrono::DateTime<Utc>,
) -> sales_order_line::Model {
    sales_order_line::Model {
        id: 0,
        company_id: order.company_id,
        order_id: order.id,
        position,
        parent_line_id: parent,
        item_id: l.item.id,
        description: l.description.clone(),
        quantity: Dec(l.quantity),
        bonus_quantity: Dec(l.bonus),
        unit_price: Dec(l.unit_price),
        discount_percent: Dec(l.discount_percent),
        price_source: l.source,
        cost: Dec(l.cost),
        delivery_date: l.delivery_date,
        promised_date: l.delivery_date,
        shipped_quantity: Dec::ZERO,
        lot: l.lot.clone(),
        invoiced_quantity: Dec::ZERO,
        agreement_line_id: l.agreement_line_id,
        agreement_released_quantity: Dec::ZERO,
        agreement_released_value: Dec::ZERO,
        agreement_fulfilled_quantity: Dec::ZERO,
        agreement_fulfilled_value: Dec::ZERO,
        over_delivery_percent: Dec::ZERO,
        under_delivery_percent: Dec::ZERO,
        closed_quantity: Dec::ZERO,
        supplier_id: l.supplier_id,
        created_at: now,
    }
}

/// The INSERT's row for a [`line_model`]: every column but the id (the database's).
fn line_row(line: sales_order_line::Model) -> sales_order_line::ActiveModel {
    let mut row = line.into_active_model().reset_all();
    row.id = NotSet;
    row
}

/// Lines just inserted, their items, and what pricing them against agreements warned of.
pub(super) struct Inserted {
    pub lines: Vec<sales_order_line::Model>,
    pub items: HashMap<i64, item::Model>,
    pub warnings: Vec<Warning>,
}

pub(super) async fn replace_installments(
    tx: &DatabaseTransaction,
    order_id: i64,
    inst: &[(NaiveDate, Decimal)],
) -> AppResult<()> {
    let percents: Vec<Decimal> = inst.iter().map(|(_, p)| *p).collect();
    sales_setup::check_percentages("installments", &percents)?;
    order_installment::Entity::delete_many()
        .filter(order_installment::Column::OrderId.eq(order_id))
        .exec(tx)
        .await?;
    order_installment::Entity::insert_many(inst.iter().map(|(d, pct)| {
        order_installment::ActiveModel {
            order_id: Set(order_id),
            due_date: Set(*d),
            percent: Set(Dec(*pct)),
            ..Default::default()
        }
    }))
    .exec(tx)
    .await?;
    Ok(())
}
