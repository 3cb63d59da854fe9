//! Corrections (issue 32): money never vanishes (R-PAY-6), and deleting an order is refused
//! while money stands on it. Every step checks the customer's balance against what the step
//! must leave; on PostgreSQL the kept credit sums are checked by `payments::credit_sums_…`.
use api_tests::at;
use api_tests::billing::{Books, books, d};
use api_tests::fulfil::dec;
use rust_decimal::Decimal;
use serde_json::{Value, json};

async fn proforma(b: &Books, order: &str) -> (String, Decimal) {
    let r = b
        .gql(
            &b.accounting,
            "mutation($o: ID!) { issueProforma(input: {orderId: $o}) { proforma { id totalWithTax } } }",
            json!({"o": order}),
        )
        .await;
    (
        at(&r, &["issueProforma", "proforma", "id"]),
        dec(&r.data()["issueProforma"]["proforma"]["totalWithTax"]),
    )
}

async fn order_money(b: &Books, order: &str) -> Value {
    let r = b
        .gql(
            &b.accounting,
            "query($o: ID!) { salesOrder(id: $o) { status financialStatus advancePaid events { kind } } }",
            json!({"o": order}),
        )
        .await;
    r.data()["salesOrder"].clone()
}

async fn unallocated(b: &Books, payment: &str) -> Decimal {
    let r = b
        .gql(
            &b.accounting,
            "query($p: ID!) { payment(id: $p) { unallocatedAmount } }",
            json!({"p": payment}),
        )
        .await;
    dec(&r.data()["payment"]["unallocatedAmount"])
}

