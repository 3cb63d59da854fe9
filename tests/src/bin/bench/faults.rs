//! Fault runs: place-order load while something fails, then checks printed one per line (the
//! process exits non-zero when one fails). Each starts its own `mercato serve` processes
//! (`cargo build --release -p api` first) on a fresh SQLite file or on `BENCH_DATABASE_URL`
//! (an empty PostgreSQL database).
//!
//! - `kill-instance`: two instances, one killed with `kill -9` halfway; the other keeps serving
//!   and its sweeper sequences what the dead one committed.
//! - `redis-restart`: two instances and WebSocket subscribers on both fan out through a Redis
//!   of the run's own (`redis-server` on a free port), killed and started again halfway; no
//!   request may fail and every subscriber must receive every order event committed.
//! - `postgres-restart` (PostgreSQL only, and it restarts the cluster: not on a shared server):
//!   the database is stopped for a few seconds halfway (`BENCH_PG_STOP` / `BENCH_PG_START`,
//!   by default `pg_ctlcluster <version> main stop|start`); while it is down requests fail with
//!   UNAVAILABLE (never INTERNAL), afterwards the same server serves again by itself.
//!
//! All three then check the database: no order without its lines, no gap in the run's order
//! numbers, every slot's reserved equal to its reservations and within on hand, no committed
//! event left unsequenced.
use super::{flag, place, seed_items};
use api_tests::load::{Rng, Target};
use api_tests::servers::{self, Server};
use api_tests::ws;
use entity::{DocKind, outbox, reservation, sales_order, sales_order_line, stock_level};
use futures_util::StreamExt;
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// One check's line and verdict.
type Check = (String, bool);

/// The phases of a run: before the fault, during it, after it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Phase {
    Before,
    During,
    After,
}

/// (instance, phase) → (orders placed, errors by code).
type Tally = BTreeMap<(char, Phase), (usize, BTreeMap<String, usize>)>;

/// Where a run's database lives; a SQLite file is removed afterwards.
struct Database {
    url: String,
    sqlite: Option<std::path::PathBuf>,
}

impl Database {
    fn new(name: &str) -> Database {
        match std::env::var("BENCH_DATABASE_URL") {
            Ok(url) => Database { url, sqlite: None },
            Err(_) => {
                let path = std::env::temp_dir().join(format!(
                    "mercato-{name}-{}.db",
                    uuid::Uuid::new_v4().simple()
                ));
                Database {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    sqlite: Some(path),
                }
            }
        }
    }

    fn backend(&self) -> &'static str {
        if self.url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    async fn connect(&self) -> DatabaseConnection {
        sea_orm::Database::connect(&self.url)
            .await
            .expect("database")
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite {
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
            }
        }
    }
}

/// The items, rep and customers a run's clients order with, and the last order id before it.
struct Fixture {
    items: Vec<String>,
    ana: String,
    customers: [String; 2],
    first_order: i64,
}

async fn fixture(t: &Target, db: &DatabaseConnection, prefix: &str) -> Fixture {
    let items = seed_items(t, prefix, 50, 1_000_000).await;
    let (ana, customers) = t.rep_and_customers().await;
    let first_order = sales_order::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .max()
        .unwrap_or(0);
    Fixture {
        items,
        ana,
        customers,
        first_order,
    }
}

