//! What one GraphQL document may ask for, checked before anything executes:
//!
//! - **aliases**: a query with hundreds of aliases multiplies work without raising depth;
//! - **directives**: thousands of repeated `@include`s would answer with one error each;
//! - **depth**: nesting of real fields; the introspection meta-fields (`__schema`, `__type`)
//!   are bounded apart (20 levels, 3 nested lists), so graphql-js's standard introspection
//!   query passes and an exploding one (`types { fields { type { fields … } } }`) does not;
//! - **document size**: at most `MERCATO_GRAPHQL_MAX_QUERY_BYTES` of query text, before it is
//!   parsed;
//! - **fields**: field selections, each copy counted (12,000 × `company { code }` without
//!   aliases ran 12,001 statements), in the document as written before validation and with
//!   fragments expanded after it;
//! - **cost**: every field costs 1, and whatever a list returns is counted once per element it
//!   may return — the `first`/`last` argument of a connection (the default page size when
//!   absent), a document's `lines` by the line limit ([`MAX_DOCUMENT_LINES`]), a nominal
//!   [`LIST_FACTOR`] for other plain lists (an item's stock levels). 49 aliases × 200 orders ×
//!   lines × stock levels is refused before it runs;
//! - **response size** ([`ResponseCap`]): while an answer is built, every resolved field adds
//!   its estimated JSON size; past the cap the remaining fields fail at once without running
//!   and the transport answers one error. A 41 MB WebSocket answer is never built.
//!
//! - **input size**: no string over [`MAX_STRING_CHARS`], no list over [`MAX_LIST_ITEMS`], in
//!   variables or literals, so an oversized input is VALIDATION before any SQL is built.
//!
//! With introspection off, validation messages lose their "Did you mean …" suggestions, which
//! would otherwise name the schema's fields.
use crate::domain::page::DEFAULT_PAGE;
use crate::domain::validate::MAX_DOCUMENT_LINES;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::registry::{MetaType, Registry};
use async_graphql::{Name, ServerError, ServerResult, ValidationResult, Variables};
use async_graphql_value::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Elements a plain (unpaged) list is assumed to return.
pub const LIST_FACTOR: u64 = 10;
/// Longest string one input value may hold (notes are the longest real field).
pub const MAX_STRING_CHARS: usize = 10_000;
/// Most items one input list may hold (document lines are the longest real list).
pub const MAX_LIST_ITEMS: usize = 1_000;

/// The first input value over [`MAX_STRING_CHARS`] or [`MAX_LIST_ITEMS`], described.
fn oversized_variable(v: &async_graphql::Value) -> Option<String> {
    use async_graphql::Value as V;
    match v {
        V::String(s) if s.len() > MAX_STRING_CHARS && s.chars().count() > MAX_STRING_CHARS => {
            Some(format!("a string of {} characters", s.chars().count()))
        }
        V::List(items) if items.len() > MAX_LIST_ITEMS => {
            Some(format!("a list of {} items", items.len()))
        }
        V::List(items) => items.iter().find_map(oversized_variable),
        V::Object(fields) => fields.values().find_map(oversized_variable),
        _ => None,
    }
}

fn oversized_literal(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.len() > MAX_STRING_CHARS && s.chars().count() > MAX_STRING_CHARS => {
            Some(format!("a string of {} characters", s.chars().count()))
        }
        Value::List(items) if items.len() > MAX_LIST_ITEMS => {
            Some(format!("a list of {} items", items.len()))
        }
        Value::List(items) => items.iter().find_map(oversized_literal),
        Value::Object(fields) => fields.values().find_map(oversized_literal),
        _ => None,
    }
}

fn oversized_argument(set: &SelectionSet) -> Option<String> {
    set.items.iter().find_map(|s| match &s.node {
        Selection::Field(f) => f
            .node
            .arguments
            .iter()
            .find_map(|(_, v)| oversized_literal(&v.node))
            .or_else(|| oversized_argument(&f.node.selection_set.node)),
        Selection::InlineFragment(f) => oversized_argument(&f.node.selection_set.node),
        Selection::FragmentSpread(_) => None,
    })
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_cost: u64,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_fields: usize,
    pub max_query_bytes: usize,
    pub introspection: bool,
}

