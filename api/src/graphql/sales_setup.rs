//! Order-entry setup: settings, series, rates, payment methods and terms, bank accounts,
//! carriers with freight tables, customer prices, kits and unique items (R-ORD-2, 6, 7, 10,
//! 12, R-ITEM-1, R-ITEM-6).
use super::items::Item;
use super::scalars::Decimal;
use super::{db, loaders, parse_id, principal, to_id};
use crate::domain::sales_setup as setup;
use crate::graphql::scalars::Date;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::{
    bank_account, carrier, company_settings, customer_price, exchange_rate, freight_rate,
    kit_component, number_series, payment_method, payment_terms,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::DocType")]
pub enum DocumentType {
    Quote,
    Order,
    DeliveryNote,
    Invoice,
    PurchaseOrder,
    Receipt,
    CreditNote,
    Proforma,
    SalesAgreement,
    PurchaseAgreement,
    ReturnNote,
    PurchaseInvoice,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::FreightCalc")]
pub enum FreightCalc {
    None,
    QtyZone,
    KgProvince,
}

pub struct CompanySettings(company_settings::Model);

#[Object]
impl CompanySettings {
    /// Orders over the customer's credit go on hold instead of carrying a warning (R-ORD-9).
    async fn block_on_credit_excess(&self) -> bool {
        self.0.block_on_credit_excess
    }
    /// Non-stocked lines must carry a cost (R-ITEM-1).
    async fn manual_cost_for_non_stocked(&self) -> bool {
        self.0.manual_cost_for_non_stocked
    }
    /// Freight is calculated only up to this order amount; 0 = no maximum (R-ORD-12).
    async fn freight_max_order_amount(&self) -> Decimal {
        self.0.freight_max_order_amount.into()
    }
    /// Quotes draw their numbers from the order counter (R-ORD-2).
    async fn quotes_share_order_numbering(&self) -> bool {
        self.0.quotes_share_order_numbering
    }
    /// Series for customers without one of their own.
    async fn default_series(&self) -> &str {
        &self.0.default_series
    }
}

pub struct NumberSeries(number_series::Model);

#[Object]
impl NumberSeries {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn document_type(&self) -> DocumentType {
        self.0.doc_type.into()
    }
    /// The number the next document will get.
    async fn next_number(&self) -> i64 {
        self.0.next_number
    }
}

pub struct ExchangeRate(exchange_rate::Model);

#[Object]
impl ExchangeRate {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Value of one unit of `currency` in the company currency.
    async fn rate(&self) -> Decimal {
        self.0.rate.into()
    }
    async fn valid_from(&self) -> NaiveDate {
        self.0.valid_from
    }
}

pub struct PaymentMethod(pub payment_method::Model);

#[Object]
impl PaymentMethod {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Orders paid this way must name one of the company's bank accounts (R-ORD-10).
    async fn requires_bank_account(&self) -> bool {
        self.0.requires_bank_account
    }
}

#[derive(SimpleObject)]
pub struct TermsInstallment {
    /// Days after the order date.
    pub days: i64,
    pub percent: Decimal,
}

pub struct PaymentTerms(pub payment_terms::Model);

#[Object]
impl PaymentTerms {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// `PER`-style terms: each order carries its own installments (R-ORD-10).
    async fn custom(&self) -> bool {
        self.0.custom
    }
    async fn installments(&self, ctx: &Context<'_>) -> Result<Vec<TermsInstallment>> {
        let rows = loaders::get(ctx)?
            .term_installments
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|i| TermsInstallment {
                days: i.days,
                percent: i.percent.into(),
            })
            .collect())
    }
    /// Orders below any of these amounts (company currency) may not use these terms.
    async fn minimum_order_amounts(&self, ctx: &Context<'_>) -> Result<Vec<Decimal>> {
        let rows = loaders::get(ctx)?
            .term_restrictions
            .load_one(self.0.id)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.min_order_amount.into())
            .collect())
    }
}

pub struct BankAccount(pub bank_account::Model);

#[Object]
impl BankAccount {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn iban(&self) -> &str {
        &self.0.iban
    }
}

pub struct FreightRate(freight_rate::Model);