fn kinds(order: &Value) -> Vec<String> {
    order["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Defect 1 of issue 32: ACME pays a proforma ahead, then the order is cancelled. The money
/// stays ACME's — unallocated on its payment, still lowering the risk — and the order says
/// where it went (ADVANCE_RELEASED).
#[tokio::test]
async fn an_advance_on_a_cancelled_order_becomes_the_customers_unallocated_money_r_pay_6() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 10).await;
    let (pf, total) = proforma(&b, &order).await;
    let r = b
        .pay(
            &b.w.acme,
            &total.to_string(),
            Some(json!([{"proformaId": pf, "amount": total.to_string()}])),
        )
        .await;
    let pay = at(&r, &["recordPayment", "payment", "id"]);
    assert_eq!(unallocated(&b, &pay).await, d("0"));
    let paid = b.balance(&b.w.acme).await;
    let r = b
        .gql(
            &b.w.admin,
            "mutation($o: ID!) { cancelSalesOrder(input: {id: $o}) { salesOrder { status } } }",
            json!({"o": order}),
        )
        .await;
    assert_eq!(
        r.data()["cancelSalesOrder"]["salesOrder"]["status"],
        "CANCELLED"
    );
    let after = b.balance(&b.w.acme).await;
    // The order's value left the risk; its advance did not: it is the payment's again.
    let dropped = paid[0] - after[0];
    assert!(dropped > Decimal::ZERO, "{paid:?} → {after:?}");
    assert_eq!(
        after[3], paid[3],
        "unallocated money before and after the cancel"
    );
    assert_eq!(after[4], paid[4] - dropped, "risk: {paid:?} → {after:?}");
    assert_eq!(unallocated(&b, &pay).await, total);
    let o = order_money(&b, &order).await;
    assert_eq!(dec(&o["advancePaid"]), d("0"), "{o}");
    assert!(kinds(&o).contains(&"ADVANCE_RELEASED".to_owned()), "{o}");
    let r = b
        .gql(
            &b.accounting,
            "query($p: ID!) { proforma(id: $p) { paid financialStatus } }",
            json!({"p": pf}),
        )
        .await;
    assert_eq!(dec(&r.data()["proforma"]["paid"]), d("0"), "{}", r.0);
    // Reversing the payment now takes back only what it still holds: nothing on the order.
    let r = b
        .gql(&b.accounting, "mutation($p: ID!) { reversePayment(input: {id: $p, reason: \"test\"}) { payment { status } } }", json!({"p": pay}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let reversed = b.balance(&b.w.acme).await;
    assert_eq!(reversed[3], after[3] - total, "{after:?} → {reversed:?}");
    assert_eq!(reversed[4], after[4] + total);
}

/// R-PAY-6, billed for less: an order paid ahead in full, shipped half and closed short. Its
/// invoice takes half of the advance; the rest goes back to the payment when the order closes.
#[tokio::test]
async fn an_advance_larger_than_what_its_invoices_bill_is_released_when_the_order_closes_r_pay_6() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 10).await;
    let (_, total) = proforma(&b, &order).await;
    let r = b
        .pay(
            &b.w.acme,
            &total.to_string(),
            Some(json!([{"scheduleLineId": format!("{order}:1"), "amount": total.to_string()}])),
        )
        .await;
    let pay = at(&r, &["recordPayment", "payment", "id"]);
    let r = b
        .gql(
            &b.w.admin,
            "query($o: ID!) { salesOrder(id: $o) { lines { id } } }",
            json!({"o": order}),
        )
        .await;
    let line = r.data()["salesOrder"]["lines"][0]["id"].clone();
    let r = b
        .gql(&b.w.warehouse, "mutation($o: ID!, $l: ID!) { shipSalesOrder(input: {orderId: $o, lines: [{lineId: $l, quantity: \"5\"}]}) { shipment { id } } }", json!({"o": order, "l": line}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let inv = b.invoice_orders(&[&order]).await;
    let inv_id = inv["id"].as_str().unwrap().to_owned();
    let r = b.post(&inv_id).await;
    assert!(r.is_ok(), "{}", r.0);
    let billed = dec(&r.data()["postInvoice"]["invoice"]["amounts"]["totalWithTax"]);
    assert!(billed < total, "{billed} of {total}");
    assert_eq!(
        unallocated(&b, &pay).await,
        d("0"),
        "open: the advance waits for invoices"
    );
    let before = b.balance(&b.w.acme).await;
    let r = b
        .gql(
            &b.w.admin,
            "mutation($o: ID!) { closeSalesOrder(input: {id: $o}) { salesOrder { status } } }",
            json!({"o": order}),
        )
        .await;
    assert_eq!(
        r.data()["closeSalesOrder"]["salesOrder"]["status"],
        "CLOSED",
        "{}",
        r.0
    );
    assert_eq!(unallocated(&b, &pay).await, total - billed);
    let o = order_money(&b, &order).await;
    assert_eq!(dec(&o["advancePaid"]), billed, "{o}");
    assert!(kinds(&o).contains(&"ADVANCE_RELEASED".to_owned()), "{o}");
    let after = b.balance(&b.w.acme).await;
    // Closing short drops the unshipped half from the risk; the money stays counted.
    assert_eq!(after[3], before[3], "{before:?} → {after:?}");
    assert_eq!(
        after[4],
        before[4] - (before[0] - after[0]),
        "{before:?} → {after:?}"
    );
}

async fn draft(b: &Books) -> String {
    let r = b
        .gql(&b.w.admin, "mutation($c: ID!, $i: ID!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $i, quantity: \"3\"}]}) { salesOrder { id } } }", json!({"c": b.w.acme, "i": b.w.bolt}))
        .await;
    at(&r, &["createSalesOrder", "salesOrder", "id"])
}

/// Defect 2 of issue 32: deleting an order with a proforma answered VALIDATION "a referenced
/// record does not exist". Money on an order makes it INVALID_STATE naming what stands in the
/// way; a draft with only an attached document is deleted with it.
#[tokio::test]
async fn deleting_an_order_with_money_on_it_is_refused_and_a_drafts_documents_go_with_it() {
    let b = books().await;

    let delete = "mutation($o: ID!) { deleteSalesOrder(input: {id: $o}) { deletedId } }";
    let with_proforma = draft(&b).await;
    proforma(&b, &with_proforma).await;
    let r = b.gql(&b.w.admin, delete, json!({"o": with_proforma})).await;
    assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    let m = r.0["errors"][0]["message"].as_str().unwrap();
    assert!(
        m.contains("proforma") && m.contains("cancel it instead"),
        "{m}"
    );
    let paid_ahead = draft(&b).await;
    let r = b
        .pay(
            &b.w.acme,
            "1",
            Some(json!([{"scheduleLineId": format!("{paid_ahead}:1"), "amount": "1"}])),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let r = b.gql(&b.w.admin, delete, json!({"o": paid_ahead})).await;
    assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    assert!(
        r.0["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("advance"),
        "{}",
        r.0
    );
    let with_document = draft(&b).await;
    let r = b
        .gql(&b.w.admin, "mutation($o: ID!) { attachOrderDocument(input: {orderId: $o, kind: CONTRACT, name: \"Contract\", url: \"https://docs.example.com/c.pdf\"}) { document { id } } }", json!({"o": with_document}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let r = b.gql(&b.w.admin, delete, json!({"o": with_document})).await;
    assert!(r.is_ok(), "{}", r.0);
    let r = b
        .gql(
            &b.w.admin,
            "query($o: ID!) { salesOrder(id: $o) { id } }",
            json!({"o": with_document}),
        )
        .await;
    assert_eq!(r.code(), "NOT_FOUND");
}

const ALLOCATE: &str = "mutation($p: ID!, $a: [PaymentAllocationInput!]!) { allocatePayment(input: {paymentId: $p, allocations: $a}) { payment { allocatedAmount unallocatedAmount } } }";

/// R-PAY-6, usable: the advance a cancelled order gave back is applied to another order's
/// proforma with `allocatePayment`; the money moves from the payment to the new order's
/// advance, the risk does not move, and the order records PAYMENT_ALLOCATED.
#[tokio::test]
async fn released_money_is_allocated_to_another_orders_proforma_r_pay_6() {
    let b = books().await;
    let first = b.bolts(&b.w.acme, 10).await;
    let (pf, total) = proforma(&b, &first).await;
    let r = b
        .pay(
            &b.w.acme,
            &total.to_string(),
            Some(json!([{"proformaId": pf, "amount": total.to_string()}])),
        )
        .await;
    let pay = at(&r, &["recordPayment", "payment", "id"]);
    let r = b
        .gql(
            &b.w.admin,
            "mutation($o: ID!) { cancelSalesOrder(input: {id: $o}) { salesOrder { status } } }",
            json!({"o": first}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    assert_eq!(unallocated(&b, &pay).await, total);

    let second = b.bolts(&b.w.acme, 20).await;
    let (pf2, total2) = proforma(&b, &second).await;
    assert!(total2 > total);
    let before = b.balance(&b.w.acme).await;
    let r = b
        .gql(
            &b.accounting,
            ALLOCATE,
            json!({"p": pay, "a": [{"proformaId": pf2, "amount": total.to_string()}]}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    assert_eq!(
        dec(&r.data()["allocatePayment"]["payment"]["unallocatedAmount"]),
        d("0")
    );
    let after = b.balance(&b.w.acme).await;
    // The money moved from the payment to the order's advance: both lower the risk, so
    // neither customerBalance figure moves.
    assert_eq!(after[3], before[3], "{before:?} → {after:?}");
    assert_eq!(after[4], before[4], "allocating moves no risk");
    let o = order_money(&b, &second).await;
    assert_eq!(dec(&o["advancePaid"]), total, "{o}");
    assert!(kinds(&o).contains(&"PAYMENT_ALLOCATED".to_owned()), "{o}");
    // Nothing is left to allocate: a second allocation is refused and changes nothing.
    let r = b
        .gql(
            &b.accounting,
            ALLOCATE,
            json!({"p": pay, "a": [{"proformaId": pf2, "amount": "0.01"}]}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert_eq!(b.balance(&b.w.acme).await, after);
    // The warehouse cannot move money.
    let r = b
        .gql(
            &b.w.warehouse,
            ALLOCATE,
            json!({"p": pay, "a": [{"proformaId": pf2, "amount": "0.01"}]}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN", "{}", r.0);
}

/// Eight accountants allocate 3.00 each from one payment holding 10.00 unallocated at once:
/// three succeed, five are refused, and the payment never gives more than it has.
#[tokio::test]
async fn concurrent_allocations_never_exceed_what_a_payment_has_unallocated_r_pay_6() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 100).await;
    let (pf, total) = proforma(&b, &order).await;
    assert!(total > d("24"), "{total}");
    let r = b.pay(&b.w.acme, "10", Some(json!([]))).await;
    let pay = at(&r, &["recordPayment", "payment", "id"]);
    assert_eq!(unallocated(&b, &pay).await, d("10"));
    let vars = json!({"p": pay, "a": [{"proformaId": pf, "amount": "3"}]});
    let results = futures_util::future::join_all(
        (0..8).map(|_| b.gql(&b.accounting, ALLOCATE, vars.clone())),
    )
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        ok,
        3,
        "{:?}",
        results.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| !r.is_ok()) {
        assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    }
    assert_eq!(unallocated(&b, &pay).await, d("1"));
    let o = order_money(&b, &order).await;
    assert_eq!(dec(&o["advancePaid"]), d("9"), "{o}");
}

const UNALLOCATE: &str = "mutation($p: ID!, $i: ID!, $a: Decimal!) { unallocatePayment(input: {paymentId: $p, invoiceId: $i, amount: $a, reason: \"paid the wrong invoice\"}) { payment { allocatedAmount unallocatedAmount } } }";
const REFUND: &str = "mutation($p: ID!, $a: Decimal!) { refundPayment(input: {paymentId: $p, amount: $a, date: \"2026-12-05\", reason: \"customer asked\"}) { payment { refundedAmount unallocatedAmount refunds { amount reason refundDate } } refund { amount } } }";

/// R-PAY-6, taken back and paid back: a payment settling a posted invoice gives 2.00 of it
/// back (the invoice is partly paid again, the risk does not move), then 1.50 of what it
/// holds unallocated is refunded (the risk rises by exactly that); more than it holds is
/// refused, and a refunded payment can no longer be reversed.
#[tokio::test]
async fn an_allocation_is_taken_back_and_unallocated_money_refunded_r_pay_6() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 10).await;
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let inv_id = inv["id"].as_str().unwrap().to_owned();
    let r = b.post(&inv_id).await;
    let total = dec(&r.data()["postInvoice"]["invoice"]["amounts"]["totalWithTax"]);
    let r = b
        .pay(
            &b.w.acme,
            &total.to_string(),
            Some(json!([{"invoiceId": inv_id, "amount": total.to_string()}])),
        )
        .await;
    let pay = at(&r, &["recordPayment", "payment", "id"]);
    assert_eq!(b.invoice(&inv_id).await["financialStatus"], "PAID");
    let paid = b.balance(&b.w.acme).await;

    let r = b
        .gql(
            &b.accounting,
            UNALLOCATE,
            json!({"p": pay, "i": inv_id, "a": "2"}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    assert_eq!(
        dec(&r.data()["unallocatePayment"]["payment"]["unallocatedAmount"]),
        d("2")
    );
    let inv = b.invoice(&inv_id).await;
    assert_eq!(inv["financialStatus"], "PARTIALLY_PAID", "{inv}");
    assert_eq!(dec(&inv["amounts"]["balance"]), d("2"), "{inv}");
    let (_, fin) = b.order_state(&order).await;
    assert_eq!(fin, "PARTIALLY_PAID");
    let taken = b.balance(&b.w.acme).await;
    assert_eq!(taken[2], paid[2] + d("2"), "{paid:?} → {taken:?}");
    assert_eq!(taken[3], paid[3] + d("2"));
    assert_eq!(taken[4], paid[4], "taking back moves no risk");
    let o = order_money(&b, &order).await;
    assert!(kinds(&o).contains(&"PAYMENT_UNALLOCATED".to_owned()), "{o}");
    // Not more than the payment settles on the invoice.
    let r = b
        .gql(
            &b.accounting,
            UNALLOCATE,
            json!({"p": pay, "i": inv_id, "a": total.to_string()}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);

    let r = b
        .gql(&b.accounting, REFUND, json!({"p": pay, "a": "1.5"}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let p = &r.data()["refundPayment"]["payment"];
    assert_eq!(dec(&p["refundedAmount"]), d("1.5"), "{p}");
    assert_eq!(dec(&p["unallocatedAmount"]), d("0.5"), "{p}");
    assert_eq!(p["refunds"][0]["reason"], "customer asked");
    let refunded = b.balance(&b.w.acme).await;
    assert_eq!(refunded[3], taken[3] - d("1.5"));
    assert_eq!(refunded[4], taken[4] + d("1.5"), "{taken:?} → {refunded:?}");
    for (amount, code) in [
        ("0.51", "VALIDATION"),
        ("-1", "VALIDATION"),
        ("0.001", "VALIDATION"),
    ] {
        let r = b
            .gql(&b.accounting, REFUND, json!({"p": pay, "a": amount}))
            .await;
        assert_eq!(r.code(), code, "{amount}: {}", r.0);
    }
    assert_eq!(
        b.balance(&b.w.acme).await,
        refunded,
        "refused refunds change nothing"
    );
    let r = b
        .gql(&b.accounting, "mutation($p: ID!) { reversePayment(input: {id: $p, reason: \"x\"}) { payment { status } } }", json!({"p": pay}))
        .await;
    assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    // The rest of the payment goes back onto the invoice: paid again but for the refund.
    let r = b
        .gql(
            &b.accounting,
            ALLOCATE,
            json!({"p": pay, "a": [{"invoiceId": inv_id, "amount": "0.5"}]}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    assert_eq!(
        dec(&b.invoice(&inv_id).await["amounts"]["balance"]),
        d("1.5")
    );
}
