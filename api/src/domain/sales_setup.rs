//! Setup data that order entry needs: company settings, numbering series, exchange rates,
//! payment methods and terms (with restrictions), bank accounts, carriers with freight tables,
//! customer prices, kit components and the unique-per-customer list (R-ORD-2, 6, 7, 10, 12,
//! R-ITEM-1, R-ITEM-6). Admins change it; every user of the company reads it.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{customers, rows, validate};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    Dec, DocType, FreightCalc, ItemKind, bank_account, carrier, company_settings, customer_price,
    exchange_rate, freight_rate, item, kit_component, number_series, payment_method,
    payment_term_installment, payment_term_restriction, payment_terms, unique_sale_item,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TryIntoModel,
};
use std::collections::HashMap;

/// Longest payment term (ten years): a due date further out is a typing error, and past
/// the calendar's range it would silently fall back to the order date.
pub const MAX_TERM_DAYS: i64 = 3_650;

/// Company settings; a company that never saved any gets these defaults.
pub async fn settings<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
) -> AppResult<company_settings::Model> {
    Ok(company_settings::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .unwrap_or_else(|| default_settings(company_id)))
}

/// A company's settings before it changed any.
pub fn default_settings(company_id: i64) -> company_settings::Model {
    company_settings::Model {
        company_id,
        block_on_credit_excess: false,
        manual_cost_for_non_stocked: false,
        freight_max_order_amount: Dec::ZERO,
        quotes_share_order_numbering: false,
        default_series: "A".into(),
        updated_at: Utc::now(),
        ic_post_packing_slip: true,
        ic_print_packing_slip: false,
        ic_post_receipt: true,
        ic_print_receipt: false,
        ic_post_invoice: true,
        ic_print_invoice: false,
        ic_post_purchase_invoice: true,
        ic_print_purchase_invoice: false,
        purchase_match_tolerance_percent: Dec(Decimal::TWO),
    }
}

#[derive(Default)]
pub struct SettingsInput {
    pub block_on_credit_excess: Option<bool>,
    pub manual_cost_for_non_stocked: Option<bool>,
    pub freight_max_order_amount: Option<Decimal>,
    pub quotes_share_order_numbering: Option<bool>,
    pub default_series: Option<String>,
    /// R-IC-4: what the supplying company's postings post here (see the settings' columns).
    pub intercompany: IntercompanySettings,
}

/// R-IC-4 settings, each `None` left as it is.
#[derive(Default)]
pub struct IntercompanySettings {
    pub post_packing_slip: Option<bool>,
    pub print_packing_slip: Option<bool>,
    pub post_receipt: Option<bool>,
    pub print_receipt: Option<bool>,
    pub post_invoice: Option<bool>,
    pub print_invoice: Option<bool>,
    pub post_purchase_invoice: Option<bool>,
    pub print_purchase_invoice: Option<bool>,
}

