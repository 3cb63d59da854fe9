//! Black-box test harness: starts the real server on port 0 with a database of its own and
//! talks GraphQL over HTTP. SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is set
//! (each app gets a fresh database, dropped afterwards); Redis when `TEST_REDIS_URL` is set.
pub mod agreements;
pub mod billing;
pub mod ceiling;
pub mod delivery;
pub mod demo;
pub mod fulfil;
pub mod load;
pub mod servers;
pub mod sisters;
pub mod ws;

use api::{Application, Config};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The secret test servers sign with, so tests can forge expired tokens.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";
pub const DEMO_PASSWORD: &str = api::domain::demo::PASSWORD;

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub state: Arc<api::state::AppState>,
    handle: api::app::ServerHandle,
    cleanup: Cleanup,
    vars: HashMap<String, String>,
}

enum Cleanup {
    /// A sibling leaves the database to the app that made it.
    None,
    SqliteFile(std::path::PathBuf),
    PostgresDatabase {
        admin_url: String,
        name: String,
    },
}

pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// How a PostgreSQL connection's sessions run (`api::db::pg_session`): what its prepared
/// statements are planned with, and whether it goes over TLS.
pub struct Session {
    pub plan_cache_mode: String,
    pub tls: bool,
}

pub async fn session(db: &sea_orm::DatabaseConnection) -> Session {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT current_setting('plan_cache_mode'), \
             COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
        ))
        .await
        .expect("the session's settings")
        .expect("a row");
    Session {
        plan_cache_mode: row.try_get_by_index(0).expect("a text"),
        tls: row.try_get_by_index(1).expect("a bool"),
    }
}

/// A server with an empty database (migrated, no data).
pub async fn spawn_app() -> TestApp {
    spawn(false, &[]).await
}

/// A server with the demo data (`mercato seed-demo`): companies IBX and BLK, their users.
pub async fn spawn_demo() -> TestApp {
    spawn(true, &[]).await
}

pub async fn spawn_with(seed_demo: bool, extra: &[(&str, &str)]) -> TestApp {
    spawn(seed_demo, extra).await
}

async fn spawn(seed_demo: bool, extra: &[(&str, &str)]) -> TestApp {
    let (database_url, cleanup) = fresh_database().await;
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url),
        ("MERCATO_LISTEN".into(), "127.0.0.1:0".into()),
        ("MERCATO_JWT_SECRET".into(), JWT_SECRET.into()),
        ("MERCATO_SEED_DEMO".into(), seed_demo.to_string()),
        ("MERCATO_WORKERS".into(), "2".into()),
    ]);
    if let Some(redis) = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        vars.insert("REDIS_URL".into(), redis);
    }
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    start(vars, cleanup).await
}

async fn start(vars: HashMap<String, String>, cleanup: Cleanup) -> TestApp {
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
    let app = Application::build(config).await.expect("server starts");
    let url = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        url,
        client: reqwest::Client::new(),
        state,
        handle,
        cleanup,
        vars,
    }
}

impl TestApp {
    /// The database this app runs on.
    pub fn database_url(&self) -> &str {
        &self.vars["DATABASE_URL"]
    }

    /// A second server instance on the same database (and Redis, when set): what two API
    /// instances behind a load balancer share. `extra` overrides settings of this one.
    pub async fn sibling(&self, extra: &[(&str, &str)]) -> TestApp {
        let mut vars = self.vars.clone();
        vars.insert("MERCATO_SEED_DEMO".into(), "false".into());
        for (k, v) in extra {
            vars.insert((*k).into(), (*v).into());
        }
        start(vars, Cleanup::None).await
    }
}

async fn fresh_database() -> (String, Cleanup) {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!("mercato_t_{}", &unique[..16]);
            let (db, _) = api::db::connect(&admin_url)
                .await
                .expect("TEST_DATABASE_URL reachable");
            use sea_orm::ConnectionTrait;
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            db.close().await.ok();
            (
                with_database(&admin_url, &name),
                Cleanup::PostgresDatabase { admin_url, name },
            )
        }
        None => {
            let path = std::env::temp_dir().join(format!("mercato-test-{unique}.db"));
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                Cleanup::SqliteFile(path),
            )
        }
    }
}

/// `admin_url` with its database replaced by `name`, keeping any query (a URL such as
/// `postgres://postgres@localhost/test?host=/var/run/postgresql` goes through the Unix socket,
/// whose path has slashes of its own).
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (path, query) = match admin_url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (admin_url, None),
    };
    let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command; awaiting it would block the test's own runtime, which
        // drives the server.
        drop(self.handle.stop(false));
        let cleanup = std::mem::replace(&mut self.cleanup, Cleanup::SqliteFile(Default::default()));
        // The test's runtime is busy dropping us; clean up on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                match cleanup {
                    Cleanup::None => {}
                    Cleanup::SqliteFile(path) => {
                        for suffix in ["", "-wal", "-shm"] {
                            let mut p = path.clone().into_os_string();
                            p.push(suffix);
                            let _ = std::fs::remove_file(p);
                        }
                    }
                    Cleanup::PostgresDatabase { admin_url, name } => {
                        if let Ok((db, _)) = api::db::connect(&admin_url).await {
                            use sea_orm::ConnectionTrait;
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                        }
                    }
                }
            });
        })
        .join();
    }
}

/// A GraphQL answer with helpers to read it.
#[derive(Debug, Clone)]
pub struct Gql(pub Value);

