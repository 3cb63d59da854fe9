//! `/graphql/ws` (graphql-transport-ws): the token travels in `connection_init`; without a
//! valid one the connection is refused.
use api_tests::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp) -> Ws {
    let mut req = format!("{}/graphql/ws", app.url.replace("http", "ws"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket")
        .0
}

/// The next text message as JSON, or None when the server closes.
async fn next(ws: &mut Ws) -> Option<Value> {
    let wait = std::time::Duration::from_secs(5);
    loop {
        match tokio::time::timeout(wait, ws.next())
            .await
            .expect("server answers")
        {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn a_valid_token_in_connection_init_is_acknowledged_and_identifies_the_caller() {
    let app = spawn_demo().await;
    let token = app.login("ana@iberia.example").await;
    let mut ws = connect(&app).await;
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
        let mut ws = connect(&app).await;
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
