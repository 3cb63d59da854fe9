//! Customers: the header defaults of every order come from here (R-ORD-1, R-ORD-11), and the
//! assigned rep decides who sees them (R-ACC-2…5).
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{Page, PageArgs, companies, page, rows, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{AddressKind, CustomerType, Dec, customer, customer_address, sales_rep};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set,
};
use std::collections::HashMap;

/// Everything a customer carries; on update `None` keeps the stored value.
#[derive(Default)]
pub struct CustomerFields {
    pub code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_id: Option<String>,
    pub sales_rep_id: Option<Option<i64>>,
    pub currency: Option<String>,
    pub language: Option<String>,
    pub credit_limit: Option<Decimal>,
    pub credit_blocked: Option<bool>,
    pub customer_type: Option<CustomerType>,
    pub group_customer_id: Option<Option<i64>>,
    pub invoice_to_group: Option<bool>,
    pub zone: Option<String>,
    pub province: Option<String>,
    pub payment_terms: Option<String>,
    pub payment_method: Option<String>,
    pub bank_account: Option<String>,
    pub series: Option<String>,
    pub carrier: Option<String>,
    pub order_type: Option<String>,
    pub direct_delivery: Option<bool>,
    pub linked_company_id: Option<Option<i64>>,
    /// Replaces all addresses when given.
    pub addresses: Option<Vec<NewAddress>>,
}

pub struct NewAddress {
    pub kind: AddressKind,
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub province: Option<String>,
    pub country: String,
    pub is_default: bool,
}

#[derive(Default)]
pub struct CustomerFilter {
    pub search: Option<String>,
    pub sales_rep_id: Option<i64>,
}

pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: CustomerFields,
) -> AppResult<customer::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let company = companies::own(db, p).await?;
    let code = validate::code("code", input.code.as_deref().unwrap_or(""), 40)?;
    let name = validate::required_on_create("name", &input.name, 200)?;
    let now = Utc::now();
    let blank = customer::ActiveModel {
        company_id: Set(p.company_id),
        code: Set(code),
        name: Set(name),
        email: Set(None),
        phone: Set(None),
        tax_id: Set(None),
        sales_rep_id: Set(None),
        currency: Set(company.currency.clone()),
        language: Set("en".into()),
        credit_limit: Set(Dec::ZERO),
        credit_blocked: Set(false),
        customer_type: Set(CustomerType::Standard),
        group_customer_id: Set(None),
        invoice_to_group: Set(false),
        zone: Set(None),
        province: Set(None),
        payment_terms: Set(None),
        payment_method: Set(None),
        bank_account: Set(None),
        series: Set(None),
        carrier: Set(None),
        order_type: Set(None),
        direct_delivery: Set(false),
        linked_company_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    save(db, p, blank, None, input).await
}

pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    input: CustomerFields,
) -> AppResult<customer::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let existing = get(db, p, id).await?;
    let mut active: customer::ActiveModel = existing.into();
    active.updated_at = Set(Utc::now());
    save(db, p, active, Some(id), input).await
}

