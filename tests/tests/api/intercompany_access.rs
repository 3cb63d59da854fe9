//! Access matrix for intercompany trade and payables (R-IC-1…4, R-ACC-1, R-ACC-3…8): IBX's
//! roles, a partner token of IBX and BLK's admin against every intercompany query, nested
//! field and mutation, with a chain in place (BLK's order for VITOSHA, BLK's purchase order,
//! IBX's intercompany order). No record of one company reaches the other's callers; mutations
//! are aimed to fail on a rule after the access check and leave the world as it was.
use api_tests::sisters::linked;
use api_tests::{MatrixRow, at, matrix_mismatches};
use serde_json::json;

const CALLERS: [&str; 9] = [
    "admin",
    "manager",
    "ana",
    "warehouse",
    "purchasing",
    "buyer",
    "accounting",
    "blk_admin",
    "t_orders",
];

#[tokio::test]
async fn every_caller_against_every_intercompany_operation() {
    let s = linked().await;
    let r = s
        .agreement(json!([{"commitment": "PRODUCT_QUANTITY", "itemId": s.ibx_bolt, "quantity": "1000", "unitPrice": "0.25"}]))
        .await;
    let agreement = at(&r, &["createIntercompanyAgreement", "agreement", "id"]);
    s.gql(&s.ibx, "mutation($i: SetAgreementStatusInput!) { setAgreementStatus(input: $i) { agreement { status } } }", json!({"i": {"id": agreement, "status": "EFFECTIVE"}}))
        .await
        .data();
    let r = s
        .gql(&s.blk, "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id intercompanyChain { purchaseOrder { id } } } } }", json!({"i": {"customerId": s.vitosha, "lines": [{"itemId": s.blk_bolt, "quantity": "20"}]}}))
        .await;
    let original = at(&r, &["createSalesOrder", "salesOrder", "id"]);
    let po = at(
        &r,
        &[
            "createSalesOrder",
            "salesOrder",
            "intercompanyChain",
            "purchaseOrder",
            "id",
        ],
    );
    let r = s
        .gql(
            &s.ibx,
            "query($c: ID!) { salesOrders(filter: {customerId: $c}) { edges { node { id } } } }",
            json!({"c": s.ibx_customer}),
        )
        .await;
    let ic_order = r.data()["salesOrders"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tools = s.app.id_of(&s.ibx, "suppliers", "TOOLS").await;

    let mut tokens = vec![s.ibx.clone()];
    for who in ["manager", "ana", "warehouse", "purchasing"] {
        tokens.push(s.app.login(&format!("{who}@iberia.example")).await);
    }
    tokens.push(s.app.login("buyer@acme.example").await);
    tokens.push(s.app.login("accounting@iberia.example").await);
    tokens.push(s.blk.clone());
    let r = s
        .gql(&s.ibx, "mutation { createApiToken(input: {name: \"partner\", scopes: [ORDERS_WRITE]}) { token } }", json!({}))
        .await;
    tokens.push(at(&r, &["createApiToken", "token"]));

    const F: &str = "FORBIDDEN";
    const N: &str = "NOT_FOUND";
    const V: &str = "VALIDATION";
    const I: &str = "INVALID_STATE";
    const ADMINS: [&str; 9] = ["ok", F, F, F, F, F, F, "ok", F];
    const ACCOUNTS: [&str; 9] = ["ok", F, F, F, F, F, "ok", "ok", F];
    type Op<'a> = MatrixRow<'a, &'a str, 9>;
    #[rustfmt::skip]
    let ops: Vec<Op> = vec![
        ("intercompanyLinks", "{ intercompanyLinks { side active customerId supplierId } }", json!({}),
            ["ok", "ok", F, "ok", "ok", F, F, "ok", F]),
        ("intercompanySettings", "{ intercompanySettings { postPackingSlip } }", json!({}),
            ["ok", "ok", F, "ok", "ok", F, F, "ok", F]),
        ("updateIntercompanySettings(nothing)", "mutation { updateIntercompanySettings(input: {}) { postReceipt } }", json!({}), ADMINS),
        ("linkIntercompany(again)", "mutation($c: ID!, $s: ID!) { linkIntercompany(input: {customerId: $c, supplierId: $s}) { active } }", json!({"c": s.ibx_customer, "s": s.blk_supplier}), ADMINS),
        ("linkIntercompanyItem(IBX bolt, BLK bolt)", "mutation($i: ID!, $p: ID!) { linkIntercompanyItem(input: {itemId: $i, partnerItemId: $p}) { id } }", json!({"i": s.ibx_bolt, "p": s.blk_bolt}),
            ["ok", F, F, F, F, F, F, V, F]),
        ("createIntercompanyAgreement(ends before it starts)", "mutation($c: ID!) { createIntercompanyAgreement(input: {customerId: $c, validFrom: \"2027-01-01\", validTo: \"2026-01-01\", lines: []}) { agreement { id } } }", json!({"c": s.ibx_customer}),
            [V, V, V, F, F, F, F, V, F]),
        ("salesOrder(IBX's intercompany order).intercompanyChain", "query($o: ID!) { salesOrder(id: $o) { deliveryAddress intercompanyChain { original { id } purchaseOrder { id } intercompanyOrder { id } } } }", json!({"o": ic_order}),
            ["ok", N, N, "ok", "ok", N, "ok", N, "ok"]),
        ("salesOrder(BLK's original)", "query($o: ID!) { salesOrder(id: $o) { id } }", json!({"o": original}),
            [N, N, N, N, N, N, N, "ok", N]),
        ("purchaseOrder(BLK's, direct).intercompanyChain", "query($p: ID!) { purchaseOrder(id: $p) { deliveryAddress intercompanyChain { original { id } } } }", json!({"p": po}),
            [N, N, F, N, N, F, F, "ok", F]),
        ("confirmDeliveryDates(BLK's original)", "mutation($o: ID!) { confirmDeliveryDates(input: {orderId: $o, confirmedShipDate: \"2026-12-15\"}) { id } }", json!({"o": original}),
            [N, N, N, F, F, N, F, I, N]),
        ("updateSalesOrder(IBX's intercompany order, address)", "mutation($o: ID!) { updateSalesOrder(input: {id: $o, shipToAddressId: \"1\"}) { salesOrder { id } } }", json!({"o": ic_order}),
            [I, N, N, F, F, N, F, N, I]),
        ("purchaseInvoices", "{ purchaseInvoices { totalCount } }", json!({}), ACCOUNTS),
        ("createPurchaseInvoice(no such receipt)", "mutation { createPurchaseInvoice(input: {receiptIds: [\"999999\"], supplierInvoiceNumber: \"X\", invoiceDate: \"2026-12-01\"}) { id } }", json!({}),
            [V, F, F, F, F, F, V, V, F]),
        ("recordSupplierPayment(amount 0)", "mutation($s: ID!) { recordSupplierPayment(input: {supplierId: $s, amount: \"0\", paidOn: \"2026-12-01\"}) { id } }", json!({"s": tools}),
            [V, F, F, F, F, F, V, V, F]),
        ("supplierBalance(TOOLS)", "query($s: ID!) { supplierBalance(supplierId: $s) { open } }", json!({"s": tools}),
            ["ok", F, F, F, F, F, "ok", N, F]),
        ("expectedPayments", "{ expectedPayments(from: \"2026-12-01\", to: \"2026-12-31\", groupBy: WEEK) { amount } }", json!({}), ACCOUNTS),
    ];
    let mismatches = matrix_mismatches(&s.app, &CALLERS, &tokens, &ops).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    // Nested fields: each company sees its own documents of the chain only.
    let r = s
        .gql(&s.ibx, "query($o: ID!) { salesOrder(id: $o) { intercompanyChain { original { id } purchaseOrder { id } intercompanyOrder { id } } } }", json!({"o": ic_order}))
        .await;
    assert_eq!(
        r.data()["salesOrder"]["intercompanyChain"],
        json!({"original": null, "purchaseOrder": null, "intercompanyOrder": {"id": ic_order}})
    );
    let r = s
        .gql(&s.blk, "query($o: ID!) { salesOrder(id: $o) { intercompanyChain { original { id } purchaseOrder { id } intercompanyOrder { id } } } }", json!({"o": original}))
        .await;
    assert_eq!(
        r.data()["salesOrder"]["intercompanyChain"],
        json!({"original": {"id": original}, "purchaseOrder": {"id": po}, "intercompanyOrder": null})
    );
    // The refused mutations changed nothing: BLK's original has no confirmed date.
    let r = s
        .gql(
            &s.blk,
            "query($o: ID!) { salesOrder(id: $o) { confirmedShipDate } }",
            json!({"o": original}),
        )
        .await;
    assert_eq!(r.data()["salesOrder"]["confirmedShipDate"], json!(null));
}
