//! Access matrix for fulfilment: each role and token kind against each query, nested field and
//! mutation of reservations, backorders, purchasing, receipts and shipping (R-ACC-3…8). "ok"
//! means it succeeded; otherwise the error code. Boris must never reach ACME (Ana's customer)
//! by any path, nor Ana Boris's GLOBEX. Mutations are aimed so that they fail on a rule after
//! the access check (VALIDATION, INVALID_STATE) and leave the world as it was for the next row.
use api_tests::*;
use serde_json::{Value, json};

fn id(r: &Gql, path: &[&str]) -> String {
    let mut v = r.data();
    for p in path {
        v = if let Ok(i) = p.parse::<usize>() {
            &v[i]
        } else {
            &v[*p]
        };
    }
    v.as_str()
        .unwrap_or_else(|| panic!("no id at {path:?}: {}", r.0))
        .to_owned()
}

#[tokio::test]
async fn every_caller_against_every_fulfilment_operation() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let globex = app.id_of(&admin, "customers", "GLOBEX").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let tools = app.id_of(&admin, "suppliers", "TOOLS").await;
    let mad = app.id_of(&admin, "warehouses", "MAD").await;
    let a = |q: &'static str, v: Value| {
        let (app, admin) = (&app, admin.clone());
        async move { app.gql(Some(&admin), q, v).await }
    };
    let create = "mutation($c: ID!, $i: ID!, $q: Decimal!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $i, quantity: $q}]}) { salesOrder { id lines { id } } } }";
    let confirm = "mutation($id: ID!) { confirmSalesOrder(input: {id: $id, createBackorders: true}) { salesOrder { id } } }";
    let order = |c: &str, q: &str| {
        let v = json!({"c": c, "i": bolt, "q": q});
        async move {
            let r = a(create, v).await;
            let (o, l) = (
                id(&r, &["createSalesOrder", "salesOrder", "id"]),
                id(&r, &["createSalesOrder", "salesOrder", "lines", "0", "id"]),
            );
            a(confirm, json!({ "id": o })).await.data();
            (o, l)
        }
    };
    // ACME: 10 reserved (5 shipped below); GLOBEX: 90 reserved + 10 backordered; ACME: 50 and
    // 5 backordered, the 5 cancelled.
    let (acme_order, acme_line) = order(&acme, "10").await;
    let (_globex_order, _) = order(&globex, "100").await;
    let (acme_waiting, _) = order(&acme, "50").await;
    let (acme_cancelled_order, _) = order(&acme, "5").await;
    let bo = |o: String| async move {
        let r = a(
            "query($o: ID!) { backorders(filter: {orderId: $o}) { edges { node { id } } } }",
            json!({ "o": o }),
        )
        .await;
        id(&r, &["backorders", "edges", "0", "node", "id"])
    };
    let acme_bo = bo(acme_waiting.clone()).await;
    let acme_cancelled = bo(acme_cancelled_order).await;
    // ACME's 50 are confirmed and bought (their purchase line is purchasing's business).
    a(
        "mutation($id: ID!) { confirmBackorders(ids: [$id]) { backorders { id } } }",
        json!({ "id": acme_bo }),
    )
    .await
    .data();
    a(
        "mutation($id: ID!) { createPurchaseOrdersForBackorders(input: {backorderIds: [$id]}) { purchaseOrders { id } } }",
        json!({ "id": acme_bo }),
    )
    .await
    .data();
    let r = a(
        "{ backorders(filter: {status: PENDING}) { edges { node { id customer { code } } } } }",
        json!({}),
    )
    .await;
    let globex_bo = r.data()["backorders"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["customer"]["code"] == "GLOBEX")
        .unwrap()["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    a(
        "mutation($i: IdInput!) { cancelBackorder(input: $i) { backorder { id } } }",
        json!({"i": {"id": acme_cancelled}}),
    )
    .await
    .data();
    let r = a(
        "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { id } } }",
        json!({"i": {"orderId": acme_order, "lines": [{"lineId": acme_line, "quantity": "5"}]}}),
    )
    .await;
    let acme_ship = id(&r, &["shipSalesOrder", "shipment", "id"]);
    let r = a(
        "mutation($i: CreateReturnInput!) { createReturn(input: $i) { returnNote { id } } }",
        json!({"i": {"orderId": acme_order, "warehouseId": mad, "reason": "wrong size", "lines": [{"orderLineId": acme_line, "quantity": "1"}]}}),
    )
    .await;
    let acme_return = id(&r, &["createReturn", "returnNote", "id"]);
    let r = a(
        "mutation($i: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $i) { purchaseOrder { id lines { id } } } }",
        json!({"i": {"supplierId": tools, "lines": [{"itemId": bolt, "quantity": "20"}]}}),
    )
    .await;
    let po = id(&r, &["createPurchaseOrder", "purchaseOrder", "id"]);
    let po_line = id(
        &r,
        &["createPurchaseOrder", "purchaseOrder", "lines", "0", "id"],
    );
    a(
        "mutation($i: IdInput!) { confirmPurchaseOrder(input: $i) { purchaseOrder { id } } }",
        json!({"i": {"id": po}}),
    )
    .await
    .data();
    let r = a(
        "mutation($i: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $i) { receipt { id } } }",
        json!({"i": {"purchaseOrderId": po, "lines": [{"lineId": po_line, "quantity": "1"}]}}),
    )
    .await;
    let draft_receipt = id(&r, &["receivePurchaseOrder", "receipt", "id"]);

    let token = |scope: &str| {
        let v = json!({ "s": [scope] });
        async move {
            let r = a("mutation($s: [ApiScope!]!) { createApiToken(input: {name: \"m\", scopes: $s}) { token } }", v).await;
            id(&r, &["createApiToken", "token"])
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

    const ALL_READERS: [&str; 10] = [
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "FORBIDDEN",
    ];
    const ACME_READERS: [&str; 10] = [
        "ok",
        "ok",
        "ok",
        "NOT_FOUND",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "FORBIDDEN",
    ];
    const PURCHASING_READERS: [&str; 10] = [
        "ok",
        "ok",
        "FORBIDDEN",
        "FORBIDDEN",
        "ok",
        "ok",
        "FORBIDDEN",
        "FORBIDDEN",
        "FORBIDDEN",
        "FORBIDDEN",
    ];
    type Op<'a> = MatrixRow<'a, &'a str, 10>;
    #[rustfmt::skip]
    let ops: Vec<Op> = vec![
        // caller:          admin  manager ana   boris  wareh  purch  buyer  t_read t_write t_catalog
        ("backorders", "{ backorders { totalCount edges { node { id salesOrder { id } customer { code } } } } }", json!({}), ALL_READERS),
        ("backorder(ACME)", "query($id: ID!) { backorder(id: $id) { id salesOrder { id } assignments { id } } }", json!({"id": acme_bo}), ACME_READERS),
        ("backorder(GLOBEX)", "query($id: ID!) { backorder(id: $id) { id } }", json!({"id": globex_bo}),
            ["ok", "NOT_FOUND", "NOT_FOUND", "ok", "ok", "ok", "NOT_FOUND", "ok", "ok", "FORBIDDEN"]),
        ("salesOrder(ACME) fulfilment fields", "query($id: ID!) { salesOrder(id: $id) { lines { reservedQuantity shippedQuantity reservations { id } backorders { id } } shipments { id } } }", json!({"id": acme_order}), ACME_READERS),
        ("shipments", "{ shipments { totalCount edges { node { id salesOrder { id } } } } }", json!({}), ALL_READERS),
        ("shipment(ACME)", "query($id: ID!) { shipment(id: $id) { id status lines { quantity } } }", json!({"id": acme_ship}), ACME_READERS),
        ("returnNotes", "{ returnNotes { totalCount edges { node { id salesOrder { id } } } } }", json!({}), ALL_READERS),
        ("returnNote(ACME)", "query($id: ID!) { returnNote(id: $id) { id number lines { quantity item { sku } } } }", json!({"id": acme_return}), ACME_READERS),
        ("createReturn(ACME, more than shipped)", "mutation($o: ID!, $l: ID!, $w: ID!) { createReturn(input: {orderId: $o, warehouseId: $w, reason: \"x\", lines: [{orderLineId: $l, quantity: \"5\"}]}) { returnNote { id } } }", json!({"o": acme_order, "l": acme_line, "w": mad}),
            ["VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("purchaseOrders", "{ purchaseOrders { totalCount } }", json!({}), PURCHASING_READERS),
        ("purchaseOrder", "query($id: ID!) { purchaseOrder(id: $id) { id lines { quantity } } }", json!({"id": po}), PURCHASING_READERS),
        ("receipts", "{ receipts { totalCount } }", json!({}), PURCHASING_READERS),
        ("item.availability", "query($id: ID!) { item(id: $id) { availability { available incoming } } }", json!({"id": bolt}),
            ["ok", "ok", "ok", "ok", "ok", "ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("reserveStock(ACME line, over its quantity)", "mutation($l: ID!, $w: ID!) { reserveStock(input: {orderLineId: $l, warehouseId: $w, quantity: \"1\"}) { reservation { id } } }", json!({"l": acme_line, "w": mad}),
            ["VALIDATION", "VALIDATION", "VALIDATION", "NOT_FOUND", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("setBackorderPriority(ACME)", "mutation($id: ID!) { setBackorderPriority(input: {id: $id, priority: 3}) { backorder { priority } } }", json!({"id": acme_bo}),
            ["ok", "ok", "ok", "NOT_FOUND", "FORBIDDEN", "ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("cancelBackorder(ACME, cancelled)", "mutation($id: ID!) { cancelBackorder(input: {id: $id}) { backorder { id } } }", json!({"id": acme_cancelled}),
            ["INVALID_STATE", "INVALID_STATE", "INVALID_STATE", "NOT_FOUND", "FORBIDDEN", "INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("confirmBackorders(ACME, cancelled)", "mutation($id: ID!) { confirmBackorders(ids: [$id]) { backorders { id } } }", json!({"id": acme_cancelled}),
            ["INVALID_STATE", "INVALID_STATE", "INVALID_STATE", "VALIDATION", "FORBIDDEN", "INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("shipSalesOrder(ACME, too much)", "mutation($o: ID!, $l: ID!) { shipSalesOrder(input: {orderId: $o, lines: [{lineId: $l, quantity: \"100\"}]}) { shipment { id } } }", json!({"o": acme_order, "l": acme_line}),
            ["VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("createShipment(ACME, too much)", "mutation($o: ID!, $l: ID!) { createShipment(input: {orderId: $o, lines: [{lineId: $l, quantity: \"100\"}]}) { shipment { id } } }", json!({"o": acme_order, "l": acme_line}),
            ["VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("confirmShipment(ACME, shipped)", "mutation($s: ID!) { confirmShipment(input: {id: $s}) { shipment { id } } }", json!({"s": acme_ship}),
            ["INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("cancelShipment(ACME, shipped)", "mutation($s: ID!) { cancelShipment(input: {id: $s}) { shipment { id } } }", json!({"s": acme_ship}),
            ["INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("createPurchaseOrder(quantity 0)", "mutation($s: ID!, $i: ID!) { createPurchaseOrder(input: {supplierId: $s, lines: [{itemId: $i, quantity: \"0\"}]}) { purchaseOrder { id } } }", json!({"s": tools, "i": bolt}),
            ["VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("confirmPurchaseOrder(confirmed)", "mutation($id: ID!) { confirmPurchaseOrder(input: {id: $id}) { purchaseOrder { id } } }", json!({"id": po}),
            ["INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("receivePurchaseOrder(too much)", "mutation($p: ID!, $l: ID!) { receivePurchaseOrder(input: {purchaseOrderId: $p, lines: [{lineId: $l, quantity: \"1000\"}]}) { receipt { id } } }", json!({"p": po, "l": po_line}),
            ["VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "VALIDATION", "VALIDATION", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("assignBackorders(draft receipt)", "mutation($r: ID!) { assignBackorders(input: {receiptId: $r}) { assignments { id } } }", json!({"r": draft_receipt}),
            ["INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "INVALID_STATE", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
    ];
    let mismatches = matrix_mismatches(&app, &CALLERS, &tokens, &ops).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    // Lists leave out what a caller may not see: backorders (ACME 50 + 5, GLOBEX 10) and
    // shipments (ACME 1) per caller.
    let mut counts = vec![];
    for t in &tokens[..9] {
        let r = app
            .gql(
                Some(t),
                "{ backorders { totalCount edges { node { customer { code } } } } shipments { totalCount } }",
                json!({}),
            )
            .await;
        let d = r.data();
        counts.push((
            d["backorders"]["totalCount"].as_i64().unwrap(),
            d["shipments"]["totalCount"].as_i64().unwrap(),
        ));
        // A nested customer is never another rep's.
        for e in d["backorders"]["edges"].as_array().unwrap() {
            let code = &e["node"]["customer"]["code"];
            assert!(code.is_null() || code == "ACME" || code == "GLOBEX");
        }
    }
    assert_eq!(
        counts,
        vec![
            (3, 1),
            (2, 1),
            (2, 1),
            (1, 0),
            (3, 1),
            (3, 1),
            (2, 1),
            (3, 1),
            (3, 1)
        ]
    );
    // Who buys a backorder is purchasing's business: null for a rep, shown to purchasing.
    let q = "query($id: ID!) { backorder(id: $id) { purchaseOrderLine { id } } }";
    for (i, shown) in [
        (0, true),
        (1, true),
        (2, false),
        (5, true),
        (6, false),
        (7, false),
    ] {
        let r = app.gql(Some(&tokens[i]), q, json!({"id": acme_bo})).await;
        assert_eq!(
            !r.data()["backorder"]["purchaseOrderLine"].is_null(),
            shown,
            "purchase line for {}",
            CALLERS[i]
        );
    }
}