/// Validates and applies `input` onto `active`, then writes it with its addresses in one
/// transaction.
async fn save(
    db: &DatabaseConnection,
    p: &Principal,
    mut m: customer::ActiveModel,
    id: Option<i64>,
    input: CustomerFields,
) -> AppResult<customer::Model> {
    if let Some(code) = input.code {
        m.code = Set(validate::code("code", &code, 40)?);
    }
    if let Some(name) = input.name {
        m.name = Set(validate::required("name", &name, 200)?);
    }
    if let Some(email) = input.email {
        m.email = Set(Some(validate::email("email", &email)?));
    }
    set_text(&mut m.phone, "phone", input.phone)?;
    set_text(&mut m.tax_id, "taxId", input.tax_id)?;
    if let Some(rep) = input.sales_rep_id {
        if let Some(rep_id) = rep {
            sales_rep::Entity::find_by_id(rep_id)
                .filter(sales_rep::Column::CompanyId.eq(p.company_id))
                .one(db)
                .await?
                .ok_or_else(|| AppError::validation("salesRepId", "no such sales rep"))?;
        }
        m.sales_rep_id = Set(rep);
    }
    if let Some(c) = input.currency {
        m.currency = Set(validate::currency("currency", &c)?);
    }
    if let Some(l) = input.language {
        m.language = Set(validate::language("language", &l)?);
    }
    if let Some(limit) = input.credit_limit {
        m.credit_limit = Set(Dec(validate::non_negative("creditLimit", limit)?));
    }
    if let Some(b) = input.credit_blocked {
        m.credit_blocked = Set(b);
    }
    if let Some(t) = input.customer_type {
        m.customer_type = Set(t);
    }
    if let Some(group) = input.group_customer_id {
        if let Some(group_id) = group {
            if Some(group_id) == id {
                return Err(AppError::validation(
                    "groupCustomerId",
                    "a customer cannot be its own group",
                ));
            }
            customer::Entity::find_by_id(group_id)
                .filter(customer::Column::CompanyId.eq(p.company_id))
                .one(db)
                .await?
                .ok_or_else(|| AppError::validation("groupCustomerId", "no such customer"))?;
        }
        m.group_customer_id = Set(group);
    }
    if let Some(b) = input.invoice_to_group {
        m.invoice_to_group = Set(b);
    }
    set_text(&mut m.zone, "zone", input.zone)?;
    set_text(&mut m.province, "province", input.province)?;
    // Order-entry defaults are codes of the company's setup records (R-ORD-1): each must exist.
    if let Some(code) = input.payment_terms {
        use entity::payment_terms::{Column, Entity};
        m.payment_terms =
            Set(
                setup_code::<Entity>(db, p, Column::CompanyId, Column::Code, "paymentTerms", code)
                    .await?,
            );
    }
    if let Some(code) = input.payment_method {
        use entity::payment_method::{Column, Entity};
        m.payment_method = Set(setup_code::<Entity>(
            db,
            p,
            Column::CompanyId,
            Column::Code,
            "paymentMethod",
            code,
        )
        .await?);
    }
    if let Some(code) = input.bank_account {
        use entity::bank_account::{Column, Entity};
        m.bank_account =
            Set(
                setup_code::<Entity>(db, p, Column::CompanyId, Column::Code, "bankAccount", code)
                    .await?,
            );
    }
    if let Some(code) = input.carrier {
        use entity::carrier::{Column, Entity};
        m.carrier =
            Set(
                setup_code::<Entity>(db, p, Column::CompanyId, Column::Code, "carrier", code)
                    .await?,
            );
    }
    if let Some(series) = input.series {
        m.series = Set(match validate::optional("series", Some(series), 10)? {
            Some(s) => Some(validate::series_code("series", &s)?),
            None => None,
        });
    }
    set_text(&mut m.order_type, "orderType", input.order_type)?;
    if let Some(b) = input.direct_delivery {
        m.direct_delivery = Set(b);
    }
    if let Some(linked) = input.linked_company_id {
        if let Some(company_id) = linked {
            companies::ensure_sister(db, p, company_id).await?;
        }
        m.linked_company_id = Set(linked);
    }
    if m.group_customer_id.as_ref().is_none() && m.invoice_to_group.as_ref() == &true {
        return Err(AppError::validation(
            "invoiceToGroup",
            "needs a group customer",
        ));
    }
    let addresses = match input.addresses {
        Some(list) => Some(validate_addresses(list)?),
        None => None,
    };

    let tx = db::write_tx(db).await?;
    let saved = match id {
        Some(_) => m.update(&tx).await?,
        None => m.insert(&tx).await?,
    };
    if let Some(addresses) = addresses {
        replace_addresses(&tx, &saved, addresses).await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// A setup code the customer defaults to: upper-cased, and it must exist in the company.
/// An empty string clears it.
async fn setup_code<E: EntityTrait>(
    db: &DatabaseConnection,
    p: &Principal,
    company: E::Column,
    code_col: E::Column,
    field: &str,
    code: String,
) -> AppResult<Option<String>> {
    let Some(code) = validate::optional(field, Some(code), 20)?.map(|c| c.to_uppercase()) else {
        return Ok(None);
    };
    let found = rows::id_by_code::<E, _>(
        db,
        company,
        code_col,
        p.company_id,
        &Some(code.clone()),
        |_| 0,
    )
    .await?;
    match found {
        Some(_) => Ok(Some(code)),
        None => Err(AppError::validation(
            field,
            format!("no {field} with code {code}"),
        )),
    }
}

fn set_text(
    slot: &mut ActiveValue<Option<String>>,
    field: &str,
    value: Option<String>,
) -> AppResult<()> {
    if let Some(v) = value {
        *slot = Set(validate::optional(field, Some(v), 200)?);
    }
    Ok(())
}

fn validate_addresses(list: Vec<NewAddress>) -> AppResult<Vec<NewAddress>> {
    list.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let f = |name: &str| format!("addresses.{i}.{name}");
            Ok(NewAddress {
                kind: a.kind,
                name: validate::required(&f("name"), &a.name, 200)?,
                line1: validate::required(&f("line1"), &a.line1, 200)?,
                line2: validate::optional(&f("line2"), a.line2, 200)?,
                city: validate::required(&f("city"), &a.city, 100)?,
                postal_code: validate::optional(&f("postalCode"), a.postal_code, 20)?,
                province: validate::optional(&f("province"), a.province, 100)?,
                country: validate::required(&f("country"), &a.country, 2)?.to_uppercase(),
                is_default: a.is_default,
            })
        })
        .collect()
}

