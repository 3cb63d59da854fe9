//! `Idempotency-Key`: a retried mutation runs once per (principal, key); never a second order.
use api_tests::*;
use futures_util::future::join_all;
use serde_json::{Value, json};

const CREATE: &str = "mutation($c: ID!, $i: ID!, $q: Decimal!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $i, quantity: $q}]}) { salesOrder { id number } } }";

async fn post(app: &TestApp, token: &str, key: &str, vars: Value) -> (Option<String>, Value) {
    let resp = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "query": CREATE, "variables": vars }))
        .send()
        .await
        .unwrap();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    (replayed, resp.json().await.unwrap())
}

async fn order_count(app: &TestApp, admin: &str) -> i64 {
    let r = app
        .gql(Some(admin), "{ salesOrders { totalCount } }", json!({}))
        .await;
    r.data()["salesOrders"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn a_replayed_key_returns_the_first_response_and_places_no_second_order() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let vars = json!({"c": app.id_of(&admin, "customers", "ACME").await, "i": app.id_of(&admin, "items", "BOLT-M8").await, "q": "5"});
    let (first_replayed, first) = post(&app, &admin, "order-42", vars.clone()).await;
    let (replayed, second) = post(&app, &admin, "order-42", vars.clone()).await;
    assert_eq!(first_replayed, None);
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(first, second);
    assert_eq!(order_count(&app, &admin).await, 1);
    // The same key with another body is refused and changes nothing.
    let (_, other) = post(
        &app,
        &admin,
        "order-42",
        json!({"q": "6", "c": vars["c"], "i": vars["i"]}),
    )
    .await;
    assert_eq!(Gql(other).code(), "CONFLICT");
    assert_eq!(order_count(&app, &admin).await, 1);
    // Keys belong to their principal: another user's identical key is a request of its own.
    let ana = app.login("ana@iberia.example").await;
    let (replayed, _) = post(&app, &ana, "order-42", vars).await;
    assert_eq!(replayed, None);
    assert_eq!(order_count(&app, &admin).await, 2);
}

#[tokio::test]
async fn ten_concurrent_retries_of_one_key_create_exactly_one_order() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let vars = json!({"c": app.id_of(&admin, "customers", "ACME").await, "i": app.id_of(&admin, "items", "BOLT-M8").await, "q": "1"});
    let answers = join_all((0..10).map(|_| post(&app, &admin, "retry-storm", vars.clone()))).await;
    let ids: Vec<Value> = answers
        .iter()
        .map(|(_, body)| Gql(body.clone()).data()["createSalesOrder"]["salesOrder"]["id"].clone())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        answers.iter().filter(|(r, _)| r.is_none()).count(),
        1,
        "exactly one ran"
    );
    assert_eq!(order_count(&app, &admin).await, 1);
}

#[tokio::test]
async fn an_unusable_key_is_a_validation_error() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let (_, body) = post(
        &app,
        &admin,
        &"k".repeat(300),
        json!({"c": "1", "i": "1", "q": "1"}),
    )
    .await;
    assert_eq!(Gql(body).code(), "VALIDATION");
    assert_eq!(order_count(&app, &admin).await, 0);
}

#[tokio::test]
async fn after_24_hours_a_key_runs_again_and_old_keys_are_pruned() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let vars = json!({"c": app.id_of(&admin, "customers", "ACME").await, "i": app.id_of(&admin, "items", "BOLT-M8").await, "q": "1"});
    post(&app, &admin, "daily-sync", vars.clone()).await;
    post(&app, &admin, "old-key", vars.clone()).await;
    // Age both keys by 25 hours.
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let aged = chrono::Utc::now() - chrono::Duration::hours(25);
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE idempotency_keys SET created_at = $1",
        _ => "UPDATE idempotency_keys SET created_at = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [aged.into()]))
        .await
        .unwrap();
    let (replayed, _) = post(&app, &admin, "daily-sync", vars).await;
    assert_eq!(replayed, None, "an expired key is a new request");
    assert_eq!(order_count(&app, &admin).await, 3);
    assert_eq!(
        api::domain::idempotency::prune(db).await.ok(),
        Some(1),
        "only old-key was still old"
    );
}
