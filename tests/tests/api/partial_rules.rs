//! The rules issue 32 found only partly built, each reached from the API (R-ORD-17 OVERPAID,
//! R-PAY-4, R-ORD-16 frozen cost, R-ITEM-2, R-ORD-11).
use api_tests::at;
use api_tests::billing::{books, d};
use api_tests::fulfil::{buy_backorders, dec, world};
use serde_json::json;

/// R-ORD-17 / R-ORD-9: an invoice paid in full and then credited is OVERPAID — the customer
/// holds the credited amount with us, so its risk is lower by exactly that. Taking that
/// part of the payment back from the invoice makes it PAID again and leaves the money
/// unallocated on the payment, from where it is refunded; the risk follows each step.
#[tokio::test]
async fn a_paid_invoice_credited_is_overpaid_and_the_money_can_be_refunded_r_ord_17() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 100).await;
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let inv_id = inv["id"].as_str().unwrap().to_owned();
    let r = b.post(&inv_id).await;
    let total = dec(&r.data()["postInvoice"]["invoice"]["amounts"]["totalWithTax"]);
    let bolt_line = r.data()["postInvoice"]["invoice"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "ITEM")
        .unwrap()["id"]
        .clone();
    let r = b
        .pay(
            &b.w.acme,
            &total.to_string(),
            Some(json!([{"invoiceId": inv_id, "amount": total.to_string()}])),
        )
        .await;
    let pay = at(&r, &["recordPayment", "payment", "id"]);
    let paid = b.balance(&b.w.acme).await;
    let r = b
        .gql(&b.accounting, "mutation($i: ID!, $l: ID!) { createCreditNote(input: {invoiceId: $i, reason: PRICE_CORRECTION, lines: [{invoiceLineId: $l, amount: \"10\"}]}) { invoice { amounts { totalWithTax } } } }", json!({"i": inv_id, "l": bolt_line}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let credit = -dec(&r.data()["createCreditNote"]["invoice"]["amounts"]["totalWithTax"]);
    assert_eq!(credit, d("12.10"));
    let invoice = b.invoice(&inv_id).await;
    assert_eq!(invoice["financialStatus"], "OVERPAID", "{invoice}");
    assert_eq!(dec(&invoice["amounts"]["balance"]), -credit, "{invoice}");
    assert_eq!(b.order_state(&order).await.1, "OVERPAID");
    let over = b.balance(&b.w.acme).await;
    assert_eq!(over[2], paid[2] - credit, "{paid:?} → {over:?}");
    assert_eq!(over[4], paid[4] - credit, "{paid:?} → {over:?}");

    let r = b
        .gql(&b.accounting, "mutation($p: ID!, $i: ID!, $a: Decimal!) { unallocatePayment(input: {paymentId: $p, invoiceId: $i, amount: $a, reason: \"price corrected after payment\"}) { payment { unallocatedAmount } } }", json!({"p": pay, "i": inv_id, "a": credit.to_string()}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    assert_eq!(b.invoice(&inv_id).await["financialStatus"], "PAID");
    let moved = b.balance(&b.w.acme).await;
    assert_eq!(
        moved[4], over[4],
        "the credit moved from the invoice to the payment"
    );
    let r = b
        .gql(&b.accounting, "mutation($p: ID!, $a: Decimal!) { refundPayment(input: {paymentId: $p, amount: $a, date: \"2026-12-07\", reason: \"price correction\"}) { payment { unallocatedAmount } } }", json!({"p": pay, "a": credit.to_string()}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let refunded = b.balance(&b.w.acme).await;
    assert_eq!(
        refunded[4], paid[4],
        "paid back: the risk is what it was when paid"
    );
}

/// R-PAY-4 both ways and R-ORD-16: an order whose shortage is bought lists the purchase
/// order and its production reference; the purchase order names the order it serves; the
/// line's cost is frozen from then on.
#[tokio::test]
async fn an_order_and_the_purchase_order_buying_for_it_name_each_other_and_freeze_the_cost() {
    let w = world().await;
    let (order, line) = w.order(&w.admin, &w.acme, 150).await;
    w.confirm(&w.admin, &order, true).await.data();
    let r = w
        .app
        .gql(
            Some(&w.purchasing),
            "query($o: ID!) { salesOrder(id: $o) { lines { backorders { id } } } }",
            json!({"o": order}),
        )
        .await;
    let ids: Vec<String> = r.data()["salesOrder"]["lines"][0]["backorders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{}", r.0);
    // Before it is bought, the cost may change.
    let cost = "mutation($l: ID!, $c: Decimal!) { updateSalesOrderLine(input: {lineId: $l, cost: $c}) { salesOrder { id } } }";
    let r = w
        .app
        .gql(Some(&w.admin), cost, json!({"l": line, "c": "0.11"}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let po = buy_backorders(&w, &ids).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w
        .app
        .gql(Some(&w.admin), "mutation($o: ID!) { setOrderProductionReference(input: {orderId: $o, reference: \"PRD-7\"}) { productionReference } }", json!({"o": order}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let r = w
        .app
        .gql(
            Some(&w.admin),
            "query($o: ID!) { salesOrder(id: $o) { productionReference purchaseOrders { id } } }",
            json!({"o": order}),
        )
        .await;
    let o = &r.data()["salesOrder"];
    assert_eq!(o["productionReference"], "PRD-7");
    assert_eq!(o["purchaseOrders"], json!([{"id": po}]));
    let r = w
        .app
        .gql(
            Some(&w.purchasing),
            "query($p: ID!) { purchaseOrder(id: $p) { salesOrders { id customer { code } } } }",
            json!({"p": po}),
        )
        .await;
    assert_eq!(
        r.data()["purchaseOrder"]["salesOrders"],
        json!([{"id": order, "customer": {"code": "ACME"}}])
    );
    let r = w
        .app
        .gql(Some(&w.admin), cost, json!({"l": line, "c": "0.12"}))
        .await;
    assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    assert!(r.0.to_string().contains("R-ORD-16"), "{}", r.0);
}

/// R-ITEM-2: an item that is not purchasable is refused on a purchase line, naming it.
#[tokio::test]
async fn a_non_purchasable_item_is_refused_on_a_purchase_order_r_item_2() {
    let w = world().await;
    let r = w
        .app
        .gql(Some(&w.admin), "mutation($i: ID!) { updateItem(input: {id: $i, fields: {purchasable: false}}) { item { id } } }", json!({"i": w.bolt}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let tools = w.app.id_of(&w.admin, "suppliers", "TOOLS").await;
    let r = w
        .app
        .gql(Some(&w.purchasing), "mutation($s: ID!, $i: ID!) { createPurchaseOrder(input: {supplierId: $s, lines: [{itemId: $i, quantity: \"10\"}]}) { purchaseOrder { id } } }", json!({"s": tools, "i": w.bolt}))
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert_eq!(r.field().as_deref(), Some("lines.0.itemId"));
    assert!(r.0.to_string().contains("BOLT-M8"), "{}", r.0);
    let r = w
        .app
        .gql(
            Some(&w.purchasing),
            "{ purchaseOrders { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.data()["purchaseOrders"]["totalCount"],
        0,
        "nothing was written"
    );
}

/// R-ORD-11: an order of a customer that invoices to its group is billed to the group; the
/// order and its delivery note stay with the customer.
#[tokio::test]
async fn the_invoice_goes_to_the_group_while_order_and_delivery_note_stay_with_the_customer_r_ord_11()
 {
    let b = books().await;
    let group = b
        .gql(&b.w.admin, "mutation { createCustomer(input: {code: \"LEASE\", name: \"Leasing Co\"}) { customer { id } } }", json!({}))
        .await;
    let group = at(&group, &["createCustomer", "customer", "id"]);
    let child = b
        .gql(&b.w.admin, "mutation($g: ID!) { createCustomer(input: {code: \"LESSEE\", name: \"Lessee\", groupCustomerId: $g, invoiceToGroup: true}) { customer { id } } }", json!({"g": group}))
        .await;
    let child = at(&child, &["createCustomer", "customer", "id"]);
    let order = b.bolts(&child, 10).await;
    let shipment = b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    assert_eq!(inv["customer"]["code"], "LEASE", "{inv}");
    assert_eq!(inv["orderCustomer"]["code"], "LESSEE", "{inv}");
    let r = b
        .gql(&b.w.admin, "query($s: ID!, $o: ID!) { shipment(id: $s) { salesOrder { customer { code } } } salesOrder(id: $o) { customer { code } invoiceToGroup } }", json!({"s": shipment, "o": order}))
        .await;
    assert_eq!(
        r.data()["shipment"]["salesOrder"]["customer"]["code"],
        "LESSEE"
    );
    assert_eq!(r.data()["salesOrder"]["customer"]["code"], "LESSEE");
    assert_eq!(r.data()["salesOrder"]["invoiceToGroup"], true);
}
