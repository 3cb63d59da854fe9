//! `bench attacks`: the memory findings of the second security review (issue 31), replayed
//! against a real `mercato serve` process (SQLite, demo data), with the server's resident
//! memory sampled every 50 ms. Prints one line per attack; nothing is asserted here (the
//! black-box tests assert the answers), the figures go to docs/performance.md.
//!
//!     cargo build --release -p api -p api-tests
//!     target/release/bench attacks --seconds 6
use api_tests::servers;
use futures_util::StreamExt;
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Samples the server's RSS until told to stop; returns the largest sample, MiB.
fn sample_rss(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<f64> {
    tokio::spawn(async move {
        let mut peak = 0f64;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(servers::rss_mib(pid));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        peak.max(servers::rss_mib(pid))
    })
}

async fn gql(client: &reqwest::Client, url: &str, token: Option<&str>, q: &str, v: Value) -> Value {
    let mut req = client
        .post(format!("{url}/graphql"))
        .json(&json!({"query": q, "variables": v}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

/// Runs `attack` from `clients` tasks for `seconds` while one more client times `{ me }`;
/// prints the server's peak RSS and the slowest `{ me }`.
async fn phase<F, Fut>(
    name: &str,
    pid: u32,
    url: &str,
    token: &str,
    clients: usize,
    seconds: u64,
    attack: F,
) where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let before = servers::rss_mib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_rss(pid, stop.clone());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let slowest = Arc::new(AtomicU64::new(0));
    let probe = {
        let (url, token, slowest) = (url.to_owned(), token.to_owned(), slowest.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                gql(&client, &url, Some(&token), "{ me { kind } }", json!({})).await;
                slowest.fetch_max(t.elapsed().as_micros() as u64, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let outcomes = join_all((0..clients).map(|c| {
        let attack = &attack;
        async move {
            let mut seen = std::collections::BTreeMap::<String, u64>::new();
            while Instant::now() < deadline {
                *seen.entry(attack(c).await).or_default() += 1;
            }
            seen
        }
    }))
    .await;
    probe.await.ok();
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.await.unwrap_or(f64::NAN);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = servers::rss_mib(pid);
    let mut answers = std::collections::BTreeMap::<String, u64>::new();
    for o in outcomes {
        for (k, n) in o {
            *answers.entry(k).or_default() += n;
        }
    }
    println!(
        "{name:<34} RSS {before:6.1} → peak {peak:6.1} → {after:6.1} MiB (2 s later)   \
         slowest {{ me }} {:5.0} ms   answers {answers:?}",
        slowest.load(Ordering::Relaxed) as f64 / 1000.0
    );
}

pub async fn attacks(args: &[String]) {
    let seconds: u64 = super::flag(args, "--seconds").unwrap_or(6);
    let path = std::env::temp_dir().join(format!(
        "mercato-attacks-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let server = servers::start(&format!("sqlite://{}?mode=rwc", path.display()), "", true).await;
    let (url, pid) = (server.url.clone(), server.pid());
    let client = reqwest::Client::new();
    let login = gql(
        &client,
        &url,
        None,
        "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
        json!({"e": "admin@iberia.example", "p": api_tests::DEMO_PASSWORD}),
    )
    .await;
    let admin = login["data"]["login"]["token"].as_str().unwrap().to_owned();
    println!(
        "bench attacks: mercato serve on SQLite, {seconds} s per attack, RSS sampled every 50 ms"
    );

    // 1. Gzip bombs: 510 KB of gzip inflating to 512 MB, 16 clients.
    let mut json = br#"{"query":"{ me { kind } }","x":""#.to_vec();
    json.extend(std::iter::repeat_n(b' ', 512 << 20));
    json.extend(br#""}"#);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&json).unwrap();
    drop(json);
    let bomb = Arc::new(e.finish().unwrap());
    println!("gzip bomb: {} KB inflating to 512 MiB", bomb.len() / 1024);
    phase(
        "gzip bombs, 16 clients",
        pid,
        &url,
        &admin,
        16,
        seconds,
        |_| {
            let (client, url, bomb) = (client.clone(), url.clone(), bomb.clone());
            async move {
                let r = client
                    .post(format!("{url}/graphql"))
                    .header("Content-Type", "application/json")
                    .header("Content-Encoding", "gzip")
                    .body(bomb.to_vec())
                    .send()
                    .await;
                r.map_or_else(
                    |e| format!("error {e}"),
                    |r| r.status().as_u16().to_string(),
                )
            }
        },
    )
    .await;

    // 2. Repeated fields: 6,000 × me { user { salesRep { code } } }, 8 clients.
    let repeated = format!(
        "{{ {} }}",
        "me { user { salesRep { code } } } ".repeat(6_000)
    );
    phase(
        "6,000 repeated fields, 8 clients",
        pid,
        &url,
        &admin,
        8,
        seconds,
        |_| {
            let (client, url, q, admin) =
                (client.clone(), url.clone(), repeated.clone(), admin.clone());
            async move {
                let v = gql(&client, &url, Some(&admin), &q, json!({})).await;
                v["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or("ok")
                    .to_owned()
            }
        },
    )
    .await;

    // 3. Long e-mails at the login throttle: 50 aliased logins of 9,980-character addresses.
    let long = "x".repeat(9_900);
    phase("logins with 9,980-char e-mails", pid, &url, &admin, 2, seconds, |c| {
        let (client, url, long) = (client.clone(), url.clone(), long.clone());
        async move {
            let q = format!(
                "mutation {{ {} }}",
                (0..50)
                    .map(|i| format!("a{i}: login(input: {{email: \"{c}{i}{}{long}@x.example\", password: \"p\"}}) {{ token }}", uuid::Uuid::new_v4().simple()))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let v = gql(&client, &url, None, &q, json!({})).await;
            v["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok").to_owned()
        }
    })
    .await;

    // 4. One order of 1,000 lines × 500 characters, 49 aliases of it over 8 sockets.
    let customers = gql(
        &client,
        &url,
        Some(&admin),
        "{ customers(first: 50) { nodes { id code } } items(first: 50) { nodes { id sku } } }",
        json!({}),
    )
    .await;
    let id_of = |list: &str, field: &str, code: &str| {
        customers["data"][list]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n[field] == code)
            .unwrap()["id"]
            .clone()
    };
    let lines: Vec<Value> = (0..1000)
        .map(|_| json!({"itemId": id_of("items", "sku", "SVC-INSTALL"), "quantity": "1", "description": "x".repeat(500)}))
        .collect();
    let order = gql(
        &client,
        &url,
        Some(&admin),
        "mutation($c: ID!, $l: [SalesOrderLineInput!]!) { createSalesOrder(input: {customerId: $c, lines: $l}) { salesOrder { id } } }",
        json!({"c": id_of("customers", "code", "ACME"), "l": lines}),
    )
    .await;
    let order = order["data"]["createSalesOrder"]["salesOrder"]["id"].clone();
    let q = format!(
        "query($o: ID!) {{ {} }}",
        (0..49)
            .map(|i| format!(
                "a{i}: salesOrder(id: $o) {{ lines {{ id description quantity unitPrice }} }}"
            ))
            .collect::<Vec<_>>()
            .join(" ")
    );
    phase(
        "49 × 1,000 lines over 8 sockets",
        pid,
        &url,
        &admin,
        8,
        seconds,
        |_| {
            let (url, q, admin, order) = (url.clone(), q.clone(), admin.clone(), order.clone());
            async move {
                let mut ws = api_tests::ws::connect(&url, &admin).await;
                api_tests::ws::subscribe(&mut ws, "1", &q, json!({"o": order})).await;
                let answer = match ws.next().await {
                    Some(Ok(m)) => {
                        let text = m.into_text().map(|t| t.to_string()).unwrap_or_default();
                        format!("{} KB", text.len().div_ceil(1024))
                    }
                    other => format!("{other:?}"),
                };
                ws.close(None).await.ok();
                answer
            }
        },
    )
    .await;
    println!(
        "peak RSS over the whole run (VmHWM): {:.1} MiB",
        hwm_mib(pid)
    );
    drop(server);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        std::fs::remove_file(p).ok();
    }
}

fn hwm_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
