//! R-IC-2: direct delivery from an outside supplier. A purchase order bought for order lines
//! ships them when its receipt is confirmed; no stock passes through our warehouses.
use api_tests::billing::d;
use api_tests::demo::Demo;
use api_tests::fulfil::dec;
use serde_json::json;

#[tokio::test]
async fn a_direct_delivery_purchase_order_ships_the_order_lines_it_buys_r_ic_2() {
    let x = Demo::new().await;
    let purchasing = x.app.login("purchasing@iberia.example").await;
    let warehouse = x.app.login("warehouse@iberia.example").await;
    let order = x
        .create(
            &x.acme,
            json!([{"itemId": x.bolt, "quantity": "500"}]),
            json!({}),
        )
        .await;
    let oid = order["salesOrder"]["id"].as_str().unwrap().to_owned();
    let line = order["salesOrder"]["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = "mutation($i: CreateDirectDeliveryPurchaseOrderInput!) { createDirectDeliveryPurchaseOrder(input: $i) { purchaseOrder { id directDelivery supplier { code } lines { id quantity salesOrderLineId } } } }";
    // A rep does not buy.
    let ana = x.app.login("ana@iberia.example").await;
    assert_eq!(
        x.app
            .gql(Some(&ana), q, json!({"i": {"orderLineIds": [line]}}))
            .await
            .code(),
        "FORBIDDEN"
    );
    let r = x
        .app
        .gql(Some(&purchasing), q, json!({"i": {"orderLineIds": [line]}}))
        .await;
    let po = r.data()["createDirectDeliveryPurchaseOrder"]["purchaseOrder"].clone();
    assert_eq!(
        (
            po["directDelivery"].as_bool(),
            po["supplier"]["code"].as_str()
        ),
        (Some(true), Some("TOOLS"))
    );
    assert_eq!(
        (
            dec(&po["lines"][0]["quantity"]),
            po["lines"][0]["salesOrderLineId"].as_str()
        ),
        (d("500"), Some(line.as_str()))
    );
    // Bought once.
    assert_eq!(
        x.app
            .gql(Some(&purchasing), q, json!({"i": {"orderLineIds": [line]}}))
            .await
            .code(),
        "CONFLICT"
    );

    x.app
        .gql(
            Some(&purchasing),
            "mutation($i: IdInput!) { confirmPurchaseOrder(input: $i) { purchaseOrder { id } } }",
            json!({"i": {"id": po["id"]}}),
        )
        .await
        .data();
    let r = x.app.gql(Some(&warehouse), "mutation($i: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $i) { receipt { id } } }", json!({"i": {"purchaseOrderId": po["id"], "lines": [{"lineId": po["lines"][0]["id"], "quantity": "500"}]}})).await;
    let rec = r.data()["receivePurchaseOrder"]["receipt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stock = "query($i: ID!) { item(id: $i) { availability { onHand } } }";
    let before = dec(&x
        .app
        .gql(Some(&x.admin), stock, json!({"i": x.bolt}))
        .await
        .data()["item"]["availability"]["onHand"]);
    let r = x.app.gql(Some(&warehouse), "mutation($i: IdInput!) { confirmReceipt(input: $i) { receipt { status lines { assignedQuantity location } } } }", json!({"i": {"id": rec}})).await;
    let receipt = &r.data()["confirmReceipt"]["receipt"];
    assert_eq!(receipt["status"], "CONFIRMED");
    assert_eq!(
        (
            dec(&receipt["lines"][0]["assignedQuantity"]),
            receipt["lines"][0]["location"].as_str()
        ),
        (d("500"), Some("DIRECT"))
    );
    // The order shipped; our stock did not move.
    let r = x.app.gql(Some(&x.admin), "query($o: ID!) { salesOrder(id: $o) { status shipments { status lines { quantity location } } } }", json!({"o": oid})).await;
    let o = &r.data()["salesOrder"];
    assert_eq!(o["status"], "SHIPPED");
    assert_eq!(dec(&o["shipments"][0]["lines"][0]["quantity"]), d("500"));
    let after = dec(&x
        .app
        .gql(Some(&x.admin), stock, json!({"i": x.bolt}))
        .await
        .data()["item"]["availability"]["onHand"]);
    assert_eq!(after, before);

    // A line holding reservations in our stock is not delivered directly until released.
    let order = x
        .create(
            &x.acme,
            json!([{"itemId": x.bolt, "quantity": "50"}]),
            json!({}),
        )
        .await;
    let second = order["salesOrder"]["id"].as_str().unwrap().to_owned();
    let line = order["salesOrder"]["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    x.app.gql(Some(&x.admin), "mutation($i: ConfirmSalesOrderInput!) { confirmSalesOrder(input: $i) { salesOrder { status } } }", json!({"i": {"id": second}})).await.data();
    assert_eq!(
        x.app
            .gql(Some(&purchasing), q, json!({"i": {"orderLineIds": [line]}}))
            .await
            .code(),
        "INVALID_STATE"
    );
}
