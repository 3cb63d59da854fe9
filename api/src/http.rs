//! HTTP surface: POST /graphql (GraphQL over HTTP), GET /graphql (GraphiQL), /graphql/ws,
//! /healthz, /readyz, /metrics.
use crate::auth::Principal;
use crate::auth::tokens::bearer_token;
use crate::domain::idempotency::{self, Claim};
use crate::domain::principals;
use crate::error::AppError;
use crate::graphql::loaders::{Activity, Loaders};
use crate::graphql::parsed_queries;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::ServerError;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use sha2::{Digest, Sha256};
use std::time::Instant;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql))
        .route("/graphql", web::get().to(graphql_get))
        .route("/graphql/ws", web::get().to(subscriptions))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// A client that asks for `application/graphql-response+json` gets it (with 4xx on request
/// errors); anyone else gets `application/json` and 200, as the GraphQL-over-HTTP spec says.
fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            let gql = accept.find(GRAPHQL_RESPONSE);
            let json = accept.find("application/json");
            match (gql, json) {
                (Some(g), Some(j)) => g < j,
                (Some(_), None) => true,
                _ => false,
            }
        })
}

fn error_body(message: &str, code: &str) -> serde_json::Value {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

fn respond(status: StatusCode, gql: bool, body: &impl serde::Serialize) -> HttpResponse {
    match serde_json::to_string(body) {
        Ok(text) => respond_text(status, gql, text),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn respond_text(status: StatusCode, gql: bool, text: String) -> HttpResponse {
    let content_type = if gql {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    HttpResponse::build(status)
        .content_type(format!("{content_type}; charset=utf-8"))
        .body(text)
}

/// Resolves the `Authorization` header; no header is an anonymous request (only `login` and
/// introspection work then), a bad one is refused outright.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
) -> Result<Option<Principal>, AppError> {
    let Some(value) = authorization else {
        return Ok(None);
    };
    let token = bearer_token(value).ok_or_else(|| {
        AppError::Unauthenticated("expected Authorization: Bearer <token>".into())
    })?;
    principals::resolve(&state.db, &state.keys, token)
        .await
        .map(Some)
}

/// `POST /graphql`: the body is a JSON GraphQL request (`Content-Type: application/json`;
/// anything else is 415).
async fn graphql(
    state: web::Data<AppState>,
    req: HttpRequest,
    request_id: tracing_actix_web::RequestId,
    payload: web::Payload,
) -> HttpResponse {
    let gql = wants_graphql_response(req.headers());
    let json_body = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json_body {
        let body = error_body(
            "send the GraphQL request as JSON with Content-Type: application/json",
            "BAD_REQUEST",
        );
        return respond(StatusCode::UNSUPPORTED_MEDIA_TYPE, gql, &body);
    }
    let limits = &state.config.limits;
    let body =
        match crate::body::read(&req, payload, limits.max_body_bytes, limits.body_timeout).await {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(request_id = %request_id, error = ?e, "request body refused");
                let code = if e.status() == StatusCode::BAD_REQUEST {
                    "BAD_REQUEST"
                } else {
                    "VALIDATION"
                };
                return respond(e.status(), gql, &error_body(&e.message(), code));
            }
        };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let body = error_body(&format!("malformed GraphQL request: {e}"), "BAD_REQUEST");
            return respond(StatusCode::BAD_REQUEST, gql, &body);
        }
    };
    execute(&state, &req, &request_id, request, &body, gql).await
}

