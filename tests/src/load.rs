//! Load scenarios for the benchmark program (`bench <scenario>`): a server to drive (started
//! in this process, or any running one by URL), closed-loop clients for a duration with a
//! warm-up that is not counted, and the figures — throughput, latency percentiles, errors by
//! code, SQL statements per operation (from `/metrics`), resident memory.
use crate::{TestApp, spawn_with};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the benchmark drives.
pub struct Target {
    pub url: String,
    client: reqwest::Client,
    /// The server, when this process started it (then its memory is this process's).
    pub app: Option<TestApp>,
    /// The server's process id, for its memory (`--server-pid`; this process when in-process).
    pub server_pid: Option<u32>,
    metrics_token: Option<String>,
    /// The database of the server at `--url` (`--database-url`), for [`Target::refresh_statistics`].
    pub database_url: Option<String>,
    /// Set by the first [`Target::refresh_statistics`]: later runs on this target (`bench
    /// ceiling`'s rounds) do not analyze again in their counted time.
    analyzed: std::sync::atomic::AtomicBool,
}

impl Target {
    /// A server started here on SQLite (or PostgreSQL with `TEST_DATABASE_URL`) with the demo
    /// data, or the running server at `url` (which must have the demo data: `mercato serve`
    /// seeds it on an empty database).
    pub async fn new(url: Option<String>, server_pid: Option<u32>) -> Target {
        let metrics_token = std::env::var("MERCATO_METRICS_TOKEN").ok();
        match url {
            Some(url) => Target {
                url: url.trim_end_matches('/').to_owned(),
                client: reqwest::Client::new(),
                app: None,
                server_pid,
                metrics_token,
                database_url: None,
                analyzed: Default::default(),
            },
            None => {
                let app = spawn_with(
                    true,
                    &[
                        ("MERCATO_LOGIN_ATTEMPTS_PER_MINUTE", "1000000"),
                        ("MERCATO_WORKERS", "2"),
                    ],
                )
                .await;
                Target {
                    url: app.url.clone(),
                    client: reqwest::Client::new(),
                    app: Some(app),
                    server_pid: Some(std::process::id()),
                    metrics_token,
                    database_url: None,
                    analyzed: Default::default(),
                }
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        match (&self.app, crate::on_postgres()) {
            (None, _) => "the server at --url",
            (Some(_), true) => "PostgreSQL (in-process server)",
            (Some(_), false) => "SQLite (in-process server)",
        }
    }

    /// One GraphQL request: the answer, or the error code (`HTTP_<status>` for a transport
    /// failure).
    pub async fn call(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.url))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|_| "HTTP_SEND".to_owned())?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .map_err(|_| format!("HTTP_{}", status.as_u16()))?;
        match body["errors"].as_array().and_then(|e| e.first()) {
            Some(e) => Err(e["extensions"]["code"]
                .as_str()
                .unwrap_or("NO_CODE")
                .to_owned()),
            None => Ok(body["data"].clone()),
        }
    }

    /// `call` for set-up steps, which must succeed.
    pub async fn must(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        match self.call(token, query, variables.clone()).await {
            Ok(v) => v,
            Err(code) => panic!("set-up step failed with {code}: {query} {variables}"),
        }
    }

    pub async fn login(&self, email: &str) -> String {
        let d = self
            .must(
                None,
                "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
                json!({"e": email, "p": crate::DEMO_PASSWORD}),
            )
            .await;
        d["login"]["token"].as_str().unwrap().to_owned()
    }

    /// Id of the demo record with this code (sku for items), among the first 200.
    pub async fn id_of(&self, token: &str, list: &str, code: &str) -> String {
        let d = self
            .must(Some(token), &crate::codes_query(list), json!({}))
            .await;
        crate::id_in(&d, list, code)
    }

    /// Ana (a sales rep) and her two demo customers, ACME and INITECH: who places the orders.
    pub async fn rep_and_customers(&self) -> (String, [String; 2]) {
        let admin = self.login("admin@iberia.example").await;
        let customers = [
            self.id_of(&admin, "customers", "ACME").await,
            self.id_of(&admin, "customers", "INITECH").await,
        ];
        (self.login("ana@iberia.example").await, customers)
    }

    /// Refreshes PostgreSQL's planner statistics (`ANALYZE`) and says how long it took; `None`
    /// on SQLite, or at `--url` without `--database-url`. A run starts on an empty database
    /// that grows by thousands of orders in seconds, while autovacuum analyzes a table at most
    /// once a minute: until then PostgreSQL plans for empty tables (README, "Planner
    /// statistics", has what that cost). The benchmark measures the steady state of a live
    /// database, so it analyzes once, when the first run's warm-up ends.
    pub async fn refresh_statistics(&self) -> Option<Duration> {
        use sea_orm::{ConnectionTrait, DbBackend};
        if self
            .analyzed
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return None;
        }
        let started = Instant::now();
        let result = match (&self.app, &self.database_url) {
            (Some(app), _) if app.state.db.get_database_backend() == DbBackend::Postgres => {
                app.state.db.execute_unprepared("ANALYZE").await
            }
            (None, Some(url)) if url.starts_with("postgres") => {
                let db = sea_orm::Database::connect(url.as_str()).await;
                match db {
                    Ok(db) => db.execute_unprepared("ANALYZE").await,
                    Err(e) => Err(e),
                }
            }
            (None, None) => {
                println!(
                    "planner statistics not refreshed: give --database-url when the server at \
                     --url is on PostgreSQL, or its figures are those of stale plans"
                );
                return None;
            }
            _ => return None,
        };
        let _ = result.unwrap_or_else(|e| panic!("ANALYZE failed: {e}"));
        Some(started.elapsed())
    }

    /// SQL statements the server has executed (`mercato_db_statements_total`).
    pub async fn statements(&self) -> Option<u64> {
        if let Some(app) = &self.app {
            return Some(app.state.statements.get());
        }
        let mut req = self.client.get(format!("{}/metrics", self.url));
        if let Some(t) = &self.metrics_token {
            req = req.bearer_auth(t);
        }
        let text = req.send().await.ok()?.text().await.ok()?;
        text.lines()
            .find(|l| l.starts_with("mercato_db_statements_total "))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    }

    /// The server's resident set, MB (`None` when its process is not known or not here).
    pub fn rss_mb(&self) -> Option<f64> {
        let pid = self.server_pid?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    }
}

