//! `mercato serve` processes (the release binary beside the running one) for the benchmarks
//! that need servers of their own: their memory, start-up time and fate are then their own.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub url: String,
    pub child: Child,
    /// From spawning the process to its first ready `/readyz`.
    pub ready_after: Duration,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: the process dies mid-whatever, as a crash would.
    pub fn kill_hard(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A port nothing listens on now (for a server or a Redis of a benchmark's own).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `mercato serve` on `database_url` (and Redis, when given) and waits until it is ready.
pub async fn start(database_url: &str, redis_url: &str, seed: bool) -> Server {
    let exe = std::env::current_exe().unwrap().with_file_name("mercato");
    assert!(
        exe.exists(),
        "{} is missing: run `cargo build --release -p api` first",
        exe.display()
    );
    let port = free_port();
    let mut cmd = Command::new(&exe);
    cmd.arg("serve")
        .env("DATABASE_URL", database_url)
        .env("MERCATO_LISTEN", format!("127.0.0.1:{port}"))
        .env("MERCATO_JWT_SECRET", crate::JWT_SECRET)
        .env("MERCATO_SEED_DEMO", seed.to_string())
        .env("MERCATO_WORKERS", "2")
        .env("MERCATO_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
        // One principal stands for a thousand subscribers in `bench subscriptions`.
        .env("MERCATO_WS_MAX_CONNECTIONS", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if !redis_url.is_empty() {
        cmd.env("REDIS_URL", redis_url);
    }
    let spawned = Instant::now();
    let child = cmd.spawn().expect("mercato starts");
    let mut server = Server {
        url: format!("http://127.0.0.1:{port}"),
        child,
        ready_after: Duration::ZERO,
    };
    let client = reqwest::Client::new();
    for _ in 0..1200 {
        if let Ok(r) = client.get(format!("{}/readyz", server.url)).send().await
            && r.status().is_success()
        {
            server.ready_after = spawned.elapsed();
            return server;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("mercato on port {port} did not become ready");
}

/// Resident memory of a process, MiB.
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
