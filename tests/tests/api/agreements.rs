//! Sales and purchase agreements (R-AGR-1…3, R-ORD-6): status rules, validity, agreement
//! prices, orders placed from an agreement, released / fulfilled / remaining moving exactly
//! with every order step, and concurrent orders against one commitment.
use api_tests::agreements::{Deals, LINE, deals, figs};
use api_tests::billing::d;
use api_tests::fulfil::dec;
use api_tests::ws;
use serde_json::{Value, json};
use std::time::Duration;

/// 1,000 bolts at 0.25 for ACME (its own price is 0.30, the list price 0.35).
async fn thousand_bolts(x: &Deals, status: &str) -> (String, String) {
    let (a, lines) = x
        .sales_agreement(
            &x.w.acme,
            json!([{"commitment": "PRODUCT_QUANTITY", "itemId": x.w.bolt, "quantity": "1000", "unitPrice": "0.25"}]),
            status,
        )
        .await;
    (a, lines[0].clone())
}

fn order_id(r: &api_tests::Gql) -> String {
    r.data()["createSalesOrderFromAgreement"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_thousand_unit_agreement_walks_through_orders_confirm_ship_cancel_and_close_r_agr_1_3() {
    let x = deals().await;
    let admin = x.w.admin.clone();
    let (agreement, line) = thousand_bolts(&x, "ON_HOLD").await;

    // ON_HOLD refuses orders (R-AGR-3).
    let r = x
        .order_from(&admin, &agreement, "2026-12-20", &[(&line, "600")])
        .await;
    assert_eq!(r.code(), "INVALID_STATE", "{:?}", r.0);
    x.set_status(&admin, &agreement, "EFFECTIVE").await.data();
    // Outside the validity window: VALIDATION naming the date.
    let r = x
        .order_from(&admin, &agreement, "2028-01-15", &[(&line, "600")])
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("requestedReceiptDate".into()))
    );
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["0", "0", "0", "0", "1000"]),
        "refused orders change nothing"
    );

    // Inside it: priced AGREEMENT, linked, released at once.
    let r = x
        .order_from(&admin, &agreement, "2026-12-20", &[(&line, "600")])
        .await;
    let o = &r.data()["createSalesOrderFromAgreement"];
    assert_eq!(o["warnings"], json!([]));
    let so = &o["salesOrder"];
    assert_eq!(so["agreement"]["id"], agreement.as_str());
    assert_eq!(so["deliveryDate"], "2026-12-20");
    assert_eq!(so["lines"][0]["priceSource"], "AGREEMENT");
    assert_eq!(dec(&so["lines"][0]["unitPrice"]), d("0.25"));
    assert_eq!(so["lines"][0]["agreementLine"]["id"], line.as_str());
    let first = order_id(&r);
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["600", "150", "0", "0", "400"])
    );

    // A second order, cancelled: its 300 go back.
    let second = order_id(
        &x.order_from(&admin, &agreement, "2026-12-21", &[(&line, "300")])
            .await,
    );
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["900", "225", "0", "0", "100"])
    );
    x.cancel(&second).await;
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["600", "150", "0", "0", "400"])
    );

    // Confirming moves nothing; shipping the 100 on hand moves 100 from released to fulfilled.
    x.w.confirm(&admin, &first, true).await.data();
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["600", "150", "0", "0", "400"])
    );
    x.gql(
        &x.w.warehouse,
        "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { id } } }",
        json!({"i": {"orderId": first}}),
    )
    .await
    .data();
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["500", "125", "100", "25", "400"])
    );

    // Beyond the remaining 400: the excess is a line of its own at ACME's own price.
    let r = x
        .order_from(&admin, &agreement, "2026-12-22", &[(&line, "500")])
        .await;
    let o = &r.data()["createSalesOrderFromAgreement"];
    assert_eq!(o["warnings"][0]["code"], "AGREEMENT_EXCEEDED");
    let lines = &o["salesOrder"]["lines"];
    let priced: Vec<(String, String, String)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                dec(&l["quantity"]).normalize().to_string(),
                dec(&l["unitPrice"]).normalize().to_string(),
                l["priceSource"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        priced,
        [
            ("400".into(), "0.25".into(), "AGREEMENT".into()),
            ("100".into(), "0.3".into(), "CUSTOMER".into())
        ]
    );
    assert!(lines[1]["agreementLine"].is_null());
    let third = order_id(&r);
    let third_line = lines[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["900", "225", "100", "25", "0"])
    );

    // Closing the first order gives back what it will never ship.
    x.gql(
        &admin,
        "mutation($i: DocumentRef!) { closeSalesOrder(input: $i) { salesOrder { status } } }",
        json!({"i": {"id": first}}),
    )
    .await
    .data();
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["400", "100", "100", "25", "500"])
    );

    // Raising a line beyond what is left is refused and changes nothing; up to it is fine.
    let raise = |q: &'static str| {
        x.gql(
            &admin,
            "mutation($i: UpdateSalesOrderLineInput!) { updateSalesOrderLine(input: $i) { salesOrder { id } } }",
            json!({"i": {"lineId": third_line, "quantity": q}}),
        )
    };
    let r = raise("901").await;
    assert_eq!(r.code(), "VALIDATION", "{:?}", r.0);
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["400", "100", "100", "25", "500"])
    );
    raise("900").await.data();
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["900", "225", "100", "25", "0"])
    );
    // Deleting the draft gives everything back.
    x.gql(
        &admin,
        "mutation($i: DocumentRef!) { deleteSalesOrder(input: $i) { deletedId } }",
        json!({"i": {"id": third}}),
    )
    .await
    .data();
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["0", "0", "100", "25", "900"])
    );
    let r = x
        .gql(
            &admin,
            "query($a: ID!) { agreementFulfilment(agreementId: $a) { totals { committedValue releasedValue fulfilledValue remainingValue fulfilledPercent } } }",
            json!({"a": agreement}),
        )
        .await;
    let t = &r.data()["agreementFulfilment"]["totals"];
    assert_eq!(
        [
            dec(&t["committedValue"]),
            dec(&t["fulfilledValue"]),
            dec(&t["remainingValue"]),
            dec(&t["fulfilledPercent"])
        ],
        [d("250"), d("25"), d("225"), d("10")]
    );

    // CLOSED is final; an EFFECTIVE agreement's end only moves later.
    let r = x
        .gql(
            &admin,
            "mutation($i: UpdateAgreementInput!) { updateAgreement(input: $i) { agreement { validTo } } }",
            json!({"i": {"id": agreement, "validTo": "2027-06-30"}}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    let r = x
        .gql(
            &admin,
            "mutation($i: UpdateAgreementInput!) { updateAgreement(input: $i) { agreement { validTo version } } }",
            json!({"i": {"id": agreement, "validTo": "2028-06-30"}}),
        )
        .await;
    assert_eq!(
        r.data()["updateAgreement"]["agreement"]["validTo"],
        "2028-06-30"
    );
    x.set_status(&admin, &agreement, "CLOSED").await.data();
    assert_eq!(
        x.set_status(&admin, &agreement, "EFFECTIVE").await.code(),
        "INVALID_STATE"
    );
}

/// R-ORD-6 with R-AGR-2: agreement price > customer price > list price, on sales orders; on
/// purchase orders agreement price > the item's cost, and a typed price beats both.
#[tokio::test]
async fn agreement_prices_beat_customer_and_list_prices_on_sales_and_purchase_orders_r_agr_2() {
    let x = deals().await;
    let admin = x.w.admin.clone();
    let oil = x.app().id_of(&admin, "items", "OIL-1L").await;
    let order = |customer: String, item: String| {
        let (x, admin) = (&x, admin.clone());
        async move {
            let r = x
                .gql(
                    &admin,
                    "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { lines { unitPrice discountPercent priceSource agreementLine { id } } } } }",
                    json!({"i": {"customerId": customer, "lines": [{"itemId": item, "quantity": "10"}]}}),
                )
                .await;
            let l = r.data()["createSalesOrder"]["salesOrder"]["lines"][0].clone();
            (
                dec(&l["unitPrice"]),
                dec(&l["discountPercent"]),
                l["priceSource"].as_str().unwrap().to_owned(),
                l["agreementLine"]["id"].as_str().map(str::to_owned),
            )
        }
    };
    let list = |p: &str| (d(p), d("0"), "LIST".to_owned(), None);
    assert_eq!(
        order(x.w.initech.clone(), x.w.bolt.clone()).await,
        list("0.35")
    );
    assert_eq!(
        order(x.w.acme.clone(), x.w.bolt.clone()).await,
        (d("0.30"), d("0"), "CUSTOMER".into(), None)
    );
    // ON_HOLD agreements price nothing.
    let (agreement, lines) = x
        .sales_agreement(
            &x.w.acme,
            json!([
                {"commitment": "PRODUCT_QUANTITY", "itemId": x.w.bolt, "quantity": "1000", "unitPrice": "0.25", "discountPercent": "2"},
                {"commitment": "VALUE", "value": "5000", "discountPercent": "10"},
            ]),
            "ON_HOLD",
        )
        .await;
    assert_eq!(
        order(x.w.acme.clone(), x.w.bolt.clone()).await.2,
        "CUSTOMER"
    );
    x.set_status(&admin, &agreement, "EFFECTIVE").await.data();
    assert_eq!(
        order(x.w.acme.clone(), x.w.bolt.clone()).await,
        (
            d("0.25"),
            d("2"),
            "AGREEMENT".into(),
            Some(lines[0].clone())
        )
    );
    // The VALUE line's discount applies to any other item, on its trade price.
    assert_eq!(
        order(x.w.acme.clone(), oil.clone()).await,
        (
            d("12.50"),
            d("10"),
            "AGREEMENT".into(),
            Some(lines[1].clone())
        )
    );
    // Kits and services fulfil nothing of their own: trade terms.
    let kit = x.app().id_of(&admin, "items", "KIT-FIX").await;
    assert_eq!(order(x.w.acme.clone(), kit).await, list("19.90"));
    assert_eq!(
        order(x.w.initech.clone(), x.w.bolt.clone()).await,
        list("0.35"),
        "another customer's agreement does not apply"
    );
    // 10 bolts (24.50) and 10 oils (112.50) released on their lines.
    assert_eq!(x.figures(&agreement, 0).await[0..2], [d("10"), d("2.45")]);
    assert_eq!(
        x.figures(&agreement, 1).await,
        figs(["10", "112.5", "0", "0", "4887.5"])
    );

    // Purchase side: the item's cost (0.12), then the agreement (0.10 less 5 %), a typed cost.
    let po = |cost: Option<&str>| {
        let mut line = json!({"itemId": x.w.bolt, "quantity": "50"});
        if let Some(c) = cost {
            line["unitCost"] = json!(c);
        }
        let (x, v) = (&x, json!({"i": {"supplierId": x.tools, "lines": [line]}}));
        async move {
            let r = x
                .gql(
                    &x.w.purchasing,
                    "mutation($i: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $i) { purchaseOrder { id lines { unitCost priceSource agreementLine { id } } } } }",
                    v,
                )
                .await;
            let l = r.data()["createPurchaseOrder"]["purchaseOrder"]["lines"][0].clone();
            (
                dec(&l["unitCost"]),
                l["priceSource"].as_str().unwrap().to_owned(),
                l["agreementLine"]["id"].as_str().map(str::to_owned),
            )
        }
    };
    assert_eq!(po(None).await, (d("0.12"), "LIST".into(), None));
    let (purchase, plines) = x
        .purchase_agreement(
            json!([{"commitment": "PRODUCT_QUANTITY", "itemId": x.w.bolt, "quantity": "500", "unitPrice": "0.10", "discountPercent": "5"}]),
            "EFFECTIVE",
        )
        .await;
    assert_eq!(
        po(None).await,
        (d("0.095"), "AGREEMENT".into(), Some(plines[0].clone()))
    );
    assert_eq!(po(Some("0.11")).await, (d("0.11"), "MANUAL".into(), None));
    assert_eq!(
        x.figures(&purchase, 0).await,
        figs(["50", "4.75", "0", "0", "450"])
    );
}

/// R-AGR-3 on the purchase side: an order from a purchase agreement, received in part, then
/// cancelled — released moves to fulfilled on receipt and back on cancel.
#[tokio::test]
async fn purchase_orders_from_an_agreement_release_on_entry_and_fulfil_on_receipt_r_agr_1() {
    let x = deals().await;
    let (purchase, lines) = x
        .purchase_agreement(
            json!([{"commitment": "PRODUCT_QUANTITY", "itemId": x.w.bolt, "quantity": "500", "unitPrice": "0.10"}]),
            "ON_HOLD",
        )
        .await;
    let from = |date: &str, q: &str| {
        let v = json!({"i": {"agreementId": purchase, "deliveryDate": date, "lines": [{"agreementLineId": lines[0], "quantity": q}]}});
        x.gql(
            &x.w.purchasing,
            "mutation($i: CreatePurchaseOrderFromAgreementInput!) { createPurchaseOrderFromAgreement(input: $i) { purchaseOrder { id expectedDate agreement { id } lines { id quantity unitCost priceSource } } warnings { code } } }",
            v,
        )
    };
    assert_eq!(from("2026-12-20", "200").await.code(), "INVALID_STATE");
    x.set_status(&x.w.purchasing, &purchase, "EFFECTIVE")
        .await
        .data();
    let r = from("2025-12-20", "200").await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("deliveryDate".into()))
    );
    let r = from("2026-12-20", "200").await;
    let po = r.data()["createPurchaseOrderFromAgreement"]["purchaseOrder"].clone();
    assert_eq!(po["expectedDate"], "2026-12-20");
    assert_eq!(po["agreement"]["id"], purchase.as_str());
    assert_eq!(po["lines"][0]["priceSource"], "AGREEMENT");
    assert_eq!(
        x.figures(&purchase, 0).await,
        figs(["200", "20", "0", "0", "300"])
    );
    let po_id = po["id"].as_str().unwrap();
    x.gql(
        &x.w.purchasing,
        "mutation($i: IdInput!) { confirmPurchaseOrder(input: $i) { purchaseOrder { id } } }",
        json!({"i": {"id": po_id}}),
    )
    .await
    .data();
    let r = x
        .gql(
            &x.w.warehouse,
            "mutation($i: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $i) { receipt { id } } }",
            json!({"i": {"purchaseOrderId": po_id, "lines": [{"lineId": po["lines"][0]["id"], "quantity": "80"}]}}),
        )
        .await;
    let receipt = r.data()["receivePurchaseOrder"]["receipt"]["id"].clone();
    assert_eq!(
        x.figures(&purchase, 0).await,
        figs(["200", "20", "0", "0", "300"]),
        "a draft receipt moves nothing"
    );
    x.gql(
        &x.w.warehouse,
        "mutation($i: IdInput!) { confirmReceipt(input: $i) { receipt { id } } }",
        json!({"i": {"id": receipt}}),
    )
    .await
    .data();
    assert_eq!(
        x.figures(&purchase, 0).await,
        figs(["120", "12", "80", "8", "300"])
    );
    // Beyond what is left: the excess at the item's cost.
    let r = from("2026-12-21", "400").await;
    let o = &r.data()["createPurchaseOrderFromAgreement"];
    assert_eq!(o["warnings"][0]["code"], "AGREEMENT_EXCEEDED");
    let costs: Vec<(String, String)> = o["purchaseOrder"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                dec(&l["quantity"]).normalize().to_string(),
                l["priceSource"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        costs,
        [
            ("300".into(), "AGREEMENT".into()),
            ("100".into(), "LIST".into())
        ]
    );
    let second = o["purchaseOrder"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        x.figures(&purchase, 0).await,
        figs(["420", "42", "80", "8", "0"])
    );
    x.gql(
        &x.w.purchasing,
        "mutation($i: IdInput!) { cancelPurchaseOrder(input: $i) { purchaseOrder { status } } }",
        json!({"i": {"id": second}}),
    )
    .await
    .data();
    assert_eq!(
        x.figures(&purchase, 0).await,
        figs(["120", "12", "80", "8", "300"])
    );
}