#[Object]
impl FreightRate {
    async fn zone(&self) -> Option<&str> {
        self.0.zone.as_deref()
    }
    async fn province(&self) -> Option<&str> {
        self.0.province.as_deref()
    }
    /// QTY_ZONE: freight = Σ quantities ÷ referenceQuantity × amount.
    async fn reference_quantity(&self) -> Decimal {
        self.0.reference_quantity.into()
    }
    /// KG_PROVINCE: the bracket covers weights up to this.
    async fn max_weight(&self) -> Decimal {
        self.0.max_weight.into()
    }
    async fn amount(&self) -> Decimal {
        self.0.amount.into()
    }
}

pub struct Carrier(pub carrier::Model);

#[Object]
impl Carrier {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn calc_type(&self) -> FreightCalc {
        self.0.calc_type.into()
    }
    async fn rates(&self, ctx: &Context<'_>) -> Result<Vec<FreightRate>> {
        let rows = loaders::get(ctx)?.freight_rates.load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(FreightRate)
            .collect())
    }
}

pub struct CustomerPrice(customer_price::Model);

#[Object]
impl CustomerPrice {
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        Ok(loaders::get(ctx)?
            .item
            .load_one(self.0.item_id)
            .await?
            .map(Item))
    }
    /// Replaces the list price for this customer (R-ORD-6); company currency.
    async fn price(&self) -> Option<Decimal> {
        self.0.price.map(Into::into)
    }
    async fn discount_percent(&self) -> Option<Decimal> {
        self.0.discount_percent.map(Into::into)
    }
}

pub struct KitComponent(pub kit_component::Model);

#[Object]
impl KitComponent {
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        Ok(loaders::get(ctx)?
            .item
            .load_one(self.0.component_item_id)
            .await?
            .map(Item))
    }
    /// Per kit unit.
    async fn quantity(&self) -> Decimal {
        self.0.quantity.into()
    }
}

#[derive(InputObject)]
pub struct CompanySettingsInput {
    pub block_on_credit_excess: Option<bool>,
    pub manual_cost_for_non_stocked: Option<bool>,
    pub freight_max_order_amount: Option<Decimal>,
    pub quotes_share_order_numbering: Option<bool>,
    pub default_series: Option<String>,
}

#[derive(InputObject)]
pub struct NumberSeriesInput {
    pub code: String,
    pub document_type: DocumentType,
    /// Where numbering starts; 1 when omitted.
    pub next_number: Option<i64>,
}

#[derive(InputObject)]
pub struct ExchangeRateInput {
    pub currency: String,
    /// Value of one unit of `currency` in the company currency.
    pub rate: Decimal,
    pub valid_from: Date,
}

#[derive(InputObject)]
pub struct PaymentMethodInput {
    pub code: String,
    pub name: String,
    #[graphql(default)]
    pub requires_bank_account: bool,
}

#[derive(InputObject)]
pub struct TermsInstallmentInput {
    pub days: i64,
    pub percent: Decimal,
}

#[derive(InputObject)]
pub struct PaymentTermsInput {
    pub code: String,
    pub name: String,
    /// Custom (`PER`) terms: installments come with each order.
    #[graphql(default)]
    pub custom: bool,
    #[graphql(default)]
    pub installments: Vec<TermsInstallmentInput>,
}

#[derive(InputObject)]
pub struct PaymentTermsRestrictionInput {
    pub payment_terms_id: ID,
    /// Orders below this amount (company currency) may not use the terms.
    pub min_order_amount: Decimal,
}

#[derive(InputObject)]
pub struct BankAccountInput {
    pub code: String,
    pub name: String,
    pub iban: String,
}

#[derive(InputObject)]
pub struct FreightRateInput {
    pub zone: Option<String>,
    pub province: Option<String>,
    #[graphql(default_with = "Decimal(rust_decimal::Decimal::ZERO)")]
    pub reference_quantity: Decimal,
    #[graphql(default_with = "Decimal(rust_decimal::Decimal::ZERO)")]
    pub max_weight: Decimal,
    pub amount: Decimal,
}

#[derive(InputObject)]
pub struct CarrierInput {
    pub code: String,
    pub name: String,
    pub calc_type: FreightCalc,
    #[graphql(default)]
    pub rates: Vec<FreightRateInput>,
}

#[derive(InputObject)]
pub struct CustomerPriceInput {
    pub customer_id: ID,
    pub item_id: ID,
    /// Company currency; omit both price and discount to remove the entry.
    pub price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
}

#[derive(InputObject)]
pub struct KitComponentInput {
    pub item_id: ID,
    pub quantity: Decimal,
}

#[derive(InputObject)]
pub struct KitComponentsInput {
    pub kit_item_id: ID,
    pub components: Vec<KitComponentInput>,
}

