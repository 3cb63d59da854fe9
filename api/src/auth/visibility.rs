//! The one place that decides what a principal may see and do (R-ACC-1…8).
//!
//! Lists, lookups, nested fields and (later) subscription filters all take their conditions
//! from here; no resolver writes its own access filter. Whatever lies outside a caller's
//! scope does not exist for it: lookups filtered by these conditions answer NOT_FOUND.
use super::{Principal, Scope};
use crate::error::{AppError, AppResult};
use entity::{
    AgreementKind, Role, agreement, backorder, customer, invoice, item, payment, proforma,
    return_note, sales_order, sales_rep, shipment, stock_level, supplier, user, warehouse,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition};

/// Operations gated by role (users) or scope (API tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Items and warehouses.
    ReadCatalog,
    /// Stock levels and availability.
    ReadInventory,
    /// `adjustStock` (R-ACC-6: warehouse receives and ships).
    WriteInventory,
    /// Customers, filtered by [`customers`].
    ReadCustomers,
    /// Sales reps, filtered by [`sales_reps`].
    ReadSalesReps,
    ReadSuppliers,
    /// Suppliers are handled by purchasing (R-ACC-6).
    ManageSuppliers,
    /// An item's cost is internal: never shown to buyers or partners.
    ReadItemCost,
    /// Companies, reps, customers, items, warehouses.
    ManageMasterData,
    ManageUsers,
    ManageApiTokens,
    /// Quotes and sales orders, filtered by [`sales_orders`] (R-ACC-3…7).
    ReadOrders,
    /// Enter and change quotes and orders (R-ACC-5: buyers only for their own customer).
    WriteOrders,
    /// Set a line's price, discount or cost, the freight, weight or volume by hand, or
    /// another order rep: staff only, never buyers or partners.
    OverrideOrderTerms,
    /// R-ORD-9: lift a credit hold.
    ReleaseCreditHold,
    /// Setup data of order entry: series, rates, terms, carriers, prices (read).
    ReadSalesSetup,
    /// …and change it.
    ManageSalesSetup,
    /// Reserve and release stock for order lines (R-ACC-6: the warehouse; sales staff for
    /// their own orders).
    ReserveStock,
    /// Ship orders (R-ACC-6).
    ShipOrders,
    /// Confirm, cancel and prioritise backorders of orders the caller sees.
    ManageBackorders,
    /// Purchase orders and receipts (read).
    ReadPurchasing,
    /// Purchase orders (R-ACC-6: purchasing).
    ManagePurchasing,
    /// Record and confirm receipts (R-ACC-6: the warehouse receives).
    ReceiveGoods,
    /// Distribute a receipt over waiting backorders (R-ACC-6: purchasing).
    AssignBackorders,
    /// Invoices, credit notes and payments, filtered by [`invoices`] and [`payments`]
    /// (R-ACC-3…5: reps and buyers see their customers').
    ReadInvoices,
    /// Bill shipments, edit, cancel and post invoices, issue credit notes (R-ACC-6: accounting).
    ManageInvoices,
    /// Record and reverse payments (R-ACC-6: accounting; tokens with `payments:write`).
    RecordPayments,
    /// Sales agreements, filtered by [`agreements`] (R-AGR-1: reps and buyers their
    /// customers').
    ReadSalesAgreements,
    /// Create, change and set the status of sales agreements of customers the caller sees.
    ManageSalesAgreements,
    /// Purchase agreements (R-AGR-1): purchasing's.
    ReadPurchaseAgreements,
    ManagePurchaseAgreements,
}