pub async fn update_settings(
    db: &DatabaseConnection,
    p: &Principal,
    input: SettingsInput,
) -> AppResult<company_settings::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let mut s = settings(db, p.company_id).await?;
    if let Some(v) = input.block_on_credit_excess {
        s.block_on_credit_excess = v;
    }
    if let Some(v) = input.manual_cost_for_non_stocked {
        s.manual_cost_for_non_stocked = v;
    }
    if let Some(v) = input.freight_max_order_amount {
        s.freight_max_order_amount = Dec(validate::non_negative("freightMaxOrderAmount", v)?);
    }
    if let Some(v) = input.quotes_share_order_numbering {
        s.quotes_share_order_numbering = v;
    }
    if let Some(v) = input.default_series {
        s.default_series = validate::series_code("defaultSeries", &v)?;
    }
    let ic = &input.intercompany;
    for (value, field) in [
        (ic.post_packing_slip, &mut s.ic_post_packing_slip),
        (ic.print_packing_slip, &mut s.ic_print_packing_slip),
        (ic.post_receipt, &mut s.ic_post_receipt),
        (ic.print_receipt, &mut s.ic_print_receipt),
        (ic.post_invoice, &mut s.ic_post_invoice),
        (ic.print_invoice, &mut s.ic_print_invoice),
        (ic.post_purchase_invoice, &mut s.ic_post_purchase_invoice),
        (ic.print_purchase_invoice, &mut s.ic_print_purchase_invoice),
    ] {
        if let Some(v) = value {
            *field = v;
        }
    }
    s.updated_at = Utc::now();
    let active = company_settings::ActiveModel {
        company_id: Set(s.company_id),
        block_on_credit_excess: Set(s.block_on_credit_excess),
        manual_cost_for_non_stocked: Set(s.manual_cost_for_non_stocked),
        freight_max_order_amount: Set(s.freight_max_order_amount),
        quotes_share_order_numbering: Set(s.quotes_share_order_numbering),
        default_series: Set(s.default_series.clone()),
        updated_at: Set(s.updated_at),
        ic_post_packing_slip: Set(s.ic_post_packing_slip),
        ic_print_packing_slip: Set(s.ic_print_packing_slip),
        ic_post_receipt: Set(s.ic_post_receipt),
        ic_print_receipt: Set(s.ic_print_receipt),
        ic_post_invoice: Set(s.ic_post_invoice),
        ic_print_invoice: Set(s.ic_print_invoice),
        ic_post_purchase_invoice: Set(s.ic_post_purchase_invoice),
        ic_print_purchase_invoice: Set(s.ic_print_purchase_invoice),
        purchase_match_tolerance_percent: Set(s.purchase_match_tolerance_percent),
    };
    company_settings::Entity::insert(active)
        .on_conflict(
            OnConflict::column(company_settings::Column::CompanyId)
                .update_columns([
                    company_settings::Column::BlockOnCreditExcess,
                    company_settings::Column::ManualCostForNonStocked,
                    company_settings::Column::FreightMaxOrderAmount,
                    company_settings::Column::QuotesShareOrderNumbering,
                    company_settings::Column::DefaultSeries,
                    company_settings::Column::UpdatedAt,
                    company_settings::Column::IcPostPackingSlip,
                    company_settings::Column::IcPrintPackingSlip,
                    company_settings::Column::IcPostReceipt,
                    company_settings::Column::IcPrintReceipt,
                    company_settings::Column::IcPostInvoice,
                    company_settings::Column::IcPrintInvoice,
                    company_settings::Column::IcPostPurchaseInvoice,
                    company_settings::Column::IcPrintPurchaseInvoice,
                    company_settings::Column::PurchaseMatchTolerancePercent,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(s)
}

/// R-ORD-2: a series numbers one document type of one company; `next_number` is where it
/// starts (e.g. continuing a previous system's numbering).
pub async fn create_series(
    db: &DatabaseConnection,
    p: &Principal,
    code: &str,
    doc_type: DocType,
    next_number: Option<i64>,
) -> AppResult<number_series::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let next = next_number.unwrap_or(1);
    if next < 1 {
        return Err(AppError::validation("nextNumber", "must be at least 1"));
    }
    Ok(number_series::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(validate::series_code("code", code)?),
        doc_type: Set(doc_type),
        next_number: Set(next),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn list_series(
    db: &DatabaseConnection,
    p: &Principal,
) -> AppResult<Vec<number_series::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    Ok(number_series::Entity::find()
        .filter(number_series::Column::CompanyId.eq(p.company_id))
        .order_by_asc(number_series::Column::Code)
        .order_by_asc(number_series::Column::DocType)
        .all(db)
        .await?)
}

/// R-ORD-7: `rate` = value of one unit of `currency` in the company currency, effective from
/// `valid_from` until the next entry. Setting the same day again replaces the rate.
pub async fn set_exchange_rate(
    db: &DatabaseConnection,
    p: &Principal,
    currency: &str,
    rate: Decimal,
    valid_from: NaiveDate,
) -> AppResult<exchange_rate::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let currency = validate::currency("currency", currency)?;
    let rate = validate::positive("rate", validate::decimal("rate", rate)?)?;
    let company = crate::domain::companies::own(db, p).await?;
    if company.currency == currency {
        return Err(AppError::validation(
            "currency",
            "the company currency has no exchange rate",
        ));
    }
    exchange_rate::Entity::insert(exchange_rate::ActiveModel {
        company_id: Set(p.company_id),
        currency: Set(currency.clone()),
        rate: Set(Dec(rate)),
        valid_from: Set(valid_from),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            exchange_rate::Column::CompanyId,
            exchange_rate::Column::Currency,
            exchange_rate::Column::ValidFrom,
        ])
        .update_column(exchange_rate::Column::Rate)
        .to_owned(),
    )
    .exec(db)
    .await?;
    exchange_rate::Entity::find()
        .filter(exchange_rate::Column::CompanyId.eq(p.company_id))
        .filter(exchange_rate::Column::Currency.eq(currency))
        .filter(exchange_rate::Column::ValidFrom.eq(valid_from))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("exchange rate vanished")))
}

