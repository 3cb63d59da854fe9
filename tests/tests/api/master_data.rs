//! Master data: validation, conflicts, and failed mutations that leave nothing behind.
use api_tests::*;
use serde_json::json;

const CREATE_CUSTOMER: &str = "mutation($input: CustomerInput!) { createCustomer(input: $input) { customer { id code currency language creditLimit salesRep { code } addresses { city country } } } }";

#[tokio::test]
async fn a_customer_takes_defaults_and_its_addresses() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let ana = app.id_of(&admin, "salesReps", "ANA").await;
    let r = app
        .gql(
            Some(&admin),
            CREATE_CUSTOMER,
            json!({"input": {"code": "NEW", "name": "New Co", "salesRepId": ana, "creditLimit": "1500.50",
                "addresses": [{"kind": "SHIPPING", "name": "Dock", "line1": "Calle 1", "city": "Toledo", "country": "es", "isDefault": true}]}}),
        )
        .await;
    let c = &r.data()["createCustomer"]["customer"];
    assert_eq!(c["currency"], "EUR");
    assert_eq!(c["language"], "en");
    // Stored decimals answer with their four places on both backends.
    assert_eq!(c["creditLimit"], "1500.5000");
    assert_eq!(c["salesRep"]["code"], "ANA");
    assert_eq!(c["addresses"][0]["country"], "ES");
}