impl Permission {
    fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::ReadCatalog | Permission::ReadCustomers => &[
                Admin,
                SalesManager,
                SalesRep,
                Warehouse,
                Purchasing,
                Customer,
                Accounting,
            ],
            Permission::ReadInventory | Permission::ReadItemCost | Permission::ReadSalesReps => {
                &[Admin, SalesManager, SalesRep, Warehouse, Purchasing]
            }
            Permission::ReadSuppliers => &[Admin, SalesManager, Warehouse, Purchasing],
            Permission::ManageSuppliers => &[Admin, Purchasing],
            Permission::WriteInventory => &[Admin, Warehouse],
            Permission::ManageMasterData
            | Permission::ManageUsers
            | Permission::ManageApiTokens
            | Permission::ManageSalesSetup => &[Admin],
            Permission::ReadOrders | Permission::ReadSalesSetup => &[
                Admin,
                SalesManager,
                SalesRep,
                Warehouse,
                Purchasing,
                Customer,
                Accounting,
            ],
            Permission::WriteOrders => &[Admin, SalesManager, SalesRep, Customer],
            Permission::OverrideOrderTerms => &[Admin, SalesManager, SalesRep],
            // Accounting releases risk from the receivables portfolio (Boss Manager).
            Permission::ReleaseCreditHold => &[Admin, SalesManager, Accounting],
            Permission::ReserveStock => &[Admin, SalesManager, SalesRep, Warehouse],
            Permission::ShipOrders => &[Admin, Warehouse],
            Permission::ManageBackorders => &[Admin, SalesManager, SalesRep, Purchasing],
            Permission::ReadPurchasing => &[Admin, SalesManager, Warehouse, Purchasing],
            Permission::ManagePurchasing | Permission::AssignBackorders => &[Admin, Purchasing],
            Permission::ReceiveGoods => &[Admin, Warehouse, Purchasing],
            Permission::ReadInvoices => &[Admin, SalesManager, SalesRep, Customer, Accounting],
            Permission::ManageInvoices | Permission::RecordPayments => &[Admin, Accounting],
            Permission::ReadSalesAgreements => {
                &[Admin, SalesManager, SalesRep, Customer, Accounting]
            }
            Permission::ManageSalesAgreements => &[Admin, SalesManager, SalesRep],
            Permission::ReadPurchaseAgreements | Permission::ManagePurchaseAgreements => {
                &[Admin, Purchasing]
            }
        }
    }

    /// Scopes that grant this permission to an API token (any one suffices).
    fn scopes(self) -> &'static [Scope] {
        match self {
            Permission::ReadCatalog => &[Scope::CatalogRead, Scope::InventoryRead],
            Permission::ReadInventory => &[Scope::InventoryRead],
            // Whoever reads documents of customers reads the customers they are for.
            Permission::ReadCustomers => &[
                Scope::OrdersRead,
                Scope::OrdersWrite,
                Scope::InvoicesRead,
                Scope::PaymentsWrite,
                Scope::AgreementsRead,
                Scope::AgreementsWrite,
            ],
            Permission::ReadOrders | Permission::ReadSalesSetup => {
                &[Scope::OrdersRead, Scope::OrdersWrite]
            }
            Permission::WriteOrders => &[Scope::OrdersWrite],
            Permission::ReadInvoices => &[Scope::InvoicesRead, Scope::PaymentsWrite],
            Permission::RecordPayments => &[Scope::PaymentsWrite],
            Permission::ReadSalesAgreements | Permission::ReadPurchaseAgreements => {
                &[Scope::AgreementsRead, Scope::AgreementsWrite]
            }
            Permission::ManageSalesAgreements | Permission::ManagePurchaseAgreements => {
                &[Scope::AgreementsWrite]
            }
            _ => &[],
        }
    }
}

impl Permission {
    /// Decisions that are the seller's alone: prices, free goods and other commercial terms of
    /// an order, the commitments of an agreement, the money a payment says arrived. A caller
    /// bound to a customer (a buyer, a customer-bound API token) never holds them, whatever its
    /// role or scopes say (R-ACC-5, R-ACC-7, R-ORD-5, R-AGR-1, R-PAY-2).
    pub fn is_sellers(self) -> bool {
        matches!(
            self,
            Permission::OverrideOrderTerms
                | Permission::ReleaseCreditHold
                | Permission::ManageSalesAgreements
                | Permission::ManagePurchaseAgreements
                | Permission::RecordPayments
                | Permission::ManageInvoices
        )
    }
}

/// Scopes a token bound to a customer cannot usefully hold: everything they grant is the
/// seller's ([`Permission::is_sellers`]). Creating such a token is refused (R-ACC-7).
pub fn sellers_scope(scope: Scope) -> bool {
    matches!(scope, Scope::AgreementsWrite | Scope::PaymentsWrite)
}

