//! Returns and the three kinds of credit note (issue 32; R-RET-1, R-INV-6). ACME buys 100
//! bolts at its own price 0.30 (IVA 21 %), shipped and invoiced; 20 come back into MAD.
use api_tests::Gql;
use api_tests::billing::{Books, INVOICE, books, d};
use api_tests::fulfil::dec;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const RETURN: &str = "mutation($i: CreateReturnInput!) { createReturn(input: $i) { returnNote { id number reason lines { orderLineId lot quantity creditedQuantity } } } }";

/// An order of 100 bolts, shipped, invoiced and posted: (order, its bolt line, invoice, the
/// invoice's bolt line).
async fn billed_bolts(b: &Books) -> (String, String, String, String) {
    let order = b.bolts(&b.w.acme, 100).await;
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let inv_id = inv["id"].as_str().unwrap().to_owned();
    let r = b.post(&inv_id).await;
    assert!(r.is_ok(), "{}", r.0);
    let posted = &r.data()["postInvoice"]["invoice"];
    let line = posted["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "ITEM")
        .unwrap();
    (
        order,
        line["orderLineId"].as_str().unwrap().to_owned(),
        inv_id,
        line["id"].as_str().unwrap().to_owned(),
    )
}

async fn credit(b: &Books, input: Value) -> Gql {
    b.gql(
        &b.accounting,
        &format!("mutation($i: CreateCreditNoteInput!) {{ createCreditNote(input: $i) {{ invoice {{ creditReason returnId {INVOICE} }} }} }}"),
        json!({"i": input}),
    )
    .await
}

async fn bolt_line(b: &Books, order: &str) -> (Decimal, Decimal) {
    let r = b
        .gql(
            &b.w.admin,
            "query($o: ID!) { salesOrder(id: $o) { lines { shippedQuantity invoicedQuantity } } }",
            json!({"o": order}),
        )
        .await;
    let l = &r.data()["salesOrder"]["lines"][0];
    (dec(&l["shippedQuantity"]), dec(&l["invoicedQuantity"]))
}

/// The walk of issue 32: ship 100 → return 20 into MAD → a RETURN credit note for 20: stock
/// +20, the billed quantity unchanged (nothing to bill again), the risk down by the credited
/// 7.26; a PRICE_CORRECTION of 0.05 per unit on the 80 kept credits 4.00 + 0.84 IVA and moves
/// no quantity; a BILLING_ERROR credit of the rest is bounded by what is left of the line's
/// amount, and only it makes quantities billable again.
#[tokio::test]
async fn a_return_is_credited_once_and_each_credit_reason_does_what_it_says_r_ret_1_r_inv_6() {
    let b = books().await;
    let (order, line, inv, inv_line) = billed_bolts(&b).await;
    let mad = b.w.app.id_of(&b.w.admin, "warehouses", "MAD").await;
    let (on_hand, _) = b.w.bolt_stock().await;
    let r = b
        .gql(&b.w.warehouse, RETURN, json!({"i": {"orderId": order, "warehouseId": mad, "reason": "damaged in transit", "lines": [{"orderLineId": line, "quantity": "20"}]}}))
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let note = &r.data()["createReturn"]["returnNote"];
    let return_id = note["id"].as_str().unwrap().to_owned();
    assert!(note["number"].as_str().unwrap().contains('-'), "{note}");
    assert_eq!(b.w.bolt_stock().await.0, on_hand + d("20"));
    assert_eq!(bolt_line(&b, &order).await, (d("100"), d("100")));
    let r = b
        .gql(
            &b.w.admin,
            "query($o: ID!) { salesOrder(id: $o) { events { kind } } }",
            json!({"o": order}),
        )
        .await;
    assert!(r.0.to_string().contains("\"RETURNED\""), "{}", r.0);

    let before = b.balance(&b.w.acme).await;
    let r = credit(
        &b,
        json!({"invoiceId": inv, "reason": "RETURN", "returnId": return_id}),
    )
    .await;
    assert!(r.is_ok(), "{}", r.0);
    let cn = &r.data()["createCreditNote"]["invoice"];
    assert_eq!(cn["creditReason"], "RETURN");
    assert_eq!(cn["returnId"], return_id.as_str());
    assert_eq!(dec(&cn["lines"][0]["quantity"]), d("-20"), "{cn}");
    assert_eq!(dec(&cn["amounts"]["totalWithTax"]), d("-7.26"), "{cn}");
    let after = b.balance(&b.w.acme).await;
    assert_eq!(after[4], before[4] - d("7.26"), "{before:?} → {after:?}");
    assert_eq!(
        after[1], before[1],
        "nothing became billable: {before:?} → {after:?}"
    );
    assert_eq!(bolt_line(&b, &order).await, (d("100"), d("100")));
    // A return is credited once.
    let r = credit(
        &b,
        json!({"invoiceId": inv, "reason": "RETURN", "returnId": return_id}),
    )
    .await;
    assert_eq!(r.code(), "INVALID_STATE", "{}", r.0);
    let r = b
        .gql(
            &b.accounting,
            "query($r: ID!) { returnNote(id: $r) { lines { quantity creditedQuantity } } }",
            json!({"r": return_id}),
        )
        .await;
    assert_eq!(
        dec(&r.data()["returnNote"]["lines"][0]["creditedQuantity"]),
        d("20")
    );

    // PRICE_CORRECTION: 0.05 × 80 = 4.00 + 0.84 IVA, no quantity.
    let r = credit(&b, json!({"invoiceId": inv, "reason": "PRICE_CORRECTION", "lines": [{"invoiceLineId": inv_line, "amount": "4.00"}]})).await;
    assert!(r.is_ok(), "{}", r.0);
    let cn = &r.data()["createCreditNote"]["invoice"];
    assert_eq!(dec(&cn["lines"][0]["quantity"]), d("0"), "{cn}");
    assert_eq!(
        dec(&cn["lines"][0]["unitPrice"]),
        d("0.04"),
        "4.00 over the 100 billed: {cn}"
    );
    assert_eq!(dec(&cn["amounts"]["taxBase"]), d("-4.00"), "{cn}");
    assert_eq!(dec(&cn["amounts"]["totalWithTax"]), d("-4.84"), "{cn}");
    let corrected = b.balance(&b.w.acme).await;
    assert_eq!(corrected[4], after[4] - d("4.84"));
    assert_eq!(bolt_line(&b, &order).await, (d("100"), d("100")));
    // Refused shapes change nothing.
    for bad in [
        json!({"invoiceId": inv, "reason": "PRICE_CORRECTION", "lines": [{"invoiceLineId": inv_line, "quantity": "1"}]}),
        json!({"invoiceId": inv, "reason": "PRICE_CORRECTION", "lines": [{"invoiceLineId": inv_line, "amount": "20.01"}]}),
        json!({"invoiceId": inv, "reason": "PRICE_CORRECTION"}),
        json!({"invoiceId": inv, "reason": "RETURN"}),
        json!({"invoiceId": inv, "reason": "BILLING_ERROR", "returnId": return_id}),
        json!({"invoiceId": inv, "lines": [{"invoiceLineId": inv_line, "amount": "1"}]}),
    ] {
        let r = credit(&b, bad.clone()).await;
        assert_eq!(r.code(), "VALIDATION", "{bad}: {}", r.0);
    }
    assert_eq!(b.balance(&b.w.acme).await, corrected);

    // BILLING_ERROR of the bolt line's rest: the 80 units, for the 20.00 the line has left
    // (30.00 billed − 6.00 returned − 4.00 corrected); they become billable again.
    let r = credit(&b, json!({"invoiceId": inv, "reason": "BILLING_ERROR", "lines": [{"invoiceLineId": inv_line}]})).await;
    assert!(r.is_ok(), "{}", r.0);
    let cn = &r.data()["createCreditNote"]["invoice"];
    assert_eq!(cn["creditReason"], "BILLING_ERROR");
    assert_eq!(dec(&cn["lines"][0]["quantity"]), d("-80"), "{cn}");
    assert_eq!(dec(&cn["amounts"]["taxBase"]), d("-20.00"), "{cn}");
    assert_eq!(bolt_line(&b, &order).await, (d("100"), d("20")));
    let r = b
        .gql(
            &b.accounting,
            "query($i: ID!) { invoice(id: $i) { lines { kind netAmount } amounts { credited } } }",
            json!({"i": inv}),
        )
        .await;
    let billed_bolts: Decimal = r.data()["invoice"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "ITEM")
        .map(|l| dec(&l["netAmount"]))
        .sum();
    assert_eq!(billed_bolts, d("30.00"), "never more credited than billed");
}

/// R-RET-1 under contention: two returns of 60 race for a line that shipped 100. One is
/// received, the other refused; stock rose by 60 only.
#[tokio::test]
async fn two_returns_racing_for_one_line_never_return_more_than_shipped_r_ret_1() {
    let b = books().await;
    let (order, line, _, _) = billed_bolts(&b).await;
    let mad = b.w.app.id_of(&b.w.admin, "warehouses", "MAD").await;
    let (on_hand, _) = b.w.bolt_stock().await;
    let input = json!({"i": {"orderId": order, "warehouseId": mad, "reason": "refused", "lines": [{"orderLineId": line, "quantity": "60"}]}});
    let results = futures_util::future::join_all(
        (0..4).map(|_| b.gql(&b.w.warehouse, RETURN, input.clone())),
    )
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| !r.is_ok()) {
        assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    }
    assert_eq!(b.w.bolt_stock().await.0, on_hand + d("60"));
    // The remaining 40 still come back; a 41st does not.
    let rest = json!({"i": {"orderId": order, "warehouseId": mad, "reason": "x", "lines": [{"orderLineId": line, "quantity": "41"}]}});
    assert_eq!(
        b.gql(&b.w.warehouse, RETURN, rest).await.code(),
        "VALIDATION"
    );
    // Accounting may read returns but not receive goods.
    let r = b
        .gql(&b.accounting, RETURN, json!({"i": {"orderId": order, "warehouseId": mad, "reason": "x", "lines": [{"orderLineId": line, "quantity": "1"}]}}))
        .await;
    assert_eq!(r.code(), "FORBIDDEN", "{}", r.0);
    let r = b
        .gql(
            &b.accounting,
            "query($o: ID!) { returnNotes(orderId: $o) { totalCount } }",
            json!({"o": order}),
        )
        .await;
    assert_eq!(r.data()["returnNotes"]["totalCount"], 1, "{}", r.0);
}
