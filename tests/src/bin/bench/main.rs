//! Benchmark program. Two modes:
//!
//!     bench <scenario> [--clients N] [--seconds S] [--warmup S]
//!           [--url URL [--server-pid PID] [--database-url URL]]
//!     bench [suite] [clients] [requests-per-scenario]
//!
//! Scenarios (closed-loop clients for a duration, warm-up not counted; prints a table and one
//! JSON line — throughput, p50/p95/p99/max, errors by code, SQL statements per operation from
//! `/metrics`, the server's resident memory at start, at the end and 10 s later):
//! - `place-order`: a sales rep creates a 3-line order of random stocked items (of 200) and
//!   confirms it with reservation;
//! - `hot-item`: every client orders the same item with backorders; afterwards on hand,
//!   reserved and backordered must add up exactly (printed as a check);
//! - `list-orders`: a page of orders with lines, items and customer;
//! - `invoice-and-pay`: an order of one line placed and confirmed by a rep, shipped by the
//!   warehouse, invoiced, posted and paid in full by accounting (six requests per operation);
//! - `ceiling [--rounds R]` (PostgreSQL, `TEST_DATABASE_URL`): `place-order` and pgbench with
//!   the same clients on the same database, running a script of the same statements
//!   (`api_tests::ceiling`), alternating in R rounds (4) that share the seconds; prints
//!   Mercato's orders/s as a share of pgbench's;
//! - `subscriptions [--subscribers N] [--events M] [--rate R] [--topic orders|stock]`: two
//!   `mercato serve` processes, N WebSocket subscribers spread over both taking `orderEvents`
//!   with the nested order (or `stockEvents`), M changes at R per second alternating between
//!   the instances; commit → receipt latency p50/p99/max (`api_tests::delivery`). Needs
//!   `cargo build --release -p api`; `BENCH_DATABASE_URL` / `BENCH_REDIS_URL` as below;
//! - `kill-instance` (a fault run): two `mercato serve` processes on one database, place-order
//!   load on both, one killed with `kill -9` halfway; prints and checks that the other kept
//!   serving, that nothing is half-written and that the dead one's events were sequenced by
//!   the survivor; also each server's start-up time and idle memory. Needs
//!   `cargo build --release -p api`; SQLite file, or `BENCH_DATABASE_URL` (an empty
//!   PostgreSQL database), `BENCH_REDIS_URL` for Redis;
//! - `redis-restart` and `postgres-restart` (fault runs): Redis, or the PostgreSQL cluster,
//!   goes down halfway through place-order load and comes back; see `bench/faults.rs` for
//!   what each checks.
//!
//! Without `--url` the server runs in this process on SQLite (PostgreSQL with
//! `TEST_DATABASE_URL`), with the demo data; its memory is then this process's. With `--url`
//! it drives a running server that has the demo data (`--server-pid` for its memory,
//! `MERCATO_METRICS_TOKEN` when its `/metrics` needs one, `--database-url` for the statistics
//! refresh below). Each run seeds its own items. On PostgreSQL the planner statistics are
//! refreshed (`ANALYZE`) when the warm-up ends: see `Target::refresh_statistics`.
//!
//! The suite (the default) runs a fixed number of requests through a list of single requests
//! against an in-process server and prints one line per request kind.
//!
//!     cargo run --release -p api-tests --bin bench -- place-order --clients 16 --seconds 30
mod attacks;
mod faults;