pub async fn list_rates(
    db: &DatabaseConnection,
    p: &Principal,
    currency: Option<String>,
) -> AppResult<Vec<exchange_rate::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    let mut q =
        exchange_rate::Entity::find().filter(exchange_rate::Column::CompanyId.eq(p.company_id));
    if let Some(c) = currency {
        q = q.filter(exchange_rate::Column::Currency.eq(c.to_uppercase()));
    }
    Ok(q.order_by_asc(exchange_rate::Column::Currency)
        .order_by_desc(exchange_rate::Column::ValidFrom)
        .all(db)
        .await?)
}

/// The rate effective on `date`: the latest entry on or before it (R-ORD-7).
pub async fn rate_on<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    currency: &str,
    date: NaiveDate,
) -> AppResult<Option<Decimal>> {
    Ok(exchange_rate::Entity::find()
        .filter(exchange_rate::Column::CompanyId.eq(company_id))
        .filter(exchange_rate::Column::Currency.eq(currency))
        .filter(exchange_rate::Column::ValidFrom.lte(date))
        .order_by_desc(exchange_rate::Column::ValidFrom)
        .one(db)
        .await?
        .map(|r| r.rate.0))
}

pub async fn create_payment_method(
    db: &DatabaseConnection,
    p: &Principal,
    code: &str,
    name: &str,
    requires_bank_account: bool,
) -> AppResult<payment_method::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    Ok(payment_method::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(validate::code("code", code, 20)?.to_uppercase()),
        name: Set(validate::required("name", name, 100)?),
        requires_bank_account: Set(requires_bank_account),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub struct Installment {
    pub days: i64,
    pub percent: Decimal,
}

/// Percentages of a schedule must sum to exactly 100 (R-ORD-10).
pub fn check_percentages(field: &str, percents: &[Decimal]) -> AppResult<()> {
    for (i, pct) in percents.iter().enumerate() {
        if *pct <= Decimal::ZERO {
            return Err(AppError::validation(
                format!("{field}.{i}.percent"),
                "must be positive",
            ));
        }
        validate::decimal(&format!("{field}.{i}.percent"), *pct)?;
    }
    let sum: Decimal = percents.iter().sum();
    if sum != Decimal::ONE_HUNDRED {
        return Err(AppError::validation(
            field,
            format!("percentages must sum to exactly 100, not {sum}"),
        ));
    }
    Ok(())
}

/// Payment terms: fixed installments (days after the order date + percent), or `custom`
/// (`PER`): each order then carries its own installments (R-ORD-10).
pub async fn create_payment_terms(
    db: &DatabaseConnection,
    p: &Principal,
    code: &str,
    name: &str,
    custom: bool,
    installments: Vec<Installment>,
) -> AppResult<payment_terms::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let code = validate::code("code", code, 20)?.to_uppercase();
    let name = validate::required("name", name, 100)?;
    if custom && !installments.is_empty() {
        return Err(AppError::validation(
            "installments",
            "custom terms take their installments from each order",
        ));
    }
    if !custom {
        for (i, inst) in installments.iter().enumerate() {
            if !(0..=MAX_TERM_DAYS).contains(&inst.days) {
                return Err(AppError::validation(
                    format!("installments.{i}.days"),
                    format!("must lie between 0 and {MAX_TERM_DAYS} days"),
                ));
            }
        }
        let percents: Vec<Decimal> = installments.iter().map(|i| i.percent).collect();
        check_percentages("installments", &percents)?;
    }
    let tx = db::write_tx(db).await?;
    let terms = payment_terms::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(code),
        name: Set(name),
        custom: Set(custom),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    if !installments.is_empty() {
        payment_term_installment::Entity::insert_many(installments.into_iter().map(|i| {
            payment_term_installment::ActiveModel {
                payment_terms_id: Set(terms.id),
                days: Set(i.days),
                percent: Set(Dec(i.percent)),
                ..Default::default()
            }
        }))
        .exec(&tx)
        .await?;
    }
    tx.commit().await?;
    Ok(terms)
}

