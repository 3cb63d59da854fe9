//! Reservations, backorders, purchasing, receipts, assignment and shipping through the public
//! GraphQL API (R-RES-1…3, R-BO-1…6, R-STK-1, R-ORD-9, R-ORD-16). Demo data: BOLT-M8 with 100
//! on hand in MAD, preferred supplier TOOLS; ACME and INITECH are Ana's customers.
use api_tests::fulfil::{dec, receive_for_backorders, world};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

#[tokio::test]
async fn the_efactory_walk_through_runs_end_to_end() {
    let w = world().await;
    let ana = w.app.login("ana@iberia.example").await;
    // Stock 100, ACME orders 160 → 100 reserved + 60 backordered (R-BO-1).
    let (first, first_line) = w.order(&ana, &w.acme, 160).await;
    let r = w.confirm(&ana, &first, true).await;
    let c = &r.data()["confirmSalesOrder"];
    assert_eq!(c["salesOrder"]["status"], "CONFIRMED");
    assert_eq!(dec(&c["lines"][0]["reserved"]), Decimal::from(100));
    assert_eq!(dec(&c["lines"][0]["backordered"]), Decimal::from(60));
    // A second customer waits for 40, later.
    let (second, _) = w.order(&ana, &w.initech, 40).await;
    let r = w.confirm(&ana, &second, true).await;
    assert_eq!(
        dec(&r.data()["confirmSalesOrder"]["lines"][0]["backordered"]),
        Decimal::from(40)
    );

    // Both backorders are confirmed (R-BO-2) and bought from the preferred supplier (R-BO-3).
    let r = w
        .app
        .gql(Some(&w.purchasing), "{ backorders(filter: {status: PENDING}) { totalCount edges { node { id openQuantity salesOrder { id } } } } }", json!({}))
        .await;
    let list = r.data()["backorders"]["edges"].as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    let ids: Vec<String> = list
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    let r = w
        .app
        .gql(
            Some(&ana),
            "mutation($ids: [ID!]!) { confirmBackorders(ids: $ids) { backorders { status } } }",
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(
        r.data()["confirmBackorders"]["backorders"][0]["status"],
        "CONFIRMED"
    );
    let r = w
        .app
        .gql(Some(&w.purchasing), "mutation($i: CreatePurchaseOrdersForBackordersInput!) { createPurchaseOrdersForBackorders(input: $i) { purchaseOrders { id status supplier { code } lines { id quantity } } } }", json!({"i": {"backorderIds": ids}}))
        .await;
    let pos = r.data()["createPurchaseOrdersForBackorders"]["purchaseOrders"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(pos.len(), 1, "one purchase order per supplier");
    let po = &pos[0];
    assert_eq!(
        dec(&po["lines"][0]["quantity"]),
        Decimal::from(100),
        "60 + 40 summed per item"
    );
    let po_id = po["id"].as_str().unwrap();
    let po_line = po["lines"][0]["id"].as_str().unwrap();

    // R-ORD-16: the first order caused a purchase order; it cannot be deleted now.
    let r = w
        .app
        .gql(
            Some(&w.admin),
            "mutation($i: DocumentRef!) { deleteSalesOrder(input: $i) { deletedId } }",
            json!({"i": {"id": first}}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");

    w.app
        .gql(Some(&w.purchasing), "mutation($i: IdInput!) { confirmPurchaseOrder(input: $i) { purchaseOrder { status } } }", json!({"i": {"id": po_id}}))
        .await
        .data();
    let (_, _) = w.bolt_stock().await;
    // 80 arrive: a partial receipt (R-BO-4).
    let r = w
        .app
        .gql(Some(&w.warehouse), "mutation($i: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $i) { receipt { id status } } }", json!({"i": {"purchaseOrderId": po_id, "lines": [{"lineId": po_line, "quantity": "80"}]}}))
        .await;
    let receipt = r.data()["receivePurchaseOrder"]["receipt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w
        .app
        .gql(Some(&w.warehouse), "mutation($i: IdInput!) { confirmReceipt(input: $i) { receipt { status purchaseOrder { status } } } }", json!({"i": {"id": receipt}}))
        .await;
    let rec = &r.data()["confirmReceipt"]["receipt"];
    assert_eq!(rec["status"], "CONFIRMED");
    assert_eq!(rec["purchaseOrder"]["status"], "PARTIALLY_RECEIVED");
    assert_eq!(
        w.bolt_stock().await,
        (Decimal::from(180), Decimal::from(100))
    );

    // Assigned automatically, oldest first: ACME's 60, then 20 of INITECH's 40 (R-BO-5).
    let r = w
        .app
        .gql(Some(&w.purchasing), "mutation($i: AssignBackordersInput!) { assignBackorders(input: $i) { assignments { quantity originOrder { id } } salesOrders { id status customer { code } lines { quantity reservedQuantity } } unassigned { quantity } } }", json!({"i": {"receiptId": receipt}}))
        .await;
    let a = &r.data()["assignBackorders"];
    let got: Vec<(String, Decimal)> = a["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["originOrder"]["id"].as_str().unwrap().to_owned(),
                dec(&x["quantity"]),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (first.clone(), Decimal::from(60)),
            (second.clone(), Decimal::from(20))
        ]
    );
    assert_eq!(
        a["unassigned"].as_array().unwrap().len(),
        0,
        "the receipt is used up"
    );
    let new_orders = a["salesOrders"].as_array().unwrap().clone();
    assert_eq!(new_orders.len(), 2, "one new order per customer (R-BO-6)");
    for o in &new_orders {
        assert_eq!(o["status"], "CONFIRMED");
        assert_eq!(o["lines"][0]["quantity"], o["lines"][0]["reservedQuantity"]);
    }
    assert_eq!(
        w.bolt_stock().await,
        (Decimal::from(180), Decimal::from(180))
    );
    let r = w
        .app
        .gql(Some(&ana), "query($i: ID!) { backorders(filter: {customerId: $i}) { edges { node { status openQuantity } } } }", json!({"i": w.initech}))
        .await;
    let b = &r.data()["backorders"]["edges"][0]["node"];
    assert_eq!(b["status"], "PARTIALLY_FULFILLED");
    assert_eq!(dec(&b["openQuantity"]), Decimal::from(20));

    // Ship the first order's 100 and ACME's new order: on-hand and reserved drop together.
    let ship = "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { number lines { quantity } salesOrder { status } } } }";
    let r = w
        .app
        .gql(Some(&w.warehouse), ship, json!({"i": {"orderId": first}}))
        .await;
    let s = &r.data()["shipSalesOrder"]["shipment"];
    assert_eq!(dec(&s["lines"][0]["quantity"]), Decimal::from(100));
    // Its 60 were handed to the new order: nothing is outstanding on the origin.
    assert_eq!(s["salesOrder"]["status"], "SHIPPED");
    let acme_new = new_orders
        .iter()
        .find(|o| o["customer"]["code"] == "ACME")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w
        .app
        .gql(
            Some(&w.warehouse),
            ship,
            json!({"i": {"orderId": acme_new}}),
        )
        .await;
    assert_eq!(
        r.data()["shipSalesOrder"]["shipment"]["salesOrder"]["status"],
        "SHIPPED"
    );
    assert_eq!(w.bolt_stock().await, (Decimal::from(20), Decimal::from(20)));
    assert_eq!(
        w.order_status(&second).await,
        "CONFIRMED",
        "INITECH still waits for 20"
    );
    let _ = first_line;
}

#[tokio::test]
async fn confirming_short_without_backorders_fails_and_changes_nothing_r_bo_1() {
    let w = world().await;
    let (id, _) = w.order(&w.admin, &w.acme, 160).await;
    let r = w.confirm(&w.admin, &id, false).await;
    assert_eq!(r.code(), "INSUFFICIENT_STOCK");
    assert_eq!(w.order_status(&id).await, "DRAFT");
    assert_eq!(w.bolt_stock().await, (Decimal::from(100), Decimal::ZERO));
    let r = w
        .app
        .gql(Some(&w.admin), "{ backorders { totalCount } }", json!({}))
        .await;
    assert_eq!(r.data()["backorders"]["totalCount"], 0);
}

#[tokio::test]
async fn a_line_never_reserves_beyond_its_quantity_and_cancelling_releases_r_res_2_r_res_3() {
    let w = world().await;
    let mad = w.app.id_of(&w.admin, "warehouses", "MAD").await;
    let (id, line) = w.order(&w.admin, &w.acme, 10).await;
    let reserve = "mutation($i: ReserveStockInput!) { reserveStock(input: $i) { reservation { id quantity lot } } }";
    let r = w
        .app
        .gql(
            Some(&w.warehouse),
            reserve,
            json!({"i": {"orderLineId": line, "warehouseId": mad, "location": "A-01", "quantity": "11"}}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "11 > the line's 10 (R-RES-2)");
    let r = w
        .app
        .gql(
            Some(&w.warehouse),
            reserve,
            json!({"i": {"orderLineId": line, "warehouseId": mad, "location": "A-01", "quantity": "4"}}),
        )
        .await;
    assert_eq!(
        dec(&r.data()["reserveStock"]["reservation"]["quantity"]),
        Decimal::from(4)
    );
    let r = w
        .app
        .gql(
            Some(&w.warehouse),
            reserve,
            json!({"i": {"orderLineId": line, "warehouseId": mad, "location": "A-01", "quantity": "6"}}),
        )
        .await;
    assert!(r.is_ok(), "a line may hold several reservations (R-RES-1)");
    assert_eq!(
        w.bolt_stock().await,
        (Decimal::from(100), Decimal::from(10))
    );
    // Confirmation has nothing left to reserve.
    let r = w.confirm(&w.admin, &id, false).await;
    assert_eq!(
        r.data()["confirmSalesOrder"]["lines"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Reducing the line to 7 gives 3 back; cancelling gives the rest back (R-RES-3).
    let r = w
        .app
        .gql(Some(&w.admin), "mutation($i: UpdateSalesOrderLineInput!) { updateSalesOrderLine(input: $i) { salesOrder { lines { reservedQuantity } } } }", json!({"i": {"lineId": line, "quantity": "7"}}))
        .await;
    assert_eq!(
        dec(&r.data()["updateSalesOrderLine"]["salesOrder"]["lines"][0]["reservedQuantity"]),
        Decimal::from(7)
    );
    assert_eq!(w.bolt_stock().await, (Decimal::from(100), Decimal::from(7)));
    let r = w
        .app
        .gql(
            Some(&w.admin),
            "mutation($i: DocumentRef!) { cancelSalesOrder(input: $i) { salesOrder { status } } }",
            json!({"i": {"id": id}}),
        )
        .await;
    assert!(r.is_ok());
    assert_eq!(w.bolt_stock().await, (Decimal::from(100), Decimal::ZERO));
    // A buyer may not reserve.
    let buyer = w.app.login("buyer@acme.example").await;
    let r = w
        .app
        .gql(
            Some(&buyer),
            reserve,
            json!({"i": {"orderLineId": line, "warehouseId": mad, "location": "A-01", "quantity": "1"}}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
}

#[tokio::test]
async fn an_order_on_credit_hold_neither_reserves_nor_ships_r_ord_9() {
    let w = world().await;
    let (id, _) = w.order(&w.admin, &w.acme, 10).await;
    w.confirm(&w.admin, &id, true).await.data();
    // Put it on hold directly (credit rules are tested with order entry).
    let db = &w.app.state.db;
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            format!("UPDATE sales_orders SET credit_hold = true WHERE id = {id}")
        }
        _ => format!("UPDATE sales_orders SET credit_hold = 1 WHERE id = {id}"),
    };
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    let r = w
        .app
        .gql(
            Some(&w.warehouse),
            "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { id } } }",
            json!({"i": {"orderId": id}}),
        )
        .await;
    assert_eq!(r.code(), "CREDIT_HOLD");
    let r = w
        .app
        .gql(Some(&w.admin), "mutation($i: ConfirmSalesOrderInput!) { reserveSalesOrder(input: $i) { lines { reserved } } }", json!({"i": {"id": id}}))
        .await;
    assert_eq!(r.code(), "CREDIT_HOLD");
    assert_eq!(
        w.bolt_stock().await,
        (Decimal::from(100), Decimal::from(10))
    );
}

#[tokio::test]
async fn over_assignment_is_refused_and_changes_nothing_r_bo_5() {
    let w = world().await;
    let (id, _) = w.order(&w.admin, &w.acme, 150).await;
    w.confirm(&w.admin, &id, true).await.data();
    // 100 reserved, 50 backordered; 40 arrive.
    let receipt = receive_for_backorders(&w, "40").await;
    let r = w
        .app
        .gql(
            Some(&w.admin),
            "{ backorders { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let b = r.data()["backorders"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for too_much in ["41", "51"] {
        let r = w
            .assign(
                &receipt,
                Some(json!([{"backorderId": b, "quantity": too_much}])),
            )
            .await;
        assert_eq!(
            r.code(),
            "VALIDATION",
            "{too_much}: over the receipt or the backorder"
        );
    }
    assert_eq!(
        w.bolt_stock().await,
        (Decimal::from(140), Decimal::from(100)),
        "nothing moved"
    );
    let r = w
        .assign(
            &receipt,
            Some(json!([{"backorderId": b, "quantity": "10"}])),
        )
        .await;
    assert_eq!(
        dec(&r.data()["assignBackorders"]["unassigned"][0]["quantity"]),
        Decimal::from(30)
    );
    // A second, automatic round takes the rest of the receipt (R-BO-6 "several rounds").
    let r = w.assign(&receipt, None).await;
    let a = &r.data()["assignBackorders"];
    assert_eq!(dec(&a["assignments"][0]["quantity"]), Decimal::from(30));
    assert_eq!(a["unassigned"].as_array().unwrap().len(), 0);
    let r = w
        .app
        .gql(
            Some(&w.admin),
            "query($i: ID!) { backorder(id: $i) { status openQuantity assignments { quantity } } }",
            json!({ "i": b }),
        )
        .await;
    let bo = &r.data()["backorder"];
    assert_eq!(bo["status"], "PARTIALLY_FULFILLED");
    assert_eq!(dec(&bo["openQuantity"]), Decimal::from(10));
    assert_eq!(bo["assignments"].as_array().unwrap().len(), 2);
}

/// R-STK-1, R-RES-3 under load: 200 clients order 1–5 bolts each with 100 in stock, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_clients_racing_for_100_units_never_oversell() {
    let w = std::sync::Arc::new(world().await);
    let mut orders = Vec::new();
    for i in 0..200u32 {
        let customer = if i % 2 == 0 { &w.acme } else { &w.initech };
        orders.push(w.order(&w.admin, customer, 1 + i % 5).await);
    }
    let mut tasks = Vec::new();
    for (i, (id, _)) in orders.iter().cloned().enumerate() {
        let w = w.clone();
        // Every fifth client refuses backorders.
        let backorders = i % 5 != 0;
        tasks.push(tokio::spawn(async move {
            let r = w.confirm(&w.admin, &id, backorders).await;
            (
                backorders,
                r.is_ok(),
                if r.is_ok() { String::new() } else { r.code() },
            )
        }));
    }
    let mut refused = 0;
    for t in tasks {
        let (backorders, ok, code) = t.await.unwrap();
        if !ok {
            assert!(
                !backorders,
                "only a client refusing backorders may fail, got {code}"
            );
            assert_eq!(code, "INSUFFICIENT_STOCK");
            refused += 1;
        }
    }
    let (on_hand, reserved) = w.bolt_stock().await;
    assert_eq!(on_hand, Decimal::from(100));
    assert!(
        reserved <= on_hand,
        "reserved {reserved} > on hand {on_hand}"
    );
    let reservations = w
        .sum(
            "SELECT quantity AS q FROM reservations",
            "SELECT quantity AS q FROM reservations",
        )
        .await;
    assert_eq!(reservations, reserved, "Σ reservations = reserved");
    let backordered = w
        .sum(
            "SELECT quantity AS q FROM backorders",
            "SELECT quantity AS q FROM backorders",
        )
        .await;
    let ordered = w
        .sum(
            "SELECT l.quantity AS q FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id WHERE o.status = 'CONFIRMED'",
            "SELECT l.quantity AS q FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id WHERE o.status = 'CONFIRMED'",
        )
        .await;
    assert_eq!(
        reserved + backordered,
        ordered,
        "every unit not reserved is backordered"
    );
    assert_eq!(
        reserved,
        Decimal::from(100),
        "with 600 units asked, all 100 are taken"
    );
    println!("refused without backorders: {refused}");
}

/// R-BO-5 under load: 20 concurrent assignment rounds on one receipt never assign a unit twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_assignments_never_exceed_the_receipt() {
    let w = world().await;
    let mut origin = Vec::new();
    for i in 0..10u32 {
        let customer = if i % 2 == 0 { &w.acme } else { &w.initech };
        let (id, _) = w.order(&w.admin, customer, 20).await;
        origin.push(id);
    }
    for id in &origin {
        w.confirm(&w.admin, id, true).await.data();
    }
    // 100 reserved, 100 backordered; 70 arrive.
    let receipt = receive_for_backorders(&w, "70").await;
    let w = std::sync::Arc::new(w);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let w = w.clone();
        let receipt = receipt.clone();
        tasks.push(tokio::spawn(async move {
            let r = w
                .app
                .gql(Some(&w.purchasing), "mutation($i: AssignBackordersInput!) { assignBackorders(input: $i) { assignments { quantity } } }", json!({"i": {"receiptId": receipt}}))
                .await;
            assert!(r.is_ok(), "automatic rounds never fail: {:?}", r.code());
            r.data()["assignBackorders"]["assignments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| dec(&a["quantity"]))
                .sum::<Decimal>()
        }));
    }
    let mut assigned = Decimal::ZERO;
    for t in tasks {
        assigned += t.await.unwrap();
    }
    assert_eq!(assigned, Decimal::from(70));
    let open = w
        .sum(
            "SELECT open_quantity AS q FROM backorders",
            "SELECT open_quantity AS q FROM backorders",
        )
        .await;
    assert_eq!(open, Decimal::from(30));
    let (on_hand, reserved) = w.bolt_stock().await;
    assert_eq!(
        (on_hand, reserved),
        (Decimal::from(170), Decimal::from(170))
    );
}
