//! WebSocket sessions on `/graphql/ws` (graphql-transport-ws and the legacy graphql-ws): a
//! connection lives exactly as long as the credential it authenticated with.
//!
//! - `connection_init` carries `{"authorization": "Bearer …"}`; without a valid one the socket
//!   closes with 4403. Each principal holds at most `MERCATO_WS_MAX_CONNECTIONS` sockets per
//!   process (4429 beyond that).
//! - Every operation re-resolves the credential exactly as an HTTP request does: a revoked or
//!   expired token or a deactivated user gets UNAUTHENTICATED for that operation and the socket
//!   closes with 4401, ending every subscription on it. No replay starts on a dead principal.
//! - A watchdog closes the socket with 4401 when the credential's expiry (JWT `exp`, API token
//!   `expires_at`) passes, and re-reads access every `MERCATO_EVENTS_ACCESS_RECHECK_SECS`: a
//!   revocation nobody on the socket noticed ends it within that period.
//! - At most `MERCATO_WS_MAX_OPERATIONS` operations run at once on one socket; more are refused
//!   with RATE_LIMITED.
//! - A socket that has not sent `connection_init` within `MERCATO_WS_INIT_TIMEOUT_MS` is
//!   closed with 4408 (graphql-transport-ws's `connectionInitWaitTimeout`), and one address
//!   holds at most `MERCATO_WS_MAX_PENDING_PER_ADDRESS` sockets that have not yet (429 to the
//!   upgrade beyond that): sockets that never authenticate cost nothing for long.
//! - A `subscribe` whose id is already running closes the socket with 4409, as the protocol
//!   says; ids and messages are bounded (4400, 1009).
//!
//! The actor is async-graphql-actix-web's `GraphQLSubscription` with one change: the server
//! can close the socket itself (that crate's actor cannot be told to).
use crate::auth::Principal;
use crate::config::SocketLimits;
use crate::domain::principals;
use crate::error::AppError;
use crate::graphql::AppSchema;
use crate::graphql::events::Bearer;
use crate::graphql::loaders::SharedLoaders;
use actix::{
    Actor, ActorContext, ActorStreamExt, AsyncContext, ContextFutureSpawner, StreamHandler,
    WrapStream,
};
use actix_http::ws::Item;
use actix_web::{HttpRequest, HttpResponse};
use actix_web_actors::ws::{CloseReason, Message, ProtocolError, WebsocketContext};
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Close codes (graphql-transport-ws): the credential no longer authenticates.
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// `connection_init` refused.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// Too many connections for this principal.
pub const CLOSE_TOO_MANY: u16 = 4429;
/// No `connection_init` in time.
pub const CLOSE_INIT_TIMEOUT: u16 = 4408;
/// A `subscribe` reused the id of a running operation.
pub const CLOSE_DUPLICATE_ID: u16 = 4409;
/// A message the protocol does not allow (an id over [`MAX_ID_BYTES`]).
pub const CLOSE_BAD_MESSAGE: u16 = 4400;
/// Longest operation id a client may choose.
pub const MAX_ID_BYTES: usize = 128;

const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the socket layer needs, cloned once per process.
#[derive(Clone)]
pub struct Sockets {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub keys: crate::auth::jwt::JwtKeys,
    pub loaders: Arc<SharedLoaders>,
    pub limits: SocketLimits,
    /// Open sockets per principal (`Principal::key`) in this process.
    pub open: Arc<Mutex<HashMap<String, usize>>>,
    /// Sockets per address that have not authenticated yet, in this process.
    pub pending: Arc<Mutex<HashMap<std::net::IpAddr, usize>>>,
}

/// One not-yet-authenticated socket of an address; gives its slot back when dropped (on
/// `connection_init` or when the socket ends).
struct Pending {
    map: Arc<Mutex<HashMap<std::net::IpAddr, usize>>>,
    ip: std::net::IpAddr,
}

impl Drop for Pending {
    fn drop(&mut self) {
        give_back(&self.map, &self.ip);
    }
}

