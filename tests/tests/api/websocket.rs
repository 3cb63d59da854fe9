//! `/graphql/ws` (graphql-transport-ws): the token travels in `connection_init`; without a
//! valid one the connection is refused.
use api_tests::ws::{self, Ws};
use api_tests::*;
use futures_util::SinkExt;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn next(ws: &mut Ws) -> Option<serde_json::Value> {
    ws::next(ws, Duration::from_secs(5)).await
}

#[tokio::test]
async fn a_valid_token_in_connection_init_is_acknowledged_and_identifies_the_caller() {
    let app = spawn_demo().await;
    let token = app.login("ana@iberia.example").await;
    let mut ws = ws::open(&app.url).await;
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next(&mut ws).await.expect("ack")["type"], "connection_ack");
    let sub = json!({"type": "subscribe", "id": "1", "payload": {"query": "{ me { role } customers { totalCount } }"}});
    ws.send(Message::text(sub.to_string())).await.unwrap();
    let msg = next(&mut ws).await.expect("result");
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(msg["payload"]["data"]["me"]["role"], "SALES_REP");
    assert_eq!(msg["payload"]["data"]["customers"]["totalCount"], 2);
}

#[tokio::test]
async fn a_connection_without_a_valid_token_is_refused() {
    let app = spawn_demo().await;
    for payload in [json!({}), json!({"authorization": "Bearer not-a-token"})] {
        let mut ws = ws::open(&app.url).await;
        ws.send(Message::text(
            json!({"type": "connection_init", "payload": payload}).to_string(),
        ))
        .await
        .unwrap();
        let answer = next(&mut ws).await;
        assert!(
            answer
                .as_ref()
                .is_none_or(|m| m["type"] != "connection_ack"),
            "refused, got {answer:?}"
        );
    }
}