#[derive(InputObject)]
pub struct UniquePerCustomerInput {
    pub item_id: ID,
    pub unique: bool,
}

#[derive(SimpleObject)]
pub struct CustomerPricePayload {
    /// Null when the entry was removed.
    pub customer_price: Option<CustomerPrice>,
}

#[derive(SimpleObject)]
pub struct KitComponentsPayload {
    pub kit: Item,
    pub components: Vec<KitComponent>,
}

#[derive(Default)]
pub struct SalesSetupQuery;

#[Object]
impl SalesSetupQuery {
    async fn company_settings(&self, ctx: &Context<'_>) -> Result<CompanySettings> {
        let p = principal(ctx)?;
        crate::auth::visibility::require(p, crate::auth::Permission::ReadSalesSetup)?;
        Ok(CompanySettings(
            setup::settings(db(ctx), p.company_id).await?,
        ))
    }
    async fn number_series(&self, ctx: &Context<'_>) -> Result<Vec<NumberSeries>> {
        let list = setup::list_series(db(ctx), principal(ctx)?).await?;
        Ok(list.into_iter().map(NumberSeries).collect())
    }
    /// Newest first per currency.
    async fn exchange_rates(
        &self,
        ctx: &Context<'_>,
        currency: Option<String>,
    ) -> Result<Vec<ExchangeRate>> {
        let list = setup::list_rates(db(ctx), principal(ctx)?, currency).await?;
        Ok(list.into_iter().map(ExchangeRate).collect())
    }
    async fn payment_methods(&self, ctx: &Context<'_>) -> Result<Vec<PaymentMethod>> {
        let list = setup::list_payment_methods(db(ctx), principal(ctx)?).await?;
        Ok(list.into_iter().map(PaymentMethod).collect())
    }
    async fn payment_terms(&self, ctx: &Context<'_>) -> Result<Vec<PaymentTerms>> {
        let list = setup::list_payment_terms(db(ctx), principal(ctx)?).await?;
        Ok(list.into_iter().map(PaymentTerms).collect())
    }
    async fn bank_accounts(&self, ctx: &Context<'_>) -> Result<Vec<BankAccount>> {
        let list = setup::list_bank_accounts(db(ctx), principal(ctx)?).await?;
        Ok(list.into_iter().map(BankAccount).collect())
    }
    async fn carriers(&self, ctx: &Context<'_>) -> Result<Vec<Carrier>> {
        let list = setup::list_carriers(db(ctx), principal(ctx)?).await?;
        Ok(list.into_iter().map(Carrier).collect())
    }
    /// Prices and discounts agreed with one customer the caller sees.
    async fn customer_prices(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
    ) -> Result<Vec<CustomerPrice>> {
        let id = parse_id(&customer_id, "customerId")?;
        let list = setup::customer_prices(db(ctx), principal(ctx)?, id).await?;
        Ok(list.into_iter().map(CustomerPrice).collect())
    }
}

#[derive(Default)]
pub struct SalesSetupMutation;

