//! The README's worked example, step by step: the figures the README shows are asserted here.
//! A USD order for the EUR company IBX with a kit, a bonus line, ACME's own price, freight by
//! QTY_ZONE, a real delivery-date change and a credit hold that the zone manager releases.
use api_tests::*;
use serde_json::json;

#[tokio::test]
async fn the_readme_worked_example_returns_the_totals_it_shows() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let kit = app.id_of(&admin, "items", "KIT-FIX").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;

    // 1. The company holds orders over credit; ACME may owe 300 EUR.
    app.gql(Some(&admin), "mutation { updateCompanySettings(input: {blockOnCreditExcess: true}) { blockOnCreditExcess } }", json!({})).await.data();
    app.gql(Some(&admin), "mutation($id: ID!) { updateCustomer(input: {id: $id, fields: {creditLimit: \"300\"}}) { customer { creditLimit } } }", json!({"id": acme})).await.data();

    // 2. Ana enters the order in USD.
    let ana = app.login("ana@iberia.example").await;
    let r = app
        .gql(
            Some(&ana),
            "mutation($c: ID!, $kit: ID!, $bolt: ID!) {
              createSalesOrder(input: {customerId: $c, currency: \"USD\", orderDate: \"2026-11-20\", deliveryDate: \"2026-12-15\",
                lines: [{itemId: $kit, quantity: \"2\"}, {itemId: $bolt, quantity: \"500\", bonusQuantity: \"50\"}]}) {
                salesOrder { id documentNumber currency exchangeRate creditHold weight carrier { code }
                  amounts { gross discount net freight total companyGross companyNet companyFreight companyTotal }
                  lines { position item { sku } quantity bonusQuantity unitPrice priceSource } }
                warnings { code } } }",
            json!({"c": acme, "kit": kit, "bolt": bolt}),
        )
        .await;
    let o = r.data()["createSalesOrder"]["salesOrder"].clone();
    println!("{}", serde_json::to_string_pretty(&o).unwrap());
    assert_eq!(o["documentNumber"], "A-1");
    assert_eq!(
        (o["currency"].as_str(), o["exchangeRate"].as_str()),
        (Some("USD"), Some("0.9200"))
    );
    assert_eq!(o["carrier"]["code"], "SEUR");
    let lines: Vec<(String, String, String)> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["item"]["sku"].as_str().unwrap().into(),
                l["quantity"].as_str().unwrap().into(),
                l["unitPrice"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("KIT-FIX".into(), "2.0000".into(), "21.6304".into()),
            ("BOLT-M8".into(), "20.0000".into(), "0.0000".into()),
            ("NUT-M8".into(), "0.2000".into(), "0.0000".into()),
            ("BOLT-M8".into(), "500.0000".into(), "0.3261".into()),
        ]
    );
    assert_eq!(o["lines"][3]["priceSource"], "CUSTOMER");
    let a = &o["amounts"];
    let got: Vec<&str> = [
        "gross",
        "discount",
        "net",
        "freight",
        "total",
        "companyGross",
        "companyNet",
        "companyFreight",
        "companyTotal",
    ]
    .iter()
    .map(|k| a[*k].as_str().unwrap())
    .collect();
    assert_eq!(
        got,
        vec![
            "206.3100", "0.0000", "206.3100", "130.9600", "337.2700", "189.8100", "189.8100",
            "120.4800", "310.2900"
        ]
    );
    assert_eq!(o["weight"], "148.0000");
    assert_eq!(o["creditHold"], true, "310.29 EUR is over ACME's 300");
    let id = o["id"].as_str().unwrap().to_owned();

    // 3. The delivery really moves a week.
    let r = app
        .gql(Some(&ana), "mutation($id: ID!) { changeDeliveryDate(input: {orderId: $id, date: \"2026-12-22\", reason: REAL_CHANGE}) { salesOrder { deliveryDate lines { deliveryDate promisedDate } } } }", json!({"id": id}))
        .await;
    let o = &r.data()["changeDeliveryDate"]["salesOrder"];
    assert_eq!(
        (
            o["lines"][0]["deliveryDate"].as_str(),
            o["lines"][0]["promisedDate"].as_str()
        ),
        (Some("2026-12-22"), Some("2026-12-15"))
    );

    // 4. Ana may not release the hold; her zone manager may.
    let release = "mutation($id: ID!) { releaseCreditHold(input: {id: $id}) { salesOrder { creditHold creditReleasedBy } } }";
    assert_eq!(
        app.gql(Some(&ana), release, json!({"id": id})).await.code(),
        "FORBIDDEN"
    );
    let manager = app.login("manager@iberia.example").await;
    let r = app.gql(Some(&manager), release, json!({"id": id})).await;
    assert_eq!(
        r.data()["releaseCreditHold"]["salesOrder"]["creditHold"],
        false
    );
    let r = app
        .gql(Some(&ana), "mutation($id: ID!) { confirmSalesOrder(input: {id: $id, createBackorders: true}) { salesOrder { status creditHold events { kind } } lines { reserved backordered } } }", json!({"id": id}))
        .await;
    let o = &r.data()["confirmSalesOrder"]["salesOrder"];
    assert_eq!(
        (o["status"].as_str(), o["creditHold"].as_bool()),
        (Some("CONFIRMED"), Some(false))
    );
    let kinds: Vec<&str> = o["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "ORDER_CREATED",
            "CREDIT_HOLD_SET",
            "DELIVERY_DATE_CHANGED",
            "CREDIT_HOLD_RELEASED",
            "ORDER_CONFIRMED",
            "RESERVED",
            "BACKORDERED"
        ]
    );
    // 100 bolts in stock: 20 go to the kit's component line (first position), 80 to the
    // 550-bolt line, whose other 470 are backordered (R-BO-1).
    let cover: Vec<(String, String)> = r.data()["confirmSalesOrder"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["reserved"].as_str().unwrap().to_owned(),
                l["backordered"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        cover.contains(&("20.0000".into(), "0.0000".into())),
        "{cover:?}"
    );
    assert!(
        cover.contains(&("80.0000".into(), "470.0000".into())),
        "{cover:?}"
    );
    let report = app.gql(Some(&manager), "{ deliveryDelays { edges { node { salesOrder { documentNumber } line { item { sku } } firstPromisedDate currentDate delayDays } } } }", json!({})).await;
    assert_eq!(
        report.data()["deliveryDelays"]["edges"][0]["node"]["delayDays"],
        7
    );
}
