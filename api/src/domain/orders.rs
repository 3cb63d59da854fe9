//! Quotes and sales orders (R-ORD-1…17, R-ITEM-1, 2, 5, 6).
//!
//! A quote and an order share one table and one set of lines (`kind` tells them apart), so a
//! quote accepted into an order (R-ORD-3) copies rows rather than translating models. Every
//! change runs in one write transaction that locks the order row, recomputes the totals from
//! the stored lines, re-judges credit, bumps `version` (optimistic locking for clients) and
//! writes its event to the outbox; a failed check rolls the whole change back.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::credit::{self, Verdict};
use crate::domain::outbox::{self, OrderEvent};
use crate::domain::pricing::{self, LineFigures, Terms};
use crate::domain::{Page, PageArgs, companies, numbering, page, rows, sales_setup, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    AddressKind, Dec, DocKind, DocStatus, DocType, FinancialStatus, FreightTerms, ItemKind,
    PriceSource, bank_account, carrier, company_settings, customer, customer_address,
    customer_price, delivery_date_change, item, item_barcode, item_description, order_confirmation,
    order_installment, outbox as outbox_row, payment_method, payment_terms, sales_order,
    sales_order_line, sales_rep, unique_item_claim,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};

/// A placeholder number for a document until [`finish`] numbers it at the end of its
/// transaction; negative, so it never meets a real one under the unique index.
fn placeholder_number() -> i64 {
    -1 - i64::from(rand::random::<u32>())
}

/// One line as entered: by item id or barcode (R-ITEM-5).
#[derive(Clone, Default)]
pub struct LineInput {
    pub item_id: Option<i64>,
    pub barcode: Option<String>,
    pub quantity: Decimal,
    pub bonus_quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
    pub description: Option<String>,
    pub cost: Option<Decimal>,
    pub delivery_date: Option<NaiveDate>,
}

/// Header overrides; anything left `None` comes from the customer (R-ORD-1) on creation and
/// stays as it is on update.
#[derive(Clone, Default)]
pub struct HeaderInput {
    pub series: Option<String>,
    pub sales_rep_id: Option<i64>,
    pub payment_terms_id: Option<i64>,
    pub payment_method_id: Option<i64>,
    pub bank_account_id: Option<i64>,
    pub currency: Option<String>,
    pub language: Option<String>,
    pub ship_to_address_id: Option<i64>,
    pub carrier_id: Option<i64>,
    pub invoice_to_group: Option<bool>,
    pub direct_delivery: Option<bool>,
    pub order_type: Option<String>,
    pub customer_reference: Option<String>,
    pub order_date: Option<NaiveDate>,
    pub delivery_date: Option<NaiveDate>,
    pub freight_terms: Option<FreightTerms>,
    /// Overrides the calculated freight (R-ORD-12); `recalculate_freight` undoes that.
    pub freight_amount: Option<Decimal>,
    pub recalculate_freight: bool,
    /// Override the summed weight and volume (R-ORD-13).
    pub weight: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub header_discount_percent: Option<Decimal>,
    pub notes: Option<String>,
    /// Due dates and percentages for custom (`PER`) payment terms (R-ORD-10).
    pub installments: Option<Vec<(NaiveDate, Decimal)>>,
}

pub struct NewDocument {
    pub customer_id: i64,
    pub header: HeaderInput,
    pub lines: Vec<LineInput>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateChangeReason {
    /// A typing error: the promise moves with it, nothing is logged.
    Correction,
    /// The delivery really moves: logged for the delay report (R-ORD-8).
    RealChange,
}

#[derive(Clone, Default)]
pub struct LineChange {
    pub quantity: Option<Decimal>,
    pub bonus_quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
    pub description: Option<String>,
    pub cost: Option<Decimal>,
    pub delivery_date: Option<NaiveDate>,
    pub date_reason: Option<DateChangeReason>,
}

#[derive(Clone, Debug)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// A saved document and what the caller should know about it.
pub struct Saved {
    pub order: sales_order::Model,
    pub warnings: Vec<Warning>,
}

#[derive(Default)]
pub struct OrderFilter {
    pub status: Option<DocStatus>,
    pub financial_status: Option<FinancialStatus>,
    pub customer_id: Option<i64>,
    pub sales_rep_id: Option<i64>,
    pub credit_hold: Option<bool>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub search: Option<String>,
}

fn editable(order: &sales_order::Model) -> AppResult<()> {
    let ok = match order.kind {
        DocKind::Quote => order.status == DocStatus::Open,
        DocKind::Order => matches!(order.status, DocStatus::Draft | DocStatus::Confirmed),
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::InvalidState(format!(
            "a {:?} {} can no longer be changed (R-ORD-14, R-ORD-16)",
            order.status,
            kind_name(order.kind)
        )))
    }
}

fn kind_name(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Quote => "quote",
        DocKind::Order => "order",
    }
}

fn not_found(kind: DocKind) -> AppError {
    AppError::NotFound(match kind {
        DocKind::Quote => "quote",
        DocKind::Order => "sales order",
    })
}

fn actor(p: &Principal) -> String {
    match p.actor {
        crate::auth::Actor::User(id) => format!("user:{id}"),
        crate::auth::Actor::ApiToken(id) => format!("token:{id}"),
    }
}

// ---------------------------------------------------------------------------------------
// Reading

pub async fn get(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    id: i64,
) -> AppResult<sales_order::Model> {
    visibility::require(p, Permission::ReadOrders)?;
    sales_order::Entity::find_by_id(id)
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or_else(|| not_found(kind))
}

