//! Benchmark: starts a server (SQLite, or PostgreSQL with TEST_DATABASE_URL) with the demo
//! data and a larger catalogue, drives it with concurrent clients over HTTP, and prints
//! latency percentiles, throughput and SQL statements per request. Figures, not assertions.
//!
//!     cargo run --release -p api-tests --bin bench -- [clients] [requests-per-scenario]
use api_tests::{TestApp, spawn_with};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(800);
    let app = spawn_with(
        true,
        &[
            ("MERCATO_LOGIN_ATTEMPTS_PER_MINUTE", "1000000"),
            ("MERCATO_WORKERS", "2"),
        ],
    )
    .await;
    let backend = if api_tests::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let admin = app.login("admin@iberia.example").await;
    let ana = app.login("ana@iberia.example").await;
    let wh = app.login("warehouse@iberia.example").await;
    for i in 0..200 {
        let r = app
            .gql(
                Some(&admin),
                "mutation($s: String!) { createItem(input: {sku: $s, name: \"Bench item\", listPrice: \"1.2345\", barcodes: [$s], descriptions: [{language: \"es\", text: \"artículo\"}]}) { item { id } } }",
                json!({"s": format!("BENCH-{i:04}")}),
            )
            .await;
        assert!(r.is_ok(), "{}", r.0);
    }
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let kit = app.id_of(&admin, "items", "KIT-FIX").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let mad = app.id_of(&admin, "warehouses", "MAD").await;

    println!(
        "Mercato benchmark on {backend}: {clients} concurrent clients, {requests} requests per scenario"
    );
    let idle = rss_mb();
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "scenario", "req/s", "p50 ms", "p99 ms", "max ms", "SQL/req"
    );
    let items_page = json!({"query": "{ items(first: 50) { totalCount edges { node { sku listPrice barcodes descriptions { language text } stockLevels { onHand available warehouse { code } } } } } }"});
    let customers = json!({"query": "{ customers(first: 50) { totalCount edges { node { code name salesRep { code } addresses { city } } } } }"});
    let me = json!({"query": "{ me { kind role company { code } } }"});
    let adjust = json!({
        "query": "mutation($i: ID!, $w: ID!) { adjustStock(input: {itemId: $i, warehouseId: $w, location: \"A-01\", quantity: \"1\", reason: \"bench\"}) { stockLevel { onHand } } }",
        "variables": {"i": bolt, "w": mad}
    });
    let login = json!({"query": "mutation { login(input: {email: \"ana@iberia.example\", password: \"mercato-demo\"}) { token } }"});
    run(
        &app,
        "me (JWT auth + 1 lookup)",
        Some(&ana),
        std::slice::from_ref(&me),
        clients,
        requests,
    )
    .await;
    run(
        &app,
        "items: 50 with barcodes, texts, stock",
        Some(&admin),
        std::slice::from_ref(&items_page),
        clients,
        requests,
    )
    .await;
    run(
        &app,
        "customers as a rep: 50 with rep, addresses",
        Some(&ana),
        std::slice::from_ref(&customers),
        clients,
        requests,
    )
    .await;
    run(
        &app,
        "adjustStock on one row (contended)",
        Some(&wh),
        std::slice::from_ref(&adjust),
        clients,
        requests,
    )
    .await;
    let create_order = json!({
        "query": "mutation($c: ID!, $b: ID!, $k: ID!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $b, quantity: \"10\"}, {itemId: $k, quantity: \"1\"}, {barcode: \"8412345000028\", quantity: \"2\", bonusQuantity: \"1\"}]}) { salesOrder { number amounts { total } } } }",
        "variables": {"c": acme, "b": bolt, "k": kit}
    });
    run(
        &app,
        "createSalesOrder: 3 lines incl. a kit (gapless)",
        Some(&ana),
        std::slice::from_ref(&create_order),
        clients,
        requests,
    )
    .await;
    let orders_page = json!({"query": "{ salesOrders(first: 50) { totalCount edges { node { documentNumber status amounts { total companyTotal } customer { code } salesRep { code } carrier { code } lines { quantity unitPrice item { sku } } } } } }"});
    run(
        &app,
        "salesOrders as a rep: 50 with lines, items",
        Some(&ana),
        std::slice::from_ref(&orders_page),
        clients,
        requests,
    )
    .await;
    // Fulfilment on one hot item: each request confirms (reserving) or ships its own order.
    let mut orders = Vec::with_capacity(requests);
    for _ in 0..requests {
        let r = app
            .gql(
                Some(&admin),
                "mutation($c: ID!, $b: ID!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $b, quantity: \"2\"}]}) { salesOrder { id } } }",
                json!({"c": acme, "b": bolt}),
            )
            .await;
        orders.push(r.data()["createSalesOrder"]["salesOrder"]["id"].clone());
    }
    let r = app
        .gql(
            Some(&wh),
            "mutation($i: ID!, $w: ID!) { adjustStock(input: {itemId: $i, warehouseId: $w, location: \"A-01\", quantity: \"100000\", reason: \"bench\"}) { stockLevel { onHand } } }",
            json!({"i": bolt, "w": mad}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let confirms: Vec<Value> = orders
        .iter()
        .map(|id| json!({"query": "mutation($i: ID!) { confirmSalesOrder(input: {id: $i, createBackorders: true}) { lines { reserved } } }", "variables": {"i": id}}))
        .collect();
    run(
        &app,
        "confirmSalesOrder: reserve 1 line, hot item",
        Some(&admin),
        &confirms,
        clients,
        requests,
    )
    .await;
    let ships: Vec<Value> = orders
        .iter()
        .map(|id| json!({"query": "mutation($i: ID!) { shipSalesOrder(input: {orderId: $i}) { shipment { number } } }", "variables": {"i": id}}))
        .collect();
    run(
        &app,
        "shipSalesOrder: numbered note, consume",
        Some(&wh),
        &ships,
        clients,
        requests,
    )
    .await;
    run(
        &app,
        "login (argon2id)",
        None,
        std::slice::from_ref(&login),
        clients,
        requests.min(200),
    )
    .await;
    // Memory: the process holds the server and its clients; what matters is whether the load's
    // memory comes back once the load stops.
    let loaded = rss_mb();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = rss_mb();
    println!(
        "RSS (server and clients, one process): idle {idle:.1} MB, after the load {loaded:.1} MB, 10 s later {after:.1} MB"
    );
    println!(
        "{}",
        json!({"rss_idle_mb": idle, "rss_loaded_mb": loaded, "rss_after_10s_mb": after})
    );
}

/// This process's resident set (VmRSS), MB; 0 where /proc is not there.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs `requests` requests from `clients` concurrent clients; request i sends
/// `bodies[i % bodies.len()]`.
async fn run(
    app: &TestApp,
    name: &str,
    token: Option<&str>,
    bodies: &[Value],
    clients: usize,
    requests: usize,
) {
    let statements_before = app.state.statements.get();
    let started = Instant::now();
    let per_client = requests.div_ceil(clients);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let next = &next;
    let workers = (0..clients).map(|_| async move {
        let mut times = Vec::with_capacity(per_client);
        for _ in 0..per_client {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let body = &bodies[i % bodies.len()];
            let t = Instant::now();
            let resp = app.post_raw(token, body.clone()).await;
            let answer: Value = resp.json().await.expect("JSON");
            assert!(answer.get("errors").is_none(), "{name}: {answer}");
            times.push(t.elapsed());
        }
        times
    });
    let mut times: Vec<Duration> = join_all(workers).await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    times.sort();
    let pct = |p: f64| {
        times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0
    };
    let statements = (app.state.statements.get() - statements_before) as f64 / times.len() as f64;
    println!(
        "{:<44} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>10.1}",
        name,
        times.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        times.last().unwrap().as_secs_f64() * 1000.0,
        statements
    );
}