use api_tests::load::{self, Figures, Load, Rng, Target};
use api_tests::{TestApp, spawn_with};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SCENARIOS: [&str; 4] = ["place-order", "hot-item", "list-orders", "invoice-and-pay"];

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(s) if SCENARIOS.contains(&s) => scenario(s, &args[1..]).await,
        Some("kill-instance") => faults::kill_instance(&args[1..]).await,
        Some("redis-restart") => faults::redis_restart(&args[1..]).await,
        Some("postgres-restart") => faults::postgres_restart(&args[1..]).await,
        Some("subscriptions") => {
            let args = &args[1..];
            api_tests::delivery::run(api_tests::delivery::Delivery {
                subscribers: flag(args, "--subscribers").unwrap_or(1000),
                events: flag(args, "--events").unwrap_or(200),
                rate: flag(args, "--rate").unwrap_or(20.0),
                orders: flag::<String>(args, "--topic").is_none_or(|t| t == "orders"),
            })
            .await
        }
        Some("ceiling") => ceiling(&args[1..]).await,
        Some("attacks") => attacks::attacks(&args[1..]).await,
        Some("suite") => suite(&args[1..]).await,
        None => suite(&[]).await,
        Some(n) if n.parse::<usize>().is_ok() => suite(&args).await,
        Some(other) => {
            eprintln!(
                "unknown scenario {other:?}; one of {}, subscriptions, ceiling, attacks, kill-instance, redis-restart, postgres-restart or suite",
                SCENARIOS.join(", ")
            );
            std::process::exit(2);
        }
    }
}

/// `--name value` from the arguments.
fn flag<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a value, not {v:?}"))
        })
}

async fn scenario(name: &str, args: &[String]) {
    let load = Load {
        clients: flag(args, "--clients").unwrap_or(16),
        seconds: flag(args, "--seconds").unwrap_or(30),
        warmup: flag(args, "--warmup").unwrap_or(3),
    };
    let mut target = Target::new(flag(args, "--url"), flag(args, "--server-pid")).await;
    target.database_url = flag(args, "--database-url");
    let rss_start = target.rss_mb();
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 1_000_000;
    println!(
        "Mercato benchmark `{name}` on {}: {} clients, {} s (after {} s warm-up)",
        target.backend(),
        load.clients,
        load.seconds,
        load.warmup
    );
    let figures = match name {
        "place-order" => place_order(&target, load, run).await,
        "hot-item" => hot_item(&target, load, run).await,
        "invoice-and-pay" => invoice_and_pay(&target, load, run).await,
        _ => list_orders(&target, load, run).await,
    };
    let rss_end = target.rss_mb();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss_later = target.rss_mb();
    figures.print();
    let mb = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1} MB"));
    println!(
        "server RSS{}: at start {}, at the end {}, 10 s later {}",
        if target.app.is_some() {
            " (in-process: server and clients)"
        } else {
            ""
        },
        mb(rss_start),
        mb(rss_end),
        mb(rss_later)
    );
    let mut out = figures.json();
    out["clients"] = json!(load.clients);
    out["rss_start_mb"] = json!(rss_start);
    out["rss_end_mb"] = json!(rss_end);
    out["rss_after_10s_mb"] = json!(rss_later);
    println!("{out}");
}

/// `n` new stocked items with `stock` on hand each in MAD; their ids.
async fn seed_items(t: &Target, prefix: &str, n: usize, stock: u32) -> Vec<String> {
    let admin = t.login("admin@iberia.example").await;
    let wh = t.login("warehouse@iberia.example").await;
    let mad = t.id_of(&admin, "warehouses", "MAD").await;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let d = t
            .must(
                Some(&admin),
                "mutation($s: String!) { createItem(input: {sku: $s, name: \"Bench item\", listPrice: \"1.25\"}) { item { id } } }",
                json!({"s": format!("{prefix}-{i:04}")}),
            )
            .await;
        let id = d["createItem"]["item"]["id"].as_str().unwrap().to_owned();
        t.must(
            Some(&wh),
            "mutation($i: ID!, $w: ID!) { adjustStock(input: {itemId: $i, warehouseId: $w, location: \"A-01\", quantity: $q, reason: \"bench\"}) { stockLevel { onHand } } }"
                .replace("$q", &format!("\"{stock}\""))
                .as_str(),
            json!({"i": id, "w": mad}),
        )
        .await;
        ids.push(id);
    }
    ids
}