#[tokio::test]
async fn a_duplicate_code_is_a_conflict() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let r = app
        .gql(
            Some(&admin),
            CREATE_CUSTOMER,
            json!({"input": {"code": "ACME", "name": "Again"}}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    let r = app
        .gql(
            Some(&admin),
            "mutation { createItem(input: {sku: \"BOLT-M8\", name: \"x\"}) { item { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    let r = app.gql(Some(&admin), "mutation { createItem(input: {sku: \"NEW-1\", name: \"x\", barcodes: [\"8412345000011\"]}) { item { id } } }", json!({})).await;
    assert_eq!(r.code(), "CONFLICT");
    // The item whose barcode clashed was rolled back with it.
    let r = app
        .gql(
            Some(&admin),
            "{ items(filter: {sku: \"NEW-1\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(r.data()["items"]["totalCount"], 0);
}

#[tokio::test]
async fn validation_errors_name_the_field_and_write_nothing() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let cases = [
        (json!({"code": "", "name": "x"}), "code"),
        (
            json!({"code": "V1", "name": "x", "currency": "EURO"}),
            "currency",
        ),
        (
            json!({"code": "V2", "name": "x", "creditLimit": "-1"}),
            "creditLimit",
        ),
        (
            json!({"code": "V3", "name": "x", "salesRepId": "999999"}),
            "salesRepId",
        ),
        (
            json!({"code": "V4", "name": "x", "email": "not-an-email"}),
            "email",
        ),
        (
            json!({"code": "V5", "name": "x", "addresses": [{"kind": "BILLING", "name": "a", "line1": "", "city": "c", "country": "ES"}]}),
            "addresses.0.line1",
        ),
    ];
    for (input, field) in cases {
        let r = app
            .gql(Some(&admin), CREATE_CUSTOMER, json!({"input": input}))
            .await;
        assert_eq!(r.code(), "VALIDATION", "{input}");
        assert_eq!(r.field().as_deref(), Some(field), "{input}");
    }
    let r = app
        .gql(
            Some(&admin),
            "{ customers(filter: {search: \"x\"}) { totalCount } }",
            json!({}),
        )
        .await;
    let all = app
        .gql(Some(&admin), "{ customers { totalCount } }", json!({}))
        .await;
    assert_eq!(
        all.data()["customers"]["totalCount"],
        5,
        "no customer was written: {}",
        r.0
    );
}

#[tokio::test]
async fn a_bad_id_is_a_validation_error_and_an_unknown_one_not_found() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let r = app
        .gql(
            Some(&admin),
            "{ customer(id: \"abc\") { code } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION");
    assert_eq!(r.field().as_deref(), Some("id"));
    let r = app
        .gql(
            Some(&admin),
            "{ customer(id: \"424242\") { code } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "NOT_FOUND");
}

#[tokio::test]
async fn items_filter_by_search_sku_barcode_and_sellable() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let q = "query($f: ItemFilter) { items(filter: $f) { edges { node { sku description(language: \"bg\") } } } }";
    let skus = |r: Gql| codes(&r.data()["items"], "sku");
    assert_eq!(
        skus(
            app.gql(Some(&admin), q, json!({"f": {"search": "m8"}}))
                .await
        ),
        vec!["BOLT-M8", "NUT-M8"]
    );
    assert_eq!(
        skus(
            app.gql(Some(&admin), q, json!({"f": {"barcode": "8412345000028"}}))
                .await
        ),
        vec!["NUT-M8"]
    );
    assert_eq!(
        skus(
            app.gql(Some(&admin), q, json!({"f": {"sku": "OIL-1L"}}))
                .await
        ),
        vec!["OIL-1L"]
    );
    let bolt = app
        .gql(Some(&admin), q, json!({"f": {"sku": "BOLT-M8"}}))
        .await;
    assert_eq!(
        bolt.data()["items"]["edges"][0]["node"]["description"],
        "Стоманен болт M8"
    );
    let none = app
        .gql(Some(&admin), q, json!({"f": {"search": "100%_"}}))
        .await;
    assert!(
        skus(none).is_empty(),
        "LIKE wildcards in a search are literal"
    );
}

#[tokio::test]
async fn pagination_walks_every_customer_once() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let q = "query($after: String) { customers(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } }";
    let mut after = serde_json::Value::Null;
    let mut seen = Vec::new();
    loop {
        let r = app.gql(Some(&admin), q, json!({"after": after})).await;
        let conn = r.data()["customers"].clone();
        assert_eq!(conn["totalCount"], 5);
        seen.extend(codes(&conn, "code"));
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    seen.sort();
    assert_eq!(seen, vec!["ACME", "BLK", "GLOBEX", "HOOLI", "INITECH"]);
}

#[tokio::test]
async fn users_need_the_links_their_role_requires() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let q = "mutation($i: CreateUserInput!) { createUser(input: $i) { user { email role } } }";
    let rep = app.gql(Some(&admin), q, json!({"i": {"email": "r@x.example", "name": "R", "password": "long-enough", "role": "SALES_REP"}})).await;
    assert_eq!(rep.field().as_deref(), Some("salesRepId"));
    let buyer = app.gql(Some(&admin), q, json!({"i": {"email": "b@x.example", "name": "B", "password": "long-enough", "role": "CUSTOMER"}})).await;
    assert_eq!(buyer.field().as_deref(), Some("customerId"));
    let short = app.gql(Some(&admin), q, json!({"i": {"email": "s@x.example", "name": "S", "password": "short", "role": "WAREHOUSE"}})).await;
    assert_eq!(short.field().as_deref(), Some("password"));
    let dup = app.gql(Some(&admin), q, json!({"i": {"email": "ANA@iberia.example", "name": "A", "password": "long-enough", "role": "WAREHOUSE"}})).await;
    assert_eq!(dup.code(), "CONFLICT");
    let ok = app.gql(Some(&admin), q, json!({"i": {"email": "w2@x.example", "name": "W", "password": "long-enough", "role": "WAREHOUSE"}})).await;
    assert_eq!(ok.data()["createUser"]["user"]["role"], "WAREHOUSE");
    app.login_with("w2@x.example", "long-enough").await;
}

#[tokio::test]
async fn a_zone_manager_sees_newly_associated_reps_customers() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let mgr = app.id_of(&admin, "salesReps", "MGR").await;
    let ana = app.id_of(&admin, "salesReps", "ANA").await;
    let boris = app.id_of(&admin, "salesReps", "BORIS").await;
    let r = app
        .gql(
            Some(&admin),
            "mutation($m: ID!, $r: [ID!]!) { setAssociatedReps(input: {managerRepId: $m, repIds: $r}) { salesRep { associatedReps { code } } } }",
            json!({"m": mgr, "r": [ana, boris]}),
        )
        .await;
    assert_eq!(
        codes(
            &json!({"edges": r.data()["setAssociatedReps"]["salesRep"]["associatedReps"].as_array().unwrap().iter().map(|n| json!({"node": n})).collect::<Vec<_>>()}),
            "code"
        ),
        vec!["ANA", "BORIS"]
    );
    let manager = app.login("manager@iberia.example").await;
    let list = app
        .gql(
            Some(&manager),
            "{ customers { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        codes(&list.data()["customers"], "code"),
        vec!["ACME", "GLOBEX", "HOOLI", "INITECH"]
    );
}

#[tokio::test]
async fn suppliers_are_searchable_by_purchasing_and_hidden_from_reps() {
    let app = spawn_demo().await;
    let buyer = app.login("purchasing@iberia.example").await;
    let q =
        "{ suppliers(filter: {search: \"herramientas\"}) { totalCount edges { node { code } } } }";
    let r = app.gql(Some(&buyer), q, json!({})).await;
    assert_eq!(codes(&r.data()["suppliers"], "code"), vec!["TOOLS"]);
    let ana = app.login("ana@iberia.example").await;
    assert_eq!(app.gql(Some(&ana), q, json!({})).await.code(), "FORBIDDEN");
}