/// FORBIDDEN unless the principal holds `permission` (R-ACC-8); the seller's decisions never
/// to a caller bound to a customer ([`Permission::is_sellers`]).
pub fn require(p: &Principal, permission: Permission) -> AppResult<()> {
    if p.customer_id.is_some() && permission.is_sellers() {
        return Err(AppError::forbidden(format!(
            "{permission:?} is the seller's: a caller bound to a customer may not"
        )));
    }
    let allowed = match p.role {
        Some(role) => permission.roles().contains(&role),
        None => permission.scopes().iter().any(|s| p.has_scope(*s)),
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "this operation needs {permission:?}"
        )))
    }
}

pub fn can(p: &Principal, permission: Permission) -> bool {
    require(p, permission).is_ok()
}

fn nothing() -> Condition {
    Condition::all().add(Expr::val(1).eq(Expr::val(0)))
}

/// Customers the principal sees (R-ACC-3…5, R-ACC-7).
pub fn customers(p: &Principal) -> Condition {
    let company = Condition::all().add(customer::Column::CompanyId.eq(p.company_id));
    if let Some(customer_id) = p.customer_id {
        return company.add(customer::Column::Id.eq(customer_id));
    }
    match p.role {
        Some(Role::SalesRep) | Some(Role::SalesManager) => {
            if p.visible_rep_ids.is_empty() {
                nothing()
            } else {
                company.add(customer::Column::SalesRepId.is_in(p.visible_rep_ids.clone()))
            }
        }
        Some(Role::Customer) => nothing(), // a CUSTOMER user without a customer sees nothing
        Some(Role::Admin)
        | Some(Role::Warehouse)
        | Some(Role::Purchasing)
        | Some(Role::Accounting) => company,
        None if can(p, Permission::ReadCustomers) => company,
        None => nothing(),
    }
}

/// [`customers`] for one loaded customer, in memory: whether `p` may see `c`.
pub fn sees_customer(p: &Principal, c: &customer::Model) -> bool {
    if c.company_id != p.company_id {
        return false;
    }
    if let Some(customer_id) = p.customer_id {
        return c.id == customer_id;
    }
    match p.role {
        Some(Role::SalesRep) | Some(Role::SalesManager) => c
            .sales_rep_id
            .is_some_and(|rep| p.visible_rep_ids.contains(&rep)),
        Some(Role::Customer) => false,
        Some(Role::Admin)
        | Some(Role::Warehouse)
        | Some(Role::Purchasing)
        | Some(Role::Accounting) => true,
        None => can(p, Permission::ReadCustomers),
    }
}

/// Quotes and orders the principal sees (R-ACC-3…5, R-ACC-7): a rep or zone manager those
/// whose customer is assigned to a visible rep *or* whose order rep is one; a buyer or a
/// customer-bound token its customer's; staff and other tokens the whole company's.
pub fn sales_orders(p: &Principal) -> Condition {
    let company = Condition::all().add(sales_order::Column::CompanyId.eq(p.company_id));
    if let Some(customer_id) = p.customer_id {
        return company.add(sales_order::Column::CustomerId.eq(customer_id));
    }
    match p.role {
        Some(Role::SalesRep) | Some(Role::SalesManager) => {
            if p.visible_rep_ids.is_empty() {
                return nothing();
            }
            let reps = p.visible_rep_ids.clone();
            let their_customers = Query::select()
                .column(customer::Column::Id)
                .from(customer::Entity)
                .and_where(customer::Column::CompanyId.eq(p.company_id))
                .and_where(customer::Column::SalesRepId.is_in(reps.clone()))
                .to_owned();
            company.add(
                Condition::any()
                    .add(sales_order::Column::SalesRepId.is_in(reps))
                    .add(sales_order::Column::CustomerId.in_subquery(their_customers)),
            )
        }
        Some(Role::Customer) => nothing(),
        Some(Role::Admin)
        | Some(Role::Warehouse)
        | Some(Role::Purchasing)
        | Some(Role::Accounting) => company,
        None if can(p, Permission::ReadOrders) => company,
        None => nothing(),
    }
}

/// Ids of the sales orders the principal sees, as a subquery for the rows that hang off an
/// order (reservations, backorders, shipments): they are visible exactly when their order is
/// (R-ACC-3).
pub fn visible_order_ids(p: &Principal) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(sales_order::Column::Id)
        .from(sales_order::Entity)
        .cond_where(sales_orders(p))
        .to_owned()
}

