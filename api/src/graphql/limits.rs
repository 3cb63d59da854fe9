//! Alias-count limit (depth and complexity limits are async-graphql's own): a query with
//! hundreds of aliases multiplies work without raising depth or nesting.
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};
use std::sync::Arc;

pub struct AliasLimit {
    max: usize,
}

impl AliasLimit {
    pub fn new(max: usize) -> Self {
        AliasLimit { max }
    }
}

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension { max: self.max })
    }
}

struct AliasLimitExtension {
    max: usize,
}

fn count(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => count(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

#[async_trait::async_trait]
impl Extension for AliasLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases: usize = doc
            .operations
            .iter()
            .map(|(_, op)| count(&op.node.selection_set.node))
            .sum::<usize>()
            + doc
                .fragments
                .values()
                .map(|f| count(&f.node.selection_set.node))
                .sum::<usize>();
        if aliases > self.max {
            let mut err = ServerError::new(
                format!("query uses {aliases} aliases; the limit is {}", self.max),
                None,
            );
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", "VALIDATION");
            err.extensions = Some(ext);
            return Err(err);
        }
        Ok(doc)
    }
}