/// R-ORD-10: forbids `terms` for orders whose amount (company currency) is below `min`.
pub async fn restrict_payment_terms(
    db: &DatabaseConnection,
    p: &Principal,
    terms_id: i64,
    min_order_amount: Decimal,
) -> AppResult<payment_term_restriction::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    own_terms(db, p.company_id, terms_id, "paymentTermsId").await?;
    Ok(payment_term_restriction::ActiveModel {
        company_id: Set(p.company_id),
        payment_terms_id: Set(terms_id),
        min_order_amount: Set(Dec(validate::positive(
            "minOrderAmount",
            validate::decimal("minOrderAmount", min_order_amount)?,
        )?)),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn own_terms<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    id: i64,
    field: &str,
) -> AppResult<payment_terms::Model> {
    payment_terms::Entity::find_by_id(id)
        .filter(payment_terms::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation(field, "no such payment terms"))
}

pub async fn list_payment_methods(
    db: &DatabaseConnection,
    p: &Principal,
) -> AppResult<Vec<payment_method::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    Ok(payment_method::Entity::find()
        .filter(payment_method::Column::CompanyId.eq(p.company_id))
        .order_by_asc(payment_method::Column::Code)
        .all(db)
        .await?)
}

pub async fn list_payment_terms(
    db: &DatabaseConnection,
    p: &Principal,
) -> AppResult<Vec<payment_terms::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    Ok(payment_terms::Entity::find()
        .filter(payment_terms::Column::CompanyId.eq(p.company_id))
        .order_by_asc(payment_terms::Column::Code)
        .all(db)
        .await?)
}

pub async fn installments_by_terms<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<payment_term_installment::Model>>> {
    use payment_term_installment::{Column, Entity};
    rows::children::<Entity, _>(db, Column::PaymentTermsId, ids, Column::Id, |r| {
        r.payment_terms_id
    })
    .await
}

pub async fn restrictions_by_terms<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<payment_term_restriction::Model>>> {
    use payment_term_restriction::{Column, Entity};
    rows::children::<Entity, _>(db, Column::PaymentTermsId, ids, Column::Id, |r| {
        r.payment_terms_id
    })
    .await
}

pub async fn create_bank_account(
    db: &DatabaseConnection,
    p: &Principal,
    code: &str,
    name: &str,
    iban: &str,
) -> AppResult<bank_account::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let iban: String = iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if iban.len() < 15 || iban.len() > 34 || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::validation("iban", "not a valid IBAN"));
    }
    Ok(bank_account::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(validate::code("code", code, 20)?.to_uppercase()),
        name: Set(validate::required("name", name, 100)?),
        iban: Set(iban),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn list_bank_accounts(
    db: &DatabaseConnection,
    p: &Principal,
) -> AppResult<Vec<bank_account::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    Ok(bank_account::Entity::find()
        .filter(bank_account::Column::CompanyId.eq(p.company_id))
        .order_by_asc(bank_account::Column::Code)
        .all(db)
        .await?)
}

pub struct NewFreightRate {
    pub zone: Option<String>,
    pub province: Option<String>,
    pub reference_quantity: Decimal,
    pub max_weight: Decimal,
    pub amount: Decimal,
}

