//! The GraphQL schema: one module per business area (same names as `domain/`), resolvers thin.
pub mod agreements;
pub mod api_tokens;
pub mod backorders;
pub mod companies;
pub mod connection;
pub mod credit;
pub mod customers;
pub mod documents;
pub mod events;
pub mod intercompany;
pub mod invoices;
pub mod items;
pub mod limits;
pub mod loaders;
pub mod orders;
pub mod parsed_queries;
pub mod payments;
pub mod proformas;
pub mod purchase_invoices;
pub mod purchasing;
pub mod receipts;
pub mod reports;
pub mod reservations;
pub mod returns;
pub mod sales_reps;
pub mod sales_setup;
pub mod scalars;
pub mod shipments;
pub mod stock;
pub mod suppliers;
pub mod taxes;
pub mod users;
pub mod warehouses;

use crate::auth::Principal;
use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::LoginThrottle;
use crate::config::GraphqlLimits;
use crate::error::{AppError, AppResult};
use async_graphql::{Context, ID, InputObject, MergedObject, MergedSubscription, Result, Schema};
use items::Item;
use orders::SalesOrder;
use scalars::Decimal;
use sea_orm::DatabaseConnection;
use warehouses::Warehouse;

#[derive(MergedObject, Default)]
pub struct Query(
    users::UserQuery,
    api_tokens::ApiTokenQuery,
    companies::CompanyQuery,
    sales_reps::SalesRepQuery,
    customers::CustomerQuery,
    suppliers::SupplierQuery,
    items::ItemQuery,
    warehouses::WarehouseQuery,
    stock::StockQuery,
    sales_setup::SalesSetupQuery,
    orders::OrderQuery,
    backorders::BackorderQuery,
    purchasing::PurchasingQuery,
    receipts::ReceiptQuery,
    shipments::ShipmentQuery,
    returns::ReturnQuery,
    taxes::TaxQuery,
    invoices::InvoiceQuery,
    payments::PaymentQuery,
    credit::CreditQuery,
    reports::ReportQuery,
    proformas::ProformaQuery,
    agreements::AgreementQuery,
    intercompany::IntercompanyQuery,
    purchase_invoices::PurchaseInvoiceQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    users::UserMutation,
    api_tokens::ApiTokenMutation,
    companies::CompanyMutation,
    sales_reps::SalesRepMutation,
    customers::CustomerMutation,
    suppliers::SupplierMutation,
    items::ItemMutation,
    warehouses::WarehouseMutation,
    stock::StockMutation,
    sales_setup::SalesSetupMutation,
    orders::OrderMutation,
    orders::OrderConfirmationMutation,
    reservations::ReservationMutation,
    backorders::BackorderMutation,
    purchasing::PurchasingMutation,
    receipts::ReceiptMutation,
    backorders::AssignmentMutation,
    shipments::ShipmentMutation,
    returns::ReturnMutation,
    taxes::TaxMutation,
    invoices::InvoiceMutation,
    payments::PaymentMutation,
    proformas::ProformaMutation,
    documents::DocumentMutation,
    agreements::AgreementMutation,
    intercompany::IntercompanyMutation,
    purchase_invoices::PurchaseInvoiceMutation,
);

/// Every subscription: orders, backorders and stock (`events`), agreements.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct Subscription(events::EventSubscription, events::AgreementSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Process-wide state the resolvers reach through the context.
pub struct Services {
    pub db: DatabaseConnection,
    pub keys: JwtKeys,
    pub login_throttle: LoginThrottle,
    /// This process's event broadcast (subscriptions).
    pub hub: std::sync::Arc<crate::events::hub::Hub>,
    /// How often running subscriptions re-read their caller's access.
    pub access_recheck: std::time::Duration,
    /// Production: stored links must be https to public hosts (`validate::web_address`).
    pub public_links_only: bool,
    /// Refusals that tell a tenant admin an identifier is taken elsewhere, per caller.
    pub probe_throttle: crate::auth::throttle::ProbeThrottle,
}

/// `NaiveDate` is chrono's scalar on output and [`scalars::Date`] (range-checked) on input.
const NAME_SHARED_BY_TWO_TYPES: [&str; 1] = ["NaiveDate"];

pub fn build(services: Services, limits: GraphqlLimits) -> AppSchema {
    let mut builder = Schema::build_with_ignore_name_conflicts(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
        NAME_SHARED_BY_TWO_TYPES,
    )
    .data(services)
    .extension(limits::QueryLimits(limits::Limits {
        max_depth: limits.max_depth,
        max_cost: limits.max_complexity,
        max_aliases: limits.max_aliases,
        max_directives: limits.max_directives,
        max_fields: limits.max_fields,
        max_query_bytes: limits.max_query_bytes,
        introspection: limits.introspection,
    }))
    .extension(limits::ResponseCap(limits.max_response_bytes));
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The SDL of the schema, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build_with_ignore_name_conflicts(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
        NAME_SHARED_BY_TWO_TYPES,
    )
    .finish()
    .sdl()
}

pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    &ctx.data_unchecked::<Services>().db
}

pub fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

/// The authenticated caller, or UNAUTHENTICATED.
pub fn principal<'a>(ctx: &Context<'a>) -> AppResult<&'a Principal> {
    ctx.data_opt::<Principal>()
        .ok_or_else(|| AppError::Unauthenticated("send Authorization: Bearer <token>".into()))
}

/// Parses a GraphQL `ID` into a row id; an unparsable id names the field.
pub fn parse_id(id: &ID, field: &str) -> AppResult<i64> {
    id.parse::<i64>()
        .map_err(|_| AppError::validation(field, format!("{field} is not a valid id")))
}

pub fn parse_opt_id(id: Option<&ID>, field: &str) -> AppResult<Option<i64>> {
    id.map(|id| parse_id(id, field)).transpose()
}

pub fn to_id(id: i64) -> ID {
    ID(id.to_string())
}

/// Computed quantities answer in the stored 4-place form, like stored ones.
pub(crate) fn canonical(d: rust_decimal::Decimal) -> Decimal {
    Decimal(entity::Dec::canonical(d))
}

pub(crate) fn number(series: &str, n: i64) -> String {
    format!("{series}-{n}")
}

pub(crate) async fn item(ctx: &Context<'_>, id: i64) -> Result<Option<Item>> {
    Ok(loaders::get(ctx)?.item.load_one(id).await?.map(Item))
}

pub(crate) async fn warehouse(ctx: &Context<'_>, id: i64) -> Result<Option<Warehouse>> {
    Ok(loaders::get(ctx)?
        .warehouse
        .load_one(id)
        .await?
        .map(Warehouse))
}

pub(crate) async fn order(ctx: &Context<'_>, id: i64) -> Result<Option<SalesOrder>> {
    Ok(loaders::get(ctx)?.order.load_one(id).await?.map(SalesOrder))
}

#[derive(InputObject)]
pub struct IdInput {
    pub id: ID,
}

pub(crate) fn ids(list: &[ID], field: &str) -> Result<Vec<i64>> {
    list.iter()
        .enumerate()
        .map(|(i, id)| Ok(parse_id(id, &format!("{field}.{i}"))?))
        .collect()
}