/// Sixteen clients order 100 each against one 1,000-unit line at once, then half of them are
/// cancelled at once: released stays exact (no lost update), the commitment never holds more
/// than it has, and what did not fit went out at the trade price (both backends).
#[tokio::test]
async fn concurrent_orders_against_one_commitment_keep_released_exact_r_agr_1() {
    let x = deals().await;
    let (agreement, line) = thousand_bolts(&x, "EFFECTIVE").await;
    let ana = x.app().login("ana@iberia.example").await;
    let tokens = [x.w.admin.clone(), ana];
    let results = futures_util::future::join_all((0..16).map(|i| {
        let (x, agreement, line, token) = (&x, &agreement, &line, &tokens[i % 2]);
        async move {
            x.order_from(token, agreement, "2026-12-20", &[(line, "100")])
                .await
        }
    }))
    .await;
    let mut on_agreement = d("0");
    let mut at_trade = d("0");
    let mut orders = vec![];
    for r in &results {
        let o = &r.data()["createSalesOrderFromAgreement"]["salesOrder"];
        orders.push(o["id"].as_str().unwrap().to_owned());
        for l in o["lines"].as_array().unwrap() {
            if l["priceSource"] == "AGREEMENT" {
                on_agreement += dec(&l["quantity"]);
            } else {
                at_trade += dec(&l["quantity"]);
            }
        }
    }
    assert_eq!((on_agreement, at_trade), (d("1000"), d("600")));
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["1000", "250", "0", "0", "0"])
    );
    // Cancel eight at once; their agreement parts come back exactly.
    let cancelled: Vec<&String> = orders.iter().step_by(2).collect();
    let mut given_back = d("0");
    for r in &results.iter().step_by(2).collect::<Vec<_>>() {
        for l in r.data()["createSalesOrderFromAgreement"]["salesOrder"]["lines"]
            .as_array()
            .unwrap()
        {
            if l["priceSource"] == "AGREEMENT" {
                given_back += dec(&l["quantity"]);
            }
        }
    }
    futures_util::future::join_all(cancelled.iter().map(|o| x.cancel(o))).await;
    let left = d("1000") - given_back;
    assert_eq!(
        x.figures(&agreement, 0).await,
        [left, left * d("0.25"), d("0"), d("0"), given_back]
    );
    // The agreement's figures equal the sum over the orders still open.
    let r = x
        .gql(
            &x.w.admin,
            "{ salesOrders(first: 100, filter: {status: DRAFT}) { edges { node { lines { quantity agreementLine { id } } } } } }",
            json!({}),
        )
        .await;
    let open: rust_decimal::Decimal = r.data()["salesOrders"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["node"]["lines"].as_array().unwrap().clone())
        .filter(|l| !l["agreementLine"].is_null())
        .map(|l| dec(&l["quantity"]))
        .sum();
    assert_eq!(open, left);
}