/// Backorders the principal sees: those of orders it sees.
pub fn backorders(p: &Principal) -> Condition {
    Condition::all()
        .add(backorder::Column::CompanyId.eq(p.company_id))
        .add(backorder::Column::OrderId.in_subquery(visible_order_ids(p)))
}

/// Shipments the principal sees: those of orders it sees.
pub fn shipments(p: &Principal) -> Condition {
    Condition::all()
        .add(shipment::Column::CompanyId.eq(p.company_id))
        .add(shipment::Column::OrderId.in_subquery(visible_order_ids(p)))
}

/// Return notes the principal sees: those of orders it sees (R-RET-1).
pub fn return_notes(p: &Principal) -> Condition {
    Condition::all()
        .add(return_note::Column::CompanyId.eq(p.company_id))
        .add(return_note::Column::OrderId.in_subquery(visible_order_ids(p)))
}

/// Ids of the customers the principal sees, as a subquery.
fn visible_customer_ids(p: &Principal) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .cond_where(customers(p))
        .to_owned()
}

/// Invoices and credit notes the principal sees (R-ACC-3…5): those billed to, or billing the
/// orders of, a customer it sees, and for a rep or zone manager also those of orders whose
/// order rep is one of theirs (an invoice bills the orders of one order rep only). Warehouse
/// and purchasing see none: invoices are not theirs.
pub fn invoices(p: &Principal) -> Condition {
    if !can(p, Permission::ReadInvoices) {
        return nothing();
    }
    let company = Condition::all().add(invoice::Column::CompanyId.eq(p.company_id));
    let of_customers = Condition::any()
        .add(invoice::Column::CustomerId.in_subquery(visible_customer_ids(p)))
        .add(invoice::Column::OrderCustomerId.in_subquery(visible_customer_ids(p)));
    match p.role {
        Some(Role::SalesRep) | Some(Role::SalesManager) => company
            .add(of_customers.add(invoice::Column::SalesRepId.is_in(p.visible_rep_ids.clone()))),
        _ => company.add(of_customers),
    }
}

/// Proformas the principal sees: like invoices, those of orders it sees or billed to a
/// customer it sees, for whoever reads invoices (R-ACC-3…5).
pub fn proformas(p: &Principal) -> Condition {
    if !can(p, Permission::ReadInvoices) {
        return nothing();
    }
    Condition::all()
        .add(proforma::Column::CompanyId.eq(p.company_id))
        .add(
            Condition::any()
                .add(proforma::Column::OrderId.in_subquery(visible_order_ids(p)))
                .add(proforma::Column::CustomerId.in_subquery(visible_customer_ids(p))),
        )
}

/// Payments the principal sees: those of customers it sees (R-ACC-3…5), for whoever reads
/// invoices.
pub fn payments(p: &Principal) -> Condition {
    if !can(p, Permission::ReadInvoices) {
        return nothing();
    }
    Condition::all()
        .add(payment::Column::CompanyId.eq(p.company_id))
        .add(payment::Column::CustomerId.in_subquery(visible_customer_ids(p)))
}

/// Agreements the principal sees (R-AGR-1): sales agreements of the customers it sees, for
/// whoever reads sales agreements (a rep only their own customers', not those of orders they
/// merely took; a buyer or bound token its customer's); purchase agreements for purchasing
/// readers that are not bound to a customer.
pub fn agreements(p: &Principal) -> Condition {
    let mut sides = Condition::any();
    if can(p, Permission::ReadSalesAgreements) {
        sides = sides.add(
            Condition::all()
                .add(agreement::Column::Kind.eq(AgreementKind::Sales))
                .add(agreement::Column::CustomerId.in_subquery(visible_customer_ids(p))),
        );
    }
    if can(p, Permission::ReadPurchaseAgreements) && p.customer_id.is_none() {
        sides = sides.add(agreement::Column::Kind.eq(AgreementKind::Purchase));
    }
    if sides.is_empty() {
        return nothing();
    }
    Condition::all()
        .add(agreement::Column::CompanyId.eq(p.company_id))
        .add(sides)
}