const CREATE: &str =
    "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id } } }";
const CONFIRM: &str = "mutation($i: ID!) { confirmSalesOrder(input: {id: $i, createBackorders: true}) { salesOrder { status } lines { reserved backordered } } }";

/// Create + confirm one order as `token`; the order's id and the confirmation's answer.
async fn place(
    t: &Target,
    token: &str,
    customer: &str,
    lines: Value,
) -> Result<(Value, Value), String> {
    let d = t
        .call(
            Some(token),
            CREATE,
            json!({"i": {"customerId": customer, "lines": lines}}),
        )
        .await?;
    let id = d["createSalesOrder"]["salesOrder"]["id"].clone();
    let confirmed = t.call(Some(token), CONFIRM, json!({"i": id})).await?;
    Ok((id, confirmed))
}

/// `place-order`: 3 random lines of 200 stocked items (plenty of stock), as Ana, for her two
/// customers in turn.
async fn place_order(t: &Target, load: Load, run: u64) -> Figures {
    let seeded = PlaceOrder::seed(t, run).await;
    seeded.drive(t, load).await
}

/// What `place-order` drives: the seeded items and Ana's session and customers.
struct PlaceOrder {
    items: Vec<String>,
    ana: String,
    customers: [String; 2],
}

impl PlaceOrder {
    async fn seed(t: &Target, run: u64) -> PlaceOrder {
        let items = seed_items(t, &format!("PO{run}"), 200, 1_000_000).await;
        let (ana, customers) = t.rep_and_customers().await;
        PlaceOrder {
            items,
            ana,
            customers,
        }
    }

    async fn drive(&self, t: &Target, load: Load) -> Figures {
        let (items, customers, ana) = (&self.items, &self.customers, &self.ana);
        load::drive(t, "place-order", load, |client, i| async move {
            let mut rng = Rng::new(client, i);
            let mut picked: Vec<usize> = Vec::with_capacity(3);
            while picked.len() < 3 {
                let k = rng.below(items.len());
                if !picked.contains(&k) {
                    picked.push(k);
                }
            }
            let lines: Vec<Value> = picked
                .iter()
                .map(|k| json!({"itemId": items[*k], "quantity": (1 + rng.below(5)).to_string()}))
                .collect();
            place(t, ana, &customers[(client + i as usize) % 2], json!(lines))
                .await
                .map(|_| ())
        })
        .await
    }
}