async fn replace_addresses<C: ConnectionTrait>(
    db: &C,
    customer: &customer::Model,
    addresses: Vec<NewAddress>,
) -> AppResult<()> {
    customer_address::Entity::delete_many()
        .filter(customer_address::Column::CustomerId.eq(customer.id))
        .exec(db)
        .await?;
    if addresses.is_empty() {
        return Ok(());
    }
    customer_address::Entity::insert_many(addresses.into_iter().map(|a| {
        customer_address::ActiveModel {
            company_id: Set(customer.company_id),
            customer_id: Set(customer.id),
            kind: Set(a.kind),
            name: Set(a.name),
            line1: Set(a.line1),
            line2: Set(a.line2),
            city: Set(a.city),
            postal_code: Set(a.postal_code),
            province: Set(a.province),
            country: Set(a.country),
            is_default: Set(a.is_default),
            ..Default::default()
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// A customer outside the caller's scope does not exist for it (R-ACC-8).
pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<customer::Model> {
    visibility::require(p, Permission::ReadCustomers)?;
    customer::Entity::find_by_id(id)
        .filter(visibility::customers(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("customer"))
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: CustomerFilter,
    args: &PageArgs,
) -> AppResult<Page<customer::Model>> {
    visibility::require(p, Permission::ReadCustomers)?;
    let mut select = customer::Entity::find().filter(visibility::customers(p));
    if let Some(search) = filter.search.filter(|s| !s.trim().is_empty()) {
        select = select.filter(page::search_condition(
            &[customer::Column::Code, customer::Column::Name],
            search.trim(),
        )?);
    }
    if let Some(rep) = filter.sales_rep_id {
        select = select.filter(customer::Column::SalesRepId.eq(rep));
    }
    page::fetch(db, select, customer::Column::Id, args).await
}

/// Visible customers by id, for loaders of nested fields: the visibility condition applies
/// here too, so a nested path cannot reach a customer the caller may not see.
pub async fn visible_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, customer::Model>> {
    if !visibility::can(p, Permission::ReadCustomers) {
        return Ok(HashMap::new());
    }
    Ok(customer::Entity::find()
        .filter(visibility::customers(p))
        .filter(customer::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

pub async fn addresses_by_customer(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<customer_address::Model>>> {
    use customer_address::{Column, Entity};
    rows::children::<Entity, _>(db, Column::CustomerId, ids, Column::Id, |a| a.customer_id).await
}
