//! Hardening (issue 11): each reproduction of an attack against the demo server, turned into a
//! test that it is now refused or bounded.
use api_tests::fulfil::{self, dec};
use api_tests::{TestApp, spawn_demo, spawn_with};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id amounts { freight } } warnings { code message } } }";

async fn count(app: &TestApp, admin: &str, list: &str) -> i64 {
    let q = format!("{{ {list}(first: 1) {{ totalCount }} }}");
    app.gql(Some(admin), &q, json!({})).await.data()[list]["totalCount"]
        .as_i64()
        .unwrap()
}

// --- query cost, response size, directives, suggestions -------------------------------------

/// 49 aliases × 200 orders × lines × items × stock levels passed depth, alias and the old
/// complexity limits and took one request to 16.7 MB; the cost now counts page sizes.
#[tokio::test]
async fn a_query_whose_lists_multiply_past_the_cost_limit_is_refused_before_it_runs() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let one = "salesOrders(first: 200) { nodes { lines { item { stockLevels { onHand reserved location } } } } }";
    let q = format!(
        "{{ {} }}",
        (0..49)
            .map(|i| format!("a{i}: {one}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let r = app.gql(Some(&admin), &q, json!({})).await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert!(r.0["data"].is_null());
    let msg = r.0["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("cost"), "{msg}");
    // One page of 200 such orders alone is refused too; through a variable as well.
    let r = app
        .gql(
            Some(&admin),
            "query($n: Int) { salesOrders(first: $n) { nodes { lines { item { stockLevels { onHand reserved location } } } } } }",
            json!({"n": 200}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    // The README's page of 50 orders with lines, items and customers still runs.
    let r = app
        .gql(
            Some(&admin),
            "{ salesOrders(first: 50) { totalCount nodes { id number customer { code name } lines { id quantity item { sku name } } } } }",
            json!({}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
}

#[tokio::test]
async fn a_response_over_the_size_cap_is_replaced_by_an_error() {
    let app = spawn_with(true, &[("MERCATO_GRAPHQL_MAX_RESPONSE_BYTES", "2000")]).await;
    let admin = app.login("admin@iberia.example").await;
    let r = app
        .gql(
            Some(&admin),
            &format!(
                "{{ {} }}",
                (0..10)
                    .map(|i| format!("a{i}: items(first: 100) {{ nodes {{ id sku name }} }}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert!(
        r.0["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2000 bytes")
    );
    assert!(
        app.gql(Some(&admin), "{ me { kind } }", json!({}))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn thousands_of_repeated_directives_get_one_error() {
    let app = spawn_demo().await;
    let q = format!("{{ __typename {} }}", "@include(if: true) ".repeat(55_000));
    let resp = app.post_raw(None, json!({ "query": q })).await;
    let body = resp.text().await.unwrap();
    assert!(body.len() < 2_000, "{} bytes", body.len());
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["errors"][0]["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn without_introspection_errors_suggest_no_field_names() {
    let app = spawn_with(true, &[("MERCATO_GRAPHQL_INTROSPECTION", "false")]).await;
    let admin = app.login("admin@iberia.example").await;
    let r = app
        .gql(Some(&admin), "{ salesOrdrs { id } }", json!({}))
        .await;
    let text = r.0.to_string();
    assert!(!text.contains("Did you mean"), "{text}");
    assert_eq!(r.code(), "VALIDATION");
    // With introspection on (the default) the suggestion helps the developer.
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let r = app
        .gql(Some(&admin), "{ salesOrdrs { id } }", json!({}))
        .await;
    assert!(r.0.to_string().contains("Did you mean"), "{}", r.0);
}

// --- metrics -------------------------------------------------------------------------------

/// 300 anonymous POSTs with a 100 KB random operationName took /metrics to 300 MB.
#[tokio::test]
async fn operation_names_clients_send_do_not_grow_the_metrics() {
    let app = spawn_demo().await;
    for i in 0..300 {
        let name = format!("N{i}{}", "x".repeat(100_000));
        app.post_raw(
            None,
            json!({ "query": "{ __typename }", "operationName": name }),
        )
        .await;
    }
    // Names the document does not hold are not labels either.
    for i in 0..50 {
        app.post_raw(
            None,
            json!({ "query": "{ __typename }", "operationName": format!("Fake{i}") }),
        )
        .await;
    }
    let after = app.get("/metrics").await.text().await.unwrap();
    assert!(
        !after.contains("xxxxxxxxxx"),
        "a client's name became a label"
    );
    assert!(
        !after.contains("Fake1"),
        "an operation the document lacks became a label"
    );
    // Every label value is a short GraphQL name, and there are at most 200 of them (+ the
    // fixed `anonymous`, `invalid`, `other`): measured on labels, not bytes, because other
    // tests of this process share the recorder.
    let labels: std::collections::BTreeSet<&str> = after
        .match_indices("operation=\"")
        .map(|(i, m)| {
            let rest = &after[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert!(labels.iter().all(|l| l.len() <= 64), "{labels:?}");
    assert!(labels.len() <= 203, "{} operation labels", labels.len());
    assert!(labels.contains("invalid"), "{labels:?}");
}

#[tokio::test]
async fn metrics_in_prod_need_the_configured_bearer_token() {
    let prod = [
        ("MERCATO_ENV", "prod"),
        ("MERCATO_METRICS_TOKEN", "scrape-secret"),
    ];
    let app = spawn_with(false, &prod).await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let ok = app
        .client
        .get(format!("{}/metrics", app.url))
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        ok.text()
            .await
            .unwrap()
            .contains("mercato_db_statements_total")
    );
    let closed = spawn_with(false, &[("MERCATO_ENV", "prod")]).await;
    assert_eq!(closed.get("/metrics").await.status(), 404);
}

// --- backorder assignment and staff-only fields -------------------------------------------

/// R-BO-6: GLOBEX (Boris's customer) has an order entered with order rep Ana and one of
/// Boris's own; both wait for BOLT. Assignment makes one order per origin-order rep, so Ana
/// never gets to edit (here: reprice) the line that carries Boris's units.
#[tokio::test]
async fn assignment_never_puts_one_reps_goods_on_another_reps_order() {
    let w = fulfil::world().await;
    let app = &w.app;
    let globex = app.id_of(&w.admin, "customers", "GLOBEX").await;
    let ana_rep = app.id_of(&w.admin, "salesReps", "ANA").await;
    let boris = app.login("boris@iberia.example").await;
    let ana = app.login("ana@iberia.example").await;
    // Stock is 100: a first order takes it, so both GLOBEX orders wait.
    let (first, _) = w.order(&w.admin, &w.acme, 100).await;
    w.confirm(&w.admin, &first, false).await.data();
    let r = app
        .gql(
            Some(&w.admin),
            CREATE,
            json!({"i": {"customerId": globex, "salesRepId": ana_rep, "lines": [{"itemId": w.bolt, "quantity": "30"}]}}),
        )
        .await;
    let anas = r.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (boris_order, _) = w.order(&boris, &globex, 500).await;
    w.confirm(&w.admin, &anas, true).await.data();
    w.confirm(&w.admin, &boris_order, true).await.data();
    let receipt = fulfil::receive_for_backorders(&w, "530").await;
    w.assign(&receipt, None).await.data();

    let r = app
        .gql(
            Some(&w.admin),
            "{ salesOrders(first: 20) { nodes { id salesRep { code } customer { code } lines { id quantity } } } }",
            json!({}),
        )
        .await;
    let made: Vec<&Value> = r.data()["salesOrders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            o["customer"]["code"] == "GLOBEX"
                && o["id"] != anas.as_str()
                && o["id"] != boris_order.as_str()
        })
        .collect();
    assert_eq!(
        made.len(),
        2,
        "one assignment order per origin rep: {made:?}"
    );
    let of = |rep: &str| {
        *made
            .iter()
            .find(|o| o["salesRep"]["code"] == rep)
            .unwrap_or_else(|| panic!("no assignment order of {rep}: {made:?}"))
    };
    assert_eq!(dec(&of("ANA")["lines"][0]["quantity"]), Decimal::from(30));
    assert_eq!(
        dec(&of("BORIS")["lines"][0]["quantity"]),
        Decimal::from(500)
    );
    // Ana cannot touch the 500 units Boris's order brought.
    let line = of("BORIS")["lines"][0]["id"].as_str().unwrap();
    let r = app
        .gql(
            Some(&ana),
            "mutation($l: ID!) { updateSalesOrderLine(input: {lineId: $l, unitPrice: \"0.01\"}) { salesOrder { id } } }",
            json!({ "l": line }),
        )
        .await;
    assert_eq!(r.code(), "NOT_FOUND", "{}", r.0);
}

#[tokio::test]
async fn buyers_and_bound_tokens_cannot_change_freight() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let buyer = app.login("buyer@acme.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let before = count(&app, &admin, "salesOrders").await;
    for terms in ["PREPAID", "COLLECT"] {
        let r = app
            .gql(
                Some(&buyer),
                CREATE,
                json!({"i": {"customerId": acme, "freightTerms": terms, "lines": [{"itemId": bolt, "quantity": "10"}]}}),
            )
            .await;
        assert_eq!(r.code(), "FORBIDDEN", "{}", r.0);
    }
    assert_eq!(count(&app, &admin, "salesOrders").await, before);
    let r = app
        .gql(
            Some(&buyer),
            CREATE,
            json!({"i": {"customerId": acme, "lines": [{"itemId": bolt, "quantity": "10"}]}}),
        )
        .await;
    let id = r.data()["createSalesOrder"]["salesOrder"]["id"].clone();
    // A rep types freight in; the buyer may not throw it away nor change the terms.
    app.gql(
        Some(&admin),
        "mutation($i: UpdateSalesOrderInput!) { updateSalesOrder(input: $i) { salesOrder { id } } }",
        json!({"i": {"id": id, "freightAmount": "55"}}),
    )
    .await
    .data();
    for change in [
        json!({"recalculateFreight": true}),
        json!({"freightTerms": "PREPAID"}),
    ] {
        let mut i = change.clone();
        i["id"] = id.clone();
        let r = app
            .gql(
                Some(&buyer),
                "mutation($i: UpdateSalesOrderInput!) { updateSalesOrder(input: $i) { salesOrder { id } } }",
                json!({ "i": i }),
            )
            .await;
        assert_eq!(r.code(), "FORBIDDEN", "{change}: {}", r.0);
    }
    let r = app
        .gql(
            Some(&admin),
            "query($i: ID!) { salesOrder(id: $i) { freightTerms freightOverridden amounts { freight } } }",
            json!({ "i": id }),
        )
        .await;
    let o = &r.data()["salesOrder"];
    assert_eq!(dec(&o["amounts"]["freight"]), Decimal::from(55));
    assert_eq!(o["freightOverridden"], true);
}

/// R-ORD-9's warning goes to whoever saves the order; an order rep of another rep's customer
/// sees the order but not the customer, so the warning names neither it nor its figures.
#[tokio::test]
async fn a_credit_warning_names_no_customer_the_caller_cannot_see() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let ana = app.login("ana@iberia.example").await;
    let globex = app.id_of(&admin, "customers", "GLOBEX").await;
    let ana_rep = app.id_of(&admin, "salesReps", "ANA").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    // The company warns instead of holding; GLOBEX gets a tiny limit.
    app.gql(
        Some(&admin),
        "mutation { updateCompanySettings(input: {blockOnCreditExcess: false}) { blockOnCreditExcess } }",
        json!({}),
    )
    .await
    .data();
    app.gql(
        Some(&admin),
        "mutation($i: ID!) { updateCustomer(input: {id: $i, fields: {creditLimit: \"1\"}}) { customer { id } } }",
        json!({ "i": globex }),
    )
    .await
    .data();
    let r = app
        .gql(
            Some(&admin),
            CREATE,
            json!({"i": {"customerId": globex, "salesRepId": ana_rep, "lines": [{"itemId": bolt, "quantity": "10"}]}}),
        )
        .await;
    let id = r.data()["createSalesOrder"]["salesOrder"]["id"].clone();
    let w = &r.data()["createSalesOrder"]["warnings"][0];
    assert!(
        w["message"].as_str().unwrap().contains("GLOBEX"),
        "staff see it: {w}"
    );
    let r = app
        .gql(
            Some(&ana),
            "mutation($i: UpdateSalesOrderInput!) { updateSalesOrder(input: $i) { warnings { code message } } }",
            json!({"i": {"id": id, "customerReference": "PO-1"}}),
        )
        .await;
    let w = &r.data()["updateSalesOrder"]["warnings"][0];
    assert_eq!(w["code"], "CREDIT_LIMIT_EXCEEDED");
    let text = w["message"].as_str().unwrap();
    assert!(
        !text.contains("GLOBEX") && !text.contains("limit of"),
        "{text}"
    );
}

// --- input bounds --------------------------------------------------------------------------

#[tokio::test]
async fn oversized_documents_and_strings_are_validation_errors_and_change_nothing() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let before = count(&app, &admin, "salesOrders").await;
    let lines: Vec<Value> = (0..2000)
        .map(|_| json!({"itemId": bolt, "quantity": "1"}))
        .collect();
    let r = app
        .gql(
            Some(&admin),
            CREATE,
            json!({"i": {"customerId": acme, "lines": lines}}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    // 600 kit lines pass the bound on input lists, but their components make the document
    // longer than 1,000 rows.
    let kit = app.id_of(&admin, "items", "KIT-FIX").await;
    let lines: Vec<Value> = (0..600)
        .map(|_| json!({"itemId": kit, "quantity": "1"}))
        .collect();
    let r = app
        .gql(
            Some(&admin),
            CREATE,
            json!({"i": {"customerId": acme, "lines": lines}}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert_eq!(r.field().as_deref(), Some("lines"));
    assert_eq!(count(&app, &admin, "salesOrders").await, before);

    let search = "x".repeat(900_000);
    let r = app
        .gql(
            Some(&admin),
            "query($s: String) { customers(filter: {search: $s}) { totalCount } }",
            json!({ "s": search }),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", &r.0.to_string()[..200]);
    let r = app
        .gql(
            Some(&admin),
            "query($s: String) { customers(filter: {search: $s}) { totalCount } }",
            json!({ "s": "y".repeat(201) }),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert_eq!(r.field().as_deref(), Some("search"));
}

#[tokio::test]
async fn dates_outside_1900_to_2200_are_refused() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    for date in [
        "0000-01-01",
        "+99999-01-01",
        "1899-12-31",
        "2201-01-01",
        "2026-1-1",
    ] {
        let r = app
            .gql(
                Some(&admin),
                CREATE,
                json!({"i": {"customerId": acme, "deliveryDate": date, "lines": [{"itemId": bolt, "quantity": "1"}]}}),
            )
            .await;
        assert_eq!(r.code(), "VALIDATION", "{date}: {}", r.0);
        // Inline literals are checked as well.
        let q = format!(
            "mutation {{ createSalesOrder(input: {{customerId: \"{acme}\", deliveryDate: \"{date}\", lines: [{{itemId: \"{bolt}\", quantity: \"1\"}}]}}) {{ salesOrder {{ id }} }} }}"
        );
        assert_eq!(
            app.gql(Some(&admin), &q, json!({})).await.code(),
            "VALIDATION",
            "{date}"
        );
    }
    let far = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let r = app
        .gql(
            Some(&admin),
            CREATE,
            json!({"i": {"customerId": acme, "deliveryDate": far, "lines": [{"itemId": bolt, "quantity": "1"}]}}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
}

#[tokio::test]
async fn amounts_that_would_not_fit_numeric_19_4_are_validation_errors() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let before = count(&app, &admin, "salesOrders").await;
    // Each figure is within 15 digits; their product (1.99e24) is not.
    let r = app
        .gql(
            Some(&admin),
            CREATE,
            json!({"i": {"customerId": acme, "lines": [{"itemId": bolt, "quantity": "999999999999", "unitPrice": "1999999999999"}]}}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert_eq!(r.field().as_deref(), Some("lines"));
    assert_eq!(count(&app, &admin, "salesOrders").await, before);
}

#[tokio::test]
async fn codes_and_names_refuse_control_characters_and_case_twins() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let before = count(&app, &admin, "customers").await;
    let create =
        "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id code } } }";
    for (code, name) in [
        ("NUL\u{0}X", "Nul Ltd"),
        ("CRLF", "Two\r\nLines"),
        ("TAB\tX", "Tab Ltd"),
    ] {
        let r = app
            .gql(
                Some(&admin),
                create,
                json!({"i": {"code": code, "name": name}}),
            )
            .await;
        assert_eq!(r.code(), "VALIDATION", "{code:?}: {}", r.0);
    }
    let r = app
        .gql(
            Some(&admin),
            create,
            json!({"i": {"code": "acme", "name": "Another Acme"}}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT", "{}", r.0);
    assert_eq!(count(&app, &admin, "customers").await, before);
    // Items by SKU as well.
    let r = app
        .gql(
            Some(&admin),
            "mutation { createItem(input: {sku: \"bolt-m8\", name: \"bolt\", kind: STOCKED, listPrice: \"1\"}) { item { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT", "{}", r.0);
}

#[tokio::test]
async fn an_e_mail_of_another_company_is_refused_without_naming_it() {
    let app = spawn_demo().await;
    let blk = app.login("admin@balkan.example").await;
    let r = app
        .gql(
            Some(&blk),
            "mutation { createUser(input: {email: \"ana@iberia.example\", name: \"A\", password: \"long-enough-password\", role: ADMIN}) { user { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT", "{}", r.0);
    let text = r.0.to_string();
    assert!(!text.contains("iberia"), "{text}");
}

// --- idempotency ---------------------------------------------------------------------------

async fn post_with_key(app: &TestApp, token: &str, key: &str, query: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
}

async fn stored_keys(app: &TestApp) -> i64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::idempotency_key::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap() as i64
}

#[tokio::test]
async fn idempotency_keys_keep_mutations_only_and_bounded_responses() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let q = "{ items(first: 200) { nodes { id sku name } } }";
    let first = post_with_key(&app, &admin, "k-query", q).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let again = post_with_key(&app, &admin, "k-query", q).await;
    assert!(
        again.headers().get("idempotent-replayed").is_none(),
        "a query is not replayed"
    );
    assert_eq!(stored_keys(&app).await, 0, "nothing kept for a query");

    let m =
        "mutation { createWarehouse(input: {code: \"W9\", name: \"Nine\"}) { warehouse { id } } }";
    let first: Value = post_with_key(&app, &admin, "k-mut", m)
        .await
        .json()
        .await
        .unwrap();
    let again = post_with_key(&app, &admin, "k-mut", m).await;
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first, again);
    assert_eq!(stored_keys(&app).await, 1);

    // A mutation whose answer is over the cap ran once; its retry is told so, not run again.
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let lines = (0..600)
        .map(|_| format!("{{itemId: \"{bolt}\", quantity: \"1\"}}"))
        .collect::<Vec<_>>()
        .join(", ");
    let big = format!(
        "mutation {{ createSalesOrder(input: {{customerId: \"{acme}\", lines: [{lines}]}}) {{ salesOrder {{ id lines {{ id description quantity unitPrice item {{ sku name }} }} }} }} }}"
    );
    let orders = count(&app, &admin, "salesOrders").await;
    let first = post_with_key(&app, &admin, "k-big", &big)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        first.len() > api::domain::idempotency::MAX_STORED_BYTES,
        "{} bytes",
        first.len()
    );
    let again: Value = post_with_key(&app, &admin, "k-big", &big)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["errors"][0]["extensions"]["code"], "CONFLICT",
        "{again}"
    );
    assert_eq!(
        count(&app, &admin, "salesOrders").await,
        orders + 1,
        "ran once"
    );
    use sea_orm::EntityTrait;
    for row in entity::idempotency_key::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
    {
        let kept = row.response.unwrap_or_default();
        assert!(
            kept.len() <= api::domain::idempotency::MAX_STORED_BYTES,
            "{} bytes kept",
            kept.len()
        );
    }
}
