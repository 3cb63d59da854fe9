//! Statements built once and then only re-bound.
//!
//! Building a statement with sea-query (an expression tree, then its SQL text) costs server CPU
//! on every call, and for the large statements of the order path it costs more than
//! PostgreSQL spends running them: the credit check's `UNION ALL` alone was 6 % of the
//! server's CPU under the `place-order` benchmark, built twice per order (issue 15). A
//! [`Template`] builds its statement the first time with stand-in ids, remembers the SQL
//! text and where each stand-in sits among the bound values, and afterwards only puts the
//! caller's ids in those places.
//!
//! The contract: for one backend and one `shape`, the builder must give the same SQL whatever
//! the ids, and use each id only as a bound value (not in arithmetic or in the text). Debug
//! builds check that contract on every call by building the statement afresh and comparing
//! text and values, so the test suite fails on a template that breaks it.
use sea_orm::sea_query::{Value, Values};
use sea_orm::{DbBackend, Statement, StatementBuilder};
use std::sync::{Arc, Mutex, PoisonError};

/// Ids no real row has, one per argument: the first build uses them to find the slots.
const STAND_IN: i64 = i64::MIN + 0x5eed_0000;

/// A statement with `N` id arguments, cached per backend and shape.
pub struct Template<const N: usize> {
    /// A handful of entries (backends × shapes): a list searched in order is enough.
    built: Mutex<Vec<(Key, Arc<Built>)>>,
}

/// (backend, shape).
type Key = (DbBackend, u32);

struct Built {
    sql: String,
    values: Vec<Value>,
    /// (index among the values, index of the argument that goes there).
    slots: Vec<(usize, usize)>,
}

impl<const N: usize> Default for Template<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Template<N> {
    pub fn new() -> Self {
        Self {
            built: Mutex::new(Vec::new()),
        }
    }

    /// The statement for `args`. `shape` tells apart the forms the builder gives for one
    /// backend (0 when it has one form); `build` gets the ids and must honour the contract in
    /// the module's comment.
    pub fn statement<Q: StatementBuilder>(
        &self,
        backend: DbBackend,
        shape: u32,
        args: [i64; N],
        build: impl Fn([i64; N]) -> Q,
    ) -> Statement {
        let key = (backend, shape);
        let cached = self
            .built
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, b)| b.clone());
        let built = match cached {
            Some(b) => b,
            None => {
                let b = Arc::new(Self::first_build(backend, &build));
                self.built
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((key, b.clone()));
                b
            }
        };
        let mut values = built.values.clone();
        for &(at, arg) in &built.slots {
            values[at] = Value::BigInt(Some(args[arg]));
        }
        let statement = Statement::from_sql_and_values(backend, built.sql.clone(), values);
        if cfg!(debug_assertions) {
            let fresh = backend.build(&build(args));
            assert_eq!(
                (&fresh.sql, &fresh.values),
                (&statement.sql, &statement.values),
                "a statement template gave another statement than its builder"
            );
        }
        statement
    }

    fn first_build<Q: StatementBuilder>(
        backend: DbBackend,
        build: &impl Fn([i64; N]) -> Q,
    ) -> Built {
        let stand_ins: [i64; N] = std::array::from_fn(|i| STAND_IN + i as i64);
        let Statement { sql, values, .. } = backend.build(&build(stand_ins));
        let values = values.map(|Values(v)| v).unwrap_or_default();
        let slots = values
            .iter()
            .enumerate()
            .filter_map(|(at, v)| match v {
                Value::BigInt(Some(id)) => stand_ins.iter().position(|s| s == id).map(|a| (at, a)),
                _ => None,
            })
            .collect();
        Built { sql, values, slots }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};

    fn build([customer, order]: [i64; 2]) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .expr(Expr::val("x"))
            .from("orders")
            .and_where(Expr::col("customer_id").eq(customer))
            .and_where(Expr::col("id").ne(order))
            .and_where(Expr::col("seller_id").eq(customer))
            .to_owned()
    }

    #[test]
    fn a_template_binds_each_call_s_ids_where_the_builder_put_them() {
        let t = Template::<2>::new();
        for (customer, order) in [(7, 9), (11, 7), (7, 7)] {
            let got = t.statement(DbBackend::Postgres, 0, [customer, order], build);
            let want = DbBackend::Postgres.build(&build([customer, order]));
            assert_eq!(got.sql, want.sql);
            assert_eq!(got.values, want.values);
        }
        let sqlite = t.statement(DbBackend::Sqlite, 0, [1, 2], build);
        assert!(sqlite.sql.contains('?'), "{}", sqlite.sql);
    }

    #[test]
    #[should_panic(expected = "another statement")]
    fn a_builder_that_computes_with_an_id_is_caught_in_debug_builds() {
        let t = Template::<1>::new();
        let bad = |[id]: [i64; 1]| {
            Query::select()
                .expr(Expr::val(1))
                .from("t")
                .and_where(Expr::col("id").eq(id.wrapping_add(1)))
                .to_owned()
        };
        t.statement(DbBackend::Postgres, 0, [5], bad);
    }
}
