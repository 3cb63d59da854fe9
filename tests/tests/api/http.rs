//! GraphQL over HTTP, limits, health, readiness and metrics.
use api_tests::*;
use serde_json::json;

#[tokio::test]
async fn malformed_json_and_a_missing_query_are_400_with_a_graphql_error() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("malformed")
    );
    let resp = app.post_raw(None, json!({"variables": {}})).await;
    assert_eq!(resp.status(), 400);
    let resp = app.post_raw(None, json!({"query": "  "})).await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn accept_application_json_gets_application_json() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "application/json")
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query");

    let resp = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": "{ nope }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        400,
        "validation errors are 4xx under the new media type"
    );
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
}

#[tokio::test]
async fn an_over_deep_query_is_refused() {
    let app = spawn_demo().await;
    let t = app.login("admin@iberia.example").await;
    let mut q = String::from("{ me { customer { salesRep { associatedReps { ");
    for _ in 0..12 {
        q.push_str("associatedReps { ");
    }
    q.push_str("code");
    q.push_str(&" }".repeat(16));
    q.push_str(" }");
    let r = app.gql(Some(&t), &q, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(
        r.0["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{}",
        r.0
    );
}

#[tokio::test]
async fn a_thousand_aliases_are_refused_before_execution() {
    let app = spawn_demo().await;
    let t = app.login("admin@iberia.example").await;
    let before = app.state.statements.get();
    let fields: String = (0..1000)
        .map(|i| format!(" a{i}: customers {{ totalCount }}"))
        .collect();
    let r = app
        .gql(Some(&t), &format!("{{{fields} }}"), json!({}))
        .await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(
        r.0["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("aliases")
    );
    // Only the principal lookup ran: nothing of the query executed.
    assert!(app.state.statements.get() - before <= 2);
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_demo().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], true);
    let t = app.login("admin@iberia.example").await;
    let r = app
        .post_raw(Some(&t), json!({"query": "query ListItems { items { totalCount } }", "operationName": "ListItems"}))
        .await;
    assert_eq!(r.status(), 200);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("mercato_graphql_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("operation=\"ListItems\""), "{metrics}");
    assert!(metrics.contains("mercato_db_statements_total"));
    assert!(metrics.contains("mercato_db_pool_connections"));
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let app = spawn_app().await;
    let page = app.get("/graphql").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );
}

#[tokio::test]
async fn a_page_of_items_with_nested_fields_costs_a_fixed_number_of_statements() {
    let app = spawn_demo().await;
    let t = app.login("admin@iberia.example").await;
    let q = "{ items(first: 50) { totalCount edges { node { sku barcodes descriptions { language } preferredSupplier { code } stockLevels { onHand warehouse { code } item { sku } } } } } }";
    let count = |app: &TestApp| app.state.statements.get();
    let before = count(&app);
    assert!(app.gql(Some(&t), q, json!({})).await.is_ok());
    let small = count(&app) - before;
    for i in 0..30 {
        let r = app
            .gql(
                Some(&t),
                "mutation($s: String!) { createItem(input: {sku: $s, name: \"x\", barcodes: [$s]}) { item { id } } }",
                json!({"s": format!("EXTRA-{i}")}),
            )
            .await;
        assert!(r.is_ok());
    }
    let before = count(&app);
    let r = app.gql(Some(&t), q, json!({})).await;
    assert_eq!(r.data()["items"]["edges"].as_array().unwrap().len(), 35);
    let large = count(&app) - before;
    assert_eq!(small, large, "statements must not grow with the page size");
    assert!(large <= 10, "{large} statements for one page");
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_with(false, &[("MERCATO_CORS_ORIGINS", "https://shop.example")]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let ok = preflight("https://shop.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// GraphQL over HTTP, the spec's SHOULDs (issue 12): GET runs queries for JSON clients.
#[tokio::test]
async fn get_runs_queries_for_json_clients_and_shows_graphiql_to_browsers() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let get = |accept: &'static str, query: &str, variables: Option<&str>| {
        let mut params = vec![("query", query.to_owned())];
        if let Some(v) = variables {
            params.push(("variables", v.to_owned()));
        }
        app.client
            .get(format!("{}/graphql", app.url))
            .query(&params)
            .header("accept", accept)
            .bearer_auth(&admin)
    };
    let resp = get(
        "application/json",
        "query($n: Int) { items(first: $n) { totalCount } }",
        Some("{\"n\": 2}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["data"]["items"]["totalCount"].is_u64(), "{body}");

    let html = get(
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "{ __typename }",
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(html.status(), 200);
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn a_mutation_over_get_is_405_and_changes_nothing() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let before = app
        .gql(Some(&admin), "{ warehouses { totalCount } }", json!({}))
        .await
        .data()["warehouses"]["totalCount"]
        .clone();
    let resp = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[(
            "query",
            "mutation { createWarehouse(input: {code: \"GET\", name: \"Via GET\"}) { warehouse { id } } }",
        )])
        .header("accept", "application/json")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    let after = app
        .gql(Some(&admin), "{ warehouses { totalCount } }", json!({}))
        .await
        .data()["warehouses"]["totalCount"]
        .clone();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_post_that_is_not_json_is_415() {
    let app = spawn_app().await;
    for content_type in [None, Some("text/plain")] {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.url))
            .body("{\"query\": \"{ __typename }\"}");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 415, "{content_type:?}");
    }
}

/// Under application/graphql-response+json a document that does not parse or validate has no
/// `data` key; one that ran keeps `data` and answers 200 even when it is null.
#[tokio::test]
async fn request_errors_have_no_data_key_under_the_graphql_response_type() {
    let app = spawn_app().await;
    let post = |query: &'static str| {
        app.client
            .post(format!("{}/graphql", app.url))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query }))
            .send()
    };
    for broken in ["{ __typename", "{ nope }"] {
        let resp = post(broken).await.unwrap();
        assert_eq!(resp.status(), 400, "{broken}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body.get("data").is_none(), "{broken}: {body}");
        assert!(body["errors"][0]["message"].is_string());
    }
    // It ran; the caller was not logged in: `data` is there (null), status 200.
    let resp = post("{ me { kind } }").await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body.get("data").is_some(), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}