/// A carrier and its freight table (R-ORD-12): `QTY_ZONE` rows name a zone and a reference
/// quantity; `KG_PROVINCE` rows name a province and the weight bracket they cover.
pub async fn create_carrier(
    db: &DatabaseConnection,
    p: &Principal,
    code: &str,
    name: &str,
    calc: FreightCalc,
    rates: Vec<NewFreightRate>,
) -> AppResult<carrier::Model> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let code = validate::code("code", code, 20)?.to_uppercase();
    let name = validate::required("name", name, 100)?;
    for (i, r) in rates.iter().enumerate() {
        let f = |n: &str| format!("rates.{i}.{n}");
        validate::non_negative(&f("amount"), validate::decimal(&f("amount"), r.amount)?)?;
        match calc {
            FreightCalc::QtyZone => {
                if r.zone.as_deref().is_none_or(|z| z.trim().is_empty()) {
                    return Err(AppError::validation(f("zone"), "QTY_ZONE rows name a zone"));
                }
                validate::positive(&f("referenceQuantity"), r.reference_quantity)?;
            }
            FreightCalc::KgProvince => {
                if r.province.as_deref().is_none_or(|z| z.trim().is_empty()) {
                    return Err(AppError::validation(
                        f("province"),
                        "KG_PROVINCE rows name a province",
                    ));
                }
                validate::positive(&f("maxWeight"), r.max_weight)?;
            }
            FreightCalc::None => {
                return Err(AppError::validation(
                    "rates",
                    "a carrier without calculation has no table",
                ));
            }
        }
    }
    let tx = db::write_tx(db).await?;
    let saved = carrier::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(code),
        name: Set(name),
        calc_type: Set(calc),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    if !rates.is_empty() {
        freight_rate::Entity::insert_many(rates.into_iter().map(|r| freight_rate::ActiveModel {
            company_id: Set(p.company_id),
            carrier_id: Set(saved.id),
            zone: Set(r.zone.map(|z| z.trim().to_uppercase())),
            province: Set(r.province.map(|z| z.trim().to_uppercase())),
            reference_quantity: Set(Dec(r.reference_quantity)),
            max_weight: Set(Dec(r.max_weight)),
            amount: Set(Dec(r.amount)),
            ..Default::default()
        }))
        .exec(&tx)
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

pub async fn list_carriers(
    db: &DatabaseConnection,
    p: &Principal,
) -> AppResult<Vec<carrier::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    Ok(carrier::Entity::find()
        .filter(carrier::Column::CompanyId.eq(p.company_id))
        .order_by_asc(carrier::Column::Code)
        .all(db)
        .await?)
}

pub async fn freight_rates<C: ConnectionTrait>(
    db: &C,
    carrier_id: i64,
) -> AppResult<Vec<freight_rate::Model>> {
    use freight_rate::{Column, Entity};
    let mut by_carrier =
        rows::children::<Entity, _>(db, Column::CarrierId, &[carrier_id], Column::Id, |r| {
            r.carrier_id
        })
        .await?;
    Ok(by_carrier.remove(&carrier_id).unwrap_or_default())
}

/// R-ORD-6: a customer-specific price and/or discount for one item; both `None` removes it.
pub async fn set_customer_price(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: i64,
    item_id: i64,
    price: Option<Decimal>,
    discount_percent: Option<Decimal>,
) -> AppResult<Option<customer_price::Model>> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    customers::get(db, p, customer_id)
        .await
        .map_err(|e| e.when_not_found(|| AppError::validation("customerId", "no such customer")))?;
    own_item(db, p, item_id, "itemId").await?;
    if let Some(v) = price {
        validate::non_negative("price", validate::decimal("price", v)?)?;
    }
    if let Some(v) = discount_percent {
        percent("discountPercent", v)?;
    }
    let existing = customer_price::Entity::find()
        .filter(customer_price::Column::CustomerId.eq(customer_id))
        .filter(customer_price::Column::ItemId.eq(item_id))
        .one(db)
        .await?;
    if price.is_none() && discount_percent.is_none() {
        if let Some(e) = existing {
            customer_price::Entity::delete_by_id(e.id).exec(db).await?;
        }
        return Ok(None);
    }
    let mut active = match existing {
        Some(e) => e.into(),
        None => customer_price::ActiveModel {
            company_id: Set(p.company_id),
            customer_id: Set(customer_id),
            item_id: Set(item_id),
            ..Default::default()
        },
    };
    active.price = Set(price.map(Dec));
    active.discount_percent = Set(discount_percent.map(Dec));
    Ok(Some(active.save(db).await?.try_into_model()?))
}

pub fn percent(field: &str, v: Decimal) -> AppResult<Decimal> {
    let v = validate::decimal(field, v)?;
    if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
        return Err(AppError::validation(
            field,
            "a percentage lies between 0 and 100",
        ));
    }
    Ok(v)
}

pub async fn customer_prices(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: i64,
) -> AppResult<Vec<customer_price::Model>> {
    visibility::require(p, Permission::ReadSalesSetup)?;
    customers::get(db, p, customer_id).await?;
    Ok(customer_price::Entity::find()
        .filter(customer_price::Column::CustomerId.eq(customer_id))
        .order_by_asc(customer_price::Column::ItemId)
        .all(db)
        .await?)
}

async fn own_item<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    id: i64,
    field: &str,
) -> AppResult<item::Model> {
    item::Entity::find_by_id(id)
        .filter(visibility::items(p))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation(field, "no such item"))
}