/// Closed-loop place-order clients over `targets` (client `n` on `targets[n % len]`) until
/// `until`; `phase` says which phase a finished request counts in.
async fn drive(
    targets: &[(char, &Target)],
    clients: usize,
    f: &Fixture,
    until: Instant,
    phase: impl Fn(char) -> Phase + Sync,
) -> Tally {
    let tally: Mutex<Tally> = Mutex::new(BTreeMap::new());
    let workers = (0..clients).map(|client| {
        let (tally, phase) = (&tally, &phase);
        async move {
            let mut i = 0u64;
            while Instant::now() < until {
                let (name, t) = targets[client % targets.len()];
                let mut rng = Rng::new(client, i);
                i += 1;
                let lines: Vec<Value> = (0..3)
                    .map(|_| json!({"itemId": f.items[rng.below(f.items.len())], "quantity": "1"}))
                    .collect();
                let result = place(t, &f.ana, &f.customers[client % 2], json!(lines)).await;
                let now = phase(name);
                let failed = {
                    let mut tally = tally.lock().unwrap();
                    let entry = tally.entry((name, now)).or_default();
                    match result {
                        Ok(_) => entry.0 += 1,
                        Err(code) => *entry.1.entry(code).or_default() += 1,
                    }
                    entry.1.values().sum::<usize>() > 0
                };
                if failed && now != Phase::Before {
                    // A dead instance or database: wait instead of spinning on refusals.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    join_all(workers).await;
    tally.into_inner().unwrap()
}

fn print_tally(tally: &Tally) {
    for ((name, phase), (ok, errors)) in tally {
        println!("  {name} {phase:?}: {ok} orders placed, errors {errors:?}");
    }
}

fn errors_in(tally: &Tally, pick: impl Fn(char, Phase) -> bool) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for ((name, phase), (_, errors)) in tally {
        if pick(*name, *phase) {
            for (code, n) in errors {
                *out.entry(code.clone()).or_default() += n;
            }
        }
    }
    out
}

fn placed_in(tally: &Tally, pick: impl Fn(char, Phase) -> bool) -> usize {
    tally
        .iter()
        .filter(|((name, phase), _)| pick(*name, *phase))
        .map(|(_, (ok, _))| ok)
        .sum()
}

/// What every fault run checks in the database afterwards.
async fn integrity(db: &DatabaseConnection, first_order: i64) -> Vec<Check> {
    let orders = sales_order::Entity::find()
        .filter(sales_order::Column::Kind.eq(DocKind::Order))
        .filter(sales_order::Column::Id.gt(first_order))
        .all(db)
        .await
        .unwrap();
    let mut lines_per_order: HashMap<i64, usize> = HashMap::new();
    for l in sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.gt(first_order))
        .all(db)
        .await
        .unwrap()
    {
        *lines_per_order.entry(l.order_id).or_default() += 1;
    }
    let partial = orders
        .iter()
        .filter(|o| lines_per_order.get(&o.id).copied().unwrap_or(0) != 3)
        .count();
    let mut numbers: BTreeMap<(i64, String), Vec<i64>> = BTreeMap::new();
    for o in &orders {
        numbers
            .entry((o.company_id, o.series.clone()))
            .or_default()
            .push(o.number);
    }
    let gaps: usize = numbers
        .values_mut()
        .map(|n| {
            n.sort_unstable();
            n.windows(2).filter(|w| w[1] != w[0] + 1).count()
        })
        .sum();
    let mut reserved_by_slot: HashMap<i64, rust_decimal::Decimal> = HashMap::new();
    for r in reservation::Entity::find().all(db).await.unwrap() {
        *reserved_by_slot.entry(r.stock_level_id).or_default() += r.quantity.0;
    }
    let slots = stock_level::Entity::find().all(db).await.unwrap();
    let slot_mismatch = slots
        .iter()
        .filter(|s| {
            s.reserved.0 != reserved_by_slot.get(&s.id).copied().unwrap_or_default()
                || s.reserved.0 > s.on_hand.0
        })
        .count();
    let unsequenced = outbox::Entity::find()
        .filter(outbox::Column::Seq.is_null())
        .count(db)
        .await
        .unwrap();
    vec![
        (
            format!(
                "nothing half-written: {partial} of {} orders without their 3 lines",
                orders.len()
            ),
            partial == 0,
        ),
        (
            format!("the run's order numbers gapless: {gaps} gaps"),
            gaps == 0,
        ),
        (
            format!(
                "every slot's reserved = its reservations, ≤ on hand: {slot_mismatch} slots differ"
            ),
            slot_mismatch == 0,
        ),
        (
            format!("every committed event sequenced: {unsequenced} left"),
            unsequenced == 0,
        ),
    ]
}

/// Prints the checks; exits non-zero when one failed.
fn verdict(checks: &[Check]) {
    for (what, ok) in checks {
        println!("  check {}: {what}", if *ok { "OK  " } else { "FAIL" });
    }
    if checks.iter().any(|(_, ok)| !ok) {
        std::process::exit(1);
    }
}

fn start_up_line(a: &Server, b: Option<&Server>) {
    let mut line = format!(
        "start-up to ready: A {:.0} ms (migrates and seeds), idle RSS A {:.1} MB",
        a.ready_after.as_secs_f64() * 1000.0,
        servers::rss_mib(a.pid())
    );
    if let Some(b) = b {
        line.push_str(&format!(
            "; B {:.0} ms, idle RSS {:.1} MB",
            b.ready_after.as_secs_f64() * 1000.0,
            servers::rss_mib(b.pid())
        ));
    }
    println!("{line}");
}

/// `kill-instance`.
pub async fn kill_instance(args: &[String]) {
    let clients: usize = flag(args, "--clients").unwrap_or(16);
    let seconds: u64 = flag(args, "--seconds").unwrap_or(20);
    let database = Database::new("kill-bench");
    let redis_url = std::env::var("BENCH_REDIS_URL").unwrap_or_default();
    let mut a = servers::start(&database.url, &redis_url, true).await;
    let b = servers::start(&database.url, &redis_url, false).await;
    println!(
        "kill-instance on {}{}: {clients} clients for {seconds} s over two instances, A killed \
         with kill -9 after {} s",
        database.backend(),
        if redis_url.is_empty() { "" } else { " + Redis" },
        seconds / 2
    );
    start_up_line(&a, Some(&b));
    let ta = Target::new(Some(a.url.clone()), Some(a.pid())).await;
    let tb = Target::new(Some(b.url.clone()), Some(b.pid())).await;
    let db = database.connect().await;
    let f = fixture(&tb, &db, "KILL").await;

    let started = Instant::now();
    let kill_at = started + Duration::from_secs(seconds / 2);
    let phase = |_: char| {
        if Instant::now() < kill_at {
            Phase::Before
        } else {
            Phase::After
        }
    };
    let killer = async {
        tokio::time::sleep_until(kill_at.into()).await;
        a.kill_hard();
        println!(
            "killed A (pid {}) at {:.1} s",
            a.pid(),
            started.elapsed().as_secs_f64()
        );
    };
    let targets = [('A', &ta), ('B', &tb)];
    let until = started + Duration::from_secs(seconds);
    let (tally, ()) = tokio::join!(drive(&targets, clients, &f, until, phase), killer);
    // The survivor's sweeper runs every second: give it a few.
    tokio::time::sleep(Duration::from_secs(3)).await;
    print_tally(&tally);
    let b_errors = errors_in(&tally, |name, _| name == 'B');
    let b_after = placed_in(&tally, |name, phase| name == 'B' && phase == Phase::After);
    let mut checks = vec![(
        format!("B kept serving: {b_after} orders after the kill, errors {b_errors:?}"),
        b_after > 0 && b_errors.is_empty(),
    )];
    checks.extend(integrity(&db, f.first_order).await);
    drop(b);
    verdict(&checks);
}

/// A `redis-server` of the run's own, on a port of its own.
struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    fn start(port: u16) -> Redis {
        let mut r = Redis { port, child: None };
        r.up();
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn up(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on the PATH");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `redis-restart`.
pub async fn redis_restart(args: &[String]) {
    let clients: usize = flag(args, "--clients").unwrap_or(16);
    let seconds: u64 = flag(args, "--seconds").unwrap_or(20);
    let subscribers: usize = flag(args, "--subscribers").unwrap_or(100);
    let outage: u64 = flag(args, "--outage").unwrap_or(2);
    let database = Database::new("redis-bench");
    let mut redis = Redis::start(servers::free_port());
    let a = servers::start(&database.url, &redis.url(), true).await;
    let b = servers::start(&database.url, &redis.url(), false).await;
    println!(
        "redis-restart on {} + Redis: {clients} clients for {seconds} s over two instances, \
         {subscribers} orderEvents subscribers over both; Redis killed after {} s, started again \
         {outage} s later",
        database.backend(),
        seconds / 2
    );
    start_up_line(&a, Some(&b));
    let ta = Target::new(Some(a.url.clone()), Some(a.pid())).await;
    let tb = Target::new(Some(b.url.clone()), Some(b.pid())).await;
    let db = database.connect().await;
    let f = fixture(&tb, &db, "REDIS").await;
    let admin = ta.login("admin@iberia.example").await;
    // Every subscriber collects the ids (sequence numbers) of the order events it receives.
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut listeners = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let url = if i % 2 == 0 { &a.url } else { &b.url };
        let mut s = ws::connect(url, &admin).await;
        ws::subscribe(
            &mut s,
            "1",
            "subscription { orderEvents { id } }",
            json!({}),
        )
        .await;
        let stop = stop.clone();
        listeners.push(tokio::spawn(async move {
            let (mut seen, mut dropped): (Vec<i64>, usize) = (Vec::new(), 0);
            loop {
                tokio::select! {
                    _ = stop.notified() => break,
                    msg = s.next() => {
                        let t = match msg {
                            Some(Ok(Message::Text(t))) => t,
                            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                            Some(Ok(_)) => continue, // pings
                        };
                        let v: Value = serde_json::from_str(&t).unwrap_or_default();
                        if let Some(id) = v["payload"]["data"]["orderEvents"]["id"].as_str() {
                            seen.push(id.parse().unwrap_or(-1));
                        }
                        // A subscriber that falls more than the hub's buffer behind is dropped
                        // and told to subscribe again with `after` (README, Live events): do
                        // what a client must, so that "no event lost" checks that contract.
                        if v["type"] == "complete" {
                            dropped += 1;
                            let after = seen.iter().max().map(i64::to_string);
                            ws::subscribe(
                                &mut s,
                                "1",
                                "subscription($a: ID) { orderEvents(after: $a) { id } }",
                                json!({"a": after}),
                            )
                            .await;
                        }
                    }
                }
            }
            (seen, dropped)
        }));
    }
    let first_event: i64 = outbox::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| e.seq)
        .max()
        .unwrap_or(0);

    let started = Instant::now();
    let down_at = started + Duration::from_secs(seconds / 2);
    let up_at = down_at + Duration::from_secs(outage);
    let phase = |_: char| {
        let now = Instant::now();
        if now < down_at {
            Phase::Before
        } else if now < up_at {
            Phase::During
        } else {
            Phase::After
        }
    };
    let fault = async {
        tokio::time::sleep_until(down_at.into()).await;
        redis.kill();
        println!("Redis killed at {:.1} s", started.elapsed().as_secs_f64());
        tokio::time::sleep_until(up_at.into()).await;
        redis.up();
        println!("Redis up again at {:.1} s", started.elapsed().as_secs_f64());
    };
    let targets = [('A', &ta), ('B', &tb)];
    let until = started + Duration::from_secs(seconds);
    let (tally, ()) = tokio::join!(drive(&targets, clients, &f, until, phase), fault);
    // Give delivery time to catch up after the load, then stop listening.
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.notify_waiters();
    let (mut received, mut resubscribed) = (Vec::with_capacity(subscribers), 0);
    for l in listeners {
        let (seen, dropped) = l.await.unwrap_or_default();
        received.push(seen);
        resubscribed += dropped;
    }
    print_tally(&tally);
    let committed: BTreeSet<i64> = outbox::Entity::find()
        .filter(outbox::Column::Seq.gt(first_event))
        .filter(outbox::Column::OrderId.is_not_null())
        .all(&db)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| e.seq)
        .collect();
    let counts: Vec<usize> = received.iter().map(Vec::len).collect();
    println!(
        "  subscribers received {}..{} events each ({} committed); {resubscribed} subscriptions \
         fell behind the hub's buffer and subscribed again with `after`",
        counts.iter().min().unwrap_or(&0),
        counts.iter().max().unwrap_or(&0),
        committed.len()
    );
    let (mut missing, mut duplicates, mut complete) = (0usize, 0usize, 0usize);
    for seen in &received {
        let set: BTreeSet<i64> = seen.iter().copied().filter(|s| *s > first_event).collect();
        duplicates += seen.len() - seen.iter().collect::<BTreeSet<_>>().len();
        let lost = committed.difference(&set).count();
        missing += lost;
        complete += usize::from(lost == 0);
    }
    let errors = errors_in(&tally, |_, _| true);
    let placed = placed_in(&tally, |_, _| true);
    let mut checks = vec![
        (
            format!("no request failed: {placed} orders placed, errors {errors:?}"),
            errors.is_empty() && placed > 0,
        ),
        (
            format!(
                "no event lost: {complete} of {subscribers} subscribers received all {} order \
                 events committed in the run ({missing} deliveries missing, {duplicates} \
                 duplicates)",
                committed.len()
            ),
            complete == subscribers && !committed.is_empty(),
        ),
    ];
    checks.extend(integrity(&db, f.first_order).await);
    drop((a, b));
    verdict(&checks);
}

/// The commands that stop and start the PostgreSQL cluster.
fn pg_command(which: &str) -> String {
    let env = format!("BENCH_PG_{}", which.to_uppercase());
    std::env::var(&env).unwrap_or_else(|_| {
        let version = std::fs::read_dir("/etc/postgresql")
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .unwrap_or_else(|| panic!("no /etc/postgresql: set {env}"));
        format!("pg_ctlcluster --skip-systemctl-redirect {version} main {which}")
    })
}

fn sh(command: &str) {
    let status = Command::new("sh")
        .args(["-c", command])
        .status()
        .expect("sh");
    assert!(status.success(), "{command}: {status}");
}

/// `postgres-restart`.
pub async fn postgres_restart(args: &[String]) {
    let clients: usize = flag(args, "--clients").unwrap_or(16);
    let seconds: u64 = flag(args, "--seconds").unwrap_or(20);
    let outage: u64 = flag(args, "--outage").unwrap_or(3);
    let database = Database::new("pg-bench");
    assert!(
        database.url.starts_with("postgres"),
        "postgres-restart needs BENCH_DATABASE_URL=postgres://…"
    );
    let (stop, start) = (pg_command("stop"), pg_command("start"));
    let a = servers::start(&database.url, "", true).await;
    println!(
        "postgres-restart: {clients} clients for {seconds} s on one instance; PostgreSQL stopped \
         after {} s (`{stop}`), started {outage} s later (`{start}`)",
        seconds / 3
    );
    start_up_line(&a, None);
    let ta = Target::new(Some(a.url.clone()), Some(a.pid())).await;
    let db = database.connect().await;
    let f = fixture(&ta, &db, "PGRS").await;
    drop(db);

    let started = Instant::now();
    let down_at = started + Duration::from_secs(seconds / 3);
    let up_at = down_at + Duration::from_secs(outage);
    // Requests that were running when the database went away or came back count "during".
    let settled = Mutex::new(None::<Instant>);
    let phase = |_: char| {
        let now = Instant::now();
        match *settled.lock().unwrap() {
            _ if now < down_at => Phase::Before,
            Some(at) if now >= at => Phase::After,
            _ => Phase::During,
        }
    };
    let fault = async {
        tokio::time::sleep_until(down_at.into()).await;
        let s = stop.clone();
        tokio::task::spawn_blocking(move || sh(&s)).await.unwrap();
        println!(
            "PostgreSQL stopped at {:.1} s",
            started.elapsed().as_secs_f64()
        );
        tokio::time::sleep_until(up_at.into()).await;
        let s = start.clone();
        tokio::task::spawn_blocking(move || sh(&s)).await.unwrap();
        let back = started.elapsed().as_secs_f64();
        println!("PostgreSQL started again at {back:.1} s");
        // Requests from here on are expected to succeed once the pool reconnected (a second).
        *settled.lock().unwrap() = Some(Instant::now() + Duration::from_secs(1));
    };
    let targets = [('A', &ta)];
    let until = started + Duration::from_secs(seconds);
    let (tally, ()) = tokio::join!(drive(&targets, clients, &f, until, phase), fault);
    tokio::time::sleep(Duration::from_secs(2)).await;
    print_tally(&tally);
    let db = database.connect().await;
    let before = errors_in(&tally, |_, p| p == Phase::Before);
    let during = errors_in(&tally, |_, p| p == Phase::During);
    let after = errors_in(&tally, |_, p| p == Phase::After);
    let placed_after = placed_in(&tally, |_, p| p == Phase::After);
    let unclear: usize = during
        .iter()
        .filter(|(code, _)| code.as_str() != "UNAVAILABLE")
        .map(|(_, n)| n)
        .sum();
    let mut checks = vec![
        (
            format!("served before the fault without error: {before:?}"),
            before.is_empty(),
        ),
        (
            format!(
                "while the database was down requests failed with UNAVAILABLE only: {during:?}"
            ),
            unclear == 0 && !during.is_empty(),
        ),
        (
            format!(
                "the same server recovered by itself: {placed_after} orders after, errors {after:?}"
            ),
            placed_after > 0 && after.is_empty(),
        ),
    ];
    checks.extend(integrity(&db, f.first_order).await);
    drop(a);
    verdict(&checks);
}
