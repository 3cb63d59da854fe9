//! A GraphQL-over-WebSocket client (graphql-transport-ws) for the subscription tests.
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` of the server at `base_url` (`http://host:port`) without sending
/// anything.
pub async fn open(base_url: &str) -> Ws {
    let mut req = format!("{}/graphql/ws", base_url.replace("http", "ws"))
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

/// Opens and authenticates; panics unless the server acknowledges.
pub async fn connect(base_url: &str, token: &str) -> Ws {
    let mut ws = open(base_url).await;
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = next(&mut ws, Duration::from_secs(5)).await.expect("ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

pub async fn subscribe(ws: &mut Ws, id: &str, query: &str, variables: Value) {
    let msg =
        json!({"type": "subscribe", "id": id, "payload": {"query": query, "variables": variables}});
    ws.send(Message::text(msg.to_string())).await.unwrap();
}

/// The next protocol message as JSON; None when the server closes or nothing comes in time.
pub async fn next(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(t)))) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// The `data` of the next `next` message of subscription `id` (errors panic), or None when
/// nothing arrives within `wait`.
pub async fn next_data(ws: &mut Ws, id: &str, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = next(ws, left).await?;
        if msg["type"] == "next" && msg["id"] == id {
            assert!(msg["payload"].get("errors").is_none(), "{msg}");
            return Some(msg["payload"]["data"].clone());
        }
        if msg["type"] == "error" && msg["id"] == id {
            panic!("subscription {id} failed: {msg}");
        }
    }
}

/// Reads until the server closes the socket; returns the close code and the protocol messages
/// that came before it, or None when the socket is still open after `wait`.
pub async fn closed(ws: &mut Ws, wait: Duration) -> Option<(u16, Vec<Value>)> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut before = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(t)))) => before.push(serde_json::from_str(&t).unwrap()),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Some((frame.map_or(1005, |f| u16::from(f.code)), before));
            }
            Ok(None) | Ok(Some(Err(_))) => return Some((1006, before)),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Sends `connection_init` with this token without waiting for the answer.
pub async fn init(ws: &mut Ws, token: &str) {
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.unwrap();
}
