//! Quotes and sales orders on the public GraphQL API: every rule of DOMAIN.md §3 (R-ORD-1…17)
//! plus the item rules order entry enforces (R-ITEM-1, 2, 5, 6) and visibility (R-ACC-3…5).
use api_tests::demo::{Demo, ORDER};
use futures_util::future::join_all;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

fn d(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal: {v}"))).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn line(item: &str, qty: &str) -> Value {
    json!({ "itemId": item, "quantity": qty })
}

fn kinds(order: &Value) -> Vec<String> {
    order["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_new_order_takes_its_header_from_the_customer_and_overrides_stay_on_the_order_r_ord_1() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let mrw = t.setup_id("carriers", "MRW").await;
    let o = t.create(&acme, json!([line(&bolt, "10")]), json!({})).await["salesOrder"].clone();
    assert_eq!(o["salesRep"]["code"], "ANA");
    assert_eq!(o["paymentTerms"]["code"], "30D");
    assert_eq!(o["paymentMethod"]["code"], "TRANSFER");
    assert_eq!(o["bankAccount"]["code"], "MAIN");
    assert_eq!(o["carrier"]["code"], "SEUR");
    assert_eq!(
        (
            o["currency"].as_str(),
            o["language"].as_str(),
            o["series"].as_str()
        ),
        (Some("EUR"), Some("es"), Some("A"))
    );
    assert_eq!(o["status"], "DRAFT");
    let o2 = t
        .create(
            &acme,
            json!([line(&bolt, "10")]),
            json!({"carrierId": mrw, "language": "en"}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(
        (o2["carrier"]["code"].as_str(), o2["language"].as_str()),
        (Some("MRW"), Some("en"))
    );
    let o3 = t.create(&acme, json!([line(&bolt, "10")]), json!({})).await["salesOrder"].clone();
    assert_eq!(
        o3["carrier"]["code"], "SEUR",
        "an override changes that order only"
    );
}

#[tokio::test]
async fn numbers_are_consecutive_per_series_and_type_and_the_series_is_fixed_r_ord_2() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let mut numbers = vec![];
    for _ in 0..3 {
        numbers.push(
            t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["number"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(numbers, vec![1, 2, 3]);
    // Another series counts on its own.
    let b = t
        .create(&acme, json!([line(&bolt, "1")]), json!({"series": "B"}))
        .await["salesOrder"]
        .clone();
    assert_eq!(
        (b["series"].as_str(), b["number"].as_i64()),
        (Some("B"), Some(1))
    );
    // A failed creation does not use up a number.
    let bad = t
        .create_as(&t.admin, &acme, json!([line(&bolt, "-1")]), json!({}))
        .await;
    assert_eq!(bad.code(), "VALIDATION");
    assert_eq!(
        t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["number"],
        4
    );
    // The series cannot change once set.
    let id = b["id"].as_str().unwrap();
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": id, "series": "A"}),
        )
        .await;
    assert_eq!(
        (r.code(), r.field().as_deref()),
        ("VALIDATION".into(), Some("series"))
    );
    // Quotes count apart, unless the company shares the order numbering.
    let q = t.app.gql(Some(&t.admin), "mutation($c: ID!, $i: ID!) { createQuote(input: {customerId: $c, lines: [{itemId: $i, quantity: \"1\"}]}) { quote { id number } } }", json!({"c": acme, "i": bolt})).await;
    assert_eq!(q.data()["createQuote"]["quote"]["number"], 1);
    t.settings(json!({"quotesShareOrderNumbering": true})).await;
    let q = t.app.gql(Some(&t.admin), "mutation($c: ID!, $i: ID!) { createQuote(input: {customerId: $c, lines: [{itemId: $i, quantity: \"1\"}]}) { quote { id number } } }", json!({"c": acme, "i": bolt})).await;
    assert_eq!(
        q.data()["createQuote"]["quote"]["number"],
        5,
        "the quote drew the next order number"
    );
    let accepted = t
        .app
        .gql(
            Some(&t.admin),
            "mutation($id: ID!) { acceptQuote(input: {id: $id}) { salesOrder { number } } }",
            json!({"id": q.data()["createQuote"]["quote"]["id"]}),
        )
        .await;
    assert_eq!(
        accepted.data()["acceptQuote"]["salesOrder"]["number"],
        5,
        "the order keeps its quote's number"
    );
    assert_eq!(
        t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["number"],
        6
    );
}

#[tokio::test]
async fn a_hundred_orders_from_twenty_clients_get_a_hundred_consecutive_numbers_r_ord_2() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let ana = t.app.login("ana@iberia.example").await;
    let clients = (0..20).map(|c| {
        let (t, acme, bolt, token) = (
            &t,
            acme.clone(),
            bolt.clone(),
            if c % 2 == 0 {
                t.admin.clone()
            } else {
                ana.clone()
            },
        );
        async move {
            let mut got = vec![];
            for k in 0..5 {
                let r = t
                    .create_as(&token, &acme, json!([line(&bolt, "1")]), json!({}))
                    .await;
                got.push(
                    r.data()["createSalesOrder"]["salesOrder"]["number"]
                        .as_i64()
                        .unwrap(),
                );
                // Interleave failures: they must not leave gaps.
                if k == 2 {
                    let bad = t
                        .create_as(
                            &token,
                            &acme,
                            json!([{"itemId": bolt, "quantity": "1", "bonusQuantity": "-1"}]),
                            json!({}),
                        )
                        .await;
                    assert_eq!(bad.code(), "VALIDATION");
                }
            }
            got
        }
    });
    let mut numbers: Vec<i64> = join_all(clients).await.into_iter().flatten().collect();
    numbers.sort();
    assert_eq!(numbers, (1..=100).collect::<Vec<i64>>());
}

#[tokio::test]
async fn accepting_a_quote_creates_an_order_with_its_header_and_lines_r_ord_3() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (bolt, nut) = (t.item("BOLT-M8").await, t.item("NUT-M8").await);
    let q = t
        .app
        .gql(
            Some(&t.admin),
            "mutation($c: ID!, $b: ID!, $n: ID!) { createQuote(input: {customerId: $c, customerReference: \"RFQ-7\", lines: [{itemId: $b, quantity: \"100\"}, {itemId: $n, quantity: \"2\", bonusQuantity: \"1\"}]}) { quote { id status amounts { net } } } }",
            json!({"c": acme, "b": bolt, "n": nut}),
        )
        .await;
    let quote = q.data()["createQuote"]["quote"].clone();
    assert_eq!(quote["status"], "OPEN");
    let r = t
        .app
        .gql(
            Some(&t.admin),
            &format!("mutation($id: ID!) {{ acceptQuote(input: {{id: $id}}) {{ quote {{ status salesOrder {{ id }} }} salesOrder {{ {ORDER} quote {{ id }} customerReference }} }} }}"),
            json!({"id": quote["id"]}),
        )
        .await;
    let a = &r.data()["acceptQuote"];
    assert_eq!(a["quote"]["status"], "ACCEPTED");
    assert_eq!(a["quote"]["salesOrder"]["id"], a["salesOrder"]["id"]);
    let o = &a["salesOrder"];
    assert_eq!(
        (o["status"].as_str(), o["quote"]["id"].as_str()),
        (Some("DRAFT"), quote["id"].as_str())
    );
    assert_eq!(o["customerReference"], "RFQ-7");
    assert_eq!(d(&o["amounts"]["net"]), d(&quote["amounts"]["net"]));
    let lines = o["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (
            lines[1]["item"]["sku"].as_str(),
            d(&lines[1]["bonusQuantity"])
        ),
        (Some("NUT-M8"), dec("1"))
    );
    let again = t
        .app
        .gql(
            Some(&t.admin),
            "mutation($id: ID!) { acceptQuote(input: {id: $id}) { quote { id } } }",
            json!({"id": quote["id"]}),
        )
        .await;
    assert_eq!(again.code(), "INVALID_STATE");
}

#[tokio::test]
async fn gross_is_merchandise_before_discounts_and_net_is_after_line_and_header_discounts_r_ord_4()
{
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (bolt, nut) = (t.item("BOLT-M8").await, t.item("NUT-M8").await);
    let p = t
        .create(
            &acme,
            json!([line(&bolt, "100"), {"itemId": nut, "quantity": "2", "discountPercent": "10"}]),
            json!({"headerDiscountPercent": "5", "freightTerms": "PREPAID"}),
        )
        .await;
    let a = &p["salesOrder"]["amounts"];
    // 100 × 0.30 (ACME's price) + 2 × 9.90 = 49.80; nets 30 + 17.82 = 47.82; −5 % = 45.429.
    assert_eq!(d(&a["gross"]), dec("49.80"));
    assert_eq!(d(&a["net"]), dec("45.43"));
    assert_eq!(d(&a["discount"]), dec("4.37"));
    assert_eq!(d(&a["freight"]), Decimal::ZERO);
    assert_eq!(d(&a["total"]), dec("45.43"));
    // Line amounts stay exact; only the document total is rounded.
    assert_eq!(d(&p["salesOrder"]["lines"][1]["netAmount"]), dec("17.82"));
}

#[tokio::test]
async fn a_bonus_quantity_ships_but_is_not_charged_r_ord_5() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let o = t
        .create(
            &acme,
            json!([{"itemId": bolt, "quantity": "100", "bonusQuantity": "10"}]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(d(&o["amounts"]["gross"]), dec("30.00"));
    // 110 bolts ship: weight 110 × 0.25.
    assert_eq!(d(&o["weight"]), dec("27.5"));
    assert_eq!(d(&o["lines"][0]["bonusQuantity"]), dec("10"));
}

#[tokio::test]
async fn the_customer_price_beats_the_list_price_and_discounts_resolve_the_same_way_r_ord_6() {
    let t = Demo::new().await;
    let (acme, initech) = (t.customer("ACME").await, t.customer("INITECH").await);
    let bolt = t.item("BOLT-M8").await;
    let a = t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["lines"][0]
        .clone();
    assert_eq!(
        (d(&a["unitPrice"]), a["priceSource"].as_str()),
        (dec("0.30"), Some("CUSTOMER"))
    );
    let i = t
        .create(&initech, json!([line(&bolt, "1")]), json!({}))
        .await["salesOrder"]["lines"][0]
        .clone();
    assert_eq!(
        (d(&i["unitPrice"]), i["priceSource"].as_str()),
        (dec("0.35"), Some("LIST"))
    );
    let r = t
        .app
        .gql(Some(&t.admin), "mutation($c: ID!, $i: ID!) { setCustomerPrice(input: {customerId: $c, itemId: $i, discountPercent: \"5\"}) { customerPrice { price discountPercent } } }", json!({"c": initech, "i": bolt}))
        .await;
    assert!(r.data()["setCustomerPrice"]["customerPrice"]["price"].is_null());
    let i = t
        .create(&initech, json!([line(&bolt, "1")]), json!({}))
        .await["salesOrder"]["lines"][0]
        .clone();
    assert_eq!(
        (
            d(&i["unitPrice"]),
            d(&i["discountPercent"]),
            i["priceSource"].as_str()
        ),
        (dec("0.35"), dec("5"), Some("LIST"))
    );
    // A manual price wins over everything and says so.
    let m = t
        .create(
            &initech,
            json!([{"itemId": bolt, "quantity": "1", "unitPrice": "0.99"}]),
            json!({}),
        )
        .await["salesOrder"]["lines"][0]
        .clone();
    assert_eq!(
        (d(&m["unitPrice"]), m["priceSource"].as_str()),
        (dec("0.99"), Some("MANUAL"))
    );
}

#[tokio::test]
async fn a_foreign_currency_order_keeps_both_currencies_and_the_rate_of_its_date_r_ord_7() {
    let t = Demo::new().await;
    let (acme, initech) = (t.customer("ACME").await, t.customer("INITECH").await);
    let bolt = t.item("BOLT-M8").await;
    let r = t.app.gql(Some(&t.admin), "mutation { setExchangeRate(input: {currency: \"USD\", rate: \"0.9000\", validFrom: \"2026-06-01\"}) { rate } }", json!({})).await;
    r.data();
    // Before June the January rate (0.92) applies; the rate is kept on the order.
    let o = t
        .create(
            &initech,
            json!([line(&bolt, "1000")]),
            json!({"currency": "USD", "orderDate": "2026-05-31", "freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(d(&o["exchangeRate"]), dec("0.92"));
    // 0.35 EUR ÷ 0.92 = 0.3804 USD a unit; 380.40 USD = 349.97 EUR.
    assert_eq!(d(&o["lines"][0]["unitPrice"]), dec("0.3804"));
    assert_eq!(
        (d(&o["amounts"]["net"]), d(&o["amounts"]["companyNet"])),
        (dec("380.40"), dec("349.97"))
    );
    let o = t
        .create(
            &acme,
            json!([line(&bolt, "1000")]),
            json!({"currency": "USD", "orderDate": "2026-06-01", "freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(d(&o["exchangeRate"]), dec("0.9"));
    // ACME's own price 0.30 EUR → 0.3333 USD.
    assert_eq!(
        (d(&o["amounts"]["net"]), d(&o["amounts"]["companyNet"])),
        (dec("333.30"), dec("299.97"))
    );
    let r = t
        .create_as(
            &t.admin,
            &acme,
            json!([line(&bolt, "1")]),
            json!({"currency": "GBP"}),
        )
        .await;
    assert_eq!(
        (r.code(), r.field().as_deref()),
        ("VALIDATION".into(), Some("currency"))
    );
    let r = t
        .create_as(
            &t.admin,
            &acme,
            json!([line(&bolt, "1")]),
            json!({"currency": "USD", "orderDate": "2025-12-31"}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "no rate was effective yet");
}

#[tokio::test]
async fn header_date_changes_move_matching_lines_and_real_changes_feed_the_delay_report_r_ord_8() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (bolt, nut) = (t.item("BOLT-M8").await, t.item("NUT-M8").await);
    let o = t
        .create(&acme, json!([line(&bolt, "10"), {"itemId": nut, "quantity": "1", "deliveryDate": "2026-12-20"}]), json!({"orderDate": "2026-11-22", "deliveryDate": "2026-12-01"}))
        .await["salesOrder"]
        .clone();
    let lines = o["lines"].as_array().unwrap();
    assert_eq!(
        (
            lines[0]["deliveryDate"].as_str(),
            lines[1]["deliveryDate"].as_str()
        ),
        (Some("2026-12-01"), Some("2026-12-20"))
    );
    let id = o["id"].as_str().unwrap();
    let r = t
        .mutate(
            &t.admin,
            "changeDeliveryDate",
            "ChangeDeliveryDateInput",
            json!({"orderId": id, "date": "2026-12-10", "reason": "REAL_CHANGE"}),
        )
        .await;
    let o = &r.data()["changeDeliveryDate"]["salesOrder"];
    let lines = o["lines"].as_array().unwrap();
    assert_eq!(o["deliveryDate"], "2026-12-10");
    assert_eq!(
        (
            lines[0]["deliveryDate"].as_str(),
            lines[0]["promisedDate"].as_str()
        ),
        (Some("2026-12-10"), Some("2026-12-01"))
    );
    assert_eq!(
        lines[1]["deliveryDate"], "2026-12-20",
        "a line with its own date keeps it"
    );
    assert!(kinds(o).contains(&"DELIVERY_DATE_CHANGED".to_owned()));
    let report = t.app.gql(Some(&t.admin), "{ deliveryDelays { totalCount edges { node { salesOrder { id } line { item { sku } } firstPromisedDate currentDate delayDays } } } }", json!({})).await;
    let rows: Vec<Value> = report.data()["deliveryDelays"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["salesOrder"]["id"], id);
    assert_eq!(
        (
            rows[0]["line"]["item"]["sku"].as_str(),
            rows[0]["delayDays"].as_i64()
        ),
        (Some("BOLT-M8"), Some(9))
    );
    let history = t.app.gql(Some(&t.admin), "query($id: ID!) { salesOrder(id: $id) { deliveryDateChanges { lineId oldDate newDate changedBy } } }", json!({"id": id})).await;
    assert_eq!(
        history.data()["salesOrder"]["deliveryDateChanges"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "header and the line that followed"
    );
    // A correction moves the promise with it and is not logged.
    let r = t
        .mutate(
            &t.admin,
            "changeDeliveryDate",
            "ChangeDeliveryDateInput",
            json!({"orderId": id, "date": "2026-12-11", "reason": "CORRECTION"}),
        )
        .await;
    let l0 = &r.data()["changeDeliveryDate"]["salesOrder"]["lines"][0];
    assert_eq!(
        (l0["deliveryDate"].as_str(), l0["promisedDate"].as_str()),
        (Some("2026-12-11"), Some("2026-12-11"))
    );
    let history = t
        .app
        .gql(
            Some(&t.admin),
            "query($id: ID!) { salesOrder(id: $id) { deliveryDateChanges { newDate } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        history.data()["salesOrder"]["deliveryDateChanges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A single line's date needs a reason.
    let line_id = l0["id"].as_str().unwrap();
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrderLine",
            "UpdateSalesOrderLineInput",
            json!({"lineId": line_id, "deliveryDate": "2026-12-30"}),
        )
        .await;
    assert_eq!(r.field().as_deref(), Some("dateChangeReason"));
}

/// R-ORD-9, from the receivables portfolio: accounting releases every held order of INITECH
/// in one call; each release is logged on its order, orders that are not held are refused by
/// name, and a second call finds nothing left to release.
#[tokio::test]
async fn accounting_releases_all_held_orders_of_a_customer_in_one_call_r_ord_9() {
    let t = Demo::new().await;
    t.settings(json!({"blockOnCreditExcess": true})).await;
    let initech = t.customer("INITECH").await;
    let bolt = t.item("BOLT-M8").await;
    let mut ids = vec![];
    for _ in 0..3 {
        let o = t
            .create(
                &initech,
                json!([line(&bolt, "30000")]),
                json!({"freightTerms": "PREPAID"}),
            )
            .await["salesOrder"]
            .clone();
        ids.push((
            o["id"].as_str().unwrap().to_owned(),
            o["creditHold"] == true,
        ));
    }
    assert_eq!(
        ids.iter().map(|x| x.1).collect::<Vec<_>>(),
        [false, true, true],
        "the first fits the limit"
    );
    let accounting = t.app.login("accounting@iberia.example").await;
    let release = "mutation($c: ID!, $o: [ID!]) { releaseCreditHolds(input: {customerId: $c, orderIds: $o}) { released { id creditHold creditReleasedBy events { kind } } } }";
    // Naming the order that is not held refuses the whole call.
    let r = t
        .app
        .gql(
            Some(&accounting),
            release,
            json!({"c": initech, "o": [ids[1].0, ids[0].0]}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert_eq!(r.field().as_deref(), Some("orderIds.1"));
    let r = t
        .app
        .gql(Some(&accounting), release, json!({"c": initech}))
        .await;
    let released = r.data()["releaseCreditHolds"]["released"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        released
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [ids[1].0.as_str(), ids[2].0.as_str()]
    );
    for o in &released {
        assert_eq!(o["creditHold"], false);
        assert_eq!(o["creditReleasedBy"], released[0]["creditReleasedBy"]);
        assert!(
            o["creditReleasedBy"].as_str().unwrap().starts_with("user:"),
            "{o}"
        );
        assert!(kinds(o).contains(&"CREDIT_HOLD_RELEASED".to_owned()), "{o}");
    }
    let r = t
        .app
        .gql(Some(&accounting), release, json!({"c": initech}))
        .await;
    assert_eq!(r.data()["releaseCreditHolds"]["released"], json!([]));
}

#[tokio::test]
async fn over_the_credit_limit_an_order_is_held_until_a_manager_releases_it_r_ord_9() {
    let t = Demo::new().await;
    t.settings(json!({"blockOnCreditExcess": true})).await;
    let initech = t.customer("INITECH").await; // ANA's customer, limit 20 000
    let bolt = t.item("BOLT-M8").await;
    let small = t
        .create(
            &initech,
            json!([line(&bolt, "30000")]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(
        (
            small["creditHold"].as_bool(),
            d(&small["amounts"]["companyTotal"])
        ),
        (Some(false), dec("10500.00"))
    );
    // The risk counts the open order: 10 500 + 10 500 > 20 000.
    let big = t
        .create(
            &initech,
            json!([line(&bolt, "30000")]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await;
    let o = &big["salesOrder"];
    assert_eq!(o["creditHold"], true);
    assert!(kinds(o).contains(&"CREDIT_HOLD_SET".to_owned()));
    let id = o["id"].as_str().unwrap();
    let ana = t.app.login("ana@iberia.example").await;
    let r = t
        .mutate(&ana, "releaseCreditHold", "DocumentRef", json!({"id": id}))
        .await;
    assert_eq!(r.code(), "FORBIDDEN", "a rep may not release");
    let manager = t.app.login("manager@iberia.example").await;
    let r = t
        .mutate(
            &manager,
            "releaseCreditHold",
            "DocumentRef",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        r.data()["releaseCreditHold"]["salesOrder"]["creditHold"],
        false
    );
    let r = t
        .mutate(
            &manager,
            "confirmSalesOrder",
            "ConfirmSalesOrderInput",
            json!({"id": id, "createBackorders": true}),
        )
        .await;
    assert_eq!(
        r.data()["confirmSalesOrder"]["salesOrder"]["creditHold"],
        false,
        "the release holds while the order does not grow"
    );
    let r = t
        .mutate(
            &ana,
            "addSalesOrderLine",
            "AddSalesOrderLineInput",
            json!({"orderId": id, "line": line(&bolt, "1000")}),
        )
        .await;
    assert_eq!(
        r.data()["addSalesOrderLine"]["salesOrder"]["creditHold"],
        true,
        "growing past the released amount holds again"
    );
    // Blocked customers are held whatever the amount.
    let acme = t.customer("ACME").await;
    let r = t.app.gql(Some(&t.admin), "mutation($id: ID!) { updateCustomer(input: {id: $id, fields: {creditBlocked: true}}) { customer { creditBlocked } } }", json!({"id": acme})).await;
    r.data();
    assert_eq!(
        t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["creditHold"],
        true
    );
    // Without blocking the order is saved with a warning.
    t.settings(json!({"blockOnCreditExcess": false})).await;
    let w = t
        .create(
            &initech,
            json!([line(&bolt, "30000")]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await;
    assert_eq!(w["salesOrder"]["creditHold"], false);
    assert_eq!(w["warnings"][0]["code"], "CREDIT_LIMIT_EXCEEDED");
    let held = t
        .app
        .gql(
            Some(&t.admin),
            "{ salesOrders(filter: {creditHold: true}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(held.data()["salesOrders"]["totalCount"], 2);
}

#[tokio::test]
async fn payment_rules_bank_accounts_custom_installments_and_restrictions_r_ord_10() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let (per, split) = (
        t.setup_id("paymentTerms", "PER").await,
        t.setup_id("paymentTerms", "30-60").await,
    );
    // A customer without a bank account whose payment method needs one.
    let r = t.app.gql(Some(&t.admin), "mutation { createCustomer(input: {code: \"NOBANK\", name: \"No bank\", paymentMethod: \"TRANSFER\"}) { customer { id } } }", json!({})).await;
    let nobank = r.data()["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .create_as(&t.admin, &nobank, json!([line(&bolt, "1")]), json!({}))
        .await;
    assert_eq!(
        (r.code(), r.field().as_deref()),
        ("VALIDATION".into(), Some("bankAccountId"))
    );
    let bank = t.setup_id("bankAccounts", "MAIN").await;
    let ok = t
        .create_as(
            &t.admin,
            &nobank,
            json!([line(&bolt, "1")]),
            json!({"bankAccountId": bank}),
        )
        .await;
    assert_eq!(
        ok.data()["createSalesOrder"]["salesOrder"]["bankAccount"]["code"],
        "MAIN"
    );
    // Custom terms need installments that sum to exactly 100.
    let r = t
        .create_as(
            &t.admin,
            &acme,
            json!([line(&bolt, "1")]),
            json!({"paymentTermsId": per}),
        )
        .await;
    assert_eq!(r.field().as_deref(), Some("installments"));
    let r = t.create_as(&t.admin, &acme, json!([line(&bolt, "1")]), json!({"paymentTermsId": per, "installments": [{"dueDate": "2026-12-31", "percent": "60"}, {"dueDate": "2027-01-31", "percent": "30"}]})).await;
    assert_eq!(r.field().as_deref(), Some("installments"));
    let r = t.create_as(&t.admin, &acme, json!([line(&bolt, "1")]), json!({"paymentTermsId": per, "installments": [{"dueDate": "2026-12-31", "percent": "60"}, {"dueDate": "2027-01-31", "percent": "40"}]})).await;
    assert_eq!(
        r.data()["createSalesOrder"]["salesOrder"]["installments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // 30-60 is forbidden under 200 EUR.
    let r = t
        .create_as(
            &t.admin,
            &acme,
            json!([line(&bolt, "100")]),
            json!({"paymentTermsId": split}),
        )
        .await;
    assert_eq!(
        (r.code(), r.field().as_deref()),
        ("VALIDATION".into(), Some("paymentTermsId"))
    );
    let r = t
        .create_as(
            &t.admin,
            &acme,
            json!([line(&bolt, "1000")]),
            json!({"paymentTermsId": split}),
        )
        .await;
    assert_eq!(
        r.data()["createSalesOrder"]["salesOrder"]["paymentTerms"]["code"],
        "30-60"
    );
    // Dropping below the minimum later is refused too, and changes nothing.
    let o = r.data()["createSalesOrder"]["salesOrder"].clone();
    let line_id = o["lines"][0]["id"].as_str().unwrap();
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrderLine",
            "UpdateSalesOrderLineInput",
            json!({"lineId": line_id, "quantity": "10"}),
        )
        .await;
    assert_eq!(r.field().as_deref(), Some("paymentTermsId"));
    let again = t.order(&t.admin, o["id"].as_str().unwrap()).await;
    assert_eq!(
        d(&again.data()["salesOrder"]["lines"][0]["quantity"]),
        dec("1000")
    );
}

#[tokio::test]
async fn invoice_to_group_defaults_from_a_customer_billed_at_group_level_r_ord_11() {
    let t = Demo::new().await;
    let bolt = t.item("BOLT-M8").await;
    let group = t.app.gql(Some(&t.admin), "mutation { createCustomer(input: {code: \"LEASE\", name: \"Leasing Co\"}) { customer { id } } }", json!({})).await;
    let group = group.data()["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let child = t.app.gql(Some(&t.admin), "mutation($g: ID!) { createCustomer(input: {code: \"LESSEE\", name: \"Lessee\", groupCustomerId: $g, invoiceToGroup: true}) { customer { id } } }", json!({"g": group})).await;
    let child = child.data()["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        t.create(&child, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["invoiceToGroup"],
        true
    );
    assert_eq!(
        t.create(
            &child,
            json!([line(&bolt, "1")]),
            json!({"invoiceToGroup": false})
        )
        .await["salesOrder"]["invoiceToGroup"],
        false
    );
    let r = t
        .create_as(
            &t.admin,
            &group,
            json!([line(&bolt, "1")]),
            json!({"invoiceToGroup": true}),
        )
        .await;
    assert_eq!(r.field().as_deref(), Some("invoiceToGroup"));
}

#[tokio::test]
async fn freight_by_quantity_and_zone_or_by_weight_and_province_only_on_invoice_and_under_the_maximum_r_ord_12()
 {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await; // zone CENTRO, province Madrid, carrier SEUR
    let bolt = t.item("BOLT-M8").await;
    // SEUR: 125 ÷ 50 × 12 = 30.
    let o = t
        .create(&acme, json!([line(&bolt, "125")]), json!({}))
        .await["salesOrder"]
        .clone();
    assert_eq!(d(&o["amounts"]["freight"]), dec("30.00"));
    assert_eq!(
        d(&o["amounts"]["total"]),
        d(&o["amounts"]["net"]) + dec("30")
    );
    let o = t
        .create(
            &acme,
            json!([line(&bolt, "125")]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(
        d(&o["amounts"]["freight"]),
        Decimal::ZERO,
        "only ON_INVOICE freight goes on the order"
    );
    // MRW: 110 bolts × 0.25 kg = 27.5 kg → the 50 kg bracket of MADRID.
    let mrw = t.setup_id("carriers", "MRW").await;
    let o = t
        .create(
            &acme,
            json!([line(&bolt, "110")]),
            json!({"carrierId": mrw}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(d(&o["amounts"]["freight"]), dec("15.00"));
    // Typed-in freight wins until recalculated.
    let id = o["id"].as_str().unwrap();
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": id, "freightAmount": "7.5"}),
        )
        .await;
    let o = &r.data()["updateSalesOrder"]["salesOrder"];
    assert_eq!(
        (
            d(&o["amounts"]["freight"]),
            o["freightOverridden"].as_bool()
        ),
        (dec("7.50"), Some(true))
    );
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": id, "recalculateFreight": true}),
        )
        .await;
    assert_eq!(
        d(&r.data()["updateSalesOrder"]["salesOrder"]["amounts"]["freight"]),
        dec("15.00")
    );
    // Above the company maximum no freight is calculated.
    t.settings(json!({"freightMaxOrderAmount": "20"})).await;
    let o = t
        .create(&acme, json!([line(&bolt, "125")]), json!({}))
        .await["salesOrder"]
        .clone();
    assert_eq!(d(&o["amounts"]["freight"]), Decimal::ZERO);
}

#[tokio::test]
async fn weight_and_volume_sum_from_the_item_master_and_may_be_overridden_r_ord_13() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (bolt, nut) = (t.item("BOLT-M8").await, t.item("NUT-M8").await);
    // 10 bolts × 0.25 + 2 boxes × 100 nuts × 0.25.
    let o = t
        .create(
            &acme,
            json!([line(&bolt, "10"), line(&nut, "2")]),
            json!({}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(d(&o["weight"]), dec("52.5"));
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": o["id"], "weight": "60"}),
        )
        .await;
    let o = &r.data()["updateSalesOrder"]["salesOrder"];
    assert_eq!(
        (d(&o["weight"]), o["weightOverridden"].as_bool()),
        (dec("60"), Some(true))
    );
    let buyer = t.app.login("buyer@acme.example").await;
    let r = t
        .mutate(
            &buyer,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": o["id"], "weight": "1"}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
}

#[tokio::test]
async fn lines_keep_a_position_and_move_only_while_the_order_is_open_r_ord_14() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (bolt, nut, kit) = (
        t.item("BOLT-M8").await,
        t.item("NUT-M8").await,
        t.item("KIT-FIX").await,
    );
    let o = t
        .create(
            &acme,
            json!([line(&bolt, "1"), line(&kit, "1"), line(&nut, "1")]),
            json!({}),
        )
        .await["salesOrder"]
        .clone();
    let top = |o: &Value| -> Vec<(i64, String)> {
        o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["parentLineId"].is_null())
            .map(|l| {
                (
                    l["position"].as_i64().unwrap(),
                    l["item"]["sku"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        top(&o),
        vec![
            (1, "BOLT-M8".into()),
            (2, "KIT-FIX".into()),
            (3, "NUT-M8".into())
        ]
    );
    let nut_line = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["item"]["sku"] == "NUT-M8" && l["parentLineId"].is_null())
        .unwrap()["id"]
        .clone();
    let r = t
        .mutate(
            &t.admin,
            "moveSalesOrderLine",
            "MoveSalesOrderLineInput",
            json!({"lineId": nut_line, "position": 1}),
        )
        .await;
    let moved = r.data()["moveSalesOrderLine"]["salesOrder"].clone();
    assert_eq!(
        top(&moved),
        vec![
            (1, "NUT-M8".into()),
            (2, "BOLT-M8".into()),
            (3, "KIT-FIX".into())
        ]
    );
    assert!(
        moved["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| !l["parentLineId"].is_null())
            .all(|l| l["position"] == 3),
        "components travel with their kit"
    );
    let r = t
        .mutate(
            &t.admin,
            "moveSalesOrderLine",
            "MoveSalesOrderLineInput",
            json!({"lineId": nut_line, "position": 9}),
        )
        .await;
    assert_eq!(r.field().as_deref(), Some("position"));
    t.mutate(
        &t.admin,
        "confirmSalesOrder",
        "ConfirmSalesOrderInput",
        json!({"id": o["id"]}),
    )
    .await
    .data();
    t.mutate(
        &t.admin,
        "closeSalesOrder",
        "DocumentRef",
        json!({"id": o["id"]}),
    )
    .await
    .data();
    let r = t
        .mutate(
            &t.admin,
            "moveSalesOrderLine",
            "MoveSalesOrderLineInput",
            json!({"lineId": nut_line, "position": 2}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
}

#[tokio::test]
async fn sending_a_confirmation_stamps_today_and_appends_to_the_history_r_ord_15() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let o = t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"].clone();
    assert!(o["confirmationDate"].is_null());
    for to in ["buyer@acme.example", "boss@acme.example"] {
        t.mutate(
            &t.admin,
            "sendOrderConfirmation",
            "SendOrderConfirmationInput",
            json!({"orderId": o["id"], "recipient": to}),
        )
        .await
        .data();
    }
    let r = t.app.gql(Some(&t.admin), "query($id: ID!) { salesOrder(id: $id) { confirmationDate confirmationHistory { confirmationDate recipient } } }", json!({"id": o["id"]})).await;
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(r.data()["salesOrder"]["confirmationDate"], today.as_str());
    let history = r.data()["salesOrder"]["confirmationHistory"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["recipient"], "boss@acme.example");
}

#[tokio::test]
async fn a_closed_order_can_neither_change_nor_be_deleted_r_ord_16() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let o = t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"].clone();
    let id = o["id"].as_str().unwrap();
    t.mutate(
        &t.admin,
        "confirmSalesOrder",
        "ConfirmSalesOrderInput",
        json!({"id": id}),
    )
    .await
    .data();
    t.mutate(
        &t.admin,
        "closeSalesOrder",
        "DocumentRef",
        json!({"id": id}),
    )
    .await
    .data();
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": id, "notes": "late note"}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    let r = t
        .mutate(
            &t.admin,
            "addSalesOrderLine",
            "AddSalesOrderLineInput",
            json!({"orderId": id, "line": line(&bolt, "1")}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    let r = t
        .app
        .gql(
            Some(&t.admin),
            "mutation($id: ID!) { deleteSalesOrder(input: {id: $id}) { deletedId } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    assert_eq!(
        t.order(&t.admin, id).await.data()["salesOrder"]["status"],
        "CLOSED"
    );
    // A draft can be deleted, and is gone.
    let draft = t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .app
        .gql(
            Some(&t.admin),
            "mutation($id: ID!) { deleteSalesOrder(input: {id: $id}) { deletedId } }",
            json!({"id": draft}),
        )
        .await;
    assert_eq!(r.data()["deleteSalesOrder"]["deletedId"], draft.as_str());
    assert_eq!(t.order(&t.admin, &draft).await.code(), "NOT_FOUND");
}

#[tokio::test]
async fn main_and_financial_status_are_separate_and_every_status_change_is_an_event_r_ord_17() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let o = t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"].clone();
    assert_eq!(
        (o["status"].as_str(), o["financialStatus"].as_str()),
        (Some("DRAFT"), Some("UNPAID"))
    );
    let id = o["id"].as_str().unwrap();
    let c = t
        .mutate(
            &t.admin,
            "confirmSalesOrder",
            "ConfirmSalesOrderInput",
            json!({"id": id}),
        )
        .await;
    let c = &c.data()["confirmSalesOrder"]["salesOrder"];
    assert_eq!(
        (c["status"].as_str(), c["financialStatus"].as_str()),
        (Some("CONFIRMED"), Some("UNPAID"))
    );
    let again = t
        .mutate(
            &t.admin,
            "confirmSalesOrder",
            "ConfirmSalesOrderInput",
            json!({"id": id}),
        )
        .await;
    assert_eq!(again.code(), "INVALID_STATE");
    let x = t
        .mutate(
            &t.admin,
            "cancelSalesOrder",
            "DocumentRef",
            json!({"id": id}),
        )
        .await;
    let x = &x.data()["cancelSalesOrder"]["salesOrder"];
    assert_eq!(x["status"], "CANCELLED");
    assert_eq!(
        kinds(x),
        vec![
            "ORDER_CREATED",
            "ORDER_CONFIRMED",
            "RESERVED",
            "RESERVATION_RELEASED",
            "ORDER_CANCELLED"
        ]
    );
    assert_eq!(x["events"][1]["status"], "CONFIRMED");
    let r = t
        .mutate(
            &t.admin,
            "closeSalesOrder",
            "DocumentRef",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE", "a cancelled order cannot close");
    let list = t
        .app
        .gql(
            Some(&t.admin),
            "{ salesOrders(filter: {status: CANCELLED, financialStatus: UNPAID}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(list.data()["salesOrders"]["totalCount"], 1);
}

#[tokio::test]
async fn a_kit_adds_price_zero_component_lines_and_carries_their_summed_cost_r_item_1() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (kit, bolt, svc) = (
        t.item("KIT-FIX").await,
        t.item("BOLT-M8").await,
        t.item("SVC-INSTALL").await,
    );
    let o = t
        .create(
            &acme,
            json!([line(&kit, "2")]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    let lines = o["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    // Kit cost per unit: 10 bolts × 0.12 + 0.1 box × 3.10.
    assert_eq!(
        (
            lines[0]["item"]["sku"].as_str(),
            d(&lines[0]["unitPrice"]),
            d(&lines[0]["cost"])
        ),
        (Some("KIT-FIX"), dec("19.90"), dec("1.51"))
    );
    assert_eq!(
        (
            lines[1]["item"]["sku"].as_str(),
            d(&lines[1]["quantity"]),
            d(&lines[1]["unitPrice"])
        ),
        (Some("BOLT-M8"), dec("20"), Decimal::ZERO)
    );
    assert_eq!(
        (lines[2]["priceSource"].as_str(), d(&lines[2]["quantity"])),
        (Some("KIT_COMPONENT"), dec("0.2"))
    );
    assert_eq!(lines[1]["parentLineId"], lines[0]["id"]);
    assert_eq!(d(&o["amounts"]["gross"]), dec("39.80"));
    // Changing the kit's quantity scales its components.
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrderLine",
            "UpdateSalesOrderLineInput",
            json!({"lineId": lines[0]["id"], "quantity": "3"}),
        )
        .await;
    assert_eq!(
        d(&r.data()["updateSalesOrderLine"]["salesOrder"]["lines"][1]["quantity"]),
        dec("30")
    );
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrderLine",
            "UpdateSalesOrderLineInput",
            json!({"lineId": lines[1]["id"], "quantity": "3"}),
        )
        .await;
    assert_eq!(
        r.field().as_deref(),
        Some("lineId"),
        "components follow their kit"
    );
    // Any line may carry its own description (Boss Manager); on a stocked item only the
    // seller's staff set it (a buyer is FORBIDDEN); manual cost when the company asks.
    let o = t
        .create(
            &acme,
            json!([{"itemId": bolt, "quantity": "1", "description": "Bolt M8, zinc-plated, as agreed"}]),
            json!({}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(
        o["lines"][0]["description"],
        "Bolt M8, zinc-plated, as agreed"
    );
    let r = t
        .create_as(
            &t.app.login("buyer@acme.example").await,
            &acme,
            json!([{"itemId": bolt, "quantity": "1", "description": "special"}]),
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN", "{}", r.0);
    t.settings(json!({"manualCostForNonStocked": true})).await;
    let r = t
        .create_as(
            &t.admin,
            &acme,
            json!([{"itemId": svc, "quantity": "2", "description": "Assembly on site"}]),
            json!({}),
        )
        .await;
    assert_eq!(r.field().as_deref(), Some("lines.0.cost"));
    let o = t.create(&acme, json!([{"itemId": svc, "quantity": "2", "description": "Assembly on site", "cost": "20"}]), json!({})).await["salesOrder"].clone();
    assert_eq!(
        (
            o["lines"][0]["description"].as_str(),
            d(&o["lines"][0]["cost"])
        ),
        (Some("Assembly on site"), dec("20"))
    );
    // Buyers never enter costs; their service lines take the item's cost.
    let buyer = t.app.login("buyer@acme.example").await;
    let r = t
        .create_as(
            &buyer,
            &acme,
            json!([{"itemId": svc, "quantity": "1", "cost": "1"}]),
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    let r = t
        .create_as(
            &buyer,
            &acme,
            json!([{"itemId": svc, "quantity": "1"}]),
            json!({}),
        )
        .await;
    let id = r.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let seen_by_staff = t.order(&t.admin, &id).await;
    assert_eq!(
        d(&seen_by_staff.data()["salesOrder"]["lines"][0]["cost"]),
        Decimal::ZERO
    );
}

#[tokio::test]
async fn only_sellable_items_go_on_sales_lines_r_item_2() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let r = t.app.gql(Some(&t.admin), "mutation { createItem(input: {sku: \"RAW-1\", name: \"Raw steel\", sellable: false}) { item { id } } }", json!({})).await;
    let raw = r.data()["createItem"]["item"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .create_as(&t.admin, &acme, json!([line(&raw, "1")]), json!({}))
        .await;
    assert_eq!(
        (r.code(), r.field().as_deref()),
        ("VALIDATION".into(), Some("lines.0.itemId"))
    );
    let list = t
        .app
        .gql(Some(&t.admin), "{ salesOrders { totalCount } }", json!({}))
        .await;
    assert_eq!(
        list.data()["salesOrders"]["totalCount"],
        0,
        "nothing was saved"
    );
}

#[tokio::test]
async fn lines_are_added_by_barcode_and_described_in_the_order_language_r_item_5() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await; // language es
    let o = t
        .create(
            &acme,
            json!([{"barcode": "8412345000011", "quantity": "5"}]),
            json!({}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(
        (
            o["lines"][0]["item"]["sku"].as_str(),
            o["lines"][0]["description"].as_str()
        ),
        (Some("BOLT-M8"), Some("Tornillo de acero M8"))
    );
    let initech = t.customer("INITECH").await; // en: no description in English, the name is used
    let o = t
        .create(
            &initech,
            json!([{"barcode": "8412345000011", "quantity": "5"}]),
            json!({}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(o["lines"][0]["description"], "Steel bolt M8");
    let r = t
        .create_as(
            &t.admin,
            &acme,
            json!([{"barcode": "0000000000000", "quantity": "1"}]),
            json!({}),
        )
        .await;
    assert_eq!(r.field().as_deref(), Some("lines.0.barcode"));
}

#[tokio::test]
async fn a_unique_per_customer_item_stands_on_one_open_order_per_customer_r_item_6() {
    let t = Demo::new().await;
    let (acme, initech) = (t.customer("ACME").await, t.customer("INITECH").await);
    let (bolt, nut) = (t.item("BOLT-M8").await, t.item("NUT-M8").await);
    let r = t.app.gql(Some(&t.admin), "mutation($i: ID!) { setItemUniquePerCustomer(input: {itemId: $i, unique: true}) { uniquePerCustomer } }", json!({"i": bolt})).await;
    assert_eq!(
        r.data()["setItemUniquePerCustomer"]["uniquePerCustomer"],
        true
    );
    let first = t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .create_as(&t.admin, &acme, json!([line(&bolt, "1")]), json!({}))
        .await;
    assert_eq!(
        (r.code(), r.field().as_deref()),
        ("VALIDATION".into(), Some("lines"))
    );
    let message = r.0["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("A-1"),
        "the other order is not named: {message}"
    );
    // Adding it to another open order of the same customer is refused as well.
    let other = t.create(&acme, json!([line(&nut, "1")]), json!({})).await["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .mutate(
            &t.admin,
            "addSalesOrderLine",
            "AddSalesOrderLineInput",
            json!({"orderId": other, "line": line(&bolt, "1")}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION");
    t.create(&initech, json!([line(&bolt, "1")]), json!({}))
        .await; // another customer may
    t.mutate(
        &t.admin,
        "cancelSalesOrder",
        "DocumentRef",
        json!({"id": first}),
    )
    .await
    .data();
    t.create(&acme, json!([line(&bolt, "1")]), json!({})).await; // free again once cancelled
    // Racing clients: exactly one open order of INITECH's… of a new customer holds the item.
    let r = t.app.gql(Some(&t.admin), "mutation { createCustomer(input: {code: \"RACE\", name: \"Race\"}) { customer { id } } }", json!({})).await;
    let race = r.data()["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tries = (0..12).map(|_| t.create_as(&t.admin, &race, json!([line(&bolt, "1")]), json!({})));
    let results = join_all(tries).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter(|r| !r.is_ok())
            .all(|r| r.code() == "VALIDATION")
    );
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let o = t.create(&acme, json!([line(&bolt, "1")]), json!({})).await["salesOrder"].clone();
    let v = o["version"].as_i64().unwrap();
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": o["id"], "expectedVersion": v, "notes": "first"}),
        )
        .await;
    assert_eq!(r.data()["updateSalesOrder"]["salesOrder"]["version"], v + 1);
    let r = t
        .mutate(
            &t.admin,
            "updateSalesOrder",
            "UpdateSalesOrderInput",
            json!({"id": o["id"], "expectedVersion": v, "notes": "second"}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    let now = t
        .app
        .gql(
            Some(&t.admin),
            "query($id: ID!) { salesOrder(id: $id) { notes version } }",
            json!({"id": o["id"]}),
        )
        .await;
    assert_eq!(now.data()["salesOrder"]["notes"], "first");
}

#[tokio::test]
async fn reps_managers_buyers_and_tokens_see_exactly_their_orders_r_acc_3_to_5() {
    let t = Demo::new().await;
    let (acme, globex, hooli) = (
        t.customer("ACME").await,
        t.customer("GLOBEX").await,
        t.customer("HOOLI").await,
    );
    let bolt = t.item("BOLT-M8").await;
    let ana = t.app.login("ana@iberia.example").await;
    let boris = t.app.login("boris@iberia.example").await;
    let manager = t.app.login("manager@iberia.example").await;
    let buyer = t.app.login("buyer@acme.example").await;
    let warehouse = t.app.login("warehouse@iberia.example").await;
    let by_ana = t
        .create_as(&ana, &acme, json!([line(&bolt, "1")]), json!({}))
        .await;
    let by_ana = by_ana.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_boris = t
        .create_as(&boris, &globex, json!([line(&bolt, "1")]), json!({}))
        .await;
    let by_boris = by_boris.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // GLOBEX is Boris's customer, but this order's rep is Ana: she sees it, by the order rep.
    let ana_rep = t
        .app
        .gql(
            Some(&t.admin),
            "{ salesReps { edges { node { id code } } } }",
            json!({}),
        )
        .await;
    let ana_rep = ana_rep.data()["salesReps"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["code"] == "ANA")
        .unwrap()["node"]["id"]
        .clone();
    let for_ana = t
        .create(
            &globex,
            json!([line(&bolt, "1")]),
            json!({"salesRepId": ana_rep}),
        )
        .await["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hooli_order =
        t.create(&hooli, json!([line(&bolt, "1")]), json!({})).await["salesOrder"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let ids = |token: String| {
        let app = &t.app;
        async move {
            let r = app
                .gql(
                    Some(&token),
                    "{ salesOrders { edges { node { id } } } }",
                    json!({}),
                )
                .await;
            let mut v: Vec<String> = r.data()["salesOrders"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect();
            v.sort();
            v
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        ids(ana.clone()).await,
        sorted(vec![by_ana.clone(), for_ana.clone()])
    );
    assert_eq!(
        ids(boris.clone()).await,
        sorted(vec![by_boris.clone(), for_ana.clone()]),
        "Boris still sees his customer's order"
    );
    assert_eq!(
        ids(manager.clone()).await,
        sorted(vec![by_ana.clone(), for_ana.clone(), hooli_order.clone()])
    );
    assert_eq!(ids(buyer.clone()).await, vec![by_ana.clone()]);
    assert_eq!(ids(warehouse.clone()).await.len(), 4);
    // Lookups outside the scope do not exist.
    assert_eq!(t.order(&ana, &by_boris).await.code(), "NOT_FOUND");
    assert_eq!(t.order(&buyer, &for_ana).await.code(), "NOT_FOUND");
    assert_eq!(
        t.mutate(
            &ana,
            "confirmSalesOrder",
            "ConfirmSalesOrderInput",
            json!({"id": by_boris})
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    // Nested: Ana sees the GLOBEX order but not Boris's customer record through it.
    let nested = t.order(&ana, &for_ana).await;
    assert!(nested.data()["salesOrder"]["customer"].is_null());
    // Buyers order only for themselves and cannot set prices.
    assert_eq!(
        t.create_as(&buyer, &globex, json!([line(&bolt, "1")]), json!({}))
            .await
            .field()
            .as_deref(),
        Some("customerId")
    );
    assert_eq!(
        t.create_as(
            &buyer,
            &acme,
            json!([{"itemId": bolt, "quantity": "1", "unitPrice": "0.01"}]),
            json!({})
        )
        .await
        .code(),
        "FORBIDDEN"
    );
    let own = t
        .create_as(&buyer, &acme, json!([line(&bolt, "1")]), json!({}))
        .await;
    assert!(
        own.data()["createSalesOrder"]["salesOrder"]["lines"][0]["cost"].is_null(),
        "buyers never see costs"
    );
    assert_eq!(
        t.create_as(&warehouse, &acme, json!([line(&bolt, "1")]), json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
    // Tokens: orders:read reads, orders:write writes.
    let token = |scopes: &str| {
        let (app, admin, scopes) = (&t.app, t.admin.clone(), scopes.to_owned());
        async move {
            let r = app.gql(Some(&admin), "mutation($s: [ApiScope!]!) { createApiToken(input: {name: \"p\", scopes: $s}) { token } }", json!({"s": scopes.split(',').collect::<Vec<_>>()})).await;
            r.data()["createApiToken"]["token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let reader = token("ORDERS_READ").await;
    assert_eq!(ids(reader.clone()).await.len(), 5);
    assert_eq!(
        t.create_as(&reader, &acme, json!([line(&bolt, "1")]), json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
    let catalog = token("CATALOG_READ").await;
    assert_eq!(
        t.app
            .gql(Some(&catalog), "{ salesOrders { totalCount } }", json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
    let writer = token("ORDERS_WRITE").await;
    t.create_as(&writer, &acme, json!([line(&bolt, "1")]), json!({}))
        .await
        .data();
}

#[tokio::test]
async fn listing_fifty_orders_with_lines_items_and_customers_costs_a_fixed_number_of_statements() {
    let t = Demo::new().await;
    let (acme, initech) = (t.customer("ACME").await, t.customer("INITECH").await);
    let (bolt, nut, kit) = (
        t.item("BOLT-M8").await,
        t.item("NUT-M8").await,
        t.item("KIT-FIX").await,
    );
    for i in 0..50 {
        let c = if i % 2 == 0 { &acme } else { &initech };
        t.create(
            c,
            json!([line(&bolt, "1"), line(&nut, "1"), line(&kit, "1")]),
            json!({}),
        )
        .await;
    }
    let q = "query($n: Int!) { salesOrders(first: $n) { totalCount edges { node { documentNumber amounts { total } customer { code salesRep { code } } salesRep { code } paymentTerms { code } carrier { code } lines { quantity item { sku } } } } } }";
    let mut counts = vec![];
    for n in [5, 50, 5, 50] {
        let before = t.app.state.statements.get();
        let r = t.app.gql(Some(&t.admin), q, json!({"n": n})).await;
        let after = t.app.state.statements.get();
        assert_eq!(
            r.data()["salesOrders"]["edges"].as_array().unwrap().len(),
            n as usize
        );
        counts.push(after - before);
    }
    // The query's budget, whatever the page size: principal (1) + page rows and total (2) +
    // one batch per nested lookup (reps, customers, terms, carriers, lines, items) + the
    // customers' reps one level deeper (1). Loaders of neighbouring levels sometimes meet in
    // one batch (9 instead of 10); an N+1 would cost 50 or more.
    const BUDGET: u64 = 10;
    assert!(
        counts.iter().all(|c| *c <= BUDGET),
        "statements per page of 5, 50, 5, 50: {counts:?}"
    );
}

#[tokio::test]
async fn quotes_are_updated_rejected_deleted_and_seen_like_orders_r_ord_3() {
    let t = Demo::new().await;
    let (acme, globex) = (t.customer("ACME").await, t.customer("GLOBEX").await);
    let (bolt, nut) = (t.item("BOLT-M8").await, t.item("NUT-M8").await);
    let ana = t.app.login("ana@iberia.example").await;
    let boris = t.app.login("boris@iberia.example").await;
    let create = "mutation($c: ID!, $i: ID!) { createQuote(input: {customerId: $c, lines: [{itemId: $i, quantity: \"10\"}]}) { quote { id version status lines { item { sku } } } } }";
    let q = t
        .app
        .gql(Some(&ana), create, json!({"c": acme, "i": bolt}))
        .await;
    let q = q.data()["createQuote"]["quote"].clone();
    t.app
        .gql(Some(&boris), create, json!({"c": globex, "i": bolt}))
        .await
        .data();
    // All lines replaced at once, with optimistic locking.
    let update = "mutation($id: ID!, $v: Int, $i: ID!) { updateQuote(input: {id: $id, expectedVersion: $v, lines: [{itemId: $i, quantity: \"3\"}], notes: \"revised\"}) { quote { version notes lines { item { sku } quantity } amounts { net } } } }";
    let r = t
        .app
        .gql(
            Some(&ana),
            update,
            json!({"id": q["id"], "v": q["version"], "i": nut}),
        )
        .await;
    let u = &r.data()["updateQuote"]["quote"];
    assert_eq!(
        (u["lines"][0]["item"]["sku"].as_str(), u["notes"].as_str()),
        (Some("NUT-M8"), Some("revised"))
    );
    assert_eq!(d(&u["amounts"]["net"]), dec("29.70"));
    let stale = t
        .app
        .gql(
            Some(&ana),
            update,
            json!({"id": q["id"], "v": q["version"], "i": bolt}),
        )
        .await;
    assert_eq!(stale.code(), "CONFLICT");
    // Visibility: each rep lists their own customers' quotes.
    let list = |token: String| {
        let app = &t.app;
        async move {
            let r = app
                .gql(
                    Some(&token),
                    "{ quotes { totalCount edges { node { customer { code } } } } }",
                    json!({}),
                )
                .await;
            r.data()["quotes"]["totalCount"].as_i64().unwrap()
        }
    };
    assert_eq!(
        (
            list(ana.clone()).await,
            list(boris.clone()).await,
            list(t.admin.clone()).await
        ),
        (1, 1, 2)
    );
    let peek = t
        .app
        .gql(
            Some(&boris),
            "query($id: ID!) { quote(id: $id) { id } }",
            json!({"id": q["id"]}),
        )
        .await;
    assert_eq!(peek.code(), "NOT_FOUND");
    // Rejected quotes cannot be accepted; they can be deleted.
    let r = t
        .app
        .gql(
            Some(&ana),
            "mutation($id: ID!) { rejectQuote(input: {id: $id}) { quote { status } } }",
            json!({"id": q["id"]}),
        )
        .await;
    assert_eq!(r.data()["rejectQuote"]["quote"]["status"], "REJECTED");
    let r = t
        .app
        .gql(
            Some(&ana),
            "mutation($id: ID!) { acceptQuote(input: {id: $id}) { quote { status } } }",
            json!({"id": q["id"]}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    let r = t
        .app
        .gql(
            Some(&ana),
            "mutation($id: ID!) { deleteQuote(input: {id: $id}) { deletedId } }",
            json!({"id": q["id"]}),
        )
        .await;
    assert_eq!(r.data()["deleteQuote"]["deletedId"], q["id"]);
    assert_eq!(list(ana).await, 0);
}

#[tokio::test]
async fn twenty_clients_adding_lines_to_one_order_lose_nothing() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let bolt = t.item("BOLT-M8").await;
    let o = t
        .create(
            &acme,
            json!([line(&bolt, "1")]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    let ana = t.app.login("ana@iberia.example").await;
    let adds = (0..20).map(|k| {
        let token = if k % 2 == 0 {
            t.admin.clone()
        } else {
            ana.clone()
        };
        let (t, id, bolt) = (&t, o["id"].clone(), bolt.clone());
        async move {
            t.mutate(
                &token,
                "addSalesOrderLine",
                "AddSalesOrderLineInput",
                json!({"orderId": id, "line": line(&bolt, "1")}),
            )
            .await
        }
    });
    for r in join_all(adds).await {
        r.data();
    }
    let now = t.order(&t.admin, o["id"].as_str().unwrap()).await;
    let now = &now.data()["salesOrder"];
    let mut positions: Vec<i64> = now["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["position"].as_i64().unwrap())
        .collect();
    positions.sort();
    assert_eq!(positions, (1..=21).collect::<Vec<i64>>());
    assert_eq!(
        now["version"].as_i64(),
        Some(o["version"].as_i64().unwrap() + 20)
    );
    // 21 bolts at ACME's 0.30.
    assert_eq!(d(&now["amounts"]["net"]), dec("6.30"));
}

#[tokio::test]
async fn removing_a_kit_line_removes_its_components_and_the_rest_close_up() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (bolt, kit, nut) = (
        t.item("BOLT-M8").await,
        t.item("KIT-FIX").await,
        t.item("NUT-M8").await,
    );
    let o = t
        .create(
            &acme,
            json!([line(&kit, "1"), line(&bolt, "10"), line(&nut, "1")]),
            json!({"freightTerms": "PREPAID"}),
        )
        .await["salesOrder"]
        .clone();
    assert_eq!(o["lines"].as_array().unwrap().len(), 5);
    let r = t
        .mutate(
            &t.admin,
            "removeSalesOrderLine",
            "SalesOrderLineRef",
            json!({"lineId": o["lines"][0]["id"]}),
        )
        .await;
    let o = &r.data()["removeSalesOrderLine"]["salesOrder"];
    let lines: Vec<(i64, &str)> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["position"].as_i64().unwrap(),
                l["item"]["sku"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, vec![(1, "BOLT-M8"), (2, "NUT-M8")]);
    // 10 × 0.30 + 9.90
    assert_eq!(d(&o["amounts"]["net"]), dec("12.90"));
    let component =
        t.create(&acme, json!([line(&kit, "1")]), json!({})).await["salesOrder"]["lines"][1]["id"]
            .clone();
    let r = t
        .mutate(
            &t.admin,
            "removeSalesOrderLine",
            "SalesOrderLineRef",
            json!({"lineId": component}),
        )
        .await;
    assert_eq!(
        r.field().as_deref(),
        Some("lineId"),
        "a component goes with its kit only"
    );
}

#[tokio::test]
async fn the_order_list_filters_and_pages_newest_first() {
    let t = Demo::new().await;
    let (acme, initech) = (t.customer("ACME").await, t.customer("INITECH").await);
    let bolt = t.item("BOLT-M8").await;
    let mut ids = vec![];
    for (i, c) in [&acme, &initech, &acme, &initech, &acme]
        .into_iter()
        .enumerate()
    {
        let date = format!("2026-11-{:02}", 10 + i);
        let o = t
            .create(
                c,
                json!([line(&bolt, "1")]),
                json!({"orderDate": date, "customerReference": format!("PO-{i}")}),
            )
            .await;
        ids.push(o["salesOrder"]["id"].as_str().unwrap().to_owned());
    }
    let page = |filter: Value, first: i64, after: Option<String>| {
        let app = &t.app;
        let admin = t.admin.clone();
        async move {
            let r = app
                .gql(Some(&admin), "query($f: SalesOrderFilter, $n: Int, $a: String) { salesOrders(filter: $f, first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }", json!({"f": filter, "n": first, "a": after}))
                .await;
            r.data()["salesOrders"].clone()
        }
    };
    let ids_of = |conn: &Value| -> Vec<String> {
        conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = page(json!({}), 2, None).await;
    assert_eq!(
        ids_of(&first),
        vec![ids[4].clone(), ids[3].clone()],
        "newest first"
    );
    assert_eq!(
        (
            first["totalCount"].as_i64(),
            first["pageInfo"]["hasNextPage"].as_bool()
        ),
        (Some(5), Some(true))
    );
    let next = page(
        json!({}),
        2,
        first["pageInfo"]["endCursor"].as_str().map(str::to_owned),
    )
    .await;
    assert_eq!(ids_of(&next), vec![ids[2].clone(), ids[1].clone()]);
    assert_eq!(
        page(json!({"customerId": acme}), 10, None).await["totalCount"],
        3
    );
    assert_eq!(
        page(json!({"from": "2026-11-11", "to": "2026-11-13"}), 10, None).await["totalCount"],
        3
    );
    assert_eq!(
        ids_of(&page(json!({"search": "po-3"}), 10, None).await),
        vec![ids[3].clone()]
    );
    assert_eq!(
        ids_of(&page(json!({"search": "A-2"}), 10, None).await),
        vec![ids[1].clone()],
        "by document number"
    );
    let ana_rep = t
        .app
        .gql(
            Some(&t.admin),
            "{ salesReps { edges { node { id code } } } }",
            json!({}),
        )
        .await;
    let ana_rep = ana_rep.data()["salesReps"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["code"] == "ANA")
        .unwrap()["node"]["id"]
        .clone();
    assert_eq!(
        page(json!({"salesRepId": ana_rep}), 10, None).await["totalCount"],
        5
    );
    let bad = t
        .app
        .gql(
            Some(&t.admin),
            "{ salesOrders(after: \"nonsense\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(bad.field().as_deref(), Some("after"));
}

#[tokio::test]
async fn an_accepted_quote_keeps_its_kit_components_under_the_copied_kit_r_ord_3() {
    let t = Demo::new().await;
    let acme = t.customer("ACME").await;
    let (bolt, kit) = (t.item("BOLT-M8").await, t.item("KIT-FIX").await);
    let q = t
        .app
        .gql(
            Some(&t.admin),
            "mutation($c: ID!, $b: ID!, $k: ID!) { createQuote(input: {customerId: $c, lines: [{itemId: $b, quantity: \"5\"}, {itemId: $k, quantity: \"2\"}]}) { quote { id } } }",
            json!({"c": acme, "b": bolt, "k": kit}),
        )
        .await;
    let id = q.data()["createQuote"]["quote"]["id"].clone();
    let r = t
        .app
        .gql(
            Some(&t.admin),
            "mutation($id: ID!) { acceptQuote(input: {id: $id}) { salesOrder { lines { id position parentLineId item { sku } quantity } } } }",
            json!({"id": id}),
        )
        .await;
    let lines = r.data()["acceptQuote"]["salesOrder"]["lines"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(lines.len(), 4);
    let kit_line = lines
        .iter()
        .find(|l| l["item"]["sku"] == "KIT-FIX")
        .unwrap();
    let components: Vec<&Value> = lines
        .iter()
        .filter(|l| !l["parentLineId"].is_null())
        .collect();
    assert_eq!(components.len(), 2);
    assert!(
        components
            .iter()
            .all(|c| c["parentLineId"] == kit_line["id"] && c["position"] == 2)
    );
    assert_eq!(d(&components[0]["quantity"]), dec("20"));
}

/// Documents attached to an order (R-PAY-1): listed on it, removal kept and logged; bad URLs
/// and other reps' orders refused.
#[tokio::test]
async fn documents_are_attached_to_orders_and_their_removal_is_logged_r_pay_1() {
    let d = api_tests::demo::Demo::new().await;
    let ana = d.app.login("ana@iberia.example").await;
    let boris = d.app.login("boris@iberia.example").await;
    let r = d
        .create_as(
            &ana,
            &d.acme,
            json!([{"itemId": d.bolt, "quantity": "1"}]),
            json!({}),
        )
        .await;
    let order = r.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let attach = |token: String, url: &'static str| {
        let (app, order) = (&d.app, order.clone());
        async move {
            app.gql(
                Some(&token),
                "mutation($o: ID!, $u: String!) { attachOrderDocument(input: {orderId: $o, kind: CONTRACT, name: \"Framework contract\", url: $u}) { document { id name removedAt } } }",
                json!({"o": order, "u": url}),
            )
            .await
        }
    };
    assert_eq!(
        attach(ana.clone(), "javascript:alert(1)").await.code(),
        "VALIDATION"
    );
    assert_eq!(
        attach(boris.clone(), "https://docs.example/c.pdf")
            .await
            .code(),
        "NOT_FOUND"
    );
    let r = attach(ana.clone(), "https://docs.example/c.pdf").await;
    let doc = r.data()["attachOrderDocument"]["document"]["id"].clone();
    let r = d
        .app
        .gql(
            Some(&ana),
            "mutation($i: ID!) { removeOrderDocument(input: {id: $i}) { document { removedAt } } }",
            json!({"i": doc}),
        )
        .await;
    assert!(!r.data()["removeOrderDocument"]["document"]["removedAt"].is_null());
    let r = d
        .app
        .gql(
            Some(&ana),
            "query($o: ID!) { salesOrder(id: $o) { documents { name removedAt } events { kind } } }",
            json!({"o": order}),
        )
        .await;
    let o = &r.data()["salesOrder"];
    assert_eq!(
        o["documents"].as_array().unwrap().len(),
        1,
        "kept, marked removed"
    );
    let kinds: Vec<&str> = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"DOCUMENT_ATTACHED") && kinds.contains(&"DOCUMENT_REMOVED"),
        "{kinds:?}"
    );
}

/// R-ORD-1: the ship-to address of a new order is the customer's default shipping address —
/// not its billing address, not the first shipping address when another is the default; a
/// customer without a default ships to its first shipping address. (Read in the same statement
/// as the customer since issue 15.)
#[tokio::test]
async fn a_new_order_ships_to_the_customers_default_shipping_address_r_ord_1() {
    let t = Demo::new().await;
    let ana = t.app.id_of(&t.admin, "salesReps", "ANA").await;
    let bolt = t.item("BOLT-M8").await;
    let address = |kind: &str, city: &str, default: bool| json!({"kind": kind, "name": city, "line1": "Calle 1", "city": city, "country": "ES", "isDefault": default});
    let customer = |code: &str, addresses: Value| {
        let (t, ana) = (&t, &ana);
        let code = code.to_owned();
        async move {
            let r = t
                .app
                .gql(
                    Some(&t.admin),
                    "mutation($input: CustomerInput!) { createCustomer(input: $input) { customer { id addresses { id city } } } }",
                    json!({"input": {"code": code, "name": "Ship Co", "salesRepId": ana, "addresses": addresses}}),
                )
                .await;
            r.data()["createCustomer"]["customer"].clone()
        }
    };
    let id_of_city = |c: &Value, city: &str| {
        c["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["city"] == city)
            .unwrap()["id"]
            .clone()
    };
    let ship_to = |c: Value| {
        let t = &t;
        let bolt = bolt.clone();
        async move {
            let o = t
                .create(
                    c["id"].as_str().unwrap(),
                    json!([line(&bolt, "1")]),
                    json!({}),
                )
                .await;
            let id = o["salesOrder"]["id"].as_str().unwrap().to_owned();
            t.app
                .gql(
                    Some(&t.admin),
                    "query($id: ID!) { salesOrder(id: $id) { shipToAddressId } }",
                    json!({ "id": id }),
                )
                .await
                .data()["salesOrder"]["shipToAddressId"]
                .clone()
        }
    };
    let with_default = customer(
        "SHIPDEF",
        json!([
            address("BILLING", "Bilbao", true),
            address("SHIPPING", "Toledo", false),
            address("SHIPPING", "Cuenca", true),
        ]),
    )
    .await;
    assert_eq!(
        ship_to(with_default.clone()).await,
        id_of_city(&with_default, "Cuenca")
    );
    let without_default = customer(
        "SHIPFIRST",
        json!([
            address("BILLING", "Bilbao", true),
            address("SHIPPING", "Toledo", false),
            address("SHIPPING", "Cuenca", false),
        ]),
    )
    .await;
    assert_eq!(
        ship_to(without_default.clone()).await,
        id_of_city(&without_default, "Toledo")
    );
    let no_shipping = customer("SHIPNONE", json!([address("BILLING", "Bilbao", true)])).await;
    assert_eq!(ship_to(no_shipping).await, Value::Null);
}