pub struct QueryLimits(pub Limits);

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimitsExtension {
            limits: self.0,
            parsed: Mutex::new(None),
        })
    }
}

struct QueryLimitsExtension {
    limits: Limits,
    /// The document and variables, kept from parsing for the checks after validation.
    parsed: Mutex<Option<(ExecutableDocument, Variables)>>,
}

fn refusal(message: String) -> ServerError {
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "VALIDATION");
    err.extensions = Some(ext);
    err
}

fn selection_sets(doc: &ExecutableDocument) -> impl Iterator<Item = &SelectionSet> {
    doc.operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node))
}

fn aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + aliases(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => aliases(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Field selections written in `set` (fragments not followed: this runs before validation,
/// when a fragment may still spread itself).
fn written_fields(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => 1 + written_fields(&f.node.selection_set.node),
            Selection::InlineFragment(f) => written_fields(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn directives(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => f.node.directives.len() + directives(&f.node.selection_set.node),
            Selection::InlineFragment(f) => {
                f.node.directives.len() + directives(&f.node.selection_set.node)
            }
            Selection::FragmentSpread(f) => f.node.directives.len(),
        })
        .sum()
}

/// Walks a validated document (fragments acyclic) with the schema's types at hand.
struct Walk<'a> {
    registry: &'a Registry,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
}

/// True for `[T]`, `[T]!`, `[T!]!`.
fn is_list(ty: &str) -> bool {
    ty.trim_end_matches('!').starts_with('[')
}

impl Walk<'_> {
    /// Field selections that execute: each copy counted, fragments expanded (a validated
    /// document's fragments spread no cycle). Each fragment is counted once and remembered,
    /// so a chain of fragments that doubles at every level costs this walk nothing.
    fn fields(&self, set: &SelectionSet, memo: &mut HashMap<Name, u64>) -> u64 {
        set.items.iter().fold(0u64, |total, s| {
            let n = match &s.node {
                Selection::Field(f) => {
                    1u64.saturating_add(self.fields(&f.node.selection_set.node, memo))
                }
                Selection::InlineFragment(f) => self.fields(&f.node.selection_set.node, memo),
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    match memo.get(name) {
                        Some(n) => *n,
                        None => {
                            let n = self
                                .fragments
                                .get(name)
                                .map_or(0, |f| self.fields(&f.node.selection_set.node, memo));
                            memo.insert(name.clone(), n);
                            n
                        }
                    }
                }
            };
            total.saturating_add(n)
        })
    }

    /// Elements the field may return: its `first`/`last` (default page size when it takes one
    /// but none is given), [`LIST_FACTOR`] for other lists; `paged` says the parent field was
    /// already counted per element (a connection's `nodes` and `edges`).
    fn factor(
        &self,
        name: &str,
        args: &[(Positioned<Name>, Positioned<Value>)],
        takes_first: bool,
        list: bool,
        paged: bool,
    ) -> (u64, bool) {
        let given = args
            .iter()
            .filter(|(n, _)| n.node == "first" || n.node == "last")
            .filter_map(|(_, v)| match &v.node {
                Value::Number(n) => n.as_u64(),
                Value::Variable(name) => match self.variables.get(name) {
                    Some(async_graphql::Value::Number(n)) => n.as_u64(),
                    _ => None,
                },
                _ => None,
            })
            .max();
        match (given, takes_first) {
            (Some(n), _) => (n.max(1), true),
            (None, true) => (DEFAULT_PAGE, true),
            // A document holds up to the line limit: an order of 1,000 lines is real.
            (None, false) if list && name == "lines" => (MAX_DOCUMENT_LINES as u64, false),
            (None, false) if list && !paged => (LIST_FACTOR, false),
            _ => (1, false),
        }
    }

    fn cost(&self, set: &SelectionSet, ty: Option<&MetaType>, paged: bool) -> u64 {
        set.items.iter().fold(0u64, |total, item| {
            let add = match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let name = f.name.node.as_str();
                    if name.starts_with("__") {
                        // Introspection and __typename: answered from the schema, no data.
                        1
                    } else {
                        let meta = ty.and_then(|t| t.field_by_name(name));
                        let child = meta.and_then(|m| self.registry.concrete_type_by_name(&m.ty));
                        let (factor, child_paged) = self.factor(
                            name,
                            &f.arguments,
                            meta.is_some_and(|m| m.args.contains_key("first")),
                            meta.is_some_and(|m| is_list(&m.ty)),
                            paged,
                        );
                        let below = self.cost(&f.selection_set.node, child, child_paged);
                        1u64.saturating_add(factor.saturating_mul(below))
                    }
                }
                Selection::InlineFragment(f) => {
                    let on =
                        f.node.type_condition.as_ref().and_then(|c| {
                            self.registry.concrete_type_by_name(c.node.on.node.as_str())
                        });
                    self.cost(&f.node.selection_set.node, on.or(ty), paged)
                }
                Selection::FragmentSpread(s) => {
                    match self.fragments.get(&s.node.fragment_name.node) {
                        Some(frag) => {
                            let on = self.registry.concrete_type_by_name(
                                frag.node.type_condition.node.on.node.as_str(),
                            );
                            self.cost(&frag.node.selection_set.node, on.or(ty), paged)
                        }
                        None => 0,
                    }
                }
            };
            total.saturating_add(add)
        })
    }

    /// Nesting of real fields; introspection subtrees count as one level.
    fn depth(&self, set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    if f.node.name.node.starts_with("__") {
                        1
                    } else {
                        1 + self.depth(&f.node.selection_set.node)
                    }
                }
                Selection::InlineFragment(f) => self.depth(&f.node.selection_set.node),
                Selection::FragmentSpread(s) => self
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .map_or(0, |f| self.depth(&f.node.selection_set.node)),
            })
            .max()
            .unwrap_or(0)
    }
}

