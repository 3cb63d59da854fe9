//! The access matrix (R-ACC-1…8): each role against each query, nested field and mutation.
//! Demo data: reps ANA (customers ACME, INITECH), BORIS (GLOBEX), MGR (zone manager over ANA;
//! own customer HOOLI); BLK is the sister company with customer-less data of its own.
use api_tests::*;
use serde_json::json;

const ALL_IBX: [&str; 5] = ["ACME", "BLK", "GLOBEX", "HOOLI", "INITECH"];

/// Who sees which customers in `customers`.
#[tokio::test]
async fn each_role_lists_exactly_its_customers() {
    let app = spawn_demo().await;
    let cases: [(&str, &[&str]); 8] = [
        ("admin@iberia.example", &ALL_IBX),
        ("manager@iberia.example", &["ACME", "HOOLI", "INITECH"]),
        ("ana@iberia.example", &["ACME", "INITECH"]),
        ("boris@iberia.example", &["GLOBEX"]),
        ("warehouse@iberia.example", &ALL_IBX),
        ("purchasing@iberia.example", &ALL_IBX),
        ("buyer@acme.example", &["ACME"]),
        // The sister company's own customer only.
        ("admin@balkan.example", &["VITOSHA"]),
    ];
    for (email, expected) in cases {
        let token = app.login(email).await;
        let r = app
            .gql(
                Some(&token),
                "{ customers(first: 100) { totalCount edges { node { code } } } }",
                json!({}),
            )
            .await;
        let conn = &r.data()["customers"];
        assert_eq!(codes(conn, "code"), expected.to_vec(), "{email}");
        assert_eq!(conn["totalCount"], expected.len(), "{email}");
    }
}

/// `customer(id)` answers NOT_FOUND outside the caller's scope (R-ACC-8).
#[tokio::test]
async fn customer_lookup_by_id_is_not_found_outside_scope() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let mut ids = Vec::new();
    for code in ALL_IBX {
        ids.push((code, app.id_of(&admin, "customers", code).await));
    }
    let cases: [(&str, &[&str]); 5] = [
        ("manager@iberia.example", &["ACME", "HOOLI", "INITECH"]),
        ("ana@iberia.example", &["ACME", "INITECH"]),
        ("boris@iberia.example", &["GLOBEX"]),
        ("buyer@acme.example", &["ACME"]),
        // The sister company's own customer only.
        ("admin@balkan.example", &["VITOSHA"]),
    ];
    for (email, visible) in cases {
        let token = app.login(email).await;
        for (code, id) in &ids {
            let r = app
                .gql(
                    Some(&token),
                    "query($id: ID!) { customer(id: $id) { code } }",
                    json!({"id": id}),
                )
                .await;
            if visible.contains(code) {
                assert_eq!(r.data()["customer"]["code"], *code, "{email} sees {code}");
            } else {
                assert_eq!(r.code(), "NOT_FOUND", "{email} must not see {code}");
            }
        }
    }
}

/// A rep tries every path a curious user would to reach another rep's customer.
#[tokio::test]
async fn a_rep_cannot_reach_another_reps_customer_by_any_path() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let globex = app.id_of(&admin, "customers", "GLOBEX").await;
    let boris_rep = app.id_of(&admin, "salesReps", "BORIS").await;
    let ana = app.login("ana@iberia.example").await;
    let queries = [
        (
            "{ customers(filter: {search: \"globex\"}) { totalCount edges { node { code } } } }",
            json!({}),
        ),
        (
            "query($r: ID!) { customers(filter: {salesRepId: $r}) { totalCount edges { node { code } } } }",
            json!({"r": boris_rep}),
        ),
        (
            "{ customers(first: 200) { edges { node { code groupCustomer { code } } } } }",
            json!({}),
        ),
        (
            "{ me { customer { code } salesRep { associatedReps { code } } } }",
            json!({}),
        ),
    ];
    for (q, vars) in queries {
        let r = app.gql(Some(&ana), q, vars).await;
        assert!(
            !r.0.to_string().contains("GLOBEX"),
            "leak through {q}: {}",
            r.0
        );
    }
    let lookup = app
        .gql(
            Some(&ana),
            "query($id: ID!) { customer(id: $id) { code } }",
            json!({"id": globex}),
        )
        .await;
    assert_eq!(lookup.code(), "NOT_FOUND");
    let rep = app
        .gql(
            Some(&ana),
            "query($id: ID!) { salesRep(id: $id) { code } }",
            json!({"id": boris_rep}),
        )
        .await;
    assert_eq!(rep.code(), "NOT_FOUND");
    let update = app
        .gql(Some(&ana), "mutation($id: ID!) { updateCustomer(input: {id: $id, fields: {name: \"x\"}}) { customer { code } } }", json!({"id": globex}))
        .await;
    assert_eq!(update.code(), "FORBIDDEN");
    // The buyer user's nested customer is null for a rep who may not see it.
    let users = app
        .gql(Some(&ana), "{ users { totalCount } }", json!({}))
        .await;
    assert_eq!(users.code(), "FORBIDDEN");
}

/// A customer's group is shown only when the caller may see the group customer too.
#[tokio::test]
async fn nested_group_customer_follows_visibility() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let globex = app.id_of(&admin, "customers", "GLOBEX").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let r = app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $g: ID!) { updateCustomer(input: {id: $id, fields: {groupCustomerId: $g, invoiceToGroup: true}}) { customer { groupCustomer { code } } } }",
            json!({"id": acme, "g": globex}),
        )
        .await;
    assert_eq!(
        r.data()["updateCustomer"]["customer"]["groupCustomer"]["code"],
        "GLOBEX"
    );
    let ana = app.login("ana@iberia.example").await;
    let seen = app
        .gql(
            Some(&ana),
            "query($id: ID!) { customer(id: $id) { code groupCustomer { code } } }",
            json!({"id": acme}),
        )
        .await;
    assert_eq!(
        seen.data()["customer"]["groupCustomer"],
        serde_json::Value::Null
    );
}