/// The permission that reads (or, with `write`, changes) agreements of `kind`.
pub fn agreement_permission(kind: AgreementKind, write: bool) -> Permission {
    match (kind, write) {
        (AgreementKind::Sales, false) => Permission::ReadSalesAgreements,
        (AgreementKind::Sales, true) => Permission::ManageSalesAgreements,
        (AgreementKind::Purchase, false) => Permission::ReadPurchaseAgreements,
        (AgreementKind::Purchase, true) => Permission::ManagePurchaseAgreements,
    }
}

/// FORBIDDEN unless the principal may read (or, with `write`, change) agreements of `kind`;
/// purchase agreements are never for a caller bound to a customer.
pub fn require_agreements(p: &Principal, kind: AgreementKind, write: bool) -> AppResult<()> {
    require(p, agreement_permission(kind, write))?;
    if kind == AgreementKind::Purchase && p.customer_id.is_some() {
        return Err(AppError::forbidden(
            "purchase agreements are not for a customer's callers".to_owned(),
        ));
    }
    Ok(())
}

/// FORBIDDEN unless the principal reads agreements of either kind (a lookup by id, before
/// the kind is known).
pub fn require_any_agreements(p: &Principal) -> AppResult<()> {
    require_agreements(p, AgreementKind::Sales, false)
        .or_else(|_| require_agreements(p, AgreementKind::Purchase, false))
}

/// Sales reps the principal sees: reps see themselves, managers their associated reps.
pub fn sales_reps(p: &Principal) -> Condition {
    let company = Condition::all().add(sales_rep::Column::CompanyId.eq(p.company_id));
    match p.role {
        Some(Role::SalesRep) | Some(Role::SalesManager) => {
            company.add(sales_rep::Column::Id.is_in(p.visible_rep_ids.clone()))
        }
        Some(Role::Admin)
        | Some(Role::Warehouse)
        | Some(Role::Purchasing)
        | Some(Role::Accounting) => company,
        _ => nothing(),
    }
}

/// Users: an admin sees the company's users, anyone else only themselves.
pub fn users(p: &Principal) -> Condition {
    let company = Condition::all().add(user::Column::CompanyId.eq(p.company_id));
    match (p.role, p.user_id()) {
        (Some(Role::Admin), _) => company,
        (_, Some(id)) => company.add(user::Column::Id.eq(id)),
        _ => nothing(),
    }
}

pub fn items(p: &Principal) -> Condition {
    Condition::all().add(item::Column::CompanyId.eq(p.company_id))
}

pub fn warehouses(p: &Principal) -> Condition {
    Condition::all().add(warehouse::Column::CompanyId.eq(p.company_id))
}

pub fn suppliers(p: &Principal) -> Condition {
    Condition::all().add(supplier::Column::CompanyId.eq(p.company_id))
}

pub fn stock_levels(p: &Principal) -> Condition {
    Condition::all().add(stock_level::Column::CompanyId.eq(p.company_id))
}

/// What decides every condition of this module except [`users`]: two principals with the
/// same class see exactly the same rows through the loaders, so subscriptions of one class
/// may share them (one batched statement per event and level instead of one per subscriber).
/// A condition that starts to depend on who the caller is (the actor) must go into this key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VisibilityClass {
    company_id: i64,
    role: Option<Role>,
    scopes: Vec<Scope>,
    rep_id: Option<i64>,
    visible_rep_ids: Vec<i64>,
    customer_id: Option<i64>,
}

pub fn class(p: &Principal) -> VisibilityClass {
    let mut scopes = p.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let mut reps = p.visible_rep_ids.clone();
    reps.sort_unstable();
    reps.dedup();
    VisibilityClass {
        company_id: p.company_id,
        role: p.role,
        scopes,
        rep_id: p.rep_id,
        visible_rep_ids: reps,
        customer_id: p.customer_id,
    }
}

/// Who may receive an event (R-ACC-8: subscriptions never deliver what lies outside the
/// caller's scope). Decided on the columns every outbox row carries, so that live delivery
/// and replay apply one rule without a query per event.
#[derive(Clone, Debug, PartialEq)]
pub enum Audience {
    Company(i64),
    /// A rep or zone manager: events whose customer's rep or order rep is one of `reps`.
    Reps {
        company_id: i64,
        reps: Vec<i64>,
    },
    Customer {
        company_id: i64,
        customer_id: i64,
    },
    Nobody,
}