/// Introspection fields that return lists: nesting them multiplies the answer (`types { fields
/// { type { fields … } } }` grows with every level), so they are bounded on their own.
const INTROSPECTION_LISTS: [&str; 8] = [
    "types",
    "fields",
    "args",
    "inputFields",
    "enumValues",
    "possibleTypes",
    "interfaces",
    "directives",
];
/// The standard introspection query nests `types › fields › args` (3 lists) and 14 levels
/// (`… type { ofType { … } }`); these bounds let it through and nothing much larger.
pub const MAX_INTROSPECTION_LISTS: usize = 3;
pub const MAX_INTROSPECTION_DEPTH: usize = 20;

impl Walk<'_> {
    /// (levels, nested lists) of an introspection subtree.
    fn introspection_shape(&self, set: &SelectionSet) -> (usize, usize) {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    let list =
                        usize::from(INTROSPECTION_LISTS.contains(&f.node.name.node.as_str()));
                    let (d, l) = self.introspection_shape(&f.node.selection_set.node);
                    (d + 1, l + list)
                }
                Selection::InlineFragment(f) => {
                    self.introspection_shape(&f.node.selection_set.node)
                }
                Selection::FragmentSpread(s) => self
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .map_or((0, 0), |f| {
                        self.introspection_shape(&f.node.selection_set.node)
                    }),
            })
            .fold((0, 0), |(d, l), (d2, l2)| (d.max(d2), l.max(l2)))
    }

    /// The largest introspection subtree (`__schema`, `__type`) anywhere in `set`.
    fn introspection(&self, set: &SelectionSet) -> (usize, usize) {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f)
                    if matches!(f.node.name.node.as_str(), "__schema" | "__type") =>
                {
                    let (d, l) = self.introspection_shape(&f.node.selection_set.node);
                    (d + 1, l)
                }
                Selection::Field(f) => self.introspection(&f.node.selection_set.node),
                Selection::InlineFragment(f) => self.introspection(&f.node.selection_set.node),
                Selection::FragmentSpread(s) => self
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .map_or((0, 0), |f| self.introspection(&f.node.selection_set.node)),
            })
            .fold((0, 0), |(d, l), (d2, l2)| (d.max(d2), l.max(l2)))
    }
}

