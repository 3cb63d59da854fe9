//! Shipments in preparation (issue 32, R-ORD-16). ACME orders 30 bolts, confirmed with all
//! 30 reserved in MAD (100 on hand).
use api_tests::at;
use api_tests::billing::{books, d};
use api_tests::fulfil::dec;
use serde_json::json;

const CREATE: &str = "mutation($i: ShipSalesOrderInput!) { createShipment(input: $i) { shipment { id status number lines { quantity } } } }";
const CONFIRM: &str =
    "mutation($s: ID!) { confirmShipment(input: {id: $s}) { shipment { id status } } }";
const CANCEL: &str =
    "mutation($s: ID!) { cancelShipment(input: {id: $s}) { shipment { id status } } }";

/// A shipment in preparation earmarks reservations and moves no stock; while it stands the
/// order's lines, reservations and status cannot change and it cannot be billed; cancelling
/// it leaves the reservations with the order; confirming it ships them.
#[tokio::test]
async fn a_shipment_in_preparation_holds_the_order_until_confirmed_or_cancelled_r_ord_16() {
    let b = books().await;
    let w = &b.w;
    let order = b.bolts(&w.acme, 30).await;
    let r = b
        .gql(
            &w.admin,
            "query($o: ID!) { salesOrder(id: $o) { lines { id reservations { id } } } }",
            json!({"o": order}),
        )
        .await;
    let line = r.data()["salesOrder"]["lines"][0]["id"].clone();
    let reservation = r.data()["salesOrder"]["lines"][0]["reservations"][0]["id"].clone();
    let before = w.bolt_stock().await;
    assert_eq!(before.1, d("30"), "{before:?}");

    let r = b
        .gql(
            &w.warehouse,
            CREATE,
            json!({"i": {"orderId": order, "lines": [{"lineId": line, "quantity": "20"}]}}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let prep = at(&r, &["createShipment", "shipment", "id"]);
    assert_eq!(
        r.data()["createShipment"]["shipment"]["status"],
        "PREPARING"
    );
    assert_eq!(w.bolt_stock().await, before, "nothing left stock");
    assert_eq!(w.order_status(&order).await, "CONFIRMED");

    // While it is being prepared, nothing about the order moves.
    let refused = [
        (
            w.admin.as_str(),
            "mutation($l: ID!) { updateSalesOrderLine(input: {lineId: $l, quantity: \"40\"}) { salesOrder { id } } }",
            json!({"l": line}),
        ),
        (
            w.admin.as_str(),
            "mutation($r: ID!) { releaseReservation(input: {id: $r}) { reservation { id } } }",
            json!({"r": reservation}),
        ),
        (
            w.admin.as_str(),
            "mutation($o: ID!) { cancelSalesOrder(input: {id: $o}) { salesOrder { id } } }",
            json!({"o": order}),
        ),
        (
            w.warehouse.as_str(),
            "mutation($o: ID!) { shipSalesOrder(input: {orderId: $o}) { shipment { id } } }",
            json!({"o": order}),
        ),
        (
            w.warehouse.as_str(),
            "mutation($o: ID!) { createShipment(input: {orderId: $o}) { shipment { id } } }",
            json!({"o": order}),
        ),
        (
            b.accounting.as_str(),
            "mutation($s: ID!) { createInvoice(input: {shipmentIds: [$s]}) { invoice { id } } }",
            json!({"s": prep}),
        ),
    ];
    for (token, q, vars) in &refused {
        let r = b.gql(token, q, vars.clone()).await;
        assert_eq!(r.code(), "INVALID_STATE", "{q}: {}", r.0);
    }
    assert_eq!(w.bolt_stock().await, before);

    // Cancelled: the reservations stay the order's, and the order may change again.
    let r = b.gql(&w.warehouse, CANCEL, json!({"s": prep})).await;
    assert_eq!(
        r.data()["cancelShipment"]["shipment"]["status"],
        "CANCELLED"
    );
    assert_eq!(w.bolt_stock().await, before);
    assert_eq!(
        b.gql(&w.warehouse, CONFIRM, json!({"s": prep}))
            .await
            .code(),
        "INVALID_STATE"
    );

    // Prepared again, every reserved unit, then confirmed: the goods leave.
    let r = b
        .gql(&w.warehouse, CREATE, json!({"i": {"orderId": order}}))
        .await;
    let prep = at(&r, &["createShipment", "shipment", "id"]);
    assert_eq!(
        dec(&r.data()["createShipment"]["shipment"]["lines"][0]["quantity"]),
        d("30")
    );
    let r = b.gql(&w.warehouse, CONFIRM, json!({"s": prep})).await;
    assert_eq!(
        r.data()["confirmShipment"]["shipment"]["status"],
        "SHIPPED",
        "{}",
        r.0
    );
    assert_eq!(w.bolt_stock().await, (before.0 - d("30"), d("0")));
    assert_eq!(w.order_status(&order).await, "SHIPPED");
    let r = b
        .gql(
            &w.admin,
            "query($o: ID!) { salesOrder(id: $o) { events { kind } shipments { status } } }",
            json!({"o": order}),
        )
        .await;
    let text = r.0.to_string();
    for kind in ["SHIPMENT_PREPARED", "SHIPMENT_CANCELLED", "SHIPPED"] {
        assert!(text.contains(kind), "{kind}: {text}");
    }
    // Billed from the shipped note only.
    let inv = b.invoice_orders(&[&order]).await;
    assert_eq!(dec(&inv["lines"][0]["quantity"]), d("30"), "{inv}");
    // More than is reserved cannot be prepared.
    let other = b.bolts(&w.acme, 5).await;
    let r = b
        .gql(
            &w.admin,
            "query($o: ID!) { salesOrder(id: $o) { lines { id } } }",
            json!({"o": other}),
        )
        .await;
    let l = r.data()["salesOrder"]["lines"][0]["id"].clone();
    let r = b
        .gql(
            &w.warehouse,
            CREATE,
            json!({"i": {"orderId": other, "lines": [{"lineId": l, "quantity": "6"}]}}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
}

/// Two warehouse clients prepare the same order at once: one delivery note stands, the
/// other is refused; the order's row lock decides.
#[tokio::test]
async fn two_preparations_of_one_order_at_once_leave_one_delivery_note_r_ord_16() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 10).await;
    let input = json!({"i": {"orderId": order}});
    let results = futures_util::future::join_all(
        (0..4).map(|_| b.gql(&b.w.warehouse, CREATE, input.clone())),
    )
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for r in results.iter().filter(|r| !r.is_ok()) {
        assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    }
}

/// A partially shipped order without a shipment in preparation takes a new line and changes
/// it; what shipped stays as it shipped, and no line is removed from it (R-ORD-16).
#[tokio::test]
async fn a_partially_shipped_order_takes_new_lines_and_keeps_what_shipped_r_ord_16() {
    let b = books().await;
    let w = &b.w;
    let order = b.bolts(&w.acme, 10).await;
    let r = b
        .gql(
            &w.admin,
            "query($o: ID!) { salesOrder(id: $o) { lines { id } } }",
            json!({"o": order}),
        )
        .await;
    let shipped_line = r.data()["salesOrder"]["lines"][0]["id"].clone();
    let r = b
        .gql(&w.warehouse, "mutation($o: ID!, $l: ID!) { shipSalesOrder(input: {orderId: $o, lines: [{lineId: $l, quantity: \"5\"}]}) { shipment { id } } }", json!({"o": order, "l": shipped_line}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    assert_eq!(w.order_status(&order).await, "PARTIALLY_SHIPPED");
    let r = b
        .gql(&w.admin, "mutation($o: ID!, $i: ID!) { addSalesOrderLine(input: {orderId: $o, line: {itemId: $i, quantity: \"3\"}}) { salesOrder { status lines { id quantity } } } }", json!({"o": order, "i": w.bolt}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let o = &r.data()["addSalesOrderLine"]["salesOrder"];
    assert_eq!(o["status"], "PARTIALLY_SHIPPED");
    let new_line = o["lines"][1]["id"].clone();
    let update = "mutation($l: ID!, $q: Decimal!) { updateSalesOrderLine(input: {lineId: $l, quantity: $q}) { salesOrder { status lines { quantity } } } }";
    let r = b
        .gql(&w.admin, update, json!({"l": new_line, "q": "4"}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    assert_eq!(
        dec(&r.data()["updateSalesOrderLine"]["salesOrder"]["lines"][1]["quantity"]),
        d("4")
    );
    let r = b
        .gql(&w.admin, update, json!({"l": shipped_line, "q": "20"}))
        .await;
    assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    let r = b
        .gql(
            &w.admin,
            "mutation($l: ID!) { removeSalesOrderLine(input: {lineId: $l}) { salesOrder { id } } }",
            json!({"l": new_line}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    assert_eq!(w.order_status(&order).await, "PARTIALLY_SHIPPED");
}