/// Agreement events reach those who see the agreement: Ana (ACME is hers) hears ACME's
/// sales agreement being made effective and fulfilled, Boris nothing; purchasing hears
/// purchase agreements; the warehouse may not subscribe (R-ACC-8).
#[tokio::test]
async fn agreement_events_reach_those_who_see_the_agreement() {
    let x = deals().await;
    let ana = x.app().login("ana@iberia.example").await;
    let boris = x.app().login("boris@iberia.example").await;
    let q = "subscription($f: AgreementEventFilter) { salesAgreementEvents(filter: $f) { kind agreementId status agreement { number } details } }";
    let mut ws_ana = ws::connect(&x.app().url, &ana).await;
    let mut ws_boris = ws::connect(&x.app().url, &boris).await;
    let mut ws_wh = ws::connect(&x.app().url, &x.w.warehouse).await;
    let mut ws_buy = ws::connect(&x.app().url, &x.w.purchasing).await;
    ws::subscribe(&mut ws_ana, "1", q, json!({})).await;
    ws::subscribe(&mut ws_boris, "1", q, json!({})).await;
    ws::subscribe(&mut ws_wh, "1", q, json!({})).await;
    ws::subscribe(
        &mut ws_buy,
        "1",
        "subscription { purchaseAgreementEvents { kind agreementId } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (agreement, line) = thousand_bolts(&x, "EFFECTIVE").await;
    let order = order_id(
        &x.order_from(&x.w.admin, &agreement, "2026-12-20", &[(&line, "50")])
            .await,
    );
    x.w.confirm(&x.w.admin, &order, false).await.data();
    x.gql(
        &x.w.warehouse,
        "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { id } } }",
        json!({"i": {"orderId": order}}),
    )
    .await
    .data();
    let (purchase, _) = x
        .purchase_agreement(
            json!([{"commitment": "PRODUCT_VALUE", "itemId": x.w.bolt, "value": "100"}]),
            "ON_HOLD",
        )
        .await;

    let mut got: Vec<Value> = vec![];
    while got.len() < 3 {
        let e = ws::next_data(&mut ws_ana, "1", Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("only {got:?} arrived"));
        got.push(e["salesAgreementEvents"].clone());
    }
    let kinds: Vec<&str> = got.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["CREATED", "STATUS_CHANGED", "LINE_FULFILLED"]);
    assert!(got.iter().all(|e| e["agreementId"] == agreement.as_str()));
    assert_eq!(got[1]["details"]["to"], "EFFECTIVE");
    assert_eq!(
        dec(&got[2]["details"]["lines"][0]["fulfilledQuantity"]),
        d("50")
    );
    assert!(
        ws::next_data(&mut ws_boris, "1", Duration::from_millis(500))
            .await
            .is_none(),
        "Boris does not see ACME"
    );
    let e = ws::next(&mut ws_wh, Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        e["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{e}"
    );
    let e = ws::next_data(&mut ws_buy, "1", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(e["purchaseAgreementEvents"]["kind"], "CREATED");
    assert_eq!(
        e["purchaseAgreementEvents"]["agreementId"],
        purchase.as_str()
    );
}

/// Bad agreements are refused with VALIDATION and create nothing.
#[tokio::test]
async fn bad_agreements_are_refused_with_the_field_named() {
    let x = deals().await;
    let make = |lines: Value, from: &str, to: &str| {
        let v = json!({"i": {"customerId": x.w.acme, "validFrom": from, "validTo": to, "lines": lines}});
        x.gql(
            &x.w.admin,
            "mutation($i: CreateSalesAgreementInput!) { createSalesAgreement(input: $i) { agreement { id } } }",
            v,
        )
    };
    let bolt = |extra: Value| {
        let mut l = json!({"commitment": "PRODUCT_QUANTITY", "itemId": x.w.bolt, "quantity": "10"});
        l.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        l
    };
    let cases = [
        (
            make(json!([bolt(json!({}))]), "2026-12-31", "2026-01-01").await,
            "validTo",
        ),
        (
            make(
                json!([bolt(json!({"quantity": null}))]),
                "2026-01-01",
                "2026-12-31",
            )
            .await,
            "lines.0.quantity",
        ),
        (
            make(
                json!([bolt(json!({"quantity": "-1"}))]),
                "2026-01-01",
                "2026-12-31",
            )
            .await,
            "lines.0.quantity",
        ),
        (
            make(
                json!([bolt(json!({"discountPercent": "101"}))]),
                "2026-01-01",
                "2026-12-31",
            )
            .await,
            "lines.0.discountPercent",
        ),
        (
            make(
                json!([bolt(json!({})), bolt(json!({}))]),
                "2026-01-01",
                "2026-12-31",
            )
            .await,
            "lines.1.itemId",
        ),
        (
            make(
                json!([{"commitment": "VALUE", "value": "10", "itemId": x.w.bolt}]),
                "2026-01-01",
                "2026-12-31",
            )
            .await,
            "lines.0.itemId",
        ),
        (
            make(
                json!([{"commitment": "PRODUCT_VALUE", "value": "10"}]),
                "2026-01-01",
                "2026-12-31",
            )
            .await,
            "lines.0.itemId",
        ),
        (
            make(
                json!([bolt(json!({"unitPrice": "9999999999999999"}))]),
                "2026-01-01",
                "2026-12-31",
            )
            .await,
            "lines.0.unitPrice",
        ),
    ];
    for (r, field) in &cases {
        assert_eq!(
            (r.code(), r.field()),
            ("VALIDATION".into(), Some(field.to_string())),
            "{:?}",
            r.0
        );
    }
    let kit = x.app().id_of(&x.w.admin, "items", "KIT-FIX").await;
    let r = make(
        json!([{"commitment": "PRODUCT_QUANTITY", "itemId": kit, "quantity": "5"}]),
        "2026-01-01",
        "2026-12-31",
    )
    .await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("lines.0.itemId".into())),
        "agreements cover stocked items"
    );
    let many: Vec<Value> = (0..201)
        .map(|_| json!({"commitment": "VALUE", "value": "1"}))
        .collect();
    let r = make(json!(many), "2026-01-01", "2026-12-31").await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("lines".into()))
    );
    let r = x
        .gql(&x.w.admin, "{ salesAgreements { totalCount } }", json!({}))
        .await;
    assert_eq!(r.data()["salesAgreements"]["totalCount"], 0);
    // An agreement without lines cannot become EFFECTIVE.
    let (empty, _) = x.sales_agreement(&x.w.acme, json!([]), "ON_HOLD").await;
    assert_eq!(
        x.set_status(&x.w.admin, &empty, "EFFECTIVE").await.code(),
        "VALIDATION"
    );
    let _ = LINE;
}