/// R-ITEM-1: a kit is a non-stocked parent whose components (stocked or non-stocked, never
/// kits) go on the order at price 0. Replaces the component list.
pub async fn set_kit_components(
    db: &DatabaseConnection,
    p: &Principal,
    kit_id: i64,
    components: Vec<(i64, Decimal)>,
) -> AppResult<Vec<kit_component::Model>> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    let kit = own_item(db, p, kit_id, "kitItemId").await?;
    if kit.kind != ItemKind::Kit {
        return Err(AppError::validation("kitItemId", "the item is not a KIT"));
    }
    for (i, (component_id, quantity)) in components.iter().enumerate() {
        let field = format!("components.{i}.itemId");
        let c = own_item(db, p, *component_id, &field).await?;
        if c.kind == ItemKind::Kit {
            return Err(AppError::validation(field, "a kit cannot contain a kit"));
        }
        validate::positive(
            &format!("components.{i}.quantity"),
            validate::decimal("quantity", *quantity)?,
        )?;
    }
    let tx = db::write_tx(db).await?;
    kit_component::Entity::delete_many()
        .filter(kit_component::Column::KitItemId.eq(kit_id))
        .exec(&tx)
        .await?;
    if !components.is_empty() {
        kit_component::Entity::insert_many(components.into_iter().map(|(c, q)| {
            kit_component::ActiveModel {
                company_id: Set(p.company_id),
                kit_item_id: Set(kit_id),
                component_item_id: Set(c),
                quantity: Set(Dec(q)),
                ..Default::default()
            }
        }))
        .exec(&tx)
        .await?;
    }
    tx.commit().await?;
    kit_components(db, &[kit_id])
        .await
        .map(|mut m| m.remove(&kit_id).unwrap_or_default())
}

pub async fn kit_components<C: ConnectionTrait>(
    db: &C,
    kit_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<kit_component::Model>>> {
    use kit_component::{Column, Entity};
    rows::children::<Entity, _>(db, Column::KitItemId, kit_ids, Column::Id, |r| {
        r.kit_item_id
    })
    .await
}

/// R-ITEM-6: puts an item on (or takes it off) the company's unique-per-customer list.
pub async fn set_unique_per_customer(
    db: &DatabaseConnection,
    p: &Principal,
    item_id: i64,
    unique: bool,
) -> AppResult<()> {
    visibility::require(p, Permission::ManageSalesSetup)?;
    own_item(db, p, item_id, "itemId").await?;
    if unique {
        unique_sale_item::Entity::insert(unique_sale_item::ActiveModel {
            item_id: Set(item_id),
            company_id: Set(p.company_id),
        })
        .on_conflict_do_nothing()
        .exec(db)
        .await?;
    } else {
        unique_sale_item::Entity::delete_by_id(item_id)
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Which of `item_ids` are unique per customer.
pub async fn unique_items<C: ConnectionTrait>(db: &C, item_ids: &[i64]) -> AppResult<Vec<i64>> {
    Ok(unique_sale_item::Entity::find()
        .filter(unique_sale_item::Column::ItemId.is_in(item_ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.item_id)
        .collect())
}

/// `$entity` rows of the caller's company by id, for the loaders of nested fields.
macro_rules! company_rows_by_id {
    ($name:ident, $entity:ident) => {
        pub async fn $name(
            db: &DatabaseConnection,
            company_id: i64,
            ids: &[i64],
        ) -> AppResult<HashMap<i64, $entity::Model>> {
            Ok($entity::Entity::find()
                .filter($entity::Column::CompanyId.eq(company_id))
                .filter($entity::Column::Id.is_in(ids.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect())
        }
    };
}

company_rows_by_id!(payment_terms_by_ids, payment_terms);
company_rows_by_id!(payment_methods_by_ids, payment_method);
company_rows_by_id!(bank_accounts_by_ids, bank_account);
company_rows_by_id!(carriers_by_ids, carrier);

pub async fn rates_by_carriers(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<freight_rate::Model>>> {
    use freight_rate::{Column, Entity};
    rows::children::<Entity, _>(db, Column::CarrierId, ids, Column::Id, |r| r.carrier_id).await
}

/// Unique-per-customer flag of each item id.
pub async fn unique_flags(db: &DatabaseConnection, ids: &[i64]) -> AppResult<HashMap<i64, bool>> {
    let unique = unique_items(db, ids).await?;
    Ok(ids.iter().map(|id| (*id, unique.contains(id))).collect())
}
