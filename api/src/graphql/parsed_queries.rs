//! Parsed GraphQL documents kept by their text.
//!
//! Clients send the same few documents over and over (an app has a fixed set of operations;
//! variables carry what changes), and parsing one with async-graphql's grammar cost 2.6 % of
//! the server's CPU under the `place-order` benchmark (issue 15); a copy of a parsed document
//! costs a fraction of that. The copy still goes through every check a fresh parse would —
//! depth, directives, aliases, input sizes and validation run on it each time — only the
//! grammar is skipped.
//!
//! Bounded, since clients choose the text: documents longer than [`MAX_QUERY_BYTES`] are not
//! kept, and at [`MAX_ENTRIES`] the store starts over.
use async_graphql::parser::{parse_query, types::ExecutableDocument};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Documents kept at most.
pub const MAX_ENTRIES: usize = 128;
/// Longer documents are parsed each time and not kept.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

type Store = HashMap<Box<str>, Arc<ExecutableDocument>>;

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(Default::default)
}

/// The parsed document for `query`, from the store or parsed now (and kept if it is small);
/// `None` when it does not parse, so that the schema reports the error as usual.
pub fn parsed(query: &str) -> Option<ExecutableDocument> {
    let kept = store()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(query)
        .cloned();
    if let Some(doc) = kept {
        return Some((*doc).clone());
    }
    let doc = parse_query(query).ok()?;
    if query.len() <= MAX_QUERY_BYTES {
        let mut store = store().lock().unwrap_or_else(PoisonError::into_inner);
        if store.len() >= MAX_ENTRIES {
            store.clear();
        }
        store.insert(query.into(), Arc::new(doc.clone()));
    }
    Some(doc)
}

/// Puts the parsed document on the request, when the text parses.
pub fn prepare(request: &mut async_graphql::Request) {
    if let Some(doc) = parsed(&request.query) {
        request.set_parsed_query(doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_stays_within_its_bound_and_skips_long_or_broken_documents() {
        for i in 0..MAX_ENTRIES * 2 {
            assert!(parsed(&format!("{{ f{i} }}")).is_some());
        }
        assert!(store().lock().unwrap().len() <= MAX_ENTRIES);
        let long = format!("{{ {} }}", "field ".repeat(MAX_QUERY_BYTES / 6 + 1));
        assert!(parsed(&long).is_some());
        assert!(!store().lock().unwrap().contains_key(long.as_str()));
        assert!(parsed("{ unclosed").is_none());
    }
}