/// `hot-item`: one item with 300 on hand; every order takes 1–3 of it with backorders. Checks
/// afterwards that nothing was oversold and every shortfall was backordered.
async fn hot_item(t: &Target, load: Load, run: u64) -> Figures {
    const STOCK: u32 = 300;
    let item = seed_items(t, &format!("HOT{run}"), 1, STOCK)
        .await
        .remove(0);
    let admin = t.login("admin@iberia.example").await;
    let (ana, customers) = t.rep_and_customers().await;
    // What the confirmations reported: ordered, reserved, backordered.
    let tally = std::sync::Mutex::new((
        0u64,
        rust_decimal::Decimal::ZERO,
        rust_decimal::Decimal::ZERO,
    ));
    let (item_ref, customers_ref, ana_ref, tally_ref) = (&item, &customers, &ana, &tally);
    let figures = load::drive(t, "hot-item", load, |client, i| async move {
        let mut rng = Rng::new(client, i);
        let quantity = 1 + rng.below(3) as u64;
        let lines = json!([{"itemId": item_ref, "quantity": quantity.to_string()}]);
        let (_, d) = place(t, ana_ref, &customers_ref[client % 2], lines).await?;
        let line = &d["confirmSalesOrder"]["lines"][0];
        let dec = |v: &Value| {
            v.as_str()
                .and_then(|s| s.parse::<rust_decimal::Decimal>().ok())
                .unwrap_or_default()
        };
        let mut tally = tally_ref.lock().unwrap();
        tally.0 += quantity;
        tally.1 += dec(&line["reserved"]);
        tally.2 += dec(&line["backordered"]);
        Ok(())
    })
    .await;
    let (ordered, reserved, backordered) = *tally.lock().unwrap();
    let d = t
        .must(
            Some(&admin),
            "query($i: ID!) { item(id: $i) { availability { onHand reserved } } }",
            json!({"i": item}),
        )
        .await;
    let dec = |v: &Value| -> rust_decimal::Decimal { v.as_str().unwrap().parse().unwrap() };
    let on_hand = dec(&d["item"]["availability"]["onHand"]);
    let server_reserved = dec(&d["item"]["availability"]["reserved"]);
    let mut server_backordered = rust_decimal::Decimal::ZERO;
    let mut after = Value::Null;
    loop {
        let d = t
            .must(
                Some(&admin),
                "query($i: ID!, $a: String) { backorders(first: 100, after: $a, filter: {itemId: $i}) { edges { node { quantity } } pageInfo { hasNextPage endCursor } } }",
                json!({"i": item, "a": after}),
            )
            .await;
        for e in d["backorders"]["edges"].as_array().unwrap() {
            server_backordered += dec(&e["node"]["quantity"]);
        }
        if d["backorders"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = d["backorders"]["pageInfo"]["endCursor"].clone();
    }
    // Warm-up orders count too: the stock saw them.
    let checks = [
        (
            "no oversell: reserved ≤ on hand",
            server_reserved <= on_hand,
        ),
        (
            "reserved on the server = Σ reserved by the confirmations",
            server_reserved == reserved,
        ),
        (
            "backordered on the server = Σ backordered by the confirmations",
            server_backordered == backordered,
        ),
        (
            "every unit ordered is reserved or backordered",
            reserved + backordered == rust_decimal::Decimal::from(ordered),
        ),
        (
            "nothing backordered while stock was left",
            backordered.is_zero() || server_reserved == on_hand,
        ),
    ];
    println!(
        "hot item: {STOCK} on hand at start; ordered {ordered}, reserved {reserved}, backordered {backordered}; \
         server: on hand {on_hand}, reserved {server_reserved}, backordered {server_backordered}"
    );
    for (what, ok) in checks {
        println!("  check {}: {what}", if ok { "OK  " } else { "FAIL" });
    }
    if checks.iter().any(|(_, ok)| !ok) {
        eprintln!("hot-item: a check failed");
        std::process::exit(1);
    }
    figures
}

/// `invoice-and-pay`: the whole order-to-cash path of one order per operation.
async fn invoice_and_pay(t: &Target, load: Load, run: u64) -> Figures {
    let items = seed_items(t, &format!("IP{run}"), 50, 1_000_000).await;
    let (ana, customers) = t.rep_and_customers().await;
    let wh = t.login("warehouse@iberia.example").await;
    let accounting = t.login("accounting@iberia.example").await;
    let (items, customers, ana, wh, accounting) = (&items, &customers, &ana, &wh, &accounting);
    load::drive(t, "invoice-and-pay", load, |client, i| async move {
        let mut rng = Rng::new(client, i);
        let customer = &customers[(client + i as usize) % 2];
        let lines = json!([{"itemId": items[rng.below(items.len())], "quantity": (1 + rng.below(3)).to_string()}]);
        let (order, _) = place(t, ana, customer, lines).await?;
        t.call(
            Some(wh),
            "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { id } } }",
            json!({"i": {"orderId": order}}),
        )
        .await?;
        let d = t
            .call(
                Some(accounting),
                "mutation($i: CreateInvoiceInput!) { createInvoice(input: $i) { invoice { id } } }",
                json!({"i": {"orderIds": [order]}}),
            )
            .await?;
        let invoice = d["createInvoice"]["invoice"]["id"].clone();
        let d = t
            .call(
                Some(accounting),
                "mutation($i: IdInput!) { postInvoice(input: $i) { invoice { amounts { totalWithTax } } } }",
                json!({"i": {"id": invoice}}),
            )
            .await?;
        let amount = d["postInvoice"]["invoice"]["amounts"]["totalWithTax"].clone();
        t.call(
            Some(accounting),
            "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { payment { id } } }",
            json!({"i": {"customerId": customer, "amount": amount, "currency": "EUR", "date": "2026-12-01", "method": "TRANSFER", "allocations": [{"invoiceId": invoice, "amount": amount}]}}),
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `list-orders`: a page of 50 orders with lines, items and customer, as the admin, over 200
/// seeded 3-line orders. The statements of one page of 10 and of 50 are printed first.
async fn list_orders(t: &Target, load: Load, run: u64) -> Figures {
    let items = seed_items(t, &format!("LO{run}"), 20, 1_000_000).await;
    let admin = t.login("admin@iberia.example").await;
    let ana = t.login("ana@iberia.example").await;
    let acme = t.id_of(&admin, "customers", "ACME").await;
    for i in 0..200 {
        let lines: Vec<Value> = (0..3)
            .map(|k| json!({"itemId": items[(i + k * 7) % items.len()], "quantity": "1"}))
            .collect();
        t.must(
            Some(&ana),
            CREATE,
            json!({"i": {"customerId": acme, "lines": lines}}),
        )
        .await;
    }
    let page = |n: usize| {
        format!(
            "{{ salesOrders(first: {n}) {{ totalCount edges {{ node {{ documentNumber status amounts {{ total }} customer {{ code name }} lines {{ quantity unitPrice item {{ sku name }} }} }} }} }} }}"
        )
    };
    for n in [10, 50] {
        let before = t.statements().await;
        t.must(Some(&admin), &page(n), json!({})).await;
        let after = t.statements().await;
        if let (Some(b), Some(a)) = (before, after) {
            println!("one page of {n}: {} statements", a - b);
        }
    }
    let query = page(50);
    let (query, admin) = (&query, &admin);
    load::drive(t, "list-orders (page of 50)", load, |_, _| async move {
        t.call(Some(admin), query, json!({})).await.map(|_| ())
    })
    .await
}

/// `ceiling`: see the module comment and `api_tests::ceiling`. The machine's speed drifts
/// within minutes (a shared virtual machine), so the two sides alternate in `--rounds` slices
/// of the run (4 by default) instead of running one after the other: a slow spell then falls
/// on both. The ratio is of the totals; each round's is printed too.
async fn ceiling(args: &[String]) {
    assert!(
        api_tests::on_postgres(),
        "bench ceiling needs PostgreSQL: set TEST_DATABASE_URL"
    );
    let load = Load {
        clients: flag(args, "--clients").unwrap_or(16),
        seconds: flag(args, "--seconds").unwrap_or(30),
        warmup: flag(args, "--warmup").unwrap_or(3),
    };
    let rounds: u64 = flag(args, "--rounds")
        .unwrap_or(4)
        .clamp(1, load.seconds.max(1));
    let slice = load.seconds / rounds;
    let target = Target::new(None, None).await;
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 1_000_000;
    println!(
        "Mercato place-order against pgbench on the same statements: {} clients, {} s each, \
         in {rounds} alternating rounds of {slice} s",
        load.clients,
        slice * rounds
    );
    let seeded = PlaceOrder::seed(&target, run).await;
    let app = target.app.as_ref().unwrap();
    let database_url = app.database_url().to_owned();
    let one = |sql: String| async move {
        use sea_orm::ConnectionTrait;
        let row = app
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql.clone(),
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no row: {sql}"));
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let prefix = format!("PO{run}-");
    let params = api_tests::ceiling::Params {
        company_id: one("SELECT id FROM companies WHERE code = 'IBX'".into()).await,
        user_id: one("SELECT id FROM users WHERE email = 'ana@iberia.example'".into()).await,
        customers: [
            one("SELECT id FROM customers WHERE code = 'ACME'".into()).await,
            one("SELECT id FROM customers WHERE code = 'INITECH'".into()).await,
        ],
        rep_id: one("SELECT sales_rep_id FROM users WHERE email = 'ana@iberia.example'".into())
            .await,
        first_item: one(format!(
            "SELECT min(id) FROM items WHERE sku LIKE '{prefix}%'"
        ))
        .await,
        last_item: one(format!(
            "SELECT max(id) FROM items WHERE sku LIKE '{prefix}%'"
        ))
        .await,
    };
    // pgbench's sessions plan as the server's do and use TLS when they do (`api::db::pg_session`).
    let session = api_tests::session(&app.state.db).await;
    let script = api_tests::ceiling::script(&params);
    let path = std::env::temp_dir().join(format!("mercato-ceiling-{run}.sql"));
    std::fs::write(&path, &script).expect("script written");
    println!(
        "pgbench script: {} ({} statements per order), plan_cache_mode {}, TLS {}",
        path.display(),
        api_tests::ceiling::statements(&script),
        session.plan_cache_mode,
        if session.tls { "on" } else { "off" }
    );
    let mut mercato = Vec::new();
    let (mut pg_orders, mut pg_seconds) = (0.0, 0.0);
    for round in 1..=rounds {
        let warmup = if round == 1 { load.warmup } else { 1 };
        let figures = seeded
            .drive(
                &target,
                Load {
                    seconds: slice,
                    warmup,
                    ..load
                },
            )
            .await;
        let tps = pgbench(&path, &database_url, &session, load.clients, slice);
        println!(
            "round {round}: Mercato {:.1} orders/s, pgbench {tps:.1}: {:.0} %",
            figures.throughput(),
            figures.throughput() / tps * 100.0
        );
        mercato.push(figures);
        pg_orders += tps * slice as f64;
        pg_seconds += slice as f64;
    }
    let figures = Figures::merge(mercato);
    figures.print();
    let ceiling = pg_orders / pg_seconds;
    let ratio = figures.throughput() / ceiling;
    println!("pgbench, the same statements: {ceiling:.1} orders/s");
    println!(
        "Mercato place-order: {:.1} orders/s = {:.0} % of the ceiling",
        figures.throughput(),
        ratio * 100.0
    );
    let mut out = figures.json();
    out["ceiling_orders_per_s"] = json!((ceiling * 10.0).round() / 10.0);
    out["share_of_ceiling"] = json!((ratio * 1000.0).round() / 1000.0);
    out["rounds"] = json!(rounds);
    println!("{out}");
}

/// One pgbench run of `script` for `seconds`: its orders per second (connection set-up not
/// counted). Exits the benchmark when pgbench gives no figure or any transaction failed.
fn pgbench(
    script: &std::path::Path,
    database_url: &str,
    session: &api_tests::Session,
    clients: usize,
    seconds: u64,
) -> f64 {
    let output = std::process::Command::new("pgbench")
        .env(
            "PGOPTIONS",
            format!("-c plan_cache_mode={}", session.plan_cache_mode),
        )
        // A `sslmode` in the URL still wins, as it does for the server.
        .env("PGSSLMODE", if session.tls { "require" } else { "disable" })
        .args([
            "-n",
            // Prepared statements, as the server's driver uses them.
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(script)
        .arg(database_url)
        .output()
        .expect("pgbench runs (package postgresql-client)");
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    let failed = out
        .lines()
        .find(|l| l.starts_with("number of failed transactions"))
        .unwrap_or("");
    match api_tests::ceiling::tps(&out) {
        Some(tps) if failed.is_empty() || failed.contains(": 0 ") => tps,
        _ => {
            eprintln!("pgbench gave no figure or failed transactions:\n{out}\n{err}");
            std::process::exit(1);
        }
    }
}

/// The suite: a fixed number of requests per request kind, against an in-process server.
async fn suite(args: &[String]) {
    let mut args = args.iter();
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
