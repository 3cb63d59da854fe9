//! Customers (R-ACC-2…5, R-ORD-1, R-ORD-11).
use super::connection::{Conn, from_page};
use super::sales_reps::SalesRep;
use super::scalars::Decimal;
use super::{db, loaders, parse_id, parse_opt_id, principal, to_id};
use crate::domain::{PageArgs, customers};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{customer, customer_address};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::CustomerType")]
pub enum CustomerType {
    Standard,
    FutureSales,
    Intercompany,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::AddressKind")]
pub enum AddressKind {
    Billing,
    Shipping,
}

pub struct Customer(pub customer::Model);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn tax_id(&self) -> Option<&str> {
        self.0.tax_id.as_deref()
    }
    /// The assigned rep (R-ACC-2); visible to whoever sees this customer.
    async fn sales_rep(&self, ctx: &Context<'_>) -> Result<Option<SalesRep>> {
        super::sales_reps::load_sales_rep(ctx, self.0.sales_rep_id).await
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn language(&self) -> &str {
        &self.0.language
    }
    /// Zero means no limit (R-ORD-9).
    async fn credit_limit(&self) -> Decimal {
        self.0.credit_limit.into()
    }
    async fn credit_blocked(&self) -> bool {
        self.0.credit_blocked
    }
    /// STANDARD, EXEMPT or REVERSE_CHARGE (R-TAX-1).
    async fn tax_regime(&self) -> super::taxes::TaxRegime {
        self.0.tax_regime.into()
    }
    async fn customer_type(&self) -> CustomerType {
        self.0.customer_type.into()
    }
    /// The group customer billed instead of this one when `invoiceToGroup` (R-ORD-11); null
    /// when the caller may not see it.
    async fn group_customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        load_customer(ctx, self.0.group_customer_id).await
    }
    async fn invoice_to_group(&self) -> bool {
        self.0.invoice_to_group
    }
    async fn zone(&self) -> Option<&str> {
        self.0.zone.as_deref()
    }
    async fn province(&self) -> Option<&str> {
        self.0.province.as_deref()
    }
    async fn payment_terms(&self) -> Option<&str> {
        self.0.payment_terms.as_deref()
    }
    async fn payment_method(&self) -> Option<&str> {
        self.0.payment_method.as_deref()
    }
    async fn bank_account(&self) -> Option<&str> {
        self.0.bank_account.as_deref()
    }
    async fn series(&self) -> Option<&str> {
        self.0.series.as_deref()
    }
    async fn carrier(&self) -> Option<&str> {
        self.0.carrier.as_deref()
    }
    async fn order_type(&self) -> Option<&str> {
        self.0.order_type.as_deref()
    }
    async fn direct_delivery(&self) -> bool {
        self.0.direct_delivery
    }
    /// The sister company this customer is (R-IC-1).
    async fn linked_company_id(&self) -> Option<ID> {
        self.0.linked_company_id.map(to_id)
    }
    async fn addresses(&self, ctx: &Context<'_>) -> Result<Vec<Address>> {
        let list = loaders::get(ctx)?.addresses.load_one(self.0.id).await?;
        Ok(list.unwrap_or_default().into_iter().map(Address).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Address(customer_address::Model);

#[Object]
impl Address {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn kind(&self) -> AddressKind {
        self.0.kind.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn line1(&self) -> &str {
        &self.0.line1
    }
    async fn line2(&self) -> Option<&str> {
        self.0.line2.as_deref()
    }
    async fn city(&self) -> &str {
        &self.0.city
    }
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    async fn province(&self) -> Option<&str> {
        self.0.province.as_deref()
    }
    /// ISO 3166-1 alpha-2.
    async fn country(&self) -> &str {
        &self.0.country
    }
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
}

#[derive(InputObject)]
pub struct AddressInput {
    pub kind: AddressKind,
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub province: Option<String>,
    pub country: String,
    #[graphql(default)]
    pub is_default: bool,
}

/// Customer fields; on update, omitted fields keep their value.
#[derive(InputObject)]
pub struct CustomerInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_id: Option<String>,
    pub sales_rep_id: Option<ID>,
    /// Removes the assigned rep.
    #[graphql(default)]
    pub clear_sales_rep: bool,
    pub currency: Option<String>,
    pub language: Option<String>,
    pub credit_limit: Option<Decimal>,
    pub credit_blocked: Option<bool>,
    pub customer_type: Option<CustomerType>,
    pub group_customer_id: Option<ID>,
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
    pub linked_company_id: Option<ID>,
    /// Replaces all addresses when given.
    pub addresses: Option<Vec<AddressInput>>,
}

#[derive(InputObject)]
pub struct UpdateCustomerInput {
    pub id: ID,
    pub fields: CustomerInput,
}

#[derive(InputObject, Default)]
pub struct CustomerFilter {
    /// Matches code or name, case-insensitively.
    pub search: Option<String>,
    pub sales_rep_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct CustomerPayload {
    pub customer: Customer,
}

fn fields(i: CustomerInput) -> Result<customers::CustomerFields> {
    let rep = parse_opt_id(i.sales_rep_id.as_ref(), "salesRepId")?;
    Ok(customers::CustomerFields {
        code: i.code,
        name: i.name,
        email: i.email,
        phone: i.phone,
        tax_id: i.tax_id,
        sales_rep_id: if i.clear_sales_rep {
            Some(None)
        } else {
            rep.map(Some)
        },
        currency: i.currency,
        language: i.language,
        credit_limit: i.credit_limit.map(|d| d.0),
        credit_blocked: i.credit_blocked,
        customer_type: i.customer_type.map(Into::into),
        group_customer_id: parse_opt_id(i.group_customer_id.as_ref(), "groupCustomerId")?.map(Some),
        invoice_to_group: i.invoice_to_group,
        zone: i.zone,
        province: i.province,
        payment_terms: i.payment_terms,
        payment_method: i.payment_method,
        bank_account: i.bank_account,
        series: i.series,
        carrier: i.carrier,
        order_type: i.order_type,
        direct_delivery: i.direct_delivery,
        linked_company_id: parse_opt_id(i.linked_company_id.as_ref(), "linkedCompanyId")?.map(Some),
        addresses: i.addresses.map(|list| {
            list.into_iter()
                .map(|a| customers::NewAddress {
                    kind: a.kind.into(),
                    name: a.name,
                    line1: a.line1,
                    line2: a.line2,
                    city: a.city,
                    postal_code: a.postal_code,
                    province: a.province,
                    country: a.country,
                    is_default: a.is_default,
                })
                .collect()
        }),
    })
}

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// Customers the caller may see (R-ACC-3…5), oldest first.
    async fn customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Customer>> {
        let filter = filter.unwrap_or_default();
        let domain_filter = customers::CustomerFilter {
            search: filter.search,
            sales_rep_id: parse_opt_id(filter.sales_rep_id.as_ref(), "salesRepId")?,
        };
        let page = customers::list(
            db(ctx),
            principal(ctx)?,
            domain_filter,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |c| c.id, Customer))
    }

    /// NOT_FOUND when the customer is outside the caller's scope (R-ACC-8).
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Customer> {
        Ok(Customer(
            customers::get(db(ctx), principal(ctx)?, parse_id(&id, "id")?).await?,
        ))
    }
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CustomerInput,
    ) -> Result<CustomerPayload> {
        let c = customers::create(db(ctx), principal(ctx)?, fields(input)?).await?;
        Ok(CustomerPayload {
            customer: Customer(c),
        })
    }

    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        input: UpdateCustomerInput,
    ) -> Result<CustomerPayload> {
        let id = parse_id(&input.id, "id")?;
        let c = customers::update(db(ctx), principal(ctx)?, id, fields(input.fields)?).await?;
        Ok(CustomerPayload {
            customer: Customer(c),
        })
    }
}

/// A nested customer reference (`user.customer`, `groupCustomer`, …): null when absent or
/// outside the caller's scope (the loader applies `visibility::customers`).
pub async fn load_customer(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Customer>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders::get(ctx)?
        .customer
        .load_one(id)
        .await?
        .map(Customer))
}
