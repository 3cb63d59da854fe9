//! The `subscriptions` benchmark scenario (`bench subscriptions`): two `mercato serve`
//! processes (release build) share one database and one Redis; N WebSocket subscribers are
//! spread over both; a driver makes M changes, alternating between the instances, at a steady
//! pace — order confirmations sent (subscribers take `orderEvents` with the nested order) or,
//! with `--topic stock`, stock adjustments. Prints the delivery latency from commit to receipt
//! (p50/p99/max over every subscriber × event), what was delivered, and each server's resident
//! memory before and after the subscribers joined, and one JSON line. Figures, not assertions.
//!
//! SQLite file by default; `BENCH_DATABASE_URL=postgres://…/db` for PostgreSQL (the database
//! must exist and be empty). `BENCH_REDIS_URL` (default redis://127.0.0.1:6379).
use crate::servers::{rss_mib, start};
use crate::ws;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

async fn gql(url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut req = reqwest::Client::new()
        .post(format!("{url}/graphql"))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let v: Value = req.send().await.unwrap().json().await.unwrap();
    assert!(v.get("errors").is_none(), "{v}");
    v["data"].clone()
}

/// What `bench subscriptions` runs.
pub struct Delivery {
    pub subscribers: usize,
    pub events: usize,
    /// Changes per second.
    pub rate: f64,
    /// `orderEvents` with the nested order (else `stockEvents`).
    pub orders: bool,
}

