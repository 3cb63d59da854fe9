//! The authenticated caller (R-ACC-3…8).
use entity::Role;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    User(i64),
    ApiToken(i64),
    /// The intercompany link of this id acting in one of its companies: mirrored agreements
    /// and the documents of a chain (R-IC-1, R-IC-3). Never the caller of a request.
    Intercompany(i64),
    /// An operator at the command line (`mercato render`), with an admin's view of one
    /// company. Never the caller of a request.
    Operator,
}

/// Partner token scopes (R-ACC-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    CatalogRead,
    OrdersRead,
    OrdersWrite,
    InventoryRead,
    AgreementsRead,
    AgreementsWrite,
    InvoicesRead,
    EventsRead,
    /// Record and reverse payments (R-PAY-2).
    PaymentsWrite,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::CatalogRead,
        Scope::OrdersRead,
        Scope::OrdersWrite,
        Scope::InventoryRead,
        Scope::AgreementsRead,
        Scope::AgreementsWrite,
        Scope::InvoicesRead,
        Scope::EventsRead,
        Scope::PaymentsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog:read",
            Scope::OrdersRead => "orders:read",
            Scope::OrdersWrite => "orders:write",
            Scope::InventoryRead => "inventory:read",
            Scope::AgreementsRead => "agreements:read",
            Scope::AgreementsWrite => "agreements:write",
            Scope::InvoicesRead => "invoices:read",
            Scope::EventsRead => "events:read",
            Scope::PaymentsWrite => "payments:write",
        }
    }

    /// Parses the stored comma-separated list; unknown names are ignored (never widen access).
    pub fn parse_list(stored: &str) -> Vec<Scope> {
        stored.split(',').filter_map(|s| s.parse().ok()).collect()
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl FromStr for Scope {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s).ok_or(())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Principal {
    pub actor: Actor,
    pub company_id: i64,
    /// Users have a role; API tokens have scopes instead.
    pub role: Option<Role>,
    pub scopes: Vec<Scope>,
    /// The sales rep a SALES_REP / SALES_MANAGER user is linked to.
    pub rep_id: Option<i64>,
    /// Reps whose customers this principal sees: its own rep plus, for a zone manager, the
    /// associated reps (R-ACC-4). Loaded once when the principal is resolved.
    pub visible_rep_ids: Vec<i64>,
    /// CUSTOMER users and customer-bound tokens see only this customer (R-ACC-5, R-ACC-7).
    pub customer_id: Option<i64>,
}

impl Principal {
    pub fn user_id(&self) -> Option<i64> {
        match self.actor {
            Actor::User(id) => Some(id),
            Actor::ApiToken(_) | Actor::Intercompany(_) | Actor::Operator => None,
        }
    }

    pub fn api_token_id(&self) -> Option<i64> {
        match self.actor {
            Actor::ApiToken(id) => Some(id),
            Actor::User(_) | Actor::Intercompany(_) | Actor::Operator => None,
        }
    }

    /// Stable text identity, `user:<id>` or `token:<id>`: who did it (audit columns) and
    /// whose Idempotency-Key it is.
    pub fn key(&self) -> String {
        match self.actor {
            Actor::User(id) => format!("user:{id}"),
            Actor::ApiToken(id) => format!("token:{id}"),
            Actor::Intercompany(id) => format!("intercompany:{id}"),
            Actor::Operator => "operator".into(),
        }
    }

    /// The intercompany link `link_id` acting inside `company_id`, with an admin's view of
    /// that company alone: what a change made on one side of the link does on the other.
    pub fn intercompany(link_id: i64, company_id: i64) -> Principal {
        Principal {
            actor: Actor::Intercompany(link_id),
            company_id,
            role: Some(Role::Admin),
            scopes: vec![],
            rep_id: None,
            visible_rep_ids: vec![],
            customer_id: None,
        }
    }

    /// The command line's operator in `company_id`.
    pub fn operator(company_id: i64) -> Principal {
        Principal {
            actor: Actor::Operator,
            ..Principal::intercompany(0, company_id)
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Some(Role::Admin)
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}
