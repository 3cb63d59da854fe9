//! Access matrix for agreements (R-AGR-1, R-ACC-3…8): each role and token kind against each
//! query, nested field, mutation and subscription. A rep sees the sales agreements of their
//! own customers only (Ana ACME's, Boris GLOBEX's); purchase agreements are purchasing's;
//! a token bound to ACME sees ACME's sales agreements and nothing else. Mutations are aimed to
//! fail on a rule after the access check and leave the world as it was.
use api_tests::agreements::deals;
use api_tests::{MatrixRow, at, matrix_mismatches, ws};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

const CALLERS: [&str; 12] = [
    "admin",
    "manager",
    "ana",
    "boris",
    "warehouse",
    "purchasing",
    "buyer",
    "accounting",
    "t_read",
    "t_write",
    "t_acme",
    "t_orders",
];

#[tokio::test]
async fn every_caller_against_every_agreement_operation() {
    let x = deals().await;
    let admin = x.w.admin.clone();
    let globex = x.app().id_of(&admin, "customers", "GLOBEX").await;
    let bolt = |q: &str| json!([{"commitment": "PRODUCT_QUANTITY", "itemId": x.w.bolt, "quantity": q, "unitPrice": "0.25"}]);
    let (acme_agr, acme_lines) = x
        .sales_agreement(&x.w.acme, bolt("1000"), "EFFECTIVE")
        .await;
    let (globex_agr, _) = x.sales_agreement(&globex, bolt("100"), "EFFECTIVE").await;
    let (purchase, purchase_lines) = x.purchase_agreement(bolt("500"), "EFFECTIVE").await;
    let r = x
        .order_from(&admin, &acme_agr, "2026-12-20", &[(&acme_lines[0], "10")])
        .await;
    let acme_order = at(&r, &["createSalesOrderFromAgreement", "salesOrder", "id"]);
    let r = x
        .gql(
            &x.w.purchasing,
            "mutation($i: CreatePurchaseOrderFromAgreementInput!) { createPurchaseOrderFromAgreement(input: $i) { purchaseOrder { id } } }",
            json!({"i": {"agreementId": purchase, "deliveryDate": "2026-12-20", "lines": [{"agreementLineId": purchase_lines[0], "quantity": "20"}]}}),
        )
        .await;
    let po = at(
        &r,
        &["createPurchaseOrderFromAgreement", "purchaseOrder", "id"],
    );

    let token = |scopes: Vec<&str>, customer: Option<&str>| {
        let v = json!({"s": scopes, "c": customer});
        let (x, admin) = (&x, admin.clone());
        async move {
            let r = x
                .gql(
                    &admin,
                    "mutation($s: [ApiScope!]!, $c: ID) { createApiToken(input: {name: \"m\", scopes: $s, customerId: $c}) { token } }",
                    v,
                )
                .await;
            at(&r, &["createApiToken", "token"])
        }
    };
    let mut tokens = vec![admin.clone()];
    for email in ["manager", "ana", "boris", "warehouse", "purchasing"] {
        tokens.push(x.app().login(&format!("{email}@iberia.example")).await);
    }
    tokens.push(x.app().login("buyer@acme.example").await);
    tokens.push(x.app().login("accounting@iberia.example").await);
    tokens.push(token(vec!["AGREEMENTS_READ"], None).await);
    tokens.push(token(vec!["AGREEMENTS_WRITE"], None).await);
    tokens.push(token(vec!["AGREEMENTS_READ"], Some(&x.w.acme)).await);
    tokens.push(token(vec!["ORDERS_WRITE"], None).await);

    const F: &str = "FORBIDDEN";
    const N: &str = "NOT_FOUND";
    const V: &str = "VALIDATION";
    const I: &str = "INVALID_STATE";
    type Row = [&'static str; 12];
    const SALES_READERS: Row = [
        "ok", "ok", "ok", "ok", F, F, "ok", "ok", "ok", "ok", "ok", F,
    ];
    const PURCHASE_READERS: Row = ["ok", F, F, F, F, "ok", F, F, "ok", "ok", F, F];
    const ANY_READERS: Row = [
        "ok", "ok", "ok", "ok", F, "ok", "ok", "ok", "ok", "ok", "ok", F,
    ];
    const ACME: Row = ["ok", "ok", "ok", N, F, N, "ok", "ok", "ok", "ok", "ok", F];
    const GLOBEX: Row = ["ok", N, N, "ok", F, N, N, "ok", "ok", "ok", N, F];
    const PURCHASE: Row = ["ok", N, N, N, F, "ok", N, N, "ok", "ok", N, F];
    const CHANGE_ACME: Row = [I, I, I, N, F, N, F, F, F, I, F, F];
    const CHANGE_PURCHASE: Row = [I, N, N, N, F, I, N, N, F, I, N, F];
    type Op<'a> = MatrixRow<'a, &'a str, 12>;
    #[rustfmt::skip]
    let ops: Vec<Op> = vec![
        ("salesAgreements", "{ salesAgreements { totalCount edges { node { id number customer { code } lines { item { sku } } } } } }", json!({}), SALES_READERS),
        ("purchaseAgreements", "{ purchaseAgreements { totalCount edges { node { id supplier { code } totals { remainingValue } } } } }", json!({}), PURCHASE_READERS),
        ("agreement(ACME)", "query($a: ID!) { agreement(id: $a) { number status customer { code } lines { remainingQuantity agreement { id } } totals { fulfilledPercent } } }", json!({"a": acme_agr}), ACME),
        ("agreement(GLOBEX)", "query($a: ID!) { agreement(id: $a) { number } }", json!({"a": globex_agr}), GLOBEX),
        ("agreement(purchase)", "query($a: ID!) { agreement(id: $a) { number supplier { code } } }", json!({"a": purchase}), PURCHASE),
        ("agreementFulfilment(ACME)", "query($a: ID!) { agreementFulfilment(agreementId: $a) { totals { releasedValue } lines { releasedQuantity } } }", json!({"a": acme_agr}), ACME),
        ("agreementFulfilment(purchase)", "query($a: ID!) { agreementFulfilment(agreementId: $a) { totals { releasedValue } } }", json!({"a": purchase}), PURCHASE),
        ("agreementsEnding", "{ agreementsEnding(withinDays: 3650) { totalCount edges { node { id totals { remainingValue } } } } }", json!({}), ANY_READERS),
        ("agreementsEnding(PURCHASE)", "{ agreementsEnding(withinDays: 3650, kind: PURCHASE) { totalCount } }", json!({}), PURCHASE_READERS),
        ("salesOrder(ACME).agreement", "query($o: ID!) { salesOrder(id: $o) { agreement { id } lines { agreementLine { id remainingQuantity } } } }", json!({"o": acme_order}),
            ["ok", "ok", "ok", N, "ok", "ok", "ok", "ok", F, F, F, "ok"]),
        ("purchaseOrder.agreement", "query($p: ID!) { purchaseOrder(id: $p) { agreement { id } lines { priceSource agreementLine { id } } } }", json!({"p": po}),
            ["ok", "ok", F, F, "ok", "ok", F, F, F, F, F, F]),
        ("createSalesAgreement(ACME, ends before it starts)", "mutation($c: ID!) { createSalesAgreement(input: {customerId: $c, validFrom: \"2027-01-01\", validTo: \"2026-01-01\", lines: []}) { agreement { id } } }", json!({"c": x.w.acme}),
            [V, V, V, V, F, F, F, F, F, V, F, F]),
        ("createPurchaseAgreement(ends before it starts)", "mutation($s: ID!) { createPurchaseAgreement(input: {supplierId: $s, validFrom: \"2027-01-01\", validTo: \"2026-01-01\", lines: []}) { agreement { id } } }", json!({"s": x.tools}),
            [V, F, F, F, F, V, F, F, F, V, F, F]),
        ("updateAgreement(ACME, end earlier)", "mutation($a: ID!) { updateAgreement(input: {id: $a, validTo: \"2026-06-30\"}) { agreement { id } } }", json!({"a": acme_agr}), CHANGE_ACME),
        ("setAgreementStatus(ACME, EFFECTIVE again)", "mutation($a: ID!) { setAgreementStatus(input: {id: $a, status: EFFECTIVE}) { agreement { id } } }", json!({"a": acme_agr}), CHANGE_ACME),
        ("setAgreementStatus(purchase, EFFECTIVE again)", "mutation($a: ID!) { setAgreementStatus(input: {id: $a, status: EFFECTIVE}) { agreement { id } } }", json!({"a": purchase}), CHANGE_PURCHASE),
        ("createSalesOrderFromAgreement(ACME, outside validity)", "mutation($a: ID!, $l: ID!) { createSalesOrderFromAgreement(input: {agreementId: $a, requestedReceiptDate: \"2030-01-01\", lines: [{agreementLineId: $l, quantity: \"1\"}]}) { salesOrder { id } } }", json!({"a": acme_agr, "l": acme_lines[0]}),
            [V, V, V, V, F, F, V, F, F, F, F, V]),
        ("createPurchaseOrderFromAgreement(outside validity)", "mutation($a: ID!, $l: ID!) { createPurchaseOrderFromAgreement(input: {agreementId: $a, deliveryDate: \"2030-01-01\", lines: [{agreementLineId: $l, quantity: \"1\"}]}) { purchaseOrder { id } } }", json!({"a": purchase, "l": purchase_lines[0]}),
            [V, F, F, F, F, V, F, F, F, F, F, F]),
    ];
    let mismatches = matrix_mismatches(x.app(), &CALLERS, &tokens, &ops).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    // Lists leave out what a caller may not see; nested agreements are null for callers who
    // read the order but not its agreement.
    let mut seen = vec![];
    for (i, t) in tokens.iter().enumerate() {
        let app = x.app();
        let count = |field: &'static str| async move {
            let r = app
                .gql(
                    Some(t),
                    &format!("{{ {field} {{ totalCount }} }}"),
                    json!({}),
                )
                .await;
            r.is_ok()
                .then(|| r.data()[field]["totalCount"].as_i64().unwrap())
        };
        let r = x
            .app()
            .gql(
                Some(t),
                "query($o: ID!) { salesOrder(id: $o) { agreement { id } lines { agreementLine { id } } } }",
                json!({"o": acme_order}),
            )
            .await;
        let nested = r.is_ok().then(|| {
            let o = &r.data()["salesOrder"];
            (
                !o["agreement"].is_null(),
                !o["lines"][0]["agreementLine"].is_null(),
            )
        });
        seen.push((
            CALLERS[i],
            count("salesAgreements").await,
            count("purchaseAgreements").await,
            nested,
        ));
    }
    assert_eq!(
        seen,
        vec![
            ("admin", Some(2), Some(1), Some((true, true))),
            ("manager", Some(1), None, Some((true, true))),
            ("ana", Some(1), None, Some((true, true))),
            ("boris", Some(1), None, None),
            ("warehouse", None, None, Some((false, false))),
            ("purchasing", None, Some(1), Some((false, false))),
            ("buyer", Some(1), None, Some((true, true))),
            ("accounting", Some(2), None, Some((true, true))),
            ("t_read", Some(2), Some(1), None),
            ("t_write", Some(2), Some(1), None),
            ("t_acme", Some(1), None, None),
            ("t_orders", None, None, Some((false, false))),
        ]
    );

    // Subscriptions: what each caller hears when the three agreements change (tokens need
    // events:read as well).
    let mut subscribers = vec![];
    let mut names: Vec<&str> = CALLERS.to_vec();
    names.extend(["t_events", "t_acme_events"]);
    let mut all = tokens.clone();
    all.push(token(vec!["AGREEMENTS_READ", "EVENTS_READ"], None).await);
    all.push(token(vec!["AGREEMENTS_READ", "EVENTS_READ"], Some(&x.w.acme)).await);
    for t in &all {
        let mut s = ws::connect(&x.app().url, t).await;
        ws::subscribe(
            &mut s,
            "s",
            "subscription { salesAgreementEvents { agreementId } }",
            json!({}),
        )
        .await;
        ws::subscribe(
            &mut s,
            "p",
            "subscription { purchaseAgreementEvents { agreementId } }",
            json!({}),
        )
        .await;
        subscribers.push(s);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    for a in [&acme_agr, &globex_agr, &purchase] {
        x.gql(
            &admin,
            "mutation($a: ID!) { updateAgreement(input: {id: $a, validTo: \"2028-01-31\"}) { agreement { id } } }",
            json!({"a": a}),
        )
        .await
        .data();
    }
    let label = |id: &str| {
        if id == acme_agr {
            "ACME"
        } else if id == globex_agr {
            "GLOBEX"
        } else {
            "PURCHASE"
        }
    };
    let mut heard = vec![];
    for (i, s) in subscribers.iter_mut().enumerate() {
        let mut got: [BTreeSet<&str>; 2] = Default::default();
        let mut denied = [false; 2];
        while let Some(m) = ws::next(s, Duration::from_millis(1500)).await {
            let slot = usize::from(m["id"] == "p");
            let p: &Value = &m["payload"];
            if !p["errors"].is_null() {
                assert_eq!(p["errors"][0]["extensions"]["code"], "FORBIDDEN", "{m}");
                denied[slot] = true;
                continue;
            }
            let field = if slot == 0 {
                "salesAgreementEvents"
            } else {
                "purchaseAgreementEvents"
            };
            if let Some(id) = p["data"][field]["agreementId"].as_str() {
                got[slot].insert(label(id));
            }
        }
        let show = |slot: usize| {
            if denied[slot] {
                "FORBIDDEN".to_owned()
            } else {
                got[slot].iter().copied().collect::<Vec<_>>().join(",")
            }
        };
        heard.push(format!("{}: {} | {}", names[i], show(0), show(1)));
    }
    assert_eq!(
        heard,
        vec![
            "admin: ACME,GLOBEX | PURCHASE",
            "manager: ACME | FORBIDDEN",
            "ana: ACME | FORBIDDEN",
            "boris: GLOBEX | FORBIDDEN",
            "warehouse: FORBIDDEN | FORBIDDEN",
            "purchasing: FORBIDDEN | PURCHASE",
            "buyer: ACME | FORBIDDEN",
            "accounting: ACME,GLOBEX | FORBIDDEN",
            "t_read: FORBIDDEN | FORBIDDEN",
            "t_write: FORBIDDEN | FORBIDDEN",
            "t_acme: FORBIDDEN | FORBIDDEN",
            "t_orders: FORBIDDEN | FORBIDDEN",
            "t_events: ACME,GLOBEX | PURCHASE",
            "t_acme_events: ACME | FORBIDDEN",
        ]
    );
}