/// Newest first (R-ACC-3…5 through `visibility::sales_orders`).
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    f: OrderFilter,
    args: &PageArgs,
) -> AppResult<Page<sales_order::Model>> {
    visibility::require(p, Permission::ReadOrders)?;
    let mut q = sales_order::Entity::find()
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(kind));
    if let Some(s) = f.status {
        q = q.filter(sales_order::Column::Status.eq(s));
    }
    if let Some(s) = f.financial_status {
        q = q.filter(sales_order::Column::FinancialStatus.eq(s));
    }
    if let Some(c) = f.customer_id {
        q = q.filter(sales_order::Column::CustomerId.eq(c));
    }
    if let Some(r) = f.sales_rep_id {
        q = q.filter(sales_order::Column::SalesRepId.eq(r));
    }
    if let Some(h) = f.credit_hold {
        q = q.filter(sales_order::Column::CreditHold.eq(h));
    }
    if let Some(d) = f.from {
        q = q.filter(sales_order::Column::OrderDate.gte(d));
    }
    if let Some(d) = f.to {
        q = q.filter(sales_order::Column::OrderDate.lte(d));
    }
    if let Some(search) = f
        .search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        let mut any = page::search_condition(&[sales_order::Column::CustomerReference], &search);
        // A number ("42") or a document number ("A-42") finds the document too.
        if let Ok(n) = search.parse::<i64>() {
            any = any.add(sales_order::Column::Number.eq(n));
        } else if let Some((series, n)) = search.rsplit_once('-')
            && let Ok(n) = n.parse::<i64>()
        {
            any = any.add(
                Condition::all()
                    .add(sales_order::Column::Series.eq(series.to_uppercase()))
                    .add(sales_order::Column::Number.eq(n)),
            );
        }
        q = q.filter(any);
    }
    page::fetch_newest_first(db, q, sales_order::Column::Id, args).await
}

/// Visible documents by id (loaders: quote ↔ order links).
pub async fn visible_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, sales_order::Model>> {
    if !visibility::can(p, Permission::ReadOrders) {
        return Ok(HashMap::new());
    }
    Ok(sales_order::Entity::find()
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect())
}

/// Lines of orders the caller already sees, in position order (kit components after their kit).
pub async fn lines_by_orders<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<sales_order_line::Model>>> {
    use sales_order_line::{Column, Entity};
    let mut out =
        rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |l| l.order_id).await?;
    for lines in out.values_mut() {
        lines.sort_by_key(|l| (l.position, l.id));
    }
    Ok(out)
}

pub async fn installments_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_installment::Model>>> {
    use order_installment::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::DueDate, |r| r.order_id).await
}

pub async fn date_changes_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<delivery_date_change::Model>>> {
    use delivery_date_change::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |r| r.order_id).await
}

pub async fn confirmations_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<order_confirmation::Model>>> {
    use order_confirmation::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |r| r.order_id).await
}

/// The outbox rows of orders the caller sees (R-ORD-17).
pub async fn events_by_orders(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<outbox_row::Model>>> {
    use outbox_row::{Column, Entity};
    rows::children::<Entity, _>(db, Column::OrderId, ids, Column::Id, |r| {
        r.order_id.unwrap_or_default()
    })
    .await
}

/// R-ORD-8 delay report: lines of visible open or delivered orders whose current delivery date
/// differs from the first promised one (real changes only; corrections move the promise).
pub async fn delivery_delays(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: Option<i64>,
) -> AppResult<Vec<(sales_order::Model, sales_order_line::Model)>> {
    visibility::require(p, Permission::ReadOrders)?;
    let mut orders = sales_order::Entity::find()
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Kind.eq(DocKind::Order))
        .filter(sales_order::Column::Status.ne(DocStatus::Cancelled));
    if let Some(c) = customer_id {
        orders = orders.filter(sales_order::Column::CustomerId.eq(c));
    }
    let changed: Vec<i64> = delivery_date_change::Entity::find()
        .select_only()
        .column(delivery_date_change::Column::OrderId)
        .distinct()
        .filter(delivery_date_change::Column::CompanyId.eq(p.company_id))
        .into_tuple()
        .all(db)
        .await?;
    let orders: HashMap<i64, sales_order::Model> = orders
        .filter(sales_order::Column::Id.is_in(changed))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let ids: Vec<i64> = orders.keys().copied().collect();
    let mut out = Vec::new();
    for (order_id, lines) in lines_by_orders(db, &ids).await? {
        for line in lines {
            if line.delivery_date != line.promised_date {
                out.push((orders[&order_id].clone(), line));
            }
        }
    }
    out.sort_by_key(|(o, l)| (o.id, l.position, l.id));
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Creating

/// Creates a quote or a sales order for a customer the caller sees (R-ORD-1, R-ACC-5).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    input: NewDocument,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let customer = customer::Entity::find_by_id(input.customer_id)
        .filter(visibility::customers(p))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("customerId", "no such customer"))?;
    let company = companies::own(db, p).await?;
    let settings = sales_setup::settings(db, p.company_id).await?;
    let mut draft = defaults(db, p, kind, &customer, &company.currency, &settings).await?;
    apply_header(
        db,
        p,
        &customer,
        &company.currency,
        &mut draft,
        input.header.clone(),
        true,
    )
    .await?;
    let pending = resolve_lines(db, p, &customer, &draft, &settings, input.lines, "lines").await?;

    let tx = db::write_tx(db).await?;
    draft.number = placeholder_number();
    let mut am = draft.clone().into_active_model().reset_all();
    am.id = sea_orm::ActiveValue::NotSet;
    let order = am.insert(&tx).await?;
    insert_lines(&tx, &order, pending, 1).await?;
    if let Some(inst) = &input.header.installments {
        replace_installments(&tx, order.id, inst).await?;
    }
    let saved = finish(&tx, &customer, &settings, order, None, OrderEvent::Created).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The header a new document gets from its customer (R-ORD-1, R-ORD-11).