pub async fn run(d: Delivery) {
    let Delivery {
        subscribers,
        events,
        rate,
        orders,
    } = d;
    let redis_url =
        std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let sqlite = std::env::temp_dir().join(format!(
        "mercato-events-bench-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", sqlite.display()));
    let backend = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let a = start(&database_url, &redis_url, true).await;
    let b = start(&database_url, &redis_url, false).await;
    let login = "mutation { login(input: {email: \"warehouse@iberia.example\", password: \"mercato-demo\"}) { token } }";
    let token = gql(&a.url, None, login, json!({})).await["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = gql(
        &a.url,
        Some(&token),
        "{ items(first: 50) { edges { node { id sku } } } warehouses { edges { node { id code } } } }",
        json!({}),
    )
    .await;
    let find = |list: &str, key: &str, code: &str| {
        items[list]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"][key] == code)
            .unwrap()["node"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let bolt = find("items", "sku", "BOLT-M8");
    let mad = find("warehouses", "code", "MAD");
    let admin = gql(
        &a.url,
        None,
        "mutation { login(input: {email: \"admin@iberia.example\", password: \"mercato-demo\"}) { token } }",
        json!({}),
    )
    .await["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = if orders {
        let customers = gql(
            &a.url,
            Some(&admin),
            "{ customers(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
        let customer = customers["customers"]["edges"][0]["node"]["id"].clone();
        let r = gql(
            &a.url,
            Some(&admin),
            "mutation($c: ID!, $i: ID!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $i, quantity: \"1\"}]}) { salesOrder { id } } }",
            json!({"c": customer, "i": bolt}),
        )
        .await;
        r["createSalesOrder"]["salesOrder"]["id"].clone()
    } else {
        Value::Null
    };
    let (token, subscription, field) = if orders {
        (
            admin.clone(),
            "subscription($i: ID) { orderEvents(filter: {orderId: $i}) { id occurredAt order { documentNumber status customer { code } } } }",
            "orderEvents",
        )
    } else {
        (
            token,
            "subscription($i: ID) { stockEvents(filter: {itemId: $i}) { id occurredAt available } }",
            "stockEvents",
        )
    };
    let filter_id = if orders { order.clone() } else { json!(bolt) };

    let rss_before = (rss_mib(a.child.id()), rss_mib(b.child.id()));
    println!(
        "Mercato event delivery on {backend} + Redis: {subscribers} subscribers over 2 instances, {events} {} events at {rate}/s",
        if orders {
            "order (nested order)"
        } else {
            "stock"
        }
    );
    // Subscribers: half on each instance, each counting its events and their latency.
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(subscribers * events)));
    let connected = Instant::now();
    let mut tasks = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let server = if i % 2 == 0 { &a } else { &b };
        let mut s = ws::connect(&server.url, &token).await;
        ws::subscribe(&mut s, "1", subscription, json!({ "i": filter_id })).await;
        let latencies = latencies.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = 0usize;
            let mut mine = Vec::with_capacity(events);
            while got < events {
                let Ok(Some(Ok(msg))) =
                    tokio::time::timeout(Duration::from_secs(30), s.next()).await
                else {
                    break;
                };
                let Message::Text(t) = msg else {
                    continue;
                };
                let received = Utc::now();
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] != "next" {
                    continue;
                }
                let at: DateTime<Utc> = v["payload"]["data"][field]["occurredAt"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("occurredAt");
                mine.push((received - at).num_microseconds().unwrap_or(0) as f64 / 1000.0);
                got += 1;
            }
            latencies.lock().await.extend(mine);
            got
        }));
    }
    println!(
        "{subscribers} subscriptions open in {:.1} s",
        connected.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_subscribed = (rss_mib(a.child.id()), rss_mib(b.child.id()));

    let adjust = "mutation($i: ID!, $w: ID!, $q: Decimal!) { adjustStock(input: {itemId: $i, warehouseId: $w, location: \"A-01\", quantity: $q, reason: \"bench\"}) { stockLevel { onHand } } }";
    let send =
        "mutation($o: ID!) { sendOrderConfirmation(input: {orderId: $o}) { salesOrder { id } } }";
    let pace = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    for i in 0..events {
        let server = if i % 2 == 0 { &a } else { &b };
        let q = if i % 2 == 0 { "1" } else { "-1" };
        if orders {
            gql(&server.url, Some(&admin), send, json!({ "o": order })).await;
        } else {
            gql(
                &server.url,
                Some(&token),
                adjust,
                json!({"i": bolt, "w": mad, "q": q}),
            )
            .await;
        }
        let next = pace * (i as u32 + 1);
        if let Some(wait) = next.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }
    let mut delivered = 0;
    for t in tasks {
        delivered += t.await.unwrap();
    }
    let rss_after = (rss_mib(a.child.id()), rss_mib(b.child.id()));
    let statements = |url: String| async move {
        let text = reqwest::get(format!("{url}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("mercato_db_statements_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let sql = statements(a.url.clone()).await + statements(b.url.clone()).await;
    let mut l = latencies.lock().await.clone();
    l.sort_by(|x, y| x.total_cmp(y));
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)];
    println!(
        "delivered {delivered} of {} events ({} per subscriber expected)",
        subscribers * events,
        events
    );
    println!(
        "latency commit → receipt ms: p50 {:.1}  p99 {:.1}  max {:.1}",
        pct(0.50),
        pct(0.99),
        l.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "server RSS MiB (A, B): idle {:.0}, {:.0} · {} subscribed {:.0}, {:.0} · after the run {:.0}, {:.0}",
        rss_before.0,
        rss_before.1,
        subscribers,
        rss_subscribed.0,
        rss_subscribed.1,
        rss_after.0,
        rss_after.1
    );
    println!("SQL statements on the request pools of both servers, whole run: {sql:.0}");
    println!(
        "≈ {:.1} KiB per subscription",
        ((rss_subscribed.0 - rss_before.0) + (rss_subscribed.1 - rss_before.1)) * 1024.0
            / subscribers as f64
    );
    println!(
        "{}",
        json!({
            "scenario": "subscriptions",
            "backend": backend,
            "subscribers": subscribers,
            "events": events,
            "rate": rate,
            "topic": if orders { "orderEvents" } else { "stockEvents" },
            "delivered": delivered,
            "expected": subscribers * events,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": l.last().copied(),
            "rss_idle_mib": [rss_before.0, rss_before.1],
            "rss_subscribed_mib": [rss_subscribed.0, rss_subscribed.1],
            "rss_after_mib": [rss_after.0, rss_after.1],
            "sql_statements": sql,
        })
    );
    drop((a, b));
    for suffix in ["", "-wal", "-shm"] {
        let mut p = sqlite.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}