/// `GET /graphql`: a browser asking for HTML gets GraphiQL; any other client gets the query in
/// `?query=…&variables=…&operationName=…` executed — queries only (a mutation or subscription
/// is 405: a GET must change nothing).
async fn graphql_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    request_id: tracing_actix_web::RequestId,
) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let wants_json = accept.contains("application/json") || accept.contains(GRAPHQL_RESPONSE);
    let params = web::Query::<GetParams>::from_query(req.query_string());
    let has_query = params.as_ref().is_ok_and(|p| p.query.is_some());
    if !wants_json && (accept.contains("text/html") || !has_query) {
        return graphiql(&state);
    }
    let gql = wants_graphql_response(req.headers());
    let params = match params {
        Ok(p) => p.into_inner(),
        Err(e) => {
            let body = error_body(&format!("malformed GraphQL request: {e}"), "BAD_REQUEST");
            return respond(StatusCode::BAD_REQUEST, gql, &body);
        }
    };
    let variables = match params.variables.as_deref().map(serde_json::from_str) {
        None => Default::default(),
        Some(Ok(v)) => async_graphql::Variables::from_json(v),
        Some(Err(e)) => {
            let body = error_body(&format!("variables are not JSON: {e}"), "BAD_REQUEST");
            return respond(StatusCode::BAD_REQUEST, gql, &body);
        }
    };
    let mut request =
        async_graphql::Request::new(params.query.unwrap_or_default()).variables(variables);
    request.operation_name = params.operation_name;
    if operation_type(&request).is_some_and(|t| t != OperationType::Query) {
        let body = error_body(
            "GET runs queries only; send mutations with POST",
            "BAD_REQUEST",
        );
        let mut resp = respond(StatusCode::METHOD_NOT_ALLOWED, gql, &body);
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return resp;
    }
    let key = req.query_string().as_bytes().to_vec();
    execute(&state, &req, &request_id, request, &key, gql).await
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

