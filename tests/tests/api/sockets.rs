//! A WebSocket lives exactly as long as its credential (issue 11): every operation on a
//! socket re-checks the caller as HTTP does, the socket closes with 4401 when the credential
//! dies or expires, and a socket or a caller can hold only so much.
use api::auth::jwt::JwtKeys;
use api_tests::{JWT_SECRET, TestApp, spawn_demo, spawn_with, ws};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const ORDERS: &str = "{ salesOrders(first: 5) { totalCount } }";

async fn partner_token(app: &TestApp, admin: &str) -> (String, String) {
    let r = app
        .gql(
            Some(admin),
            "mutation { createApiToken(input: {name: \"partner\", scopes: [ORDERS_READ, ORDERS_WRITE, EVENTS_READ]}) { token apiToken { id } } }",
            json!({}),
        )
        .await;
    let d = &r.data()["createApiToken"];
    (
        d["token"].as_str().unwrap().to_owned(),
        d["apiToken"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn order_count(app: &TestApp, admin: &str) -> i64 {
    app.gql(Some(admin), ORDERS, json!({})).await.data()["salesOrders"]["totalCount"]
        .as_i64()
        .unwrap()
}

/// The first message for operation `id`: its `next` payload or `error`.
async fn answer(s: &mut ws::Ws, id: &str) -> Value {
    loop {
        let msg = ws::next(s, WAIT).await.expect("an answer");
        if msg["id"] == id && (msg["type"] == "next" || msg["type"] == "error") {
            return msg;
        }
    }
}

fn first_code(msg: &Value) -> &str {
    msg["payload"]["errors"][0]["extensions"]["code"]
        .as_str()
        .or_else(|| msg["payload"][0]["extensions"]["code"].as_str())
        .unwrap_or_else(|| panic!("no error code in {msg}"))
}

#[tokio::test]
async fn a_revoked_token_can_neither_query_nor_write_on_its_open_socket() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let (token, token_id) = partner_token(&app, &admin).await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let mut s = ws::connect(&app.url, &token).await;
    ws::subscribe(&mut s, "q1", ORDERS, json!({})).await;
    assert!(answer(&mut s, "q1").await["payload"]["data"]["salesOrders"]["totalCount"].is_i64());
    let before = order_count(&app, &admin).await;

    app.revoke_token(&admin, &token_id).await;
    ws::subscribe(
        &mut s,
        "m1",
        "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id } } }",
        json!({"i": {"customerId": acme, "lines": [{"itemId": bolt, "quantity": "1"}]}}),
    )
    .await;
    let refused = answer(&mut s, "m1").await;
    assert_eq!(first_code(&refused), "UNAUTHENTICATED", "{refused}");
    let (code, _) = ws::closed(&mut s, WAIT).await.expect("the socket closes");
    assert_eq!(code, 4401);
    assert_eq!(
        order_count(&app, &admin).await,
        before,
        "no order was created"
    );
}

#[tokio::test]
async fn a_deactivated_user_can_neither_write_nor_replay_on_the_open_socket() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let boris = app.login("boris@iberia.example").await;
    let mut s = ws::connect(&app.url, &boris).await;
    app.set_user_active(&admin, "boris@iberia.example", false)
        .await;
    ws::subscribe(
        &mut s,
        "r1",
        "subscription { orderEvents(after: \"0\") { id order { number } } }",
        json!({}),
    )
    .await;
    let refused = answer(&mut s, "r1").await;
    assert_eq!(first_code(&refused), "UNAUTHENTICATED", "{refused}");
    assert!(
        refused["payload"]["data"].is_null(),
        "no replayed event: {refused}"
    );
    let (code, _) = ws::closed(&mut s, WAIT).await.expect("the socket closes");
    assert_eq!(code, 4401);
}

/// Running subscriptions end within the recheck period after their user is deactivated (the
/// watchdog closes the socket; no event reaches a dead principal).
#[tokio::test]
async fn a_running_subscription_ends_within_the_recheck_period() {
    let app = spawn_with(true, &[("MERCATO_EVENTS_ACCESS_RECHECK_SECS", "1")]).await;
    let admin = app.login("admin@iberia.example").await;
    let (token, token_id) = partner_token(&app, &admin).await;
    let mut s = ws::connect(&app.url, &token).await;
    ws::subscribe(
        &mut s,
        "1",
        "subscription { orderEvents { id } }",
        json!({}),
    )
    .await;
    app.revoke_token(&admin, &token_id).await;
    let (code, before) = ws::closed(&mut s, Duration::from_secs(4))
        .await
        .expect("closed within the recheck period");
    assert_eq!(code, 4401, "{before:?}");
    assert!(
        before.iter().all(|m| m["payload"]["data"].is_null()),
        "no event after revocation: {before:?}"
    );
}

#[tokio::test]
async fn the_socket_closes_when_the_jwt_expires() {
    let app = spawn_demo().await;
    let keys = JwtKeys::new(JWT_SECRET, "mercato", 60);
    let admin = app.login("admin@iberia.example").await;
    let me = app
        .gql(Some(&admin), "{ me { user { id } } }", json!({}))
        .await;
    let user: i64 = me.data()["me"]["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (short, _) = keys.issue_at(user, 1, chrono::Utc::now(), 2).unwrap();
    let mut s = ws::connect(&app.url, &short).await;
    ws::subscribe(
        &mut s,
        "1",
        "subscription { orderEvents { id } }",
        json!({}),
    )
    .await;
    let (code, _) = ws::closed(&mut s, Duration::from_secs(6))
        .await
        .expect("closed at expiry");
    assert_eq!(code, 4401);
}

#[tokio::test]
async fn connection_init_without_a_valid_token_is_closed_with_4403() {
    let app = spawn_demo().await;
    let mut s = ws::open(&app.url).await;
    ws::init(&mut s, "garbage").await;
    let (code, _) = ws::closed(&mut s, WAIT).await.expect("refused");
    assert_eq!(code, 4403);
}

#[tokio::test]
async fn one_socket_runs_at_most_the_configured_operations() {
    let app = spawn_with(true, &[("MERCATO_WS_MAX_OPERATIONS", "3")]).await;
    let admin = app.login("admin@iberia.example").await;
    let mut s = ws::connect(&app.url, &admin).await;
    for id in ["1", "2", "3"] {
        ws::subscribe(&mut s, id, "subscription { stockEvents { id } }", json!({})).await;
    }
    ws::subscribe(
        &mut s,
        "4",
        "subscription { stockEvents { id } }",
        json!({}),
    )
    .await;
    let refused = answer(&mut s, "4").await;
    assert_eq!(first_code(&refused), "RATE_LIMITED", "{refused}");
    // Completing one frees a place.
    use futures_util::SinkExt;
    s.send(tokio_tungstenite::tungstenite::Message::text(
        json!({"type": "complete", "id": "1"}).to_string(),
    ))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    ws::subscribe(&mut s, "5", ORDERS, json!({})).await;
    let ok = answer(&mut s, "5").await;
    assert!(ok["payload"]["errors"].is_null(), "{ok}");
}

#[tokio::test]
async fn a_caller_holds_at_most_the_configured_sockets() {
    let app = spawn_with(true, &[("MERCATO_WS_MAX_CONNECTIONS", "2")]).await;
    let admin = app.login("admin@iberia.example").await;
    let a = ws::connect(&app.url, &admin).await;
    let _b = ws::connect(&app.url, &admin).await;
    let mut c = ws::open(&app.url).await;
    ws::init(&mut c, &admin).await;
    let (code, _) = ws::closed(&mut c, WAIT).await.expect("refused");
    assert_eq!(code, 4429);
    // Another caller is not affected, and a closed socket gives its place back.
    let ana = app.login("ana@iberia.example").await;
    let _ana = ws::connect(&app.url, &ana).await;
    drop(a);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _again = ws::connect(&app.url, &admin).await;
}