async fn defaults(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    c: &customer::Model,
    company_currency: &str,
    settings: &company_settings::Model,
) -> AppResult<sales_order::Model> {
    let terms = {
        use payment_terms::{Column, Entity};
        sales_setup::id_by_code::<Entity, _>(
            db,
            Column::CompanyId,
            Column::Code,
            p.company_id,
            &c.payment_terms,
            |m| m.id,
        )
        .await?
    };
    let method = {
        use payment_method::{Column, Entity};
        sales_setup::id_by_code::<Entity, _>(
            db,
            Column::CompanyId,
            Column::Code,
            p.company_id,
            &c.payment_method,
            |m| m.id,
        )
        .await?
    };
    let bank = {
        use bank_account::{Column, Entity};
        sales_setup::id_by_code::<Entity, _>(
            db,
            Column::CompanyId,
            Column::Code,
            p.company_id,
            &c.bank_account,
            |m| m.id,
        )
        .await?
    };
    let carrier = {
        use carrier::{Column, Entity};
        sales_setup::id_by_code::<Entity, _>(
            db,
            Column::CompanyId,
            Column::Code,
            p.company_id,
            &c.carrier,
            |m| m.id,
        )
        .await?
    };
    let ship_to = customer_address::Entity::find()
        .filter(customer_address::Column::CustomerId.eq(c.id))
        .filter(customer_address::Column::Kind.eq(AddressKind::Shipping))
        .order_by_desc(customer_address::Column::IsDefault)
        .order_by_asc(customer_address::Column::Id)
        .one(db)
        .await?
        .map(|a| a.id);
    let series = match &c.series {
        Some(s) => sales_setup::series_code("series", s)?,
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
        created_by: actor(p),
        created_at: now,
        updated_at: now,
    })
    .map(|mut m| {
        if m.currency == company_currency {
            m.exchange_rate = Dec(Decimal::ONE);
        }
        m
    })
}

fn needs_override(p: &Principal, field: &str) -> AppResult<()> {
    if visibility::can(p, Permission::OverrideOrderTerms) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("{field} is set by the seller")))
    }
}