/// Placing an order from an agreement costs the same statements for 3 lines or 30: the
/// commitment is apportioned and moved in set-based statements. (Confirming and shipping still
/// cost statements per line for their stock moves — issue 15 — and are only printed.)
#[tokio::test]
async fn agreement_tracking_costs_the_same_statements_for_3_lines_or_30() {
    let x = deals().await;
    let admin = x.w.admin.clone();
    let (agreement, line) = thousand_bolts(&x, "EFFECTIVE").await;
    let statements = || x.app().state.statements.get();
    let mut counts = Vec::new();
    for n in [3, 3, 30] {
        let lines: Vec<(&str, &str)> = (0..n).map(|_| (line.as_str(), "1")).collect();
        let mut steps = Vec::new();
        let before = statements();
        let order = order_id(&x.order_from(&admin, &agreement, "2026-12-20", &lines).await);
        steps.push(statements() - before);
        let before = statements();
        x.w.confirm(&admin, &order, false).await.data();
        steps.push(statements() - before);
        let before = statements();
        x.gql(
            &x.w.warehouse,
            "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { id } } }",
            json!({"i": {"orderId": order}}),
        )
        .await
        .data();
        steps.push(statements() - before);
        counts.push(steps);
    }
    println!("statements (from agreement, confirm, ship) for 3, 3 and 30 lines: {counts:?}");
    assert_eq!(counts[1][0], counts[2][0], "statements grow with the lines");
    assert_eq!(
        x.figures(&agreement, 0).await,
        figs(["0", "0", "36", "9", "964"])
    );
}
