//! Access matrix for invoicing and payments: each role and token kind against each query,
//! nested field and mutation of taxes, invoices, payments, credit and receivables reports
//! (R-ACC-3…8). "ok" means
//! it succeeded; otherwise the error code. Boris never reaches ACME's invoices or payments (Ana's
//! customer), Ana never GLOBEX's; the warehouse and purchasing see no invoices at all.
//! Mutations are aimed to fail on a rule after the access check and leave the world as it was.
use api_tests::billing::books;
use api_tests::{MatrixRow, at, matrix_mismatches};
use serde_json::json;

const CALLERS: [&str; 12] = [
    "admin",
    "manager",
    "ana",
    "boris",
    "warehouse",
    "purchasing",
    "buyer",
    "accounting",
    "t_invoices",
    "t_payments",
    "t_acme",
    "t_orders",
];

#[tokio::test]
async fn every_caller_against_every_invoicing_operation() {
    let b = books().await;
    let globex = b.w.app.id_of(&b.w.admin, "customers", "GLOBEX").await;
    let mut invoices = vec![];
    let mut orders = vec![];
    for (customer, q) in [(&b.w.acme, 60), (&globex, 10)] {
        let order = b.bolts(customer, q).await;
        b.ship(&order).await;
        let inv = b.invoice_orders(&[&order]).await;
        let id = inv["id"].as_str().unwrap().to_owned();
        b.post(&id).await.data();
        invoices.push(id);
        orders.push(order);
    }
    let (acme_inv, globex_inv) = (invoices[0].clone(), invoices[1].clone());
    // An open ACME order with a proforma.
    let acme_open = b.bolts(&b.w.acme, 5).await;
    let r = b
        .gql(
            &b.accounting,
            "mutation($o: ID!) { issueProforma(input: {orderId: $o}) { proforma { id } } }",
            json!({"o": acme_open}),
        )
        .await;
    let acme_pf = at(&r, &["issueProforma", "proforma", "id"]);
    let r = b
        .pay(
            &b.w.acme,
            "5",
            Some(json!([{"invoiceId": acme_inv, "amount": "5"}])),
        )
        .await;
    let acme_pay = at(&r, &["recordPayment", "payment", "id"]);
    let r = b
        .gql(
            &b.accounting,
            "query($i: ID!) { invoice(id: $i) { lines { id } } }",
            json!({"i": acme_inv}),
        )
        .await;
    let acme_line = r.data()["invoice"]["lines"][0]["id"].clone();

    let admin = b.w.admin.clone();
    let token = |scope: &str, customer: Option<&str>| {
        let v = json!({"s": [scope], "c": customer});
        let (b, admin) = (&b, admin.clone());
        async move {
            let r = b
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
        tokens.push(b.w.app.login(&format!("{email}@iberia.example")).await);
    }
    tokens.push(b.w.app.login("buyer@acme.example").await);
    tokens.push(b.accounting.clone());
    tokens.push(token("INVOICES_READ", None).await);
    tokens.push(token("PAYMENTS_WRITE", None).await);
    tokens.push(token("INVOICES_READ", Some(&b.w.acme)).await);
    tokens.push(token("ORDERS_READ", None).await);

    const F: &str = "FORBIDDEN";
    const N: &str = "NOT_FOUND";
    const ALL_READERS: [&str; 12] = [
        "ok", "ok", "ok", "ok", F, F, "ok", "ok", "ok", "ok", "ok", F,
    ];
    const ACME: [&str; 12] = ["ok", "ok", "ok", N, F, F, "ok", "ok", "ok", "ok", "ok", F];
    const GLOBEX: [&str; 12] = ["ok", N, N, "ok", F, F, N, "ok", "ok", "ok", N, F];
    const BILLERS: fn(&'static str) -> [&'static str; 12] =
        |c| [c, F, F, F, F, F, F, c, F, F, F, F];
    const PAYERS: fn(&'static str) -> [&'static str; 12] = |c| [c, F, F, F, F, F, F, c, F, c, F, F];
    type Op<'a> = MatrixRow<'a, &'a str, 12>;
    #[rustfmt::skip]
    let ops: Vec<Op> = vec![
        ("invoices", "{ invoices { totalCount edges { node { id customer { code } lines { salesOrder { id } } } } } }", json!({}), ALL_READERS),
        ("invoice(ACME)", "query($i: ID!) { invoice(id: $i) { id number lines { item { sku } } allocations { amount payment { id } } installments { amount } } }", json!({"i": acme_inv}), ACME),
        ("invoice(GLOBEX)", "query($i: ID!) { invoice(id: $i) { id } }", json!({"i": globex_inv}), GLOBEX),
        ("payments", "{ payments { totalCount edges { node { id customer { code } } } } }", json!({}), ALL_READERS),
        ("payment(ACME)", "query($i: ID!) { payment(id: $i) { id refundedAmount refunds { amount } allocations { invoice { id } } } }", json!({"i": acme_pay}), ACME),
        ("customerBalance(ACME)", "query($c: ID!) { customerBalance(customerId: $c) { risk receivable overdue } }", json!({"c": b.w.acme}), ACME),
        ("customerBalance(GLOBEX)", "query($c: ID!) { customerBalance(customerId: $c) { risk } }", json!({"c": globex}), GLOBEX),
        ("expectedReceipts", "{ expectedReceipts(from: \"2026-10-01\", to: \"2027-03-31\", groupBy: MONTH) { total periods { total } } }", json!({}), ALL_READERS),
        ("overduePayments", "{ overduePayments { totalCount edges { node { amount invoice { id } } } } }", json!({}), ALL_READERS),
        ("proforma(ACME)", "query($i: ID!) { proforma(id: $i) { number totalWithTax salesOrder { id } } }", json!({"i": acme_pf}), ACME),
        ("salesOrder(ACME) billing fields", "query($o: ID!) { salesOrder(id: $o) { paymentSchedule { amount paid } taxAmounts { totalWithTax } advancePaid documents { id } productionReference purchaseOrders { id } } }", json!({"o": acme_open}),
            ["ok", "ok", "ok", N, "ok", "ok", "ok", "ok", F, F, F, "ok"]),
        ("issueProforma(ACME, shipped)", "mutation($o: ID!) { issueProforma(input: {orderId: $o}) { proforma { id } } }", json!({"o": orders[0]}), BILLERS("INVALID_STATE")),
        ("attachOrderDocument(ACME)", "mutation($o: ID!) { attachOrderDocument(input: {orderId: $o, kind: CONTRACT, name: \"c\", url: \"https://docs.example/c.pdf\"}) { document { id } } }", json!({"o": acme_open}),
            ["ok", "ok", "ok", N, F, F, "ok", F, F, F, F, F]),
        ("setOrderProductionReference(ACME)", "mutation($o: ID!) { setOrderProductionReference(input: {orderId: $o, reference: \"PO-7\"}) { productionReference } }", json!({"o": acme_open}),
            ["ok", "ok", "ok", N, F, F, F, F, F, F, F, F]),
        ("recordPayment(ACME proforma, over-allocated)", "mutation($c: ID!, $p: ID!) { recordPayment(input: {customerId: $c, amount: \"1\", currency: \"EUR\", date: \"2026-12-01\", allocations: [{proformaId: $p, amount: \"2\"}]}) { payment { id } } }", json!({"c": b.w.acme, "p": acme_pf}), PAYERS("VALIDATION")),
        ("taxCodes", "{ taxCodes { code rate } }", json!({}),
            ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", F, F, F, "ok"]),
        ("createInvoice(ACME, nothing left)", "mutation($o: ID!) { createInvoice(input: {orderIds: [$o]}) { invoice { id } } }", json!({"o": orders[0]}), BILLERS("INVALID_STATE")),
        ("postInvoice(ACME, posted)", "mutation($i: ID!) { postInvoice(input: {id: $i}) { invoice { id } } }", json!({"i": acme_inv}), BILLERS("INVALID_STATE")),
        ("cancelInvoice(ACME, posted)", "mutation($i: ID!) { cancelInvoice(input: {id: $i}) { invoice { id } } }", json!({"i": acme_inv}), BILLERS("INVALID_STATE")),
        ("createCreditNote(ACME, too much)", "mutation($i: ID!, $l: ID!) { createCreditNote(input: {invoiceId: $i, lines: [{invoiceLineId: $l, quantity: \"1000\"}]}) { invoice { id } } }", json!({"i": acme_inv, "l": acme_line}), BILLERS("VALIDATION")),
        ("recordPayment(ACME, over-allocated)", "mutation($c: ID!, $i: ID!) { recordPayment(input: {customerId: $c, amount: \"1\", currency: \"EUR\", date: \"2026-12-01\", allocations: [{invoiceId: $i, amount: \"2\"}]}) { payment { id } } }", json!({"c": b.w.acme, "i": acme_inv}), PAYERS("VALIDATION")),
        ("allocatePayment(ACME, over-allocated)", "mutation($p: ID!, $i: ID!) { allocatePayment(input: {paymentId: $p, allocations: [{invoiceId: $i, amount: \"1000000\"}]}) { payment { id } } }", json!({"p": acme_pay, "i": acme_inv}), PAYERS("VALIDATION")),
        ("unallocatePayment(ACME, zero)", "mutation($p: ID!, $i: ID!) { unallocatePayment(input: {paymentId: $p, invoiceId: $i, amount: \"0\", reason: \"x\"}) { payment { id } } }", json!({"p": acme_pay, "i": acme_inv}), PAYERS("VALIDATION")),
        ("refundPayment(ACME, more than unallocated)", "mutation($p: ID!) { refundPayment(input: {paymentId: $p, amount: \"1000000\", date: \"2026-12-05\", reason: \"x\"}) { refund { id } } }", json!({"p": acme_pay}), PAYERS("VALIDATION")),
        ("reversePayment(ACME, no reason)", "mutation($i: ID!) { reversePayment(input: {id: $i, reason: \" \"}) { payment { id } } }", json!({"i": acme_pay}), PAYERS("VALIDATION")),
        ("releaseCreditHolds(ACME, not held)", "mutation($c: ID!, $o: ID!) { releaseCreditHolds(input: {customerId: $c, orderIds: [$o]}) { released { id } } }", json!({"c": b.w.acme, "o": acme_open}),
            ["VALIDATION", "VALIDATION", F, F, F, F, F, "VALIDATION", F, F, F, F]),
        ("createTaxCode(rate 101)", "mutation { createTaxCode(input: {code: \"X\", name: \"x\", rate: \"101\"}) { taxCode { id } } }", json!({}),
            ["VALIDATION", F, F, F, F, F, F, F, F, F, F, F]),
        ("setCustomerTaxRegime(ACME, unchanged)", "mutation($c: ID!) { setCustomerTaxRegime(input: {customerId: $c, taxRegime: STANDARD}) { taxRegime } }", json!({"c": b.w.acme}),
            ["ok", F, F, F, F, F, F, F, F, F, F, F]),
    ];
    let mismatches = matrix_mismatches(&b.w.app, &CALLERS, &tokens, &ops).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    // Lists and nested fields leave out what a caller may not see: (invoices, payments, the
    // invoices nested in ACME's order) per caller that reads them.
    let mut counts = vec![];
    for (i, t) in tokens.iter().enumerate() {
        if ALL_READERS[i] != "ok" {
            continue;
        }
        let r = b
            .w
            .app
            .gql(
                Some(t),
                "query($o: ID!) { invoices { totalCount edges { node { customer { code } } } } payments { totalCount } salesOrder(id: $o) { invoices { id } } }",
                json!({"o": orders[0]}),
            )
            .await;
        let data = if r.is_ok() {
            r.data().clone()
        } else {
            // Tokens without orders:read cannot read the order itself.
            let r = b
                .w
                .app
                .gql(Some(t), "{ invoices { totalCount edges { node { customer { code } } } } payments { totalCount } }", json!({}))
                .await;
            r.data().clone()
        };
        for e in data["invoices"]["edges"].as_array().unwrap() {
            let code = &e["node"]["customer"]["code"];
            assert!(code == "ACME" || code == "GLOBEX", "{}", CALLERS[i]);
        }
        counts.push((
            CALLERS[i],
            data["invoices"]["totalCount"].as_i64().unwrap(),
            data["payments"]["totalCount"].as_i64().unwrap(),
            data["salesOrder"]["invoices"].as_array().map(Vec::len),
        ));
    }
    assert_eq!(
        counts,
        vec![
            ("admin", 2, 1, Some(1)),
            ("manager", 1, 1, Some(1)),
            ("ana", 1, 1, Some(1)),
            ("boris", 1, 0, None),
            ("buyer", 1, 1, Some(1)),
            ("accounting", 2, 1, Some(1)),
            ("t_invoices", 2, 1, None),
            ("t_payments", 2, 1, None),
            ("t_acme", 1, 1, None),
        ]
    );
    // The warehouse sees ACME's order but not its invoices.
    let r = b
        .w
        .app
        .gql(
            Some(&tokens[4]),
            "query($o: ID!) { salesOrder(id: $o) { invoices { id } shipments { invoice { id } } } }",
            json!({"o": orders[0]}),
        )
        .await;
    assert_eq!(r.data()["salesOrder"]["invoices"], json!([]));
    assert_eq!(
        r.data()["salesOrder"]["shipments"][0]["invoice"],
        json!(null)
    );
}
