//! Login, JWT life cycle and partner API tokens (R-ACC-7, R-ACC-8).
use api::auth::jwt::JwtKeys;
use api_tests::*;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

const ME: &str = "{ me { kind role scopes company { code } customer { code } } }";

#[tokio::test]
async fn login_returns_a_token_that_identifies_the_user() {
    let app = spawn_demo().await;
    let r = app
        .gql(
            None,
            "mutation { login(input: {email: \"ana@iberia.example\", password: \"mercato-demo\"}) { token expiresAt user { email role } } }",
            json!({}),
        )
        .await;
    let login = &r.data()["login"];
    assert_eq!(login["user"]["role"], "SALES_REP");
    assert!(login["expiresAt"].as_str().unwrap().starts_with("20"));
    let me = app.gql(login["token"].as_str(), ME, json!({})).await;
    assert_eq!(me.data()["me"]["kind"], "USER");
    assert_eq!(me.data()["me"]["company"]["code"], "IBX");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_refusal() {
    let app = spawn_demo().await;
    let q = "mutation($e: String!) { login(input: {email: $e, password: \"wrong-password\"}) { token } }";
    let wrong = app.gql(None, q, json!({"e": "ana@iberia.example"})).await;
    let unknown = app
        .gql(None, q, json!({"e": "nobody@iberia.example"}))
        .await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    assert_eq!(unknown.code(), "UNAUTHENTICATED");
    assert_eq!(
        wrong.0["errors"][0]["message"],
        unknown.0["errors"][0]["message"]
    );
}

#[tokio::test]
async fn no_bad_or_expired_credentials_are_unauthenticated() {
    let app = spawn_demo().await;
    assert_eq!(app.gql(None, ME, json!({})).await.code(), "UNAUTHENTICATED");
    assert_eq!(
        app.gql(Some("garbage"), ME, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    let keys = JwtKeys::new(JWT_SECRET, "mercato", 60);
    let past = chrono::Utc::now() - chrono::Duration::hours(3);
    let (expired, _) = keys.issue_at(1, 1, past, 60).unwrap();
    assert_eq!(
        app.gql(Some(&expired), ME, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    let forged = JwtKeys::new("another-secret-another-secret-another", "mercato", 60);
    let (token, _) = forged.issue(1, 1).unwrap();
    assert_eq!(
        app.gql(Some(&token), ME, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn a_deactivated_user_is_refused_at_once() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let boris = app.login("boris@iberia.example").await;
    let me = app
        .gql(Some(&boris), "{ me { user { id } } }", json!({}))
        .await;
    let id = me.data()["me"]["user"]["id"].as_str().unwrap().to_owned();
    let r = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { setUserActive(id: $id, active: false) { user { active } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.data()["setUserActive"]["user"]["active"], false);
    assert_eq!(
        app.gql(Some(&boris), ME, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

const CREATE_TOKEN: &str = "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id prefix scopes lastUsedAt revokedAt customer { code } } } }";

async fn create_token(app: &TestApp, admin: &str, input: serde_json::Value) -> (String, String) {
    let r = app
        .gql(Some(admin), CREATE_TOKEN, json!({ "input": input }))
        .await;
    let d = &r.data()["createApiToken"];
    (
        d["token"].as_str().unwrap().to_owned(),
        d["apiToken"]["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn an_api_token_works_records_its_use_and_dies_when_revoked() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let (token, id) = create_token(
        &app,
        &admin,
        json!({"name": "shop", "scopes": ["CATALOG_READ"]}),
    )
    .await;
    assert!(token.starts_with("mct_"));

    let me = app.gql(Some(&token), ME, json!({})).await;
    assert_eq!(me.data()["me"]["kind"], "API_TOKEN");
    assert_eq!(me.data()["me"]["scopes"], json!(["CATALOG_READ"]));
    assert!(
        app.gql(Some(&token), "{ items { totalCount } }", json!({}))
            .await
            .is_ok()
    );

    let list = app
        .gql(
            Some(&admin),
            "{ apiTokens { edges { node { id lastUsedAt } } } }",
            json!({}),
        )
        .await;
    let node = &list.data()["apiTokens"]["edges"][0]["node"];
    assert_eq!(node["id"], id.as_str());
    assert!(node["lastUsedAt"].is_string(), "last use recorded: {node}");

    let r = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { revokedAt } } }",
            json!({"id": id}),
        )
        .await;
    assert!(r.data()["revokeApiToken"]["apiToken"]["revokedAt"].is_string());
    assert_eq!(
        app.gql(Some(&token), ME, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn an_expired_api_token_is_unauthenticated() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (token, _) = create_token(
        &app,
        &admin,
        json!({"name": "short", "scopes": ["CATALOG_READ"], "expiresAt": soon}),
    )
    .await;
    assert!(app.gql(Some(&token), ME, json!({})).await.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        app.gql(Some(&token), ME, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn a_token_gets_only_what_its_scopes_grant() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let (catalog, _) = create_token(
        &app,
        &admin,
        json!({"name": "catalog", "scopes": ["CATALOG_READ"]}),
    )
    .await;
    assert!(
        app.gql(Some(&catalog), "{ items { totalCount } }", json!({}))
            .await
            .is_ok()
    );
    assert_eq!(
        app.gql(Some(&catalog), "{ stockLevels { totalCount } }", json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql(Some(&catalog), "{ customers { totalCount } }", json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql(
            Some(&catalog),
            "{ items { edges { node { cost } } } }",
            json!({})
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    let create =
        "mutation { createCustomer(input: {code: \"X\", name: \"X\"}) { customer { id } } }";
    assert_eq!(
        app.gql(Some(&catalog), create, json!({})).await.code(),
        "FORBIDDEN"
    );

    let (inventory, _) = create_token(
        &app,
        &admin,
        json!({"name": "inv", "scopes": ["INVENTORY_READ"]}),
    )
    .await;
    assert!(
        app.gql(
            Some(&inventory),
            "{ stockLevels { totalCount } }",
            json!({})
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn a_customer_bound_token_sees_only_its_customer() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let globex = app.id_of(&admin, "customers", "GLOBEX").await;
    let (token, _) = create_token(
        &app,
        &admin,
        json!({"name": "acme-app", "scopes": ["ORDERS_READ"], "customerId": acme}),
    )
    .await;
    let list = app
        .gql(
            Some(&token),
            "{ customers { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&list.data()["customers"], "code"), vec!["ACME"]);
    let other = app
        .gql(
            Some(&token),
            "query($id: ID!) { customer(id: $id) { code } }",
            json!({"id": globex}),
        )
        .await;
    assert_eq!(other.code(), "NOT_FOUND");
}

#[tokio::test]
async fn only_an_admin_creates_tokens() {
    let app = spawn_demo().await;
    let ana = app.login("ana@iberia.example").await;
    let r = app
        .gql(
            Some(&ana),
            CREATE_TOKEN,
            json!({"input": {"name": "x", "scopes": ["CATALOG_READ"]}}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    let list = app
        .gql(Some(&ana), "{ apiTokens { totalCount } }", json!({}))
        .await;
    assert_eq!(list.code(), "FORBIDDEN");
}

#[tokio::test]
async fn the_database_holds_no_token_secret() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let (token, _) = create_token(
        &app,
        &admin,
        json!({"name": "secret-check", "scopes": ["CATALOG_READ"]}),
    )
    .await;
    let secret = token.rsplit('_').next().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name, lookup, secret_hash, scopes FROM api_tokens",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    for col in ["name", "lookup", "secret_hash", "scopes"] {
        let v: String = rows[0].try_get("", col).unwrap();
        assert!(!v.contains(&secret), "column {col} holds the secret");
    }
}

#[tokio::test]
async fn a_burst_of_logins_for_one_email_is_rate_limited() {
    let app = spawn_with(true, &[("MERCATO_LOGIN_ATTEMPTS_PER_MINUTE", "3")]).await;
    let q = "mutation($e: String!) { login(input: {email: $e, password: \"wrong-password\"}) { token } }";
    for _ in 0..3 {
        let r = app.gql(None, q, json!({"e": "boris@iberia.example"})).await;
        assert_eq!(r.code(), "UNAUTHENTICATED");
    }
    let r = app.gql(None, q, json!({"e": "boris@iberia.example"})).await;
    assert_eq!(r.code(), "RATE_LIMITED");
    // Another account is unaffected.
    app.login("ana@iberia.example").await;
}
