//! Relay connections built from a domain [`Page`].
use crate::domain::page::{Page, encode_cursor};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, SimpleObject};

#[derive(SimpleObject)]
pub struct Total {
    /// Number of nodes matching the filter, across all pages.
    pub total_count: u64,
}

pub type Conn<N> = Connection<String, N, Total>;

pub fn from_page<M, N: OutputType>(
    page: Page<M>,
    id: impl Fn(&M) -> i64,
    wrap: impl Fn(M) -> N,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        Total {
            total_count: page.total,
        },
    );
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|m| Edge::new(encode_cursor(id(&m)), wrap(m))),
    );
    conn
}