/// How long and how hard.
#[derive(Clone, Copy)]
pub struct Load {
    pub clients: usize,
    pub seconds: u64,
    pub warmup: u64,
}

/// The figures of one run.
pub struct Figures {
    pub scenario: String,
    pub ops: usize,
    pub seconds: f64,
    /// Sorted latencies of the counted operations.
    pub latencies: Vec<Duration>,
    pub errors: BTreeMap<String, usize>,
    pub statements_per_op: Option<f64>,
}

impl Figures {
    /// The figures of several runs of one scenario taken together (`bench ceiling`'s rounds).
    pub fn merge(runs: Vec<Figures>) -> Figures {
        let attempted = |f: &Figures| (f.latencies.len() + f.errors.values().sum::<usize>()) as f64;
        let total: f64 = runs.iter().map(attempted).sum();
        let statements_per_op = runs
            .iter()
            .map(|f| f.statements_per_op.map(|s| s * attempted(f)))
            .sum::<Option<f64>>()
            .filter(|_| total > 0.0)
            .map(|s| s / total);
        let mut merged = Figures {
            scenario: runs
                .first()
                .map_or_else(String::new, |f| f.scenario.clone()),
            ops: 0,
            seconds: 0.0,
            latencies: Vec::new(),
            errors: BTreeMap::new(),
            statements_per_op,
        };
        for run in runs {
            merged.ops += run.ops;
            merged.seconds += run.seconds;
            merged.latencies.extend(run.latencies);
            for (code, n) in run.errors {
                *merged.errors.entry(code).or_default() += n;
            }
        }
        merged.latencies.sort();
        merged
    }

    pub fn throughput(&self) -> f64 {
        self.ops as f64 / self.seconds
    }