impl Gql {
    pub fn data(&self) -> &Value {
        assert!(
            self.0.get("errors").is_none(),
            "unexpected errors: {}",
            self.0
        );
        &self.0["data"]
    }

    /// The code of the first error; panics when there is none.
    pub fn code(&self) -> String {
        self.0["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code, got {}", self.0))
            .to_owned()
    }

    pub fn field(&self) -> Option<String> {
        self.0["errors"][0]["extensions"]["field"]
            .as_str()
            .map(str::to_owned)
    }

    pub fn is_ok(&self) -> bool {
        self.0.get("errors").is_none()
    }
}

impl TestApp {
    pub async fn post_raw(&self, token: Option<&str>, body: Value) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.url))
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request sent")
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        let resp = self
            .post_raw(token, json!({ "query": query, "variables": variables }))
            .await;
        Gql(resp.json().await.expect("JSON answer"))
    }

    pub async fn login(&self, email: &str) -> String {
        self.login_with(email, DEMO_PASSWORD).await
    }

    pub async fn login_with(&self, email: &str, password: &str) -> String {
        let r = self
            .gql(
                None,
                "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        r.data()["login"]["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Id of the demo record with this code, looked up as the company admin.
    pub async fn id_of(&self, admin: &str, list: &str, code: &str) -> String {
        let r = self.gql(Some(admin), &codes_query(list), json!({})).await;
        id_in(r.data(), list, code)
    }

    /// `setUserActive` as `admin` for the user with this e-mail (R-ACC-8).
    pub async fn set_user_active(&self, admin: &str, email: &str, active: bool) {
        let r = self
            .gql(
                Some(admin),
                "{ users(first: 50) { edges { node { id email } } } }",
                json!({}),
            )
            .await;
        let id = r.data()["users"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["email"] == email)
            .unwrap_or_else(|| panic!("no user {email}"))["node"]["id"]
            .clone();
        self.gql(
            Some(admin),
            "mutation($id: ID!, $a: Boolean!) { setUserActive(id: $id, active: $a) { user { active } } }",
            json!({ "id": id, "a": active }),
        )
        .await
        .data();
    }

    /// `revokeApiToken` as `admin`.
    pub async fn revoke_token(&self, admin: &str, token_id: &str) {
        self.gql(
            Some(admin),
            "mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { revokedAt } } }",
            json!({ "id": token_id }),
        )
        .await
        .data();
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request sent")
    }
}

/// Codes of the nodes of a connection.
pub fn codes(conn: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = conn["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {conn}"))
        .iter()
        .map(|e| e["node"][field].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// The callers of the access matrices, in column order: demo users by role, then API tokens
/// with `orders:read`, `orders:write` and `catalog:read`.
pub const CALLERS: [&str; 10] = [
    "admin",
    "manager",
    "ana",
    "boris",
    "warehouse",
    "purchasing",
    "buyer",
    "t_read",
    "t_write",
    "t_catalog",
];

/// The string at `path` in the answer's data (an id, a token); panics when there is none.
pub fn at(r: &Gql, path: &[&str]) -> String {
    let mut v = r.data();
    for p in path {
        v = &v[*p];
    }
    v.as_str()
        .unwrap_or_else(|| panic!("no string at {path:?}: {}", r.0))
        .to_owned()
}

/// A matrix cell: "ok" or the error code.
pub fn outcome(r: &Gql) -> String {
    if r.is_ok() { "ok".into() } else { r.code() }
}

/// One row of an access matrix: a name, a GraphQL document, its variables, and per caller the
/// expected outcome ("ok" or an error code).
pub type MatrixRow<'a, Q, const N: usize> = (&'a str, Q, Value, [&'a str; N]);

/// Runs every row as every caller (`tokens[i]` is `callers[i]`) and lists each cell whose
/// outcome differs from the expected one.
pub async fn matrix_mismatches<Q: AsRef<str>, const N: usize>(
    app: &TestApp,
    callers: &[&str; N],
    tokens: &[String],
    rows: &[MatrixRow<'_, Q, N>],
) -> Vec<String> {
    let mut mismatches = vec![];
    for (name, query, vars, expected) in rows {
        for (i, caller) in callers.iter().enumerate() {
            let got = outcome(
                &app.gql(Some(&tokens[i]), query.as_ref(), vars.clone())
                    .await,
            );
            if got != expected[i] {
                mismatches.push(format!(
                    "{name} as {caller}: expected {}, got {got}",
                    expected[i]
                ));
            }
        }
    }
    mismatches
}

/// The first 200 records of `list` with their ids and codes (SKUs for items).
pub fn codes_query(list: &str) -> String {
    let field = code_field(list);
    format!("{{ {list}(first: 200) {{ edges {{ node {{ id {field} }} }} }} }}")
}

/// The id of the record with this code in an answer to [`codes_query`].
pub fn id_in(data: &Value, list: &str, code: &str) -> String {
    let field = code_field(list);
    data[list]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"][field] == code)
        .unwrap_or_else(|| panic!("no {list} with {field} {code}"))["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn code_field(list: &str) -> &'static str {
    if list == "items" { "sku" } else { "code" }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_database_url_keeps_its_query_when_the_database_changes() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database(
                "postgres://postgres@localhost/test?host=/var/run/postgresql",
                "t1"
            ),
            "postgres://postgres@localhost/t1?host=/var/run/postgresql"
        );
    }
}
