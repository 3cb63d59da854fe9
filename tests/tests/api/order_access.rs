//! Access matrix for order entry: each role and token kind against each query, nested field
//! and mutation of quotes and sales orders (R-ACC-3…8). "ok" means it succeeded; otherwise the
//! error code. A rep never reaches another rep's customer's order by any path.
use api_tests::*;
use serde_json::json;

#[tokio::test]
async fn every_caller_against_every_order_operation() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let globex = app.id_of(&admin, "customers", "GLOBEX").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let create = "mutation($c: ID!, $i: ID!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $i, quantity: \"1\"}]}) { salesOrder { id } } }";
    let order = |c: &str| {
        let (app, admin, c, bolt) = (&app, admin.clone(), c.to_owned(), bolt.clone());
        async move {
            let r = app
                .gql(Some(&admin), create, json!({"c": c, "i": bolt}))
                .await;
            r.data()["createSalesOrder"]["salesOrder"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let acme_order = order(&acme).await;
    let _globex_order = order(&globex).await;
    let q = app.gql(Some(&admin), "mutation($c: ID!, $i: ID!) { createQuote(input: {customerId: $c, lines: [{itemId: $i, quantity: \"1\"}]}) { quote { id } } }", json!({"c": acme, "i": bolt})).await;
    let acme_quote = q.data()["createQuote"]["quote"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let token = |scope: &str| {
        let (app, admin, scope) = (&app, admin.clone(), scope.to_owned());
        async move {
            let r = app.gql(Some(&admin), "mutation($s: [ApiScope!]!) { createApiToken(input: {name: \"m\", scopes: $s}) { token } }", json!({"s": [scope]})).await;
            r.data()["createApiToken"]["token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let mut tokens = vec![admin.clone()];
    for email in ["manager", "ana", "boris", "warehouse", "purchasing"] {
        tokens.push(app.login(&format!("{email}@iberia.example")).await);
    }
    tokens.push(app.login("buyer@acme.example").await);
    tokens.push(token("ORDERS_READ").await);
    tokens.push(token("ORDERS_WRITE").await);
    tokens.push(token("CATALOG_READ").await);

    type Op<'a> = MatrixRow<'a, String, 10>;
    let ops: Vec<Op> = vec![
        // caller:              admin  manager ana   boris  wareh  purch  buyer  t_read t_write t_catalog
        ("salesOrders", "{ salesOrders { totalCount } }".into(), json!({}),
            ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("salesOrder(ACME)", "query($id: ID!) { salesOrder(id: $id) { id lines { item { sku } } } }".into(), json!({"id": acme_order}),
            ["ok", "ok", "ok", "NOT_FOUND", "ok", "ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("quote(ACME)", "query($id: ID!) { quote(id: $id) { id } }".into(), json!({"id": acme_quote}),
            ["ok", "ok", "ok", "NOT_FOUND", "ok", "ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("deliveryDelays", "{ deliveryDelays { totalCount edges { node { delayDays } } } }".into(), json!({}),
            ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("createSalesOrder(ACME)", create.into(), json!({"c": acme, "i": bolt}),
            ["ok", "ok", "ok", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "ok", "FORBIDDEN", "ok", "FORBIDDEN"]),
        ("createSalesOrder(ACME, own terms)", "mutation($c: ID!, $i: ID!) { createSalesOrder(input: {customerId: $c, paymentTermsId: \"1\", lines: [{itemId: $i, quantity: \"1\"}]}) { salesOrder { id } } }".into(), json!({"c": acme, "i": bolt}),
            ["ok", "ok", "ok", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        // Freight is the seller's (issue 11): terms and recalculation are staff-only.
        ("createSalesOrder(ACME, freight terms)", "mutation($c: ID!, $i: ID!) { createSalesOrder(input: {customerId: $c, freightTerms: PREPAID, lines: [{itemId: $i, quantity: \"1\"}]}) { salesOrder { id } } }".into(), json!({"c": acme, "i": bolt}),
            ["ok", "ok", "ok", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("updateSalesOrder(ACME, recalculateFreight)", "mutation($id: ID!) { updateSalesOrder(input: {id: $id, recalculateFreight: true}) { salesOrder { id } } }".into(), json!({"id": acme_order}),
            ["ok", "ok", "ok", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("sendOrderConfirmation(ACME)", "mutation($id: ID!) { sendOrderConfirmation(input: {orderId: $id}) { salesOrder { id } } }".into(), json!({"id": acme_order}),
            ["ok", "ok", "ok", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "ok", "FORBIDDEN", "ok", "FORBIDDEN"]),
        ("releaseCreditHold(ACME, not held)", "mutation($id: ID!) { releaseCreditHold(input: {id: $id}) { salesOrder { id } } }".into(), json!({"id": acme_order}),
            ["INVALID_STATE", "INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("releaseCreditHolds(ACME, not held)", "mutation($c: ID!, $id: ID!) { releaseCreditHolds(input: {customerId: $c, orderIds: [$id]}) { released { id } } }".into(), json!({"c": acme, "id": acme_order}),
            ["VALIDATION", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("updateCompanySettings", "mutation { updateCompanySettings(input: {}) { defaultSeries } }".into(), json!({}),
            ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("paymentTerms", "{ paymentTerms { code } }".into(), json!({}),
            ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "FORBIDDEN"]),
    ];
    let mismatches = matrix_mismatches(&app, &CALLERS, &tokens, &ops).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    // Nested fields: costs only for staff; a rep sees an order by its order rep but not the
    // other rep's customer record behind it.
    let cost = "query($id: ID!) { salesOrder(id: $id) { lines { cost } } }";
    for (i, caller) in CALLERS.iter().enumerate().take(9) {
        let r = app
            .gql(Some(&tokens[i]), cost, json!({"id": acme_order}))
            .await;
        if r.is_ok() {
            let shown = !r.data()["salesOrder"]["lines"][0]["cost"].is_null();
            let staff = !matches!(*caller, "buyer" | "t_read" | "t_write");
            assert_eq!(shown, staff, "cost for {caller}");
        }
    }
    let counts: Vec<i64> = {
        let mut v = vec![];
        for t in &tokens[..9] {
            let r = app
                .gql(Some(t), "{ salesOrders { totalCount } }", json!({}))
                .await;
            v.push(r.data()["salesOrders"]["totalCount"].as_i64().unwrap());
        }
        v
    };
    // Orders now: ACME × (1 + 5 + 3 + 3 created by the matrix), GLOBEX × 1.
    assert_eq!(counts, vec![13, 12, 12, 1, 13, 13, 12, 13, 13]);
}