/// Authenticates, applies Idempotency-Key, runs the request and answers (both methods).
async fn execute(
    state: &AppState,
    req: &HttpRequest,
    request_id: &tracing_actix_web::RequestId,
    request: async_graphql::Request,
    body: &[u8],
    gql: bool,
) -> HttpResponse {
    let started = Instant::now();
    if request.query.trim().is_empty() {
        return respond(
            StatusCode::BAD_REQUEST,
            gql,
            &error_body("missing query", "BAD_REQUEST"),
        );
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match authenticate(state, auth).await {
        Ok(p) => p,
        Err(e) => {
            let status = if gql {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::OK
            };
            return respond(status, gql, &error_body(&e.message(), e.code()));
        }
    };
    // Idempotency-Key (partners retry): claim before running, replay after. Mutations only:
    // a query changes nothing, so there is nothing to run once, and its answer is not kept.
    let idempotency = match (req.headers().get("Idempotency-Key"), &principal) {
        (Some(value), Some(p)) if is_mutation(&request) => {
            let key = value.to_str().unwrap_or_default();
            let hash = hex::encode(Sha256::digest(body));
            match idempotency::claim(&state.db, &p.key(), key, &hash).await {
                Ok(Claim::Replay(text)) => return replay(gql, text),
                Ok(Claim::Fresh(id)) => Some(id),
                Err(e) => {
                    let status = match (&e, gql) {
                        (_, false) => StatusCode::OK,
                        (AppError::Conflict(_), true) => StatusCode::CONFLICT,
                        _ => StatusCode::BAD_REQUEST,
                    };
                    return respond(status, gql, &error_body(&e.message(), e.code()));
                }
            }
        }
        _ => None,
    };
    let operation = request.operation_name.clone();
    let mut request = request;
    parsed_queries::prepare(&mut request);
    let activity = Activity::default();
    if let Some(p) = principal {
        request = request.data(Loaders::new(&state.db, &p, &activity)).data(p);
    }
    let mut response = activity.track(state.schema.execute(request)).await;
    let request_failed = matches!(response.data, async_graphql::Value::Null);
    // A document that did not parse or validate never ran: its errors carry no path. Under
    // application/graphql-response+json such an answer has no `data` key and a 4xx status;
    // a request that ran answers 200, even when its errors nulled the whole `data`.
    let request_error = request_failed
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let cap = state.config.limits.max_response_bytes;
    if crate::graphql::limits::is_over_cap(&response.errors) {
        tracing::warn!(
            cap,
            "answer passed the size cap while it was built; replaced by an error"
        );
        response =
            async_graphql::Response::from_errors(vec![crate::graphql::limits::over_cap_error(cap)]);
    }
    for err in &mut response.errors {
        add_missing_code(err, request_failed);
    }
    crate::error::log_internal_errors(&mut response.errors, &request_id.to_string());
    crate::metrics::record_request(
        operation.as_deref(),
        !request_failed,
        started.elapsed().as_secs_f64(),
        response.errors.is_empty(),
    );
    // Serialised straight from the response so that fields keep the query's order.
    let serialised = if gql && request_error {
        serde_json::to_string(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_string(&response)
    };
    let Ok(mut text) = serialised else {
        return HttpResponse::InternalServerError().finish();
    };
    if text.len() > cap {
        tracing::warn!(
            bytes = text.len(),
            cap,
            "response over the size cap replaced by an error"
        );
        text = error_body(
            &format!("the response would be larger than {cap} bytes; ask for fewer rows or fields"),
            "VALIDATION",
        )
        .to_string();
    }
    if let Some(id) = idempotency
        && let Err(e) = idempotency::complete(&state.db, id, &text).await
    {
        tracing::error!(error = ?e, "could not store the idempotent response");
    }
    let status = if gql && request_error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    respond_text(status, gql, text)
}

/// The type of the operation the request selects; `None` when the document does not parse or
/// names no single operation (the schema then refuses it).
fn operation_type(request: &async_graphql::Request) -> Option<OperationType> {
    use async_graphql::parser::types::DocumentOperations;
    let doc = parsed_queries::parsed(&request.query)?;
    match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    operation_type(request) == Some(OperationType::Mutation)
}

/// The first response to this Idempotency-Key, as it was sent.
fn replay(gql: bool, text: String) -> HttpResponse {
    let failed = text.starts_with("{\"errors\"");
    let status = if gql && failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = respond_text(status, gql, text);
    response.headers_mut().insert(
        header::HeaderName::from_static("idempotent-replayed"),
        header::HeaderValue::from_static("true"),
    );
    response
}

/// Errors raised by async-graphql itself (parse, validation, depth and complexity limits)
/// carry no code; they are the client's fault when no data was produced.
fn add_missing_code(err: &mut ServerError, request_failed: bool) {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        // An input the schema could not read (a bad date, a list over its bound) is the
        // client's fault even when other fields of the request ran.
        let bad_input = err.message.starts_with("Failed to parse")
            || err.message.starts_with("Invalid value for argument");
        let code = if request_failed || bad_input {
            "VALIDATION"
        } else {
            "INTERNAL"
        };
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

fn graphiql(state: &AppState) -> HttpResponse {
    if !state.config.limits.graphiql {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .finish(),
        )
}

/// WebSocket endpoint (graphql-transport-ws and graphql-ws): see [`crate::sockets`].
async fn subscriptions(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    crate::sockets::start(state.sockets.clone(), &req, payload)
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = crate::db::ping(&state.db).await;
    let redis = match &state.redis {
        None => None,
        Some(client) => Some(ping_redis(client).await),
    };
    let ready = database && redis.unwrap_or(true);
    let body = serde_json::json!({ "database": database, "redis": redis, "ready": ready });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn ping_redis(client: &redis::Client) -> bool {
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()
    };
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(2), attempt).await,
        Ok(Some(_))
    )
}

/// Open in dev; with `MERCATO_METRICS_TOKEN` set (required in prod, else 404) the scraper
/// sends `Authorization: Bearer <token>`.
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match &state.config.metrics_token {
        Some(expected) => {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(bearer_token)
                .unwrap_or_default();
            // Compared as digests: the time taken says nothing about the token.
            if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
                return HttpResponse::Unauthorized().finish();
            }
        }
        None if state.config.env == crate::config::Env::Prod => {
            return HttpResponse::NotFound().finish();
        }
        None => {}
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render(&state.db, &state.statements))
}
