//! `schema.graphql` is the output of `mercato print-schema`; this fails when they drift.
#[test]
fn checked_in_schema_matches_the_running_schema() {
    let checked_in = include_str!("../../../schema.graphql");
    let current = api::graphql::sdl();
    assert!(
        checked_in == current,
        "schema.graphql is stale: run `cargo run -p api -- print-schema > schema.graphql`"
    );
}