/// Removes the schema-revealing suggestions from a validation message.
fn without_suggestions(message: &str) -> String {
    match message.find(" Did you mean") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[async_trait::async_trait]
impl Extension for QueryLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Parsing is where a long document costs memory (8 clients sending 200 KB of repeated
        // fields held 180 MB while they were parsed), so its length is checked first.
        if query.len() > self.limits.max_query_bytes {
            return Err(refusal(format!(
                "the query document has {} bytes; the limit is {}",
                query.len(),
                self.limits.max_query_bytes
            )));
        }
        let doc = next.run(ctx, query, variables).await?;
        let oversized = variables
            .values()
            .find_map(oversized_variable)
            .or_else(|| selection_sets(&doc).find_map(oversized_argument));
        if let Some(what) = oversized {
            return Err(refusal(format!(
                "the request holds {what}; inputs are bounded to {MAX_STRING_CHARS} characters \
                 per string and {MAX_LIST_ITEMS} items per list"
            )));
        }
        let aliases: usize = selection_sets(&doc).map(aliases).sum();
        if aliases > self.limits.max_aliases {
            return Err(refusal(format!(
                "query uses {aliases} aliases; the limit is {}",
                self.limits.max_aliases
            )));
        }
        let written: usize = selection_sets(&doc).map(written_fields).sum();
        if written > self.limits.max_fields {
            return Err(refusal(format!(
                "query selects {written} fields; the limit is {} (repeated fields count each time)",
                self.limits.max_fields
            )));
        }
        let directives: usize = selection_sets(&doc).map(directives).sum::<usize>()
            + doc
                .operations
                .iter()
                .map(|(_, op)| op.node.directives.len())
                .sum::<usize>();
        if directives > self.limits.max_directives {
            return Err(refusal(format!(
                "query uses {directives} directives; the limit is {}",
                self.limits.max_directives
            )));
        }
        *self.parsed.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((doc.clone(), variables.clone()));
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let mut result = match next.run(ctx).await {
            Ok(r) => r,
            Err(mut errors) => {
                if !self.limits.introspection {
                    for e in &mut errors {
                        e.message = without_suggestions(&e.message);
                    }
                }
                return Err(errors);
            }
        };
        let Some((doc, variables)) = self.parsed.lock().unwrap_or_else(|p| p.into_inner()).take()
        else {
            return Ok(result);
        };
        let registry = &ctx.schema_env.registry;
        let walk = Walk {
            registry,
            fragments: &doc.fragments,
            variables: &variables,
        };
        let mut depth = 0;
        let mut cost = 0u64;
        let mut memo = HashMap::new();
        for (_, op) in doc.operations.iter() {
            let fields = walk.fields(&op.node.selection_set.node, &mut memo);
            if fields > self.limits.max_fields as u64 {
                return Err(vec![refusal(format!(
                    "query selects {fields} fields once its fragments are spread; the limit is {}",
                    self.limits.max_fields
                ))]);
            }
            let root = match op.node.ty {
                OperationType::Query => Some(registry.query_type.as_str()),
                OperationType::Mutation => registry.mutation_type.as_deref(),
                OperationType::Subscription => registry.subscription_type.as_deref(),
            }
            .and_then(|name| registry.concrete_type_by_name(name));
            depth = depth.max(walk.depth(&op.node.selection_set.node));
            let (levels, lists) = walk.introspection(&op.node.selection_set.node);
            if levels > MAX_INTROSPECTION_DEPTH || lists > MAX_INTROSPECTION_LISTS {
                return Err(vec![refusal(format!(
                    "introspection nested {levels} levels and {lists} lists deep; the limits are \
                     {MAX_INTROSPECTION_DEPTH} and {MAX_INTROSPECTION_LISTS}"
                ))]);
            }
            cost = cost.max(walk.cost(&op.node.selection_set.node, root, false));
        }
        if depth > self.limits.max_depth {
            return Err(vec![refusal(format!(
                "query is nested too deep: {depth} levels; the limit is {}",
                self.limits.max_depth
            ))]);
        }
        if cost > self.limits.max_cost {
            return Err(vec![refusal(format!(
                "query may cost {cost} (lists counted by their page size); the limit is {}",
                self.limits.max_cost
            ))]);
        }
        result.depth = depth;
        result.complexity = usize::try_from(cost).unwrap_or(usize::MAX);
        Ok(result)
    }
}

