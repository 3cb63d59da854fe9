//! The `mercato` binary as a newcomer meets it: one command from clone to a working API.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mercato(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mercato"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("MERCATO_ENV")
        .env_remove("MERCATO_JWT_SECRET")
        .env_remove("MERCATO_SEED_DEMO")
        .env("RUST_LOG", "warn");
    cmd
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mercato-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let dir = temp_dir("bad");
    let out = mercato(&dir)
        .arg("migrate")
        .env("MERCATO_GRAPHQL_MAX_DEPTH", "deep")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MERCATO_GRAPHQL_MAX_DEPTH"), "{stderr}");
    let out = mercato(&dir)
        .arg("migrate")
        .env("MERCATO_ENV", "prod")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MERCATO_JWT_SECRET"));
}

#[tokio::test]
async fn serve_seeds_an_empty_database_prints_how_to_log_in_and_stops_on_sigterm() {
    let dir = temp_dir("serve");
    let mut child = mercato(&dir)
        .env("MERCATO_LISTEN", "127.0.0.1:0")
        .env("MERCATO_WORKERS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut banner = Vec::new();
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("banner printed");
        banner.push(line.clone());
        if let Some(rest) = line.split("GraphiQL at ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        banner.push(line);
    }
    let banner = banner.join("\n");
    assert!(banner.contains("Demo data loaded"), "{banner}");
    assert!(banner.contains("admin@iberia.example"), "{banner}");

    let answer: serde_json::Value = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({"query": "mutation { login(input: {email: \"admin@iberia.example\", password: \"mercato-demo\"}) { token } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        answer["data"]["login"]["token"]
            .as_str()
            .is_some_and(|t| t.len() > 20),
        "{answer}"
    );
    assert!(
        dir.join("mercato.db").exists(),
        "the default database lives in the working directory"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "graceful exit, got {exit}");
    let _ = std::fs::remove_dir_all(&dir);
}
