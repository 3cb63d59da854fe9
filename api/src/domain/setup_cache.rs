//! Setup data served from memory: a company, its settings, payment terms (with their
//! restrictions), payment methods, bank accounts, carriers (with their freight rates) and the
//! unique-per-customer items and the warehouses' priorities. Every order save needs them and they change a few times a year,
//! so reading them from the database on each save (a dozen statements) was the largest part of
//! an order's cost.
//!
//! Freshness is the database's job: triggers raise `setup_version.version` on any change to
//! those tables (migration 8), and [`of`] compares that one number — one small read — before
//! it trusts its copy. A change made on another API instance, or with plain SQL, is therefore
//! seen by the next request everywhere; there is nothing to broadcast and nothing to expire.
//! The copy is keyed by `setup_version.db_id` too, so a process that serves several databases
//! (the test suite) never hands one database's setup to another.
use crate::error::{AppError, AppResult};
use entity::{
    bank_account, carrier, company, company_settings, freight_rate, payment_method,
    payment_term_restriction, payment_terms,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect,
    Statement,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// One company's setup as of one version.
#[derive(Debug)]
pub struct Setup {
    pub company: company::Model,
    pub settings: company_settings::Model,
    pub terms: HashMap<i64, payment_terms::Model>,
    pub restrictions: HashMap<i64, Vec<payment_term_restriction::Model>>,
    pub methods: HashMap<i64, payment_method::Model>,
    pub bank_accounts: HashMap<i64, bank_account::Model>,
    pub carriers: HashMap<i64, carrier::Model>,
    pub freight_rates: HashMap<i64, Vec<freight_rate::Model>>,
    pub unique_items: HashSet<i64>,
    /// Each warehouse's priority (lower first), for planning where stock comes from.
    pub warehouse_priorities: HashMap<i64, i32>,
}

/// Companies' setups kept at most (across databases): beyond it the copy starts over.
const MAX_ENTRIES: usize = 256;

/// (database, company) → (version, setup).
type Entries = HashMap<(String, i64), (i64, Arc<Setup>)>;

fn cache() -> &'static Mutex<Entries> {
    static CACHE: OnceLock<Mutex<Entries>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The company's current setup: one statement when the copy in memory is current, eleven
/// when it has to be read again.
pub async fn of<C: ConnectionTrait>(db: &C, company_id: i64) -> AppResult<Arc<Setup>> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT db_id AS setup_db_id, version AS setup_version FROM setup_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("setup_version has no row")))?;
    at(db, company_id, &row).await
}

/// Adds the setup version to a statement the caller runs anyway (two sub-select columns), so
/// that a hot path learns it without a round trip of its own; pass the row to [`at`].
pub fn with_version<Q: QuerySelect>(q: Q) -> Q {
    q.expr_as(
        Expr::cust("(SELECT db_id FROM setup_version WHERE id = 1)"),
        "setup_db_id",
    )
    .expr_as(
        Expr::cust("(SELECT version FROM setup_version WHERE id = 1)"),
        "setup_version",
    )
}

/// The company's setup as of the version a row read with [`with_version`] carries: no
/// statement when the copy in memory is that version.
pub async fn at<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    row: &QueryResult,
) -> AppResult<Arc<Setup>> {
    let missing = || AppError::internal(anyhow::anyhow!("setup_version has no row"));
    let db_id: String = row
        .try_get::<Option<String>>("", "setup_db_id")?
        .ok_or_else(missing)?;
    let version: i64 = row
        .try_get::<Option<i64>>("", "setup_version")?
        .ok_or_else(missing)?;
    let key = (db_id, company_id);
    if let Some((v, setup)) = cache().lock().expect("setup cache").get(&key)
        && *v == version
    {
        return Ok(setup.clone());
    }
    let setup = Arc::new(load(db, company_id).await?);
    let mut entries = cache().lock().expect("setup cache");
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
    entries.insert(key, (version, setup.clone()));
    Ok(setup)
}