/// Items, stock, users and tokens by role.
#[tokio::test]
async fn catalog_stock_users_and_tokens_by_role() {
    let app = spawn_demo().await;
    // (email, items, item cost, stockLevels, users, apiTokens)
    let cases = [
        ("admin@iberia.example", true, true, true, true, true),
        ("manager@iberia.example", true, true, true, false, false),
        ("ana@iberia.example", true, true, true, false, false),
        ("warehouse@iberia.example", true, true, true, false, false),
        ("purchasing@iberia.example", true, true, true, false, false),
        ("buyer@acme.example", true, false, false, false, false),
    ];
    for (email, items, cost, stock, users, tokens) in cases {
        let t = app.login(email).await;
        let check = |r: Gql, allowed: bool, what: &str| {
            if allowed {
                assert!(r.is_ok(), "{email} should read {what}: {}", r.0);
            } else {
                assert_eq!(r.code(), "FORBIDDEN", "{email} must not read {what}");
            }
        };
        check(
            app.gql(Some(&t), "{ items { totalCount } }", json!({}))
                .await,
            items,
            "items",
        );
        check(
            app.gql(Some(&t), "{ items { edges { node { cost } } } }", json!({}))
                .await,
            cost,
            "cost",
        );
        check(
            app.gql(Some(&t), "{ stockLevels { totalCount } }", json!({}))
                .await,
            stock,
            "stockLevels",
        );
        check(
            app.gql(
                Some(&t),
                "{ items { edges { node { stockLevels { onHand } } } } }",
                json!({}),
            )
            .await,
            stock,
            "item.stockLevels",
        );
        check(
            app.gql(Some(&t), "{ users { totalCount } }", json!({}))
                .await,
            users,
            "users",
        );
        check(
            app.gql(Some(&t), "{ apiTokens { totalCount } }", json!({}))
                .await,
            tokens,
            "apiTokens",
        );
    }
}

/// Company isolation (R-ACC-1): the sister company's admin sees its own records (BLK's demo:
/// two items with IBX's SKUs, one warehouse, no stock) and none of IBX's.
#[tokio::test]
async fn another_companys_admin_sees_nothing_of_ours() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let blk = app.login("admin@balkan.example").await;
    let r = app.gql(Some(&blk), "{ items { totalCount edges { node { id sku } } } stockLevels { totalCount } warehouses { totalCount edges { node { code } } } users { edges { node { email } } } }", json!({})).await;
    let d = r.data();
    assert_eq!(d["items"]["totalCount"], 2);
    let own: Vec<&str> = d["items"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert!(
        !own.contains(&bolt.as_str()),
        "same SKU, another company's item"
    );
    assert_eq!(d["stockLevels"]["totalCount"], 0);
    assert_eq!(d["warehouses"]["edges"], json!([{"node": {"code": "SOF"}}]));
    assert_eq!(d["users"]["edges"].as_array().unwrap().len(), 1);
    let item = app
        .gql(
            Some(&blk),
            "query($id: ID!) { item(id: $id) { sku } }",
            json!({"id": bolt}),
        )
        .await;
    assert_eq!(item.code(), "NOT_FOUND");
    let cust = app
        .gql(
            Some(&blk),
            "query($id: ID!) { customer(id: $id) { code } }",
            json!({"id": acme}),
        )
        .await;
    assert_eq!(cust.code(), "NOT_FOUND");
    let adjust = app
        .gql(
            Some(&blk),
            "mutation($i: ID!) { adjustStock(input: {itemId: $i, warehouseId: \"1\", quantity: \"5\", reason: \"x\"}) { stockLevel { onHand } } }",
            json!({"i": bolt}),
        )
        .await;
    assert_eq!(adjust.code(), "VALIDATION");
}

/// Mutations by role: master data is ADMIN's, stock is ADMIN's and WAREHOUSE's, suppliers
/// also PURCHASING's.
#[tokio::test]
async fn mutations_by_role() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let mad = app.id_of(&admin, "warehouses", "MAD").await;
    let adjust = "mutation($i: ID!, $w: ID!) { adjustStock(input: {itemId: $i, warehouseId: $w, quantity: \"1\", reason: \"count\"}) { stockLevel { onHand } } }";
    let supplier = "mutation($c: String!) { createSupplier(input: {code: $c, name: \"S\"}) { supplier { id } } }";
    let item =
        "mutation($c: String!) { createItem(input: {sku: $c, name: \"I\"}) { item { id } } }";
    let cases = [
        ("admin@iberia.example", true, true, true),
        ("warehouse@iberia.example", true, false, false),
        ("purchasing@iberia.example", false, true, false),
        ("manager@iberia.example", false, false, false),
        ("ana@iberia.example", false, false, false),
        ("buyer@acme.example", false, false, false),
    ];
    for (n, (email, can_adjust, can_supplier, can_item)) in cases.into_iter().enumerate() {
        let t = app.login(email).await;
        let code = format!("C{n}");
        for (allowed, r) in [
            (
                can_adjust,
                app.gql(Some(&t), adjust, json!({"i": bolt, "w": mad}))
                    .await,
            ),
            (
                can_supplier,
                app.gql(Some(&t), supplier, json!({"c": code})).await,
            ),
            (can_item, app.gql(Some(&t), item, json!({"c": code})).await),
        ] {
            if allowed {
                assert!(r.is_ok(), "{email}: {}", r.0);
            } else {
                assert_eq!(r.code(), "FORBIDDEN", "{email}");
            }
        }
    }
}