#[Object]
impl SalesSetupMutation {
    async fn update_company_settings(
        &self,
        ctx: &Context<'_>,
        input: CompanySettingsInput,
    ) -> Result<CompanySettings> {
        let s = setup::update_settings(
            db(ctx),
            principal(ctx)?,
            setup::SettingsInput {
                block_on_credit_excess: input.block_on_credit_excess,
                manual_cost_for_non_stocked: input.manual_cost_for_non_stocked,
                freight_max_order_amount: input.freight_max_order_amount.map(|d| d.0),
                quotes_share_order_numbering: input.quotes_share_order_numbering,
                default_series: input.default_series,
                ..Default::default()
            },
        )
        .await?;
        Ok(CompanySettings(s))
    }
    async fn create_number_series(
        &self,
        ctx: &Context<'_>,
        input: NumberSeriesInput,
    ) -> Result<NumberSeries> {
        let s = setup::create_series(
            db(ctx),
            principal(ctx)?,
            &input.code,
            input.document_type.into(),
            input.next_number,
        )
        .await?;
        Ok(NumberSeries(s))
    }
    async fn set_exchange_rate(
        &self,
        ctx: &Context<'_>,
        input: ExchangeRateInput,
    ) -> Result<ExchangeRate> {
        let r = setup::set_exchange_rate(
            db(ctx),
            principal(ctx)?,
            &input.currency,
            input.rate.0,
            input.valid_from.into(),
        )
        .await?;
        Ok(ExchangeRate(r))
    }
    async fn create_payment_method(
        &self,
        ctx: &Context<'_>,
        input: PaymentMethodInput,
    ) -> Result<PaymentMethod> {
        let m = setup::create_payment_method(
            db(ctx),
            principal(ctx)?,
            &input.code,
            &input.name,
            input.requires_bank_account,
        )
        .await?;
        Ok(PaymentMethod(m))
    }
    async fn create_payment_terms(
        &self,
        ctx: &Context<'_>,
        input: PaymentTermsInput,
    ) -> Result<PaymentTerms> {
        let installments = input
            .installments
            .into_iter()
            .map(|i| setup::Installment {
                days: i.days,
                percent: i.percent.0,
            })
            .collect();
        let t = setup::create_payment_terms(
            db(ctx),
            principal(ctx)?,
            &input.code,
            &input.name,
            input.custom,
            installments,
        )
        .await?;
        Ok(PaymentTerms(t))
    }
    async fn restrict_payment_terms(
        &self,
        ctx: &Context<'_>,
        input: PaymentTermsRestrictionInput,
    ) -> Result<PaymentTerms> {
        let p = principal(ctx)?;
        let id = parse_id(&input.payment_terms_id, "paymentTermsId")?;
        setup::restrict_payment_terms(db(ctx), p, id, input.min_order_amount.0).await?;
        Ok(PaymentTerms(
            setup::own_terms(db(ctx), p.company_id, id, "paymentTermsId").await?,
        ))
    }
    async fn create_bank_account(
        &self,
        ctx: &Context<'_>,
        input: BankAccountInput,
    ) -> Result<BankAccount> {
        let b = setup::create_bank_account(
            db(ctx),
            principal(ctx)?,
            &input.code,
            &input.name,
            &input.iban,
        )
        .await?;
        Ok(BankAccount(b))
    }
    async fn create_carrier(&self, ctx: &Context<'_>, input: CarrierInput) -> Result<Carrier> {
        let rates = input
            .rates
            .into_iter()
            .map(|r| setup::NewFreightRate {
                zone: r.zone,
                province: r.province,
                reference_quantity: r.reference_quantity.0,
                max_weight: r.max_weight.0,
                amount: r.amount.0,
            })
            .collect();
        let c = setup::create_carrier(
            db(ctx),
            principal(ctx)?,
            &input.code,
            &input.name,
            input.calc_type.into(),
            rates,
        )
        .await?;
        Ok(Carrier(c))
    }
    async fn set_customer_price(
        &self,
        ctx: &Context<'_>,
        input: CustomerPriceInput,
    ) -> Result<CustomerPricePayload> {
        let cp = setup::set_customer_price(
            db(ctx),
            principal(ctx)?,
            parse_id(&input.customer_id, "customerId")?,
            parse_id(&input.item_id, "itemId")?,
            input.price.map(|d| d.0),
            input.discount_percent.map(|d| d.0),
        )
        .await?;
        Ok(CustomerPricePayload {
            customer_price: cp.map(CustomerPrice),
        })
    }
    async fn set_kit_components(
        &self,
        ctx: &Context<'_>,
        input: KitComponentsInput,
    ) -> Result<KitComponentsPayload> {
        let p = principal(ctx)?;
        let kit_id = parse_id(&input.kit_item_id, "kitItemId")?;
        let mut components = Vec::with_capacity(input.components.len());
        for (i, c) in input.components.iter().enumerate() {
            components.push((
                parse_id(&c.item_id, &format!("components.{i}.itemId"))?,
                c.quantity.0,
            ));
        }
        let list = setup::set_kit_components(db(ctx), p, kit_id, components).await?;
        let kit = crate::domain::items::get(db(ctx), p, kit_id).await?;
        Ok(KitComponentsPayload {
            kit: Item(kit),
            components: list.into_iter().map(KitComponent).collect(),
        })
    }
    /// R-ITEM-6: an item on this list may stand on at most one open order per customer.
    async fn set_item_unique_per_customer(
        &self,
        ctx: &Context<'_>,
        input: UniquePerCustomerInput,
    ) -> Result<Item> {
        let p = principal(ctx)?;
        let id = parse_id(&input.item_id, "itemId")?;
        setup::set_unique_per_customer(db(ctx), p, id, input.unique).await?;
        Ok(Item(crate::domain::items::get(db(ctx), p, id).await?))
    }
}