/// What an event carries for [`Audience::admits`].
#[derive(Clone, Copy, Debug, Default)]
pub struct EventOwner {
    pub company_id: i64,
    pub customer_id: Option<i64>,
    pub customer_rep_id: Option<i64>,
    pub order_rep_id: Option<i64>,
}

impl Audience {
    pub fn admits(&self, e: &EventOwner) -> bool {
        match self {
            Audience::Company(c) => e.company_id == *c,
            Audience::Reps { company_id, reps } => {
                e.company_id == *company_id
                    && [e.customer_rep_id, e.order_rep_id]
                        .iter()
                        .flatten()
                        .any(|r| reps.contains(r))
            }
            Audience::Customer {
                company_id,
                customer_id,
            } => e.company_id == *company_id && e.customer_id == Some(*customer_id),
            Audience::Nobody => false,
        }
    }
}

/// What the details of an event name, for [`reads_event_details`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventDetails {
    /// Quantities, lines, dates: whoever hears the event reads them.
    Goods,
    /// Invoices, proformas, credit notes and their amounts.
    Invoices,
    /// Payments: amounts, the invoices they settle.
    Payments,
}

/// Whether `p`, already hearing an event (its [`Audience`] admitted it), may read what its
/// details name: invoice figures only for invoice readers, payments only for those who may
/// look the payment up — payments are seen by customer (R-ACC-3…5), so a rep who took an
/// order of another rep's customer hears its PAYMENT_RECORDED without the amounts.
pub fn reads_event_details(p: &Principal, details: EventDetails, owner: &EventOwner) -> bool {
    match details {
        EventDetails::Goods => true,
        EventDetails::Invoices => can(p, Permission::ReadInvoices),
        EventDetails::Payments => {
            can(p, Permission::ReadInvoices)
                && owner.company_id == p.company_id
                && match (p.customer_id, p.role) {
                    (Some(c), _) => owner.customer_id == Some(c),
                    (None, Some(Role::SalesRep) | Some(Role::SalesManager)) => owner
                        .customer_rep_id
                        .is_some_and(|r| p.visible_rep_ids.contains(&r)),
                    _ => true,
                }
        }
    }
}

/// Whether `p` reads payment figures at all (an order's schedule and advance): whoever reads
/// invoices; never the warehouse or purchasing (R-ACC-6).
pub fn reads_payments(p: &Principal) -> bool {
    can(p, Permission::ReadInvoices)
}

/// Events of orders (and their backorders): exactly the orders [`sales_orders`] lets the
/// principal see. API tokens also need `events:read` (R-ACC-7).
pub fn order_events(p: &Principal) -> AppResult<Audience> {
    require_events(p, Permission::ReadOrders)?;
    let company_id = p.company_id;
    if let Some(customer_id) = p.customer_id {
        return Ok(Audience::Customer {
            company_id,
            customer_id,
        });
    }
    Ok(match p.role {
        Some(Role::SalesRep) | Some(Role::SalesManager) => Audience::Reps {
            company_id,
            reps: p.visible_rep_ids.clone(),
        },
        Some(Role::Customer) => Audience::Nobody,
        _ => Audience::Company(company_id),
    })
}

/// Events of agreements of `kind` (R-AGR-1): sales agreements like their customer's orders
/// (a rep hears those of their customers, a buyer its own), purchase agreements for
/// purchasing readers not bound to a customer. API tokens also need `events:read`.
pub fn agreement_events(p: &Principal, kind: AgreementKind) -> AppResult<Audience> {
    require_agreements(p, kind, false)?;
    require_events(p, agreement_permission(kind, false))?;
    let company_id = p.company_id;
    if let Some(customer_id) = p.customer_id {
        // A purchase agreement was refused above.
        return Ok(Audience::Customer {
            company_id,
            customer_id,
        });
    }
    Ok(match (kind, p.role) {
        (AgreementKind::Sales, Some(Role::SalesRep) | Some(Role::SalesManager)) => Audience::Reps {
            company_id,
            reps: p.visible_rep_ids.clone(),
        },
        (_, Some(Role::Customer)) => Audience::Nobody,
        _ => Audience::Company(company_id),
    })
}