    pub fn ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() as f64 * p) as usize).min(self.latencies.len() - 1);
        self.latencies[i].as_secs_f64() * 1000.0
    }

    pub fn print(&self) {
        println!(
            "{:<28} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9}",
            "scenario", "ops", "ops/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "SQL/op"
        );
        println!(
            "{:<28} {:>8} {:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9}",
            self.scenario,
            self.ops,
            self.throughput(),
            self.ms(0.50),
            self.ms(0.95),
            self.ms(0.99),
            self.ms(1.0),
            self.statements_per_op
                .map_or("-".to_owned(), |s| format!("{s:.1}"))
        );
        let errors: Vec<String> = self
            .errors
            .iter()
            .map(|(c, n)| format!("{c}: {n}"))
            .collect();
        println!(
            "errors by code: {}",
            if errors.is_empty() {
                "none".to_owned()
            } else {
                errors.join(", ")
            }
        );
    }

    pub fn json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "ops": self.ops,
            "ops_per_s": (self.throughput() * 10.0).round() / 10.0,
            "p50_ms": self.ms(0.50),
            "p95_ms": self.ms(0.95),
            "p99_ms": self.ms(0.99),
            "max_ms": self.ms(1.0),
            "errors": self.errors,
            "statements_per_op": self.statements_per_op,
        })
    }
}

/// Runs `op(client, i)` in a closed loop from `load.clients` clients for the warm-up and then
/// `load.seconds`; only operations that start after the warm-up count. An operation returns
/// `Err(code)` when the server refused it.
pub async fn drive<F, Fut>(target: &Target, scenario: &str, load: Load, op: F) -> Figures
where
    F: Fn(usize, u64) -> Fut + Sync,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let counted_from = started + Duration::from_secs(load.warmup);
    let until = counted_from + Duration::from_secs(load.seconds);
    let errors: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    let (op, errors_ref) = (&op, &errors);
    let workers = (0..load.clients).map(|client| async move {
        let mut times = Vec::new();
        let mut i = 0u64;
        loop {
            let t = Instant::now();
            if t >= until {
                break;
            }
            let result = op(client, i).await;
            i += 1;
            if t >= counted_from {
                match result {
                    Ok(()) => times.push(t.elapsed()),
                    Err(code) => *errors_ref.lock().unwrap().entry(code).or_default() += 1,
                }
            }
        }
        times
    });
    // The statement counter is read and statistics are refreshed when the warm-up ends
    // (operations in flight then are counted in full though they started before: at most one
    // per client).
    let reading = async {
        tokio::time::sleep_until(counted_from.into()).await;
        let before = target.statements().await;
        if let Some(took) = target.refresh_statistics().await {
            println!(
                "planner statistics refreshed when the warm-up ended (ANALYZE, {} ms)",
                took.as_millis()
            );
        }
        before
    };
    let (times, before) = tokio::join!(join_all(workers), reading);
    let mut latencies: Vec<Duration> = times.into_iter().flatten().collect();
    let seconds = (Instant::now() - counted_from).as_secs_f64();
    latencies.sort();
    let after = target.statements().await;
    let errors = errors.into_inner().unwrap();
    let attempted = latencies.len() + errors.values().sum::<usize>();
    let statements_per_op = match (before, after) {
        (Some(b), Some(a)) if attempted > 0 => {
            Some((a.saturating_sub(b)) as f64 / attempted as f64)
        }
        _ => None,
    };
    Figures {
        scenario: scenario.to_owned(),
        ops: latencies.len(),
        seconds,
        latencies,
        errors,
        statements_per_op,
    }
}

/// A deterministic random stream per (client, operation), so runs are repeatable
/// (SplitMix64: enough for picking items and quantities).
pub struct Rng(u64);

impl Rng {
    pub fn new(client: usize, i: u64) -> Rng {
        Rng(((client as u64) << 32 | i).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number from 0 to `n - 1`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Figures;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn run(ms: &[u64], errors: usize, seconds: f64, statements: f64) -> Figures {
        Figures {
            scenario: "place-order".into(),
            ops: ms.len(),
            seconds,
            latencies: ms.iter().map(|m| Duration::from_millis(*m)).collect(),
            errors: BTreeMap::from([("UNAVAILABLE".to_owned(), errors)]),
            statements_per_op: Some(statements),
        }
    }

    /// `bench ceiling`'s rounds: throughput of the totals, latencies pooled, statements per
    /// operation weighted by the operations each round attempted.
    #[test]
    fn merged_rounds_count_as_one_run() {
        let merged = Figures::merge(vec![run(&[30, 10], 0, 2.0, 18.0), run(&[20], 1, 4.0, 12.0)]);
        assert_eq!(merged.ops, 3);
        assert_eq!(merged.throughput(), 0.5);
        assert_eq!(merged.ms(0.0), 10.0);
        assert_eq!(merged.ms(1.0), 30.0);
        assert_eq!(merged.errors["UNAVAILABLE"], 1);
        assert_eq!(merged.statements_per_op, Some(15.0));
    }
}
