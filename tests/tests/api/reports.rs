//! Receivables reports (R-PAY-3): expected receipts over a seeded quarter against a hand
//! computation, and overdue invoices.
use api_tests::billing::{Books, books, d};
use api_tests::fulfil::dec;
use serde_json::json;

/// An ACME order of `lines` dated `date`, confirmed unless `draft`.
async fn dated_order(b: &Books, date: &str, lines: serde_json::Value, draft: bool) -> String {
    let r = b
        .gql(
            &b.w.admin,
            "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id amounts { total } } } }",
            json!({"i": {"customerId": b.w.acme, "orderDate": date, "lines": lines}}),
        )
        .await;
    let id = r.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    if !draft {
        b.w.confirm(&b.w.admin, &id, false).await.data();
    }
    id
}

#[tokio::test]
async fn expected_receipts_over_a_quarter_match_a_hand_computation_r_pay_3() {
    let b = books().await;
    let nut = b.w.app.id_of(&b.w.admin, "items", "NUT-M8").await;
    // X, 2026-10-01: 100 bolts, billed 2026-10-15 (65.34 due 2026-11-14 on 30D terms), 20 paid.
    let x = dated_order(
        &b,
        "2026-10-01",
        json!([{"itemId": b.w.bolt, "quantity": "100"}]),
        false,
    )
    .await;
    let note = b.ship(&x).await;
    let r = b
        .invoice_as(
            &b.accounting,
            json!({"shipmentIds": [note], "invoiceDate": "2026-10-15"}),
        )
        .await;
    let inv = r.data()["createInvoice"]["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.post(&inv).await.data();
    b.pay(
        &b.w.acme,
        "20",
        Some(json!([{"invoiceId": inv, "amount": "20"}])),
    )
    .await
    .data();
    // Y, 2026-11-10: 2 boxes of nuts 19.80 + freight 2 ÷ 50 × 12 = 0.48, with IVA 21 % 4.16 +
    // 0.10 → 24.54 due 2026-12-10.
    dated_order(
        &b,
        "2026-11-10",
        json!([{"itemId": nut, "quantity": "2"}]),
        false,
    )
    .await;
    // Z, 2026-12-15: due 2027-01-14, after the quarter. W, a DRAFT: not expected.
    dated_order(
        &b,
        "2026-12-15",
        json!([{"itemId": nut, "quantity": "1"}]),
        false,
    )
    .await;
    dated_order(
        &b,
        "2026-10-05",
        json!([{"itemId": nut, "quantity": "1"}]),
        true,
    )
    .await;

    let q = "query($g: ReportGrouping!, $c: ID) { expectedReceipts(from: \"2026-10-01\", to: \"2026-12-31\", groupBy: $g, customerId: $c) { invoiced ordered total periods { periodStart invoiced ordered total } } }";
    let r = b.gql(&b.accounting, q, json!({"g": "MONTH"})).await;
    let e = &r.data()["expectedReceipts"];
    let rows: Vec<(String, String, String)> = e["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["periodStart"].as_str().unwrap().to_owned(),
                dec(&p["invoiced"]).normalize().to_string(),
                dec(&p["ordered"]).normalize().to_string(),
            )
        })
        .collect();
    let row = |m: &str, i: &str, o: &str| {
        (
            m.to_owned(),
            d(i).normalize().to_string(),
            d(o).normalize().to_string(),
        )
    };
    assert_eq!(
        rows,
        vec![
            row("2026-10-01", "0", "0"),
            row("2026-11-01", "45.34", "0"),
            row("2026-12-01", "0", "24.54"),
        ]
    );
    assert_eq!(dec(&e["total"]), d("69.88"));

    // By week: 2026-11-14 is a Saturday, its week starts on Monday 2026-11-09.
    let r = b.gql(&b.accounting, q, json!({"g": "WEEK"})).await;
    let weeks = r.data()["expectedReceipts"]["periods"]
        .as_array()
        .unwrap()
        .clone();
    let nov9 = weeks
        .iter()
        .find(|p| p["periodStart"] == "2026-11-09")
        .unwrap();
    assert_eq!(dec(&nov9["invoiced"]), d("45.34"));
    // Another customer's view: nothing expected.
    let globex = b.w.app.id_of(&b.w.admin, "customers", "GLOBEX").await;
    let r = b
        .gql(&b.accounting, q, json!({"g": "MONTH", "c": globex}))
        .await;
    assert_eq!(dec(&r.data()["expectedReceipts"]["total"]), d("0"));
    // Boris sees none of ACME's receipts; the warehouse may not ask.
    let boris = b.w.app.login("boris@iberia.example").await;
    let r = b.gql(&boris, q, json!({"g": "MONTH"})).await;
    assert_eq!(dec(&r.data()["expectedReceipts"]["total"]), d("0"));
    let r = b.gql(&b.w.warehouse, q, json!({"g": "MONTH"})).await;
    assert_eq!(r.code(), "FORBIDDEN");
    // A day-by-day report over more than a year is refused.
    let r = b
        .gql(&b.accounting, "{ expectedReceipts(from: \"2026-01-01\", to: \"2027-06-01\", groupBy: DAY) { total } }", json!({}))
        .await;
    assert_eq!(r.code(), "VALIDATION");

    // X's invoice fell due on 2026-11-14: 45.34 is overdue.
    let r = b
        .gql(&b.accounting, "{ overduePayments { totalCount edges { node { dueDate daysOverdue amount invoice { id } } } } }", json!({}))
        .await;
    let o = &r.data()["overduePayments"];
    assert_eq!(o["totalCount"], 1);
    let node = &o["edges"][0]["node"];
    assert_eq!(node["invoice"]["id"], inv);
    assert_eq!(node["dueDate"], "2026-11-14");
    assert_eq!(dec(&node["amount"]), d("45.34"));
    let today = chrono::Utc::now().date_naive();
    let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 14).unwrap();
    assert_eq!(node["daysOverdue"], (today - due).num_days());
    let r = b
        .gql(
            &b.accounting,
            "query($c: ID!) { customerBalance(customerId: $c) { overdue } }",
            json!({"c": b.w.acme}),
        )
        .await;
    assert_eq!(dec(&r.data()["customerBalance"]["overdue"]), d("45.34"));
    // Paid in full: nothing overdue any more.
    b.pay(&b.w.acme, "45.34", None).await.data();
    let r = b
        .gql(
            &b.accounting,
            "{ overduePayments { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(r.data()["overduePayments"]["totalCount"], 0);
}