/// Availability changes: whoever reads stock levels.
pub fn stock_events(p: &Principal) -> AppResult<Audience> {
    require_events(p, Permission::ReadInventory)?;
    Ok(Audience::Company(p.company_id))
}

fn require_events(p: &Principal, permission: Permission) -> AppResult<()> {
    require(p, permission)?;
    if p.role.is_none() && !p.has_scope(Scope::EventsRead) {
        return Err(AppError::forbidden(
            "subscriptions need the events:read scope".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Actor;

    fn principal(role: Option<Role>, scopes: Vec<Scope>) -> Principal {
        Principal {
            actor: Actor::User(1),
            company_id: 1,
            role,
            scopes,
            rep_id: None,
            visible_rep_ids: vec![],
            customer_id: None,
        }
    }

    #[test]
    fn only_warehouse_and_admin_adjust_stock() {
        for role in [Role::Admin, Role::Warehouse] {
            assert!(can(
                &principal(Some(role), vec![]),
                Permission::WriteInventory
            ));
        }
        for role in [
            Role::SalesRep,
            Role::SalesManager,
            Role::Purchasing,
            Role::Customer,
        ] {
            assert!(!can(
                &principal(Some(role), vec![]),
                Permission::WriteInventory
            ));
        }
    }

    #[test]
    fn a_rep_hears_events_of_their_customers_and_their_orders_only() {
        let mut rep = principal(Some(Role::SalesRep), vec![]);
        rep.visible_rep_ids = vec![7];
        let audience = order_events(&rep).unwrap();
        let event = |customer_rep_id, order_rep_id| EventOwner {
            company_id: 1,
            customer_id: Some(3),
            customer_rep_id,
            order_rep_id,
        };
        assert!(audience.admits(&event(Some(7), Some(8))));
        assert!(audience.admits(&event(Some(8), Some(7))));
        assert!(!audience.admits(&event(Some(8), Some(8))));
        assert!(!audience.admits(&event(None, None)));
        assert!(!audience.admits(&EventOwner {
            company_id: 2,
            ..event(Some(7), Some(7))
        }));
    }

    #[test]
    fn principals_share_a_visibility_class_only_when_they_see_the_same_rows() {
        let admin = |user| Principal {
            actor: Actor::User(user),
            ..principal(Some(Role::Admin), vec![])
        };
        assert_eq!(class(&admin(1)), class(&admin(2)), "admins see the company");
        let rep = |reps: Vec<i64>| Principal {
            visible_rep_ids: reps,
            ..principal(Some(Role::SalesRep), vec![])
        };
        assert_ne!(class(&rep(vec![7])), class(&rep(vec![8])));
        assert_eq!(class(&rep(vec![7, 8])), class(&rep(vec![8, 7])));
        let buyer = |customer| Principal {
            customer_id: Some(customer),
            ..principal(Some(Role::Customer), vec![])
        };
        assert_ne!(class(&buyer(3)), class(&buyer(4)));
        assert_ne!(
            class(&admin(1)),
            class(&Principal {
                company_id: 2,
                ..admin(1)
            })
        );
        let token = |scopes| principal(None, scopes);
        assert_ne!(
            class(&token(vec![Scope::OrdersRead])),
            class(&token(vec![Scope::OrdersRead, Scope::InventoryRead]))
        );
    }

    #[test]
    fn tokens_need_events_read_to_subscribe() {
        let orders = principal(None, vec![Scope::OrdersRead]);
        assert!(order_events(&orders).is_err());
        let events = principal(None, vec![Scope::OrdersRead, Scope::EventsRead]);
        assert_eq!(order_events(&events).unwrap(), Audience::Company(1));
        assert!(stock_events(&events).is_err(), "no inventory:read");
    }

    #[test]
    fn tokens_get_exactly_what_their_scopes_grant() {
        let catalog = principal(None, vec![Scope::CatalogRead]);
        assert!(can(&catalog, Permission::ReadCatalog));
        assert!(!can(&catalog, Permission::ReadInventory));
        assert!(!can(&catalog, Permission::ReadCustomers));
        assert!(!can(&catalog, Permission::ManageMasterData));
    }
}