/// Applies header overrides to `m`, checking each reference belongs to the company (and the
/// customer, for the ship-to address).
async fn apply_header<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    c: &customer::Model,
    company_currency: &str,
    m: &mut sales_order::Model,
    h: HeaderInput,
    creating: bool,
) -> AppResult<()> {
    let company = p.company_id;
    if let Some(s) = h.series {
        let s = sales_setup::series_code("series", &s)?;
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
        m.notes = validate::optional("notes", Some(n), 4000)?;
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

/// A line ready to insert, with its kit components (R-ITEM-1).
struct PendingLine {
    item: item::Model,
    description: String,
    quantity: Decimal,
    bonus: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    source: PriceSource,
    cost: Decimal,
    delivery_date: Option<NaiveDate>,
    components: Vec<PendingLine>,
}

/// Resolves entered lines: item by id or barcode, sellable only (R-ITEM-2), price and discount
/// (R-ORD-6) in the order currency (R-ORD-7), description in the order language (R-ITEM-5;
/// editable only for non-stocked items, R-ITEM-1), cost (manual for non-stocked items when the
/// company requires it), kits expanded into price-0 component lines (R-ITEM-1).
async fn resolve_lines<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    c: &customer::Model,
    order: &sales_order::Model,
    settings: &company_settings::Model,
    inputs: Vec<LineInput>,
    field: &str,
) -> AppResult<Vec<PendingLine>> {
    if inputs.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<i64> = inputs.iter().filter_map(|l| l.item_id).collect();
    let barcodes: Vec<String> = inputs
        .iter()
        .filter_map(|l| l.barcode.clone())
        .map(|b| b.trim().to_owned())
        .collect();
    let mut items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(visibility::items(p))
        .filter(item::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
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
        .filter(|id| !items.contains_key(id))
        .copied()
        .collect();
    if !missing.is_empty() {
        for i in item::Entity::find()
            .filter(visibility::items(p))
            .filter(item::Column::Id.is_in(missing))
            .all(db)
            .await?
        {
            items.insert(i.id, i);
        }
    }
    // Kit components and their items.
    let kit_ids: Vec<i64> = items
        .values()
        .filter(|i| i.kind == ItemKind::Kit)
        .map(|i| i.id)
        .collect();
    let kits = sales_setup::kit_components(db, &kit_ids).await?;
    let component_ids: Vec<i64> = kits
        .values()
        .flatten()
        .map(|k| k.component_item_id)
        .filter(|id| !items.contains_key(id))
        .collect();
    if !component_ids.is_empty() {
        for i in item::Entity::find()
            .filter(item::Column::Id.is_in(component_ids))
            .all(db)
            .await?
        {
            items.insert(i.id, i);
        }
    }
    let all_ids: Vec<i64> = items.keys().copied().collect();
    let customer_terms: HashMap<i64, Terms> = customer_price::Entity::find()
        .filter(customer_price::Column::CustomerId.eq(c.id))
        .filter(customer_price::Column::ItemId.is_in(all_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|cp| {
            (
                cp.item_id,
                Terms {
                    price: cp.price.map(|d| d.0),
                    discount_percent: cp.discount_percent.map(|d| d.0),
                },
            )
        })
        .collect();
    let descriptions: HashMap<i64, String> = item_description::Entity::find()
        .filter(item_description::Column::ItemId.is_in(all_ids))
        .filter(item_description::Column::Language.eq(order.language.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.item_id, d.description))
        .collect();
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
        let bonus = match l.bonus_quantity {
            Some(b) => validate::non_negative(
                &f("bonusQuantity"),
                validate::decimal(&f("bonusQuantity"), b)?,
            )?,
            None => Decimal::ZERO,
        };
        let description = match l.description {
            Some(d) if item.kind != ItemKind::NonStocked => {
                let _ = d;
                return Err(AppError::validation(
                    f("description"),
                    "only non-stocked items take a description of their own (R-ITEM-1)",
                ));
            }
            Some(d) => validate::required(&f("description"), &d, 500)?,
            None => describe(&item),
        };
        let components = kits.get(&item.id).cloned().unwrap_or_default();
        let cost = match (item.kind, l.cost) {
            (ItemKind::NonStocked, Some(cost)) => {
                validate::non_negative(&f("cost"), validate::decimal(&f("cost"), cost)?)?
            }
            (ItemKind::NonStocked, None) if settings.manual_cost_for_non_stocked => {
                return Err(AppError::validation(
                    f("cost"),
                    "the company requires a manual cost on non-stocked lines (R-ITEM-1)",
                ));
            }
            (_, Some(_)) => {
                return Err(AppError::validation(
                    f("cost"),
                    "only non-stocked lines take a manual cost",
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
        let resolved = pricing::resolve(
            agreement_terms(c, &item, order.order_date),
            customer_terms.get(&item.id).copied(),
            item.list_price.0,
        );
        let (mut unit_price, mut discount, mut source) = (
            pricing::to_order_currency(resolved.unit_price, rate),
            resolved.discount_percent,
            resolved.source,
        );
        if let Some(price) = l.unit_price {
            needs_override(p, "unitPrice")?;
            unit_price = validate::non_negative(
                &f("unitPrice"),
                validate::decimal(&f("unitPrice"), price)?,
            )?;
            source = PriceSource::Manual;
        }
        if let Some(d) = l.discount_percent {
            needs_override(p, "discountPercent")?;
            discount = sales_setup::percent(&f("discountPercent"), d)?;
        }
        let delivery_date = l.delivery_date.or(order.delivery_date);
        let components = components
            .iter()
            .map(|k| {
                let ci = items[&k.component_item_id].clone();
                PendingLine {
                    description: describe(&ci),
                    quantity: quantity * k.quantity.0,
                    bonus: bonus * k.quantity.0,
                    unit_price: Decimal::ZERO,
                    discount_percent: Decimal::ZERO,
                    source: PriceSource::KitComponent,
                    cost: ci.cost.0,
                    delivery_date,
                    components: vec![],
                    item: ci,
                }
            })
            .collect();
        out.push(PendingLine {
            item,
            description,
            quantity,
            bonus,
            unit_price,
            discount_percent: discount,
            source,
            cost,
            delivery_date,
            components,
        });
    }
    Ok(out)
}

/// Agreement prices replace trade prices (R-AGR-2). Agreements arrive with the intercompany
/// issue; until then no agreement is ever effective, and resolution falls through to the
/// customer price and the list price (R-ORD-6).
fn agreement_terms(
    _customer: &customer::Model,
    _item: &item::Model,
    _on: NaiveDate,
) -> Option<Terms> {
    None
}

/// Inserts lines from `first_position` on: all top-level lines in one statement, then all kit
/// components in one more, pointing at their kit line (found by its position).
async fn insert_lines(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    lines: Vec<PendingLine>,
    first_position: i64,
) -> AppResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let row = |l: &PendingLine, position: i64, parent: Option<i64>| sales_order_line::ActiveModel {
        company_id: Set(order.company_id),
        order_id: Set(order.id),
        position: Set(position),
        parent_line_id: Set(parent),
        item_id: Set(l.item.id),
        description: Set(l.description.clone()),
        quantity: Set(Dec(l.quantity)),
        bonus_quantity: Set(Dec(l.bonus)),
        unit_price: Set(Dec(l.unit_price)),
        discount_percent: Set(Dec(l.discount_percent)),
        price_source: Set(l.source),
        cost: Set(Dec(l.cost)),
        delivery_date: Set(l.delivery_date),
        promised_date: Set(l.delivery_date),
        created_at: Set(now),
        ..Default::default()
    };
    let positioned: Vec<(i64, &PendingLine)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (first_position + i as i64, l))
        .collect();
    sales_order_line::Entity::insert_many(positioned.iter().map(|(pos, l)| row(l, *pos, None)))
        .exec(tx)
        .await?;
    if lines.iter().all(|l| l.components.is_empty()) {
        return Ok(());
    }
    let kit_positions: Vec<i64> = positioned
        .iter()
        .filter(|(_, l)| !l.components.is_empty())
        .map(|(pos, _)| *pos)
        .collect();
    let kit_lines: HashMap<i64, i64> = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order.id))
        .filter(sales_order_line::Column::ParentLineId.is_null())
        .filter(sales_order_line::Column::Position.is_in(kit_positions))
        .all(tx)
        .await?
        .into_iter()
        .map(|l| (l.position, l.id))
        .collect();
    let components = positioned.iter().flat_map(|(pos, l)| {
        let parent = kit_lines.get(pos).copied();
        l.components.iter().map(move |c| row(c, *pos, parent))
    });
    sales_order_line::Entity::insert_many(components)
        .exec(tx)
        .await?;
    Ok(())
}

async fn replace_installments(
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

/// Recomputes totals, checks the payment rules, judges credit, claims unique items, bumps the
/// version and records `event`; the common tail of every change.
async fn finish(
    tx: &DatabaseTransaction,
    c: &customer::Model,
    settings: &company_settings::Model,
    mut order: sales_order::Model,
    expected_version: Option<i64>,
    event: OrderEvent,
) -> AppResult<Saved> {
    let mut warnings = Vec::new();
    let lines = lines_by_orders(tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    let item_ids: Vec<i64> = lines.iter().map(|l| l.item_id).collect();
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids.clone()))
        .all(tx)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
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
        let max = settings.freight_max_order_amount.0;
        match order.carrier_id {
            Some(carrier_id)
                if order.freight_terms == FreightTerms::OnInvoice
                    && (max.is_zero() || merch.company_net <= max) =>
            {
                let carrier = carrier::Entity::find_by_id(carrier_id)
                    .one(tx)
                    .await?
                    .ok_or(AppError::NotFound("carrier"))?;
                let rates: Vec<pricing::FreightRate> = sales_setup::freight_rates(tx, carrier_id)
                    .await?
                    .into_iter()
                    .map(|r| pricing::FreightRate {
                        zone: r.zone,
                        province: r.province,
                        reference_quantity: r.reference_quantity.0,
                        max_weight: r.max_weight.0,
                        amount: r.amount.0,
                    })
                    .collect();
                let province = match order.ship_to_address_id {
                    Some(a) if carrier.calc_type == entity::FreightCalc::KgProvince => {
                        customer_address::Entity::find_by_id(a)
                            .one(tx)
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

    check_payment_rules(tx, &order).await?;

    let mut events = vec![event];
    if order.kind == DocKind::Order && credit::OPEN_STATUSES.contains(&order.status) {
        let risk = credit::risk(tx, c.id, order.id).await?;
        let released = order
            .credit_released_by
            .as_ref()
            .map(|_| order.credit_released_amount.0);
        let hold = match credit::judge(c, settings, risk, order.company_total_amount.0, released) {
            Verdict::Within => false,
            Verdict::Hold => true,
            Verdict::Warn(why) => {
                warnings.push(Warning {
                    code: "CREDIT_LIMIT_EXCEEDED",
                    message: why,
                });
                false
            }
        };
        if hold && !order.credit_hold {
            events.push(OrderEvent::CreditHoldSet);
        }
        order.credit_hold = hold;
    }

    sync_unique_claims(tx, &order, &lines, event == OrderEvent::Created).await?;

    // The number is taken last: the series row stays locked from here to the commit, and every
    // new document of the series queues on it, so the shorter that stretch, the better.
    if order.number < 0 {
        let doc_type = match (order.kind, settings.quotes_share_order_numbering) {
            (DocKind::Order, _) | (DocKind::Quote, true) => DocType::Order,
            (DocKind::Quote, false) => DocType::Quote,
        };
        order.number = numbering::next(tx, order.company_id, &order.series, doc_type).await?;
    }

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
    if order.id != 0 && event != OrderEvent::Created {
        order.version += 1;
    }
    order.updated_at = Utc::now();
    let saved = order
        .clone()
        .into_active_model()
        .reset_all()
        .update(tx)
        .await?;
    for e in events {
        outbox::record(tx, &saved, c.sales_rep_id, e, None).await?;
    }
    Ok(Saved {
        order: saved,
        warnings,
    })
}

/// R-ORD-10: a payment method that requires a bank account needs one of the company's;
/// custom terms need installments summing to 100; restricted terms are refused below their
/// minimum amount (company currency).
async fn check_payment_rules(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
) -> AppResult<()> {
    if let Some(method_id) = order.payment_method_id {
        let method = payment_method::Entity::find_by_id(method_id)
            .one(tx)
            .await?
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
    let terms = payment_terms::Entity::find_by_id(terms_id)
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("payment terms"))?;
    let installments = order_installment::Entity::find()
        .filter(order_installment::Column::OrderId.eq(order.id))
        .all(tx)
        .await?;
    if terms.custom && installments.is_empty() {
        return Err(AppError::validation(
            "installments",
            format!(
                "payment terms {} are custom: give the installments (R-ORD-10)",
                terms.code
            ),
        ));
    }
    if !terms.custom && !installments.is_empty() {
        return Err(AppError::validation(
            "installments",
            "only custom (PER) payment terms take installments",
        ));
    }
    let restrictions = sales_setup::restrictions_by_terms(tx, &[terms_id])
        .await?
        .remove(&terms_id)
        .unwrap_or_default();
    if let Some(r) = restrictions
        .iter()
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
async fn sync_unique_claims(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
    lines: &[sales_order_line::Model],
    fresh: bool,
) -> AppResult<()> {
    let open = order.kind == DocKind::Order && credit::OPEN_STATUSES.contains(&order.status);
    let item_ids: BTreeSet<i64> = lines.iter().map(|l| l.item_id).collect();
    let wanted: BTreeSet<i64> = if open {
        sales_setup::unique_items(tx, &item_ids.into_iter().collect::<Vec<_>>())
            .await?
            .into_iter()
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
            let other = sales_order::Entity::find_by_id(claim.order_id)
                .one(tx)
                .await?;
            let sku = item::Entity::find_by_id(item_id)
                .one(tx)
                .await?
                .map(|i| i.sku)
                .unwrap_or_default();
            return Err(AppError::validation(
                "lines",
                format!(
                    "{sku} may stand on one open order per customer and is already on order {} (R-ITEM-6)",
                    other
                        .map(|o| format!("{}-{}", o.series, o.number))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Changing

/// Loads a document the caller sees and locks its row until the transaction ends.
async fn lock(
    tx: &DatabaseTransaction,
    p: &Principal,
    kind: Option<DocKind>,
    id: i64,
) -> AppResult<sales_order::Model> {
    let mut q = sales_order::Entity::find_by_id(id).filter(visibility::sales_orders(p));
    if let Some(k) = kind {
        q = q.filter(sales_order::Column::Kind.eq(k));
    }
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(tx)
        .await?
        .ok_or_else(|| not_found(kind.unwrap_or(DocKind::Order)))
}

async fn context(
    tx: &DatabaseTransaction,
    order: &sales_order::Model,
) -> AppResult<(customer::Model, company_settings::Model)> {
    let c = customer::Entity::find_by_id(order.customer_id)
        .one(tx)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    Ok((c, sales_setup::settings(tx, order.company_id).await?))
}

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
    let (c, settings) = context(&tx, &locked).await?;
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
    let pending = match replace_lines {
        Some(lines) => Some(resolve_lines(&tx, p, &c, &draft, &settings, lines, "lines").await?),
        None => None,
    };
    if let Some(pending) = pending {
        sales_order_line::Entity::delete_many()
            .filter(sales_order_line::Column::OrderId.eq(id))
            .exec(&tx)
            .await?;
        insert_lines(&tx, &draft, pending, 1).await?;
    }
    if let Some(inst) = &header.installments {
        replace_installments(&tx, id, inst).await?;
    }
    let saved = finish(
        &tx,
        &c,
        &settings,
        draft,
        expected_version,
        OrderEvent::Updated,
    )
    .await?;
    tx.commit().await?;
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
    editable(&order)?;
    let (c, settings) = context(&tx, &order).await?;
    let pending = resolve_lines(&tx, p, &c, &order, &settings, vec![line], "lines").await?;
    let last = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order_id))
        .order_by_desc(sales_order_line::Column::Position)
        .one(&tx)
        .await?
        .map(|l| l.position)
        .unwrap_or(0);
    insert_lines(&tx, &order, pending, last + 1).await?;
    let saved = finish(
        &tx,
        &c,
        &settings,
        order,
        expected_version,
        OrderEvent::Updated,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

async fn lock_line(
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
        .map_err(|_| AppError::NotFound("sales order line"))?;
    editable(&order)?;
    if line.parent_line_id.is_some() {
        return Err(AppError::validation(
            "lineId",
            "kit components follow their kit line: change the kit line (R-ITEM-1)",
        ));
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
    let tx = db::write_tx(db).await?;
    let (order, line) = lock_line(&tx, p, line_id).await?;
    let (c, settings) = context(&tx, &order).await?;
    let item = item::Entity::find_by_id(line.item_id)
        .one(&tx)
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
        l.bonus_quantity = Dec(validate::non_negative(
            "bonusQuantity",
            validate::decimal("bonusQuantity", b)?,
        )?);
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
    if let Some(d) = ch.description {
        if item.kind != ItemKind::NonStocked {
            return Err(AppError::validation(
                "description",
                "only non-stocked items take a description of their own (R-ITEM-1)",
            ));
        }
        l.description = validate::required("description", &d, 500)?;
    }
    if let Some(cost) = ch.cost {
        if item.kind != ItemKind::NonStocked {
            return Err(AppError::validation(
                "cost",
                "only non-stocked lines take a manual cost",
            ));
        }
        // R-ORD-16: costs are frozen once a purchase order serves the line. Purchase orders
        // arrive with the purchasing issue, which adds that check here.
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
            log_date_change(&tx, p, &order, Some(l.id), l.delivery_date, d).await?;
        }
        set_line_date(&tx, &l, d, reason).await?;
        l.delivery_date = Some(d);
        if reason == DateChangeReason::Correction {
            l.promised_date = Some(d);
        }
        date_event = true;
    }
    l.clone()
        .into_active_model()
        .reset_all()
        .update(&tx)
        .await?;
    if item.kind == ItemKind::Kit && (ch.quantity.is_some() || ch.bonus_quantity.is_some()) {
        let kit = sales_setup::kit_components(&tx, &[item.id])
            .await?
            .remove(&item.id)
            .unwrap_or_default();
        let per_component: HashMap<i64, Decimal> = kit
            .iter()
            .map(|k| (k.component_item_id, k.quantity.0))
            .collect();
        for comp in sales_order_line::Entity::find()
            .filter(sales_order_line::Column::ParentLineId.eq(l.id))
            .all(&tx)
            .await?
        {
            let per = per_component
                .get(&comp.item_id)
                .copied()
                .unwrap_or(Decimal::ONE);
            let mut am = comp.into_active_model();
            am.quantity = Set(Dec(l.quantity.0 * per));
            am.bonus_quantity = Set(Dec(l.bonus_quantity.0 * per));
            am.update(&tx).await?;
        }
    }
    let event = if date_event {
        OrderEvent::DeliveryDateChanged
    } else {
        OrderEvent::Updated
    };
    let saved = finish(&tx, &c, &settings, order, None, event).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Moves a line's date; its kit components move with it.
async fn set_line_date(
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

async fn log_date_change(
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
        changed_by: Set(actor(p)),
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
    let (c, settings) = context(&tx, &order).await?;
    sales_order_line::Entity::delete_many()
        .filter(sales_order_line::Column::ParentLineId.eq(line.id))
        .exec(&tx)
        .await?;
    sales_order_line::Entity::delete_by_id(line.id)
        .exec(&tx)
        .await?;
    renumber(&tx, order.id, None).await?;
    let saved = finish(&tx, &c, &settings, order, None, OrderEvent::Updated).await?;
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
    let (c, settings) = context(&tx, &order).await?;
    renumber(&tx, order.id, Some((line.id, position))).await?;
    let saved = finish(&tx, &c, &settings, order, None, OrderEvent::Updated).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Numbers the top-level lines 1..n, optionally moving one of them first; kit components keep
/// their kit's position.
async fn renumber(
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
    if date < order.order_date {
        return Err(AppError::validation(
            "date",
            "delivery cannot precede the order date",
        ));
    }
    let (c, settings) = context(&tx, &order).await?;
    let old = order.delivery_date;
    if reason == DateChangeReason::RealChange {
        log_date_change(&tx, p, &order, None, old, date).await?;
    }
    let lines = lines_by_orders(&tx, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    for l in lines.into_iter().filter(|l| l.delivery_date == old) {
        if reason == DateChangeReason::RealChange && l.parent_line_id.is_none() {
            log_date_change(&tx, p, &order, Some(l.id), old, date).await?;
        }
        let mut am = l.into_active_model();
        am.delivery_date = Set(Some(date));
        if reason == DateChangeReason::Correction {
            am.promised_date = Set(Some(date));
        }
        am.update(&tx).await?;
    }
    order.delivery_date = Some(date);
    let saved = finish(
        &tx,
        &c,
        &settings,
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
    let (c, _) = context(&tx, &order).await?;
    let now = Utc::now();
    order_confirmation::ActiveModel {
        order_id: Set(order.id),
        confirmation_date: Set(now.date_naive()),
        recipient: Set(recipient.or(c.email.clone())),
        sent_by: Set(actor(p)),
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

/// Saves a status-only change without recomputing prices (a closed order keeps its figures).
async fn save_status(
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
    sync_unique_claims(tx, &saved, &lines, false).await?;
    outbox::record(tx, &saved, c.sales_rep_id, event, None).await?;
    Ok(Saved {
        order: saved,
        warnings: vec![],
    })
}

/// DRAFT → CONFIRMED, judging credit again (R-ORD-9, R-ORD-17). Stock reservation on
/// confirmation arrives with the reservations issue.
pub async fn confirm(db: &DatabaseConnection, p: &Principal, order_id: i64) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let mut order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    if order.status != DocStatus::Draft {
        return Err(AppError::InvalidState(format!(
            "only a DRAFT order can be confirmed; this one is {:?}",
            order.status
        )));
    }
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order.id))
        .count(&tx)
        .await?;
    if lines == 0 {
        return Err(AppError::validation(
            "id",
            "an order without lines cannot be confirmed",
        ));
    }
    let (c, settings) = context(&tx, &order).await?;
    order.status = DocStatus::Confirmed;
    let saved = finish(&tx, &c, &settings, order, None, OrderEvent::Confirmed).await?;
    tx.commit().await?;
    Ok(saved)
}

/// DRAFT/CONFIRMED → CANCELLED (R-ORD-17); releases its unique-item claims.
pub async fn cancel(db: &DatabaseConnection, p: &Principal, order_id: i64) -> AppResult<Saved> {
    transition(
        db,
        p,
        order_id,
        &[DocStatus::Draft, DocStatus::Confirmed],
        DocStatus::Cancelled,
        OrderEvent::Cancelled,
    )
    .await
}

/// → CLOSED: after this the order can neither change nor be deleted (R-ORD-16).
pub async fn close(db: &DatabaseConnection, p: &Principal, order_id: i64) -> AppResult<Saved> {
    transition(
        db,
        p,
        order_id,
        &[
            DocStatus::Confirmed,
            DocStatus::PartiallyShipped,
            DocStatus::Shipped,
        ],
        DocStatus::Closed,
        OrderEvent::StatusChanged,
    )
    .await
}

/// A quote the customer turned down: it can no longer be accepted (R-ORD-3).
pub async fn reject_quote(
    db: &DatabaseConnection,
    p: &Principal,
    quote_id: i64,
) -> AppResult<Saved> {
    transition_of(
        db,
        p,
        DocKind::Quote,
        quote_id,
        &[DocStatus::Open],
        DocStatus::Rejected,
        OrderEvent::StatusChanged,
    )
    .await
}

async fn transition(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
    from: &[DocStatus],
    to: DocStatus,
    event: OrderEvent,
) -> AppResult<Saved> {
    transition_of(db, p, DocKind::Order, order_id, from, to, event).await
}

async fn transition_of(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    id: i64,
    from: &[DocStatus],
    to: DocStatus,
    event: OrderEvent,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let mut order = lock(&tx, p, Some(kind), id).await?;
    if !from.contains(&order.status) {
        return Err(AppError::InvalidState(format!(
            "a {:?} {} cannot become {:?} (R-ORD-17)",
            order.status,
            kind_name(kind),
            to
        )));
    }
    let (c, _) = context(&tx, &order).await?;
    order.status = to;
    let saved = save_status(&tx, &c, order, event).await?;
    tx.commit().await?;
    Ok(saved)
}

/// R-ORD-16: a CLOSED order (or one already shipping) cannot be deleted. Purchase orders that
/// would also block deletion arrive with the purchasing issue.
pub async fn delete(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocKind,
    id: i64,
) -> AppResult<i64> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let order = lock(&tx, p, Some(kind), id).await?;
    if matches!(
        order.status,
        DocStatus::Closed | DocStatus::PartiallyShipped | DocStatus::Shipped | DocStatus::Accepted
    ) {
        return Err(AppError::InvalidState(format!(
            "a {:?} {} cannot be deleted (R-ORD-16)",
            order.status,
            kind_name(kind)
        )));
    }
    let c = customer::Entity::find_by_id(order.customer_id)
        .one(&tx)
        .await?;
    sales_order_line::Entity::delete_many()
        .filter(sales_order_line::Column::ParentLineId.is_not_null())
        .filter(sales_order_line::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    sales_order_line::Entity::delete_many()
        .filter(sales_order_line::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    order_installment::Entity::delete_many()
        .filter(order_installment::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    delivery_date_change::Entity::delete_many()
        .filter(delivery_date_change::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    order_confirmation::Entity::delete_many()
        .filter(order_confirmation::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    unique_item_claim::Entity::delete_many()
        .filter(unique_item_claim::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    // The quote that led here (if any) no longer points at a deleted order.
    sales_order::Entity::update_many()
        .col_expr(
            sales_order::Column::OrderId,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(sales_order::Column::OrderId.eq(id))
        .exec(&tx)
        .await?;
    sales_order::Entity::delete_by_id(id).exec(&tx).await?;
    outbox::record(
        &tx,
        &order,
        c.and_then(|c| c.sales_rep_id),
        OrderEvent::Deleted,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// R-ORD-9: lifts a credit hold; it stays lifted until the order grows beyond this amount.
pub async fn release_credit_hold(
    db: &DatabaseConnection,
    p: &Principal,
    order_id: i64,
) -> AppResult<Saved> {
    visibility::require(p, Permission::ReleaseCreditHold)?;
    let tx = db::write_tx(db).await?;
    let mut order = lock(&tx, p, Some(DocKind::Order), order_id).await?;
    if !order.credit_hold {
        return Err(AppError::InvalidState(
            "the order is not on credit hold".into(),
        ));
    }
    let (c, _) = context(&tx, &order).await?;
    order.credit_hold = false;
    order.credit_released_amount = order.company_total_amount;
    order.credit_released_by = Some(actor(p));
    order.credit_released_at = Some(Utc::now());
    let saved = save_status(&tx, &c, order, OrderEvent::CreditHoldReleased).await?;
    tx.commit().await?;
    Ok(saved)
}

/// R-ORD-3: an open quote becomes a DRAFT sales order with its header and lines (prices as
/// quoted); the quote is ACCEPTED and links to it. With shared numbering the order keeps the
/// quote's number, which was drawn from the order counter (R-ORD-2).
pub async fn accept_quote(
    db: &DatabaseConnection,
    p: &Principal,
    quote_id: i64,
) -> AppResult<Saved> {
    visibility::require(p, Permission::WriteOrders)?;
    let tx = db::write_tx(db).await?;
    let mut quote = lock(&tx, p, Some(DocKind::Quote), quote_id).await?;
    if quote.status != DocStatus::Open {
        return Err(AppError::InvalidState(format!(
            "a {:?} quote cannot be accepted",
            quote.status
        )));
    }
    let (c, settings) = context(&tx, &quote).await?;
    let number = if settings.quotes_share_order_numbering
        && sales_order::Entity::find()
            .filter(sales_order::Column::CompanyId.eq(quote.company_id))
            .filter(sales_order::Column::Kind.eq(DocKind::Order))
            .filter(sales_order::Column::Series.eq(quote.series.clone()))
            .filter(sales_order::Column::Number.eq(quote.number))
            .count(&tx)
            .await?
            == 0
    {
        quote.number
    } else {
        placeholder_number()
    };
    let now = Utc::now();
    let mut order = quote.clone();
    order.kind = DocKind::Order;
    order.status = DocStatus::Draft;
    order.number = number;
    order.quote_id = Some(quote.id);
    order.order_id = None;
    order.version = 1;
    order.created_by = actor(p);
    order.created_at = now;
    order.updated_at = now;
    let mut am = order.into_active_model().reset_all();
    am.id = sea_orm::ActiveValue::NotSet;
    let order = am.insert(&tx).await?;
    let lines = lines_by_orders(&tx, &[quote.id])
        .await?
        .remove(&quote.id)
        .unwrap_or_default();
    let mut parents: HashMap<i64, i64> = HashMap::new();
    for l in lines
        .iter()
        .filter(|l| l.parent_line_id.is_none())
        .chain(lines.iter().filter(|l| l.parent_line_id.is_some()))
    {
        let mut am = l.clone().into_active_model().reset_all();
        am.id = sea_orm::ActiveValue::NotSet;
        am.order_id = Set(order.id);
        am.parent_line_id = Set(l.parent_line_id.and_then(|pid| parents.get(&pid).copied()));
        am.created_at = Set(now);
        let copy = am.insert(&tx).await?;
        parents.insert(l.id, copy.id);
    }
    let installments = order_installment::Entity::find()
        .filter(order_installment::Column::OrderId.eq(quote.id))
        .all(&tx)
        .await?;
    let inst: Vec<(NaiveDate, Decimal)> = installments
        .iter()
        .map(|i| (i.due_date, i.percent.0))
        .collect();
    if !inst.is_empty() {
        replace_installments(&tx, order.id, &inst).await?;
    }
    quote.status = DocStatus::Accepted;
    quote.order_id = Some(order.id);
    save_status(&tx, &c, quote, OrderEvent::QuoteAccepted).await?;
    let saved = finish(&tx, &c, &settings, order, None, OrderEvent::Created).await?;
    tx.commit().await?;
    Ok(saved)
}