/// R-PAY-3: the forecast of a quarter is the mean of what the same quarter of the previous
/// years ordered, over the years that traded (2023 had no orders and does not count).
#[tokio::test]
async fn the_receipts_forecast_is_the_mean_of_the_same_period_in_earlier_years_r_pay_3() {
    let b = books().await;
    // 2025-02-10: 100 bolts 30.00 + freight 24.00 = 54.00; 2024-03-31: 50 bolts 15.00 + 12.00.
    dated_order(
        &b,
        "2025-02-10",
        json!([{"itemId": b.w.bolt, "quantity": "100"}]),
        true,
    )
    .await;
    dated_order(
        &b,
        "2024-03-31",
        json!([{"itemId": b.w.bolt, "quantity": "50"}]),
        true,
    )
    .await;
    // Outside the quarter, and a cancelled one inside it: neither counts.
    dated_order(
        &b,
        "2025-04-01",
        json!([{"itemId": b.w.bolt, "quantity": "10"}]),
        true,
    )
    .await;
    let cancelled = dated_order(
        &b,
        "2025-01-15",
        json!([{"itemId": b.w.bolt, "quantity": "10"}]),
        true,
    )
    .await;
    b.gql(
        &b.w.admin,
        "mutation($i: ID!) { cancelSalesOrder(input: {id: $i}) { salesOrder { status } } }",
        json!({"i": cancelled}),
    )
    .await
    .data();
    let r = b
        .gql(
            &b.accounting,
            "{ receiptsForecast(from: \"2026-01-01\", to: \"2026-03-31\") { forecast years { from to ordered orders } } }",
            json!({}),
        )
        .await;
    let f = &r.data()["receiptsForecast"];
    let years: Vec<(String, String, i64)> = f["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| {
            (
                y["from"].as_str().unwrap().to_owned(),
                dec(&y["ordered"]).normalize().to_string(),
                y["orders"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        years,
        vec![
            ("2025-01-01".to_owned(), "54".to_owned(), 1),
            ("2024-01-01".to_owned(), "27".to_owned(), 1),
            ("2023-01-01".to_owned(), "0".to_owned(), 0),
        ]
    );
    assert_eq!(dec(&f["forecast"]), d("40.50"));
}
