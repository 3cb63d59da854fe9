//! The TOWERP story (seed 001; R-PAY-1, R-PAY-2, R-PAY-5, R-INV-1, R-ORD-17): an order with
//! 30/70 terms, a proforma, payments against the first installment and the proforma, a
//! shipment, an invoice that takes those advances, the rest paid — the financial status of each
//! schedule line, document and the order right at every step, each step heard by a subscriber,
//! and the order CLOSED at the end.
use api_tests::billing::{Books, books, d};
use api_tests::fulfil::dec;
use api_tests::ws;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::time::Duration;

const ORDER: &str = "query($i: ID!) { salesOrder(id: $i) { status financialStatus advancePaid payments { amount } taxAmounts { taxBase tax totalWithTax } paymentSchedule { id position dueDate amount paid financialStatus } proformas { number financialStatus paid totalWithTax } invoices { id financialStatus amounts { balance } } } }";

async fn order(b: &Books, id: &str) -> Value {
    b.gql(&b.w.admin, ORDER, json!({"i": id})).await.data()["salesOrder"].clone()
}

/// (amount, paid, status) of each schedule line.
fn schedule(o: &Value) -> Vec<(Decimal, Decimal, String)> {
    o["paymentSchedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                dec(&l["amount"]),
                dec(&l["paid"]),
                l["financialStatus"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn line(amount: &str, paid: &str, status: &str) -> (Decimal, Decimal, String) {
    (d(amount), d(paid), status.to_owned())
}

#[tokio::test]
async fn the_towerp_order_is_paid_in_installments_and_closes_r_pay_1_r_pay_2() {
    let b = books().await;
    let mut sub = ws::connect(&b.w.app.url, &b.accounting).await;
    ws::subscribe(
        &mut sub,
        "1",
        "subscription { orderEvents { kind orderId } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 100 bolts for ACME: 30.00 + freight 24.00 = 54.00, IVA 21 % 11.34 → 65.34, on custom
    // terms: 30 % on 2026-12-10 (19.60), 70 % on 2027-01-10 (45.74, the rest).
    let per = {
        let r = b
            .gql(&b.w.admin, "{ paymentTerms { id code } }", json!({}))
            .await;
        r.data()["paymentTerms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == "PER")
            .unwrap()["id"]
            .clone()
    };
    let r = b
        .gql(
            &b.w.admin,
            "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id } } }",
            json!({"i": {"customerId": b.w.acme, "orderDate": "2026-12-01", "paymentTermsId": per,
                "installments": [{"dueDate": "2026-12-10", "percent": "30"}, {"dueDate": "2027-01-10", "percent": "70"}],
                "lines": [{"itemId": b.w.bolt, "quantity": "100"}]}}),
        )
        .await;
    let id = r.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.w.confirm(&b.w.admin, &id, false).await.data();
    let o = order(&b, &id).await;
    assert_eq!(dec(&o["taxAmounts"]["totalWithTax"]), d("65.34"));
    assert_eq!(
        schedule(&o),
        vec![line("19.60", "0", "UNPAID"), line("45.74", "0", "UNPAID")]
    );
    assert_eq!(o["financialStatus"], "UNPAID");

    // 1. A proforma freezes the figures; it moves no stock.
    let r = b
        .gql(
            &b.accounting,
            "mutation($i: IssueProformaInput!) { issueProforma(input: $i) { proforma { id number totalWithTax financialStatus } } }",
            json!({"i": {"orderId": id}}),
        )
        .await;
    let pf = r.data()["issueProforma"]["proforma"].clone();
    assert_eq!(pf["number"], "A-1");
    assert_eq!(dec(&pf["totalWithTax"]), d("65.34"));
    assert_eq!(
        b.w.bolt_stock().await,
        (d("100"), d("100")),
        "reserved by confirmation, untouched"
    );

    // 2. 10.00 against the first installment.
    let first_line = o["paymentSchedule"][0]["id"].clone();
    b.pay(
        &b.w.acme,
        "10",
        Some(json!([{"scheduleLineId": first_line, "amount": "10"}])),
    )
    .await
    .data();
    let o = order(&b, &id).await;
    assert_eq!(
        schedule(&o),
        vec![
            line("19.60", "10", "PARTIALLY_PAID"),
            line("45.74", "0", "UNPAID")
        ]
    );
    assert_eq!(o["financialStatus"], "PARTIALLY_PAID");
    assert_eq!(o["proformas"][0]["financialStatus"], "UNPAID");

    // 3. 9.60 against the proforma: the first installment is paid.
    b.pay(
        &b.w.acme,
        "9.60",
        Some(json!([{"proformaId": pf["id"], "amount": "9.60"}])),
    )
    .await
    .data();
    let o = order(&b, &id).await;
    assert_eq!(
        schedule(&o),
        vec![line("19.60", "19.60", "PAID"), line("45.74", "0", "UNPAID")]
    );
    assert_eq!(o["proformas"][0]["financialStatus"], "PARTIALLY_PAID");
    assert_eq!(dec(&o["advancePaid"]), d("19.60"));
    // Risk: 54.00 undelivered less the 19.60 paid ahead (R-ORD-9).
    assert_eq!(
        b.balance(&b.w.acme).await,
        [d("54.00"), d("0"), d("0"), d("19.60"), d("34.40")]
    );

    // 4. Shipped and billed: the invoice takes the advances.
    b.ship(&id).await;
    let inv = b.invoice_orders(&[&id]).await;
    let inv_id = inv["id"].as_str().unwrap().to_owned();
    let posted = b.post(&inv_id).await;
    let p = &posted.data()["postInvoice"]["invoice"];
    assert_eq!(p["financialStatus"], "PARTIALLY_PAID");
    assert_eq!(dec(&p["amounts"]["balance"]), d("45.74"));
    assert_eq!(
        p["installments"][0]["dueDate"], "2026-12-10",
        "the order's own installments"
    );
    assert_eq!(dec(&p["installments"][1]["amount"]), d("45.74"));
    let o = order(&b, &id).await;
    assert_eq!(
        (o["status"].as_str(), o["financialStatus"].as_str()),
        (Some("SHIPPED"), Some("PARTIALLY_PAID"))
    );
    assert_eq!(
        b.balance(&b.w.acme).await,
        [d("0"), d("0"), d("45.74"), d("0"), d("45.74")]
    );

    // 5. The rest, without naming anything: oldest due first settles the invoice.
    b.pay(&b.w.acme, "45.74", None).await.data();
    let o = order(&b, &id).await;
    assert_eq!(o["status"], "CLOSED");
    assert_eq!(o["financialStatus"], "PAID");
    assert_eq!(o["invoices"][0]["financialStatus"], "PAID");
    assert_eq!(
        schedule(&o),
        vec![
            line("19.60", "19.60", "PAID"),
            line("45.74", "45.74", "PAID")
        ]
    );
    assert_eq!(b.balance(&b.w.acme).await[4], d("0"));
    let paid: Vec<Decimal> = o["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| dec(&p["amount"]))
        .collect();
    assert_eq!(
        paid,
        vec![d("10"), d("9.60"), d("45.74")],
        "the order shows its payments"
    );

    // Every step reached the subscriber, in order.
    let wanted = [
        "PROFORMA_ISSUED",
        "PAYMENT_RECORDED",
        "FINANCIAL_STATUS_CHANGED",
        "PAYMENT_RECORDED",
        "SHIPPED",
        "INVOICED",
        "INVOICE_POSTED",
        "PAYMENT_RECORDED",
        "FINANCIAL_STATUS_CHANGED",
        "STATUS_CHANGED",
    ];
    let (mut kinds, mut at) = (Vec::new(), 0);
    while at < wanted.len() {
        let e = ws::next_data(&mut sub, "1", Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("events in order {wanted:?}, got {kinds:?}"));
        if e["orderEvents"]["orderId"] == id.as_str() {
            let kind = e["orderEvents"]["kind"].as_str().unwrap().to_owned();
            if kind == wanted[at] {
                at += 1;
            }
            kinds.push(kind);
        }
    }
}