async fn load<C: ConnectionTrait>(db: &C, company_id: i64) -> AppResult<Setup> {
    let company = company::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("company"))?;
    let settings = crate::domain::sales_setup::settings(db, company_id).await?;
    use entity::{
        bank_account as ba, carrier as ca, freight_rate as fr, payment_method as pm,
        payment_term_restriction as ptr, payment_terms as pt, unique_sale_item as usi,
        warehouse as wh,
    };
    let terms = by_id(
        of_company::<pt::Entity, _>(db, pt::Column::CompanyId, pt::Column::Id, company_id).await?,
        |t| t.id,
    );
    let restrictions = grouped(
        of_company::<ptr::Entity, _>(db, ptr::Column::CompanyId, ptr::Column::Id, company_id)
            .await?,
        |r| r.payment_terms_id,
    );
    let methods = by_id(
        of_company::<pm::Entity, _>(db, pm::Column::CompanyId, pm::Column::Id, company_id).await?,
        |m| m.id,
    );
    let bank_accounts = by_id(
        of_company::<ba::Entity, _>(db, ba::Column::CompanyId, ba::Column::Id, company_id).await?,
        |b| b.id,
    );
    let carriers = by_id(
        of_company::<ca::Entity, _>(db, ca::Column::CompanyId, ca::Column::Id, company_id).await?,
        |c| c.id,
    );
    let freight_rates = grouped(
        of_company::<fr::Entity, _>(db, fr::Column::CompanyId, fr::Column::Id, company_id).await?,
        |r| r.carrier_id,
    );
    let unique_items =
        of_company::<usi::Entity, _>(db, usi::Column::CompanyId, usi::Column::ItemId, company_id)
            .await?
            .into_iter()
            .map(|u| u.item_id)
            .collect();
    let warehouse_priorities =
        of_company::<wh::Entity, _>(db, wh::Column::CompanyId, wh::Column::Id, company_id)
            .await?
            .into_iter()
            .map(|w| (w.id, w.priority))
            .collect();
    Ok(Setup {
        company,
        settings,
        terms,
        restrictions,
        methods,
        bank_accounts,
        carriers,
        freight_rates,
        unique_items,
        warehouse_priorities,
    })
}

/// A company's rows of `E`, in `order`.
async fn of_company<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    company: E::Column,
    order: E::Column,
    company_id: i64,
) -> AppResult<Vec<E::Model>> {
    Ok(E::find()
        .filter(company.eq(company_id))
        .order_by_asc(order)
        .all(db)
        .await?)
}

fn by_id<M>(rows: Vec<M>, id: impl Fn(&M) -> i64) -> HashMap<i64, M> {
    rows.into_iter().map(|r| (id(&r), r)).collect()
}

/// Rows grouped by a parent id, in their order.
fn grouped<M>(rows: Vec<M>, parent: impl Fn(&M) -> i64) -> HashMap<i64, Vec<M>> {
    let mut out: HashMap<i64, Vec<M>> = HashMap::new();
    for r in rows {
        out.entry(parent(&r)).or_default().push(r);
    }
    out
}

impl Setup {
    /// The id of the record with this code (codes are unique per company ignoring case).
    fn by_code<M>(
        rows: &HashMap<i64, M>,
        code: &Option<String>,
        code_of: impl Fn(&M) -> &str,
    ) -> Option<i64> {
        let code = code.as_deref()?;
        rows.iter()
            .find(|(_, m)| code_of(m).eq_ignore_ascii_case(code))
            .map(|(id, _)| *id)
    }

    pub fn terms_by_code(&self, code: &Option<String>) -> Option<i64> {
        Self::by_code(&self.terms, code, |t| &t.code)
    }

    pub fn method_by_code(&self, code: &Option<String>) -> Option<i64> {
        Self::by_code(&self.methods, code, |m| &m.code)
    }

    pub fn bank_account_by_code(&self, code: &Option<String>) -> Option<i64> {
        Self::by_code(&self.bank_accounts, code, |b| &b.code)
    }

    pub fn carrier_by_code(&self, code: &Option<String>) -> Option<i64> {
        Self::by_code(&self.carriers, code, |c| &c.code)
    }
}