/// What a field is told once the answer has passed the response cap; the transports answer
/// one error with it instead of the partial answer (`is_over_cap`).
pub const OVER_CAP: &str = "the response would be larger than the size cap";

/// Stops building an answer once its estimated JSON size passes `cap` bytes (queries and
/// mutations over HTTP and WebSocket, and each subscription event on its own).
pub struct ResponseCap(pub usize);

impl ExtensionFactory for ResponseCap {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResponseCapExtension {
            cap: self.0,
            used: Arc::new(AtomicUsize::new(0)),
        })
    }
}

struct ResponseCapExtension {
    cap: usize,
    /// Bytes of the answer (or the event) being built.
    used: Arc<AtomicUsize>,
}

/// Whether a response was cut off by [`ResponseCap`].
pub fn is_over_cap(errors: &[ServerError]) -> bool {
    errors.iter().any(|e| e.message.starts_with(OVER_CAP))
}

/// The one error an over-cap answer is replaced with.
pub fn over_cap_error(cap: usize) -> ServerError {
    refusal(format!(
        "{OVER_CAP} ({cap} bytes); ask for fewer rows or fields"
    ))
}

/// The JSON a resolved field adds: its key, and its value when that is a leaf (an object's or
/// a list's elements are fields of their own, counted as they resolve).
fn json_size(key: &str, v: &async_graphql::Value) -> usize {
    use async_graphql::Value as V;
    fn leaf(v: &V) -> usize {
        match v {
            V::Null => 4,
            V::Boolean(_) => 5,
            V::Number(_) => 12,
            V::String(s) => s.len() + 2,
            V::Enum(e) => e.len() + 2,
            V::Binary(b) => b.len() * 2,
            V::List(items) => 2 + items.iter().map(|i| leaf(i) + 1).sum::<usize>(),
            V::Object(_) => 2,
        }
    }
    key.len() + 4 + leaf(v)
}

#[async_trait::async_trait]
impl Extension for ResponseCapExtension {
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: futures_util::stream::BoxStream<'s, async_graphql::Response>,
        next: async_graphql::extensions::NextSubscribe<'_>,
    ) -> futures_util::stream::BoxStream<'s, async_graphql::Response> {
        use futures_util::StreamExt;
        let used = self.used.clone();
        let cap = self.cap;
        // Each event is built while the stream is polled for it: its budget starts afresh
        // once the one before it went out.
        next.run(ctx, stream)
            .map(move |mut r| {
                used.store(0, Ordering::Relaxed);
                if is_over_cap(&r.errors) {
                    r = async_graphql::Response::from_errors(vec![over_cap_error(cap)]);
                }
                r
            })
            .boxed()
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: async_graphql::extensions::ResolveInfo<'_>,
        next: async_graphql::extensions::NextResolve<'_>,
    ) -> ServerResult<Option<async_graphql::Value>> {
        if self.used.load(Ordering::Relaxed) > self.cap {
            return Err(ServerError::new(OVER_CAP, None));
        }
        let key = info.alias.unwrap_or(info.name);
        let value = next.run(ctx, info).await?;
        let size = value.as_ref().map_or(key.len() + 8, |v| json_size(key, v));
        if self.used.fetch_add(size, Ordering::Relaxed) + size > self.cap {
            return Err(ServerError::new(OVER_CAP, None));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_cut_from_messages() {
        assert_eq!(
            without_suggestions(r#"Unknown field "ordrs" on type "Query". Did you mean "orders"?"#),
            r#"Unknown field "ordrs" on type "Query"."#
        );
        assert_eq!(without_suggestions("plain"), "plain");
    }

    #[test]
    fn list_types_are_recognised_with_or_without_non_null() {
        assert!(is_list("[SalesOrderLine!]!"));
        assert!(is_list("[Int]"));
        assert!(!is_list("SalesOrder!"));
    }
}