/// The slot of a socket until it authenticates.
type PendingSlot = Arc<Mutex<Option<Pending>>>;

/// One socket's state, in its connection data.
struct Session {
    bearer: String,
    principal_key: String,
    operations: AtomicUsize,
    max_operations: usize,
    close: mpsc::UnboundedSender<(u16, String)>,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Session {
    fn close(&self, code: u16, reason: impl Into<String>) {
        let _ = self.close.send((code, reason.into()));
    }
}

impl Drop for Session {
    /// Gives the principal's connection slot back.
    fn drop(&mut self) {
        give_back(&self.open, &self.principal_key);
    }
}

/// One slot of `key` back to a per-key count (sockets per principal, waiting sockets per
/// address); the key goes when its count reaches zero.
fn give_back<K: Eq + std::hash::Hash>(counts: &Mutex<HashMap<K, usize>>, key: &K) {
    let mut counts = counts.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

/// Counts one running operation for as long as its stream lives.
struct Running(Arc<Session>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.operations.fetch_sub(1, Ordering::SeqCst);
    }
}

fn error_response(e: AppError) -> Response {
    let err: async_graphql::Error = e.into();
    Response::from_errors(vec![err.into_server_error(Default::default())])
}

fn session_of(data: &Data) -> Option<Arc<Session>> {
    data.get(&std::any::TypeId::of::<Arc<Session>>())
        .and_then(|d| d.downcast_ref::<Arc<Session>>())
        .cloned()
}

/// The schema behind a socket: every operation re-checks the caller first.
#[derive(Clone)]
struct Guarded(Sockets);

impl Executor for Guarded {
    async fn execute(&self, request: Request) -> Response {
        self.0.schema.execute(request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let sockets = self.0.clone();
        let data = session_data.unwrap_or_default();
        // Counted here, in the order the operations arrive, not when their streams are first
        // polled (async-graphql polls them in no particular order).
        let session = session_of(&data);
        let running = session.as_ref().map(|s| {
            (
                s.operations.fetch_add(1, Ordering::SeqCst) + 1,
                Running(s.clone()),
            )
        });
        async_stream::stream! {
            let (Some(session), Some((running, guard))) = (session, running) else {
                yield error_response(AppError::Unauthenticated("connection_init first".into()));
                return;
            };
            if running > session.max_operations {
                let mut refusal = ServerError::new(
                    format!(
                        "this connection already runs {} operations; complete one first",
                        session.max_operations
                    ),
                    None,
                );
                refusal.extensions = Some({
                    let mut ext = async_graphql::ErrorExtensionValues::default();
                    ext.set("code", AppError::RateLimited.code());
                    ext
                });
                yield Response::from_errors(vec![refusal]);
                return;
            }
            let principal = match principals::resolve(&sockets.db, &sockets.keys, &session.bearer).await {
                Ok(p) => p,
                Err(e) => {
                    if matches!(e, AppError::Unauthenticated(_)) {
                        session.close(CLOSE_UNAUTHORIZED, e.message());
                    }
                    yield error_response(e);
                    return;
                }
            };
            // The fresh principal (and the loaders of its visibility class) override the ones
            // `connection_init` stored: a role or rep change applies to the next operation.
            let request = request
                .data(sockets.loaders.get(&sockets.db, &principal))
                .data(principal);
            let mut inner = sockets.schema.execute_stream_with_session_data(request, data);
            // One id per operation, quoted to the client with any INTERNAL error it gets.
            let operation_id = uuid::Uuid::new_v4().to_string();
            while let Some(mut response) = inner.next().await {
                crate::error::log_internal_errors(&mut response.errors, &operation_id);
                yield response;
            }
            drop(guard);
        }
        .boxed()
    }
}

/// Starts a socket session for `/graphql/ws`.
pub fn start(
    sockets: Sockets,
    req: &HttpRequest,
    payload: actix_web::web::Payload,
) -> actix_web::Result<HttpResponse> {
    let protocol = req
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|list| {
            list.split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
        .ok_or_else(|| actix_web::error::ErrorBadRequest("unknown GraphQL WebSocket protocol"))?;
    let ip = req
        .peer_addr()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let pending = {
        let mut map = sockets.pending.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_default();
        if *n >= sockets.limits.max_pending_per_address {
            return Err(actix_web::error::ErrorTooManyRequests(
                "too many sockets from this address wait for connection_init",
            ));
        }
        *n += 1;
        Pending {
            map: sockets.pending.clone(),
            ip,
        }
    };
    let (close_tx, close_rx) = mpsc::unbounded_channel();
    let actor = SocketActor {
        sockets,
        protocol,
        last_heartbeat: Instant::now(),
        messages: None,
        close_tx: Some(close_tx),
        close_rx: Some(close_rx),
        continuation: Vec::new(),
        pending: Arc::new(Mutex::new(Some(pending))),
        running_ids: Default::default(),
    };
    actix_web_actors::ws::WsResponseBuilder::new(actor, req, payload)
        .protocols(&ALL_WEBSOCKET_PROTOCOLS)
        .start()
}

/// Why `connection_init` was refused: async-graphql closes such a socket with 1002, and the
/// actor swaps in this code (4403, 4429) on its way out.
type Refusal = Arc<Mutex<Option<u16>>>;

/// Authenticates `connection_init`, takes a connection slot and starts the watchdog.
async fn init(
    sockets: Sockets,
    close: mpsc::UnboundedSender<(u16, String)>,
    refusal: Refusal,
    pending: PendingSlot,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let refuse = |code: u16, reason: String| {
        *refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(code);
        async_graphql::Error::new(reason)
    };
    let authorization = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let Some(bearer) = crate::auth::tokens::bearer_token(authorization) else {
        return Err(refuse(
            CLOSE_FORBIDDEN,
            "connection_init needs {\"authorization\": \"Bearer <token>\"}".into(),
        ));
    };
    let (principal, expires) = principals::resolve_until(&sockets.db, &sockets.keys, bearer)
        .await
        .map_err(|e| refuse(CLOSE_FORBIDDEN, e.message()))?;
    let key = principal.key();
    {
        let mut open = sockets.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key.clone()).or_default();
        if *n >= sockets.limits.max_connections {
            return Err(refuse(
                CLOSE_TOO_MANY,
                format!(
                    "at most {} open connections per caller",
                    sockets.limits.max_connections
                ),
            ));
        }
        *n += 1;
    }
    let session = Arc::new(Session {
        bearer: bearer.to_owned(),
        principal_key: key,
        operations: AtomicUsize::new(0),
        max_operations: sockets.limits.max_operations,
        close: close.clone(),
        open: sockets.open.clone(),
    });
    tokio::spawn(watchdog(sockets.clone(), bearer.to_owned(), expires, close));
    // Authenticated: the address's slot for waiting sockets is free again.
    drop(pending.lock().unwrap_or_else(|p| p.into_inner()).take());
    let mut data = Data::default();
    data.insert(sockets.loaders.get(&sockets.db, &principal));
    data.insert::<Principal>(principal);
    data.insert(Bearer(bearer.to_owned()));
    data.insert(session);
    Ok(data)
}

/// Closes the socket when the credential expires or stops resolving; ends with the socket.
async fn watchdog(
    sockets: Sockets,
    bearer: String,
    expires: Option<DateTime<Utc>>,
    close: mpsc::UnboundedSender<(u16, String)>,
) {
    loop {
        let until_expiry = expires.map(|at| (at - Utc::now()).to_std().unwrap_or_default());
        let wait = until_expiry.map_or(sockets.limits.recheck, |e| e.min(sockets.limits.recheck));
        tokio::select! {
            _ = close.closed() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        if expires.is_some_and(|at| at <= Utc::now()) {
            let _ = close.send((CLOSE_UNAUTHORIZED, "the token expired".into()));
            return;
        }
        match principals::resolve(&sockets.db, &sockets.keys, &bearer).await {
            Ok(_) => {}
            Err(e @ AppError::Unauthenticated(_)) => {
                let _ = close.send((CLOSE_UNAUTHORIZED, e.message()));
                return;
            }
            // A database hiccup is no reason to drop the caller; the next round tries again.
            Err(e) => tracing::warn!(error = ?e, "re-reading a socket's access failed"),
        }
    }
}

struct SocketActor {
    sockets: Sockets,
    protocol: WebSocketProtocols,
    last_heartbeat: Instant,
    messages: Option<async_channel::Sender<Vec<u8>>>,
    close_tx: Option<mpsc::UnboundedSender<(u16, String)>>,
    close_rx: Option<mpsc::UnboundedReceiver<(u16, String)>>,
    continuation: Vec<u8>,
    /// Held until `connection_init` succeeds; the init timeout looks at it.
    pending: PendingSlot,
    /// Ids of the operations running on this socket (4409 for a second `subscribe`).
    running_ids: Arc<Mutex<std::collections::HashSet<String>>>,
}

/// The two fields of a client message this layer reads.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

/// The id of a server message that ends an operation (`complete`, or an `error` of the new
/// protocol), read without parsing the payload: serde writes `type` first.
fn ended_id(text: &str) -> Option<String> {
    let rest = text
        .strip_prefix(r#"{"type":"complete","id":"#)
        .or_else(|| text.strip_prefix(r#"{"type":"error","id":"#))?;
    let id: String = serde_json::Deserializer::from_str(rest)
        .into_iter::<String>()
        .next()?
        .ok()?;
    Some(id)
}

impl SocketActor {
    /// A message over the body limit, sent in fragments, closes the socket (1009).
    fn bounded_continuation(&mut self, ctx: &mut WebsocketContext<Self>) {
        if self.continuation.len() > self.sockets.limits.max_message_bytes {
            self.continuation = Vec::new();
            ctx.close(Some(CloseReason {
                code: actix_web_actors::ws::CloseCode::Size,
                description: Some("message too large".into()),
            }));
            ctx.stop();
        }
    }

    /// Why `message` ends the socket: a `subscribe`/`start` with an id that runs already
    /// (4409) or an id longer than [`MAX_ID_BYTES`] (4400). Notes ids as they start and stop.
    fn refused_operation(&self, message: &[u8]) -> Option<(u16, String)> {
        let envelope: Envelope = serde_json::from_slice(message).ok()?;
        let id = envelope.id?;
        if id.len() > MAX_ID_BYTES {
            return Some((
                CLOSE_BAD_MESSAGE,
                format!("operation ids are at most {MAX_ID_BYTES} bytes"),
            ));
        }
        let mut running = self.running_ids.lock().unwrap_or_else(|p| p.into_inner());
        match envelope.kind.as_str() {
            "subscribe" | "start" if !running.insert(id.clone()) => {
                let shown: String = id.chars().take(40).collect();
                return Some((
                    CLOSE_DUPLICATE_ID,
                    format!("Subscriber for {shown} already exists"),
                ));
            }
            "complete" | "stop" => {
                running.remove(&id);
            }
            _ => {}
        }
        None
    }

    fn send_heartbeats(&self, ctx: &mut WebsocketContext<Self>) {
        ctx.run_interval(HEARTBEAT_INTERVAL, |act, ctx| {
            if Instant::now().duration_since(act.last_heartbeat) > CLIENT_TIMEOUT {
                ctx.stop();
            }
            ctx.ping(b"");
        });
    }
}

impl Actor for SocketActor {
    type Context = WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.send_heartbeats(ctx);
        ctx.run_later(self.sockets.limits.init_timeout, |act, ctx| {
            let waiting = act
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some();
            if waiting {
                ctx.close(Some(CloseReason {
                    code: CLOSE_INIT_TIMEOUT.into(),
                    description: Some("Connection initialisation timeout".into()),
                }));
                ctx.stop();
            }
        });
        let (tx, rx) = async_channel::unbounded();
        let close_tx = self.close_tx.take().expect("started once");
        let sockets = self.sockets.clone();
        let refusal = Refusal::default();
        let (refused, refused_at_end) = (refusal.clone(), refusal.clone());
        let pending = self.pending.clone();
        let running_ids = self.running_ids.clone();
        let graphql = WebSocket::new(Guarded(self.sockets.clone()), rx, self.protocol)
            .on_connection_init(move |payload| init(sockets, close_tx, refusal, pending, payload))
            .inspect(move |message| {
                if let WsMessage::Text(text) = message
                    && let Some(id) = ended_id(text)
                {
                    running_ids
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                }
            })
            .map(move |message| match message {
                WsMessage::Close(1002, reason) => {
                    let code = refused.lock().unwrap_or_else(|p| p.into_inner()).take();
                    Some(WsMessage::Close(code.unwrap_or(1002), reason))
                }
                other => Some(other),
            })
            // The protocol ended (the legacy protocol's refusal or terminate): close the socket.
            .chain(futures_util::stream::once(async move {
                let code = refused_at_end
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                Some(WsMessage::Close(code.unwrap_or(1000), String::new()))
            }));
        // The server's own close requests come first: once one arrives, nothing else is sent.
        let closes = futures_util::stream::unfold(
            self.close_rx.take().expect("started once"),
            |mut rx| async move {
                let (code, reason) = rx.recv().await?;
                Some((Some(WsMessage::Close(code, reason)), rx))
            },
        );
        futures_util::stream::select_with_strategy(closes, graphql, |_: &mut ()| {
            futures_util::stream::PollNext::Left
        })
        .into_actor(self)
        .map(|message, _act, ctx| match message {
            Some(WsMessage::Text(text)) => ctx.text(text),
            Some(WsMessage::Close(code, reason)) => {
                ctx.close(Some(CloseReason {
                    code: code.into(),
                    description: Some(reason),
                }));
                ctx.stop();
            }
            None => {}
        })
        .finish()
        .spawn(ctx);
        self.messages = Some(tx);
    }
}

impl StreamHandler<Result<Message, ProtocolError>> for SocketActor {
    fn handle(&mut self, msg: Result<Message, ProtocolError>, ctx: &mut Self::Context) {
        let Ok(msg) = msg else {
            ctx.stop();
            return;
        };
        let message = match msg {
            Message::Ping(msg) => {
                self.last_heartbeat = Instant::now();
                ctx.pong(&msg);
                None
            }
            Message::Pong(_) => {
                self.last_heartbeat = Instant::now();
                None
            }
            Message::Continuation(item) => match item {
                Item::FirstText(bytes) | Item::FirstBinary(bytes) => {
                    self.continuation = bytes.to_vec();
                    None
                }
                Item::Continue(bytes) => {
                    self.continuation.extend_from_slice(&bytes);
                    self.bounded_continuation(ctx);
                    None
                }
                Item::Last(bytes) => {
                    self.continuation.extend_from_slice(&bytes);
                    self.bounded_continuation(ctx);
                    Some(std::mem::take(&mut self.continuation))
                }
            },
            Message::Text(s) => Some(s.into_bytes().to_vec()),
            Message::Binary(bytes) => Some(bytes.to_vec()),
            Message::Close(_) => {
                ctx.stop();
                None
            }
            Message::Nop => None,
        };
        if let Some(message) = &message
            && let Some((code, reason)) = self.refused_operation(message)
        {
            ctx.close(Some(CloseReason {
                code: code.into(),
                description: Some(reason),
            }));
            ctx.stop();
            return;
        }
        // Handed over at once, in arrival order (async-graphql-actix-web spawns one future per
        // message, and actix polls spawned futures in no fixed order: a `complete` could
        // overtake its `subscribe`).
        if let Some(message) = message
            && self
                .messages
                .as_ref()
                .is_none_or(|m| m.try_send(message).is_err())
        {
            ctx.stop();
        }
    }
}
